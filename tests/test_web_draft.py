"""`drafter serve` (issue 13): the 起草 tab. Drafting offline from the stored statistics,
the draft shown with every number marked by its provenance, editing a part (re-verified,
stale saves refused), and the downloads, through FastAPI's test client."""

from __future__ import annotations

import html
import re
from pathlib import Path

from conftest import ROOT, SAMPLE, report_with
from conftest import csrf_token as token
from fastapi.testclient import TestClient

from drafter.workflows import verify_document

HONGJIANG = ROOT / "samples" / "hongjiang-yuanjianglu-2023" / "stats.yaml"
MANAGEMENT = "overall.management"  # the part with the sample's own wrong "11份"
PROACTIVE = "overall.proactive"  # the part stating "143条"


def draft(client: TestClient, report_id: int, **fields: str):
    return client.post(
        f"/reports/{report_id}/draft",
        data={"csrf_token": token(client), **fields},
        follow_redirects=False,
    )


def drafted(client: TestClient, stats: Path = SAMPLE, agency: str = "泉州市科学技术局") -> int:
    report_id = report_with(client, stats, agency)
    response = draft(client, report_id, allow_errors="1")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/reports/{report_id}/draft"
    return report_id


def part_text(page: str, part: str) -> str:
    """The plain text of a part as the page shows it (marks stripped)."""
    match = re.search(
        rf'<section class="part" data-part="{re.escape(part)}">(.*?)</section>', page, re.S
    )
    assert match, part
    body = re.sub(r"<h2>.*?</h2>", "", match[1]).replace("</p>", "\n\n")
    return html.unescape(re.sub(r"<[^>]+>", "", body)).strip()


def edit(client: TestClient, report_id: int, part: str, text: str, base: int, **headers: str):
    return client.post(
        f"/reports/{report_id}/draft/parts/{part}",
        data={"text": text, "base_version": str(base)},
        headers={"X-CSRF-Token": token(client), "HX-Request": "true", **headers},
    )


def number_span(html: str, text: str) -> str:
    match = re.search(rf'<span class="num [a-z]+"[^>]*>{re.escape(text)}</span>', html)
    assert match, text
    return match.group()


def test_the_tab_is_enabled_and_offers_offline_drafting(client: TestClient) -> None:
    report_id = report_with(client, SAMPLE)
    stats = client.get(f"/reports/{report_id}/stats").text
    assert f'href="/reports/{report_id}/draft">起草</a>' in stats
    page = client.get(f"/reports/{report_id}/draft")
    assert page.status_code == 200
    # the sample's statistics have errors: drafting is offered anyway, clearly marked
    assert "统计数据有 6 个错误" in page.text
    assert "仍用离线起草器起草" in page.text
    assert 'name="allow_errors" value="1"' in page.text


def test_drafting_without_allowing_errors_is_refused(client: TestClient, workspace) -> None:
    report_id = report_with(client, SAMPLE)
    response = draft(client, report_id)
    assert response.status_code == 400
    assert "未起草" in response.text
    assert workspace.head(report_id, "draft", "起草") is None


def test_draft_shows_marked_numbers_and_the_wrong_one(client: TestClient) -> None:
    report_id = drafted(client)
    page = client.get(f"/reports/{report_id}/draft").text
    assert page.count('class="num ok"') >= 20
    span = number_span(page, "11份")
    assert 'class="num error"' in span
    assert 'data-code="E-NUM-MISMATCH"' in span
    assert "来源：表二" in span  # the source, on hover
    assert "143条" in part_text(page, PROACTIVE)
    assert 'class="num ok"' in number_span(page, "143条")
    assert re.search(r"错误 1</span>", page)  # the summary line: the text's one error
    assert "编辑</button>" in page
    for suffix in ("docx", "html", "md"):
        assert f'href="/reports/{report_id}/draft.{suffix}"' in page


def test_editing_a_number_to_a_wrong_value_marks_it_error(client: TestClient, workspace) -> None:
    report_id = drafted(client)
    page = client.get(f"/reports/{report_id}/draft").text
    editor = client.get(f"/reports/{report_id}/draft/parts/{PROACTIVE}/edit")
    assert editor.status_code == 200
    assert "<textarea" in editor.text and "143条" in editor.text
    base = workspace.head(report_id, "draft", "起草").number
    before = part_text(page, PROACTIVE)
    assert before.count("\n\n") == 2  # three paragraphs, kept as three
    text = before.replace("143条", "134条")
    assert "134条" in text
    response = edit(client, report_id, PROACTIVE, text, base)
    assert response.status_code == 200, response.text
    span = number_span(response.text, "134条")
    assert 'class="num error"' in span
    assert "E-NUM-MISMATCH" in span and "来源：" in span and "143" in span
    assert 'id="draft-summary" class="card findings draft-summary" hx-swap-oob="true"' in (
        response.text
    )
    assert re.search(r"错误 2</span>", response.text)  # 11份 and now 134条
    assert response.text.count("<p data-paragraph=") == 3
    # the other numbers of the part are still verified against their cells
    assert 'class="num ok"' in number_span(response.text, "45条")
    assert workspace.head(report_id, "draft", "起草").number == base + 1
    # stored: the page shows the edit after a reload, marked the same
    again = client.get(f"/reports/{report_id}/draft").text
    assert 'class="num error"' in number_span(again, "134条")
    assert "已编辑" in again


def test_a_stale_edit_is_refused(client: TestClient, workspace) -> None:
    report_id = drafted(client)
    base = workspace.head(report_id, "draft", "起草").number
    assert edit(client, report_id, "other", "本年度无其他需要报告的事项。", base).status_code == 200
    stale = edit(client, report_id, PROACTIVE, "全年公开政府信息143条。", base)
    assert stale.status_code == 409
    assert "保存失败：此文档已被" in stale.text
    assert "本年度无其他需要报告的事项" in stale.text  # the other person's change, shown
    assert workspace.head(report_id, "draft", "起草").number == base + 1  # nothing stored


def test_unknown_part_is_404_and_unknown_base_409(client: TestClient) -> None:
    report_id = drafted(client)
    assert edit(client, report_id, "nope", "x", 1).status_code == 404
    assert edit(client, report_id, PROACTIVE, "x", 7).status_code == 409


def test_downloaded_docx_verifies_against_the_statistics(
    client: TestClient, tmp_path: Path
) -> None:
    report_id = drafted(client)
    page = client.get(f"/reports/{report_id}/draft").text
    text = part_text(page, "other").strip() + "\n本年度无其他需要报告的事项。"
    assert edit(client, report_id, "other", text, 1).status_code == 200
    for suffix, media in (
        ("docx", "wordprocessingml"),
        ("html", "text/html"),
        ("md", "text/markdown"),
    ):
        response = client.get(f"/reports/{report_id}/draft.{suffix}")
        assert response.status_code == 200
        assert media in response.headers["content-type"]
        assert "attachment" in response.headers["content-disposition"]
    assert "本年度无其他需要报告的事项" in client.get(f"/reports/{report_id}/draft.md").text
    document = tmp_path / "report.docx"
    document.write_bytes(client.get(f"/reports/{report_id}/draft.docx").content)
    stats = tmp_path / "stats.yaml"
    stats.write_bytes(client.get(f"/reports/{report_id}/stats.yaml").content)
    result = verify_document(document, stats)
    errors = [f for f in result.findings if f.severity.value == "error"]
    number_errors = [f for f in errors if f.location.paragraph is not None]
    assert [(f.code, f.location.text) for f in number_errors] == [("E-NUM-MISMATCH", "11份")]


def test_hongjiang_draft_shows_ten_gaps(client: TestClient) -> None:
    report_id = report_with(client, HONGJIANG, "洪江市沅江路街道办事处")
    assert "用离线起草器起草" in client.get(f"/reports/{report_id}/draft").text
    assert draft(client, report_id).status_code == 303  # no errors: no need to allow them
    page = client.get(f"/reports/{report_id}/draft").text
    body = page.split('<aside id="draft-summary"')[0]
    assert body.count('<span class="gap"') == 10
    assert "待补充 10</span>" in page


def test_csrf_is_required_to_draft_and_to_edit(client: TestClient, workspace) -> None:
    report_id = report_with(client, SAMPLE)
    refused = client.post(f"/reports/{report_id}/draft", data={"allow_errors": "1"})
    assert refused.status_code == 403
    assert workspace.head(report_id, "draft", "起草") is None
    report_id = drafted(client, HONGJIANG, "洪江市沅江路街道办事处")
    refused = client.post(
        f"/reports/{report_id}/draft/parts/other",
        data={"text": "改动", "base_version": "1"},
        headers={"X-CSRF-Token": "x" * 43},
    )
    assert refused.status_code == 403
    assert workspace.head(report_id, "draft", "起草").number == 1


def test_redrafting_needs_the_current_version(client: TestClient, workspace) -> None:
    report_id = drafted(client)
    assert draft(client, report_id, allow_errors="1").status_code == 409  # no base: stale
    response = draft(client, report_id, allow_errors="1", base_version="1")
    assert response.status_code == 303
    assert workspace.head(report_id, "draft", "起草").number == 2
