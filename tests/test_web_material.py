"""`drafter serve` (issue 13, item 4): the 素材 tab. Every narrative part's notes with an
example of good material, saved as a new statistics version (stale saves refused, the check's
findings about notes shown at the part), and a work summary (.docx/.txt) whose paragraphs are
added to parts, through FastAPI's test client."""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import browser_support
import pytest
import yaml
from conftest import ROOT, SAMPLE
from conftest import csrf_token as token
from fastapi.testclient import TestClient
from hostile_corpus import bomb

from drafter.drafting.draft import narrative_parts
from drafter.formats import layout_ids, load_layout
from drafter.web.pages.material import (
    MAX_SUMMARY_PARAGRAPHS,
    SUMMARY_DOC,
    SUMMARY_KIND,
    material_parts,
    suggest_part,
)
from drafter.web.site import STATS_DOC
from drafter.workflows import check_statistics_text
from drafter.workspace import Workspace

HONGJIANG = ROOT / "samples" / "hongjiang-yuanjianglu-2023" / "stats.yaml"  # six parts, clean
HONGJIANG_AGENCY = "洪江区沅江路街道办事处"
PROACTIVE = "overall.proactive"
MB = 2**20

SUMMARY_LINES = [
    "2023年政府信息公开工作总结",
    "3月起在门户网站开设“优化营商环境”专栏，发布政策解读12篇",
    "严格按照依申请公开办理流程，对每件申请建立台账，按期答复申请人",
    "存在的问题是政策解读形式单一，下一步将增加图解和视频解读",
]
SUGGESTED = [None, PROACTIVE, "overall.requests", "problems"]


def report_with(client: TestClient, stats: Path = SAMPLE, agency: str = "泉州市科学技术局") -> int:
    response = client.post(
        "/reports",
        data={"agency": agency, "year": "2023", "csrf_token": token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    report_id = int(re.fullmatch(r"/reports/(\d+)/stats", response.headers["location"])[1])
    response = client.post(
        f"/reports/{report_id}/stats/upload",
        data={"csrf_token": token(client), "base_version": "1"},
        files={"file": ("stats.yaml", stats.read_bytes())},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return report_id


def save_notes(client: TestClient, report_id: int, part: str, text: str, base: int, **headers: str):
    return client.post(
        f"/reports/{report_id}/material/parts/{part}",
        data={"text": text, "base_version": str(base)},
        headers={"X-CSRF-Token": token(client), "HX-Request": "true", **headers},
    )


def upload_summary(client: TestClient, report_id: int, name: str, content: bytes, **fields: str):
    return client.post(
        f"/reports/{report_id}/material/summary",
        data={"csrf_token": token(client), **fields},
        files={"file": (name, content)},
        follow_redirects=False,
    )


def with_summary(client: TestClient, report_id: int, **fields: str) -> None:
    """The summary of SUMMARY_LINES uploaded as a .txt."""
    content = "\n".join(SUMMARY_LINES).encode()
    assert upload_summary(client, report_id, "总结.txt", content, **fields).status_code == 303


def add(client: TestClient, report_id: int, index: int, part: str, base: int, summary: int):
    return client.post(
        f"/reports/{report_id}/material/summary/{index}",
        data={"part": part, "base_version": str(base), "summary_version": str(summary)},
        headers={"X-CSRF-Token": token(client), "HX-Request": "true"},
    )


def stats_versions(workspace: Workspace, report_id: int) -> int:
    return len(workspace.history(report_id, "stats", STATS_DOC))


def stored_notes(workspace: Workspace, report_id: int) -> dict:
    return yaml.safe_load(workspace.read(report_id, "stats", STATS_DOC)).get("notes", {})


def card(page: str, part: str) -> str:
    anchor = part.replace(".", "-")
    match = re.search(
        rf'<section class="card material-part" id="material-{re.escape(anchor)}".*?</section>',
        page,
        re.S,
    )
    assert match, part
    return match.group()


def textarea(card_html: str) -> str:
    match = re.search(r"<textarea[^>]*>(.*?)</textarea>", card_html, re.S)
    assert match
    return html.unescape(match[1])


def rows(page: str) -> list[str]:
    return re.findall(r'<li class="summary-paragraph.*?</li>', page, re.S)


def selected(row: str) -> str | None:
    match = re.search(r'<option value="([^"]*)" selected>', row)
    assert match, row
    return match[1] or None


def docx_bytes(lines: list[str]) -> bytes:
    from docx import Document

    document = Document()
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---- the parts and their examples -----------------------------------------------------------


@pytest.mark.parametrize(
    "stats, agency",
    [(SAMPLE, "泉州市科学技术局"), (HONGJIANG, HONGJIANG_AGENCY)],
    ids=["seven-part", "six-part"],
)
def test_the_page_lists_every_part_of_the_layout_with_its_example(
    client: TestClient, stats: Path, agency: str
):
    report_id = report_with(client, stats, agency)
    page = client.get(f"/reports/{report_id}/stats").text
    assert f'href="/reports/{report_id}/material">素材</a>' in page  # the tab is enabled
    response = client.get(f"/reports/{report_id}/material")
    assert response.status_code == 200
    page = response.text
    assert '<a class="tab active" href="/reports/' in page
    layout = load_layout(yaml.safe_load(stats.read_text(encoding="utf-8"))["format"])
    parts = narrative_parts(layout)
    positions = [page.index(f'data-part="{pid}"') for pid, _, _ in parts]
    assert positions == sorted(positions)  # in the layout's order
    assert len(re.findall(r'<section class="card material-part"', page)) == len(parts)
    for pid, heading, _ in parts:
        shown = card(page, pid)
        assert f"<h2>{heading}</h2>" in shown
        for line in material_parts()[pid]["example"]:
            assert f"<li>{html.escape(line)}</li>" in shown
    assert "素材中的数字必须来自统计表格或统计文件的“事实”" in page


def test_the_notes_of_the_sample_are_shown_one_per_line(client: TestClient):
    report_id = report_with(client)
    page = client.get(f"/reports/{report_id}/material").text
    notes = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))["notes"]
    assert textarea(card(page, "overall.management")).split("\n") == [
        line.strip() for line in notes["overall.management"]
    ]
    assert textarea(card(page, "other")) == notes["other"]
    assert "{proactive.items}" in card(page, PROACTIVE)  # the part's facts, to cite


def test_every_part_of_every_layout_has_an_example_and_keywords():
    assert set(layout_ids()) >= {"gov-info-disclosure-2021", "gov-info-disclosure-2021-seven-part"}
    for layout_id in layout_ids():
        for pid, heading, _ in narrative_parts(load_layout(layout_id)):
            spec = material_parts().get(pid)
            assert spec, (layout_id, heading)
            assert len(spec["example"]) >= 2 and all(spec["example"]), (layout_id, pid)
            assert spec["keywords"], (layout_id, pid)


def test_the_six_part_layout_says_the_fee_statement_is_written_for_the_clerk(client: TestClient):
    report_id = report_with(client, HONGJIANG, HONGJIANG_AGENCY)
    page = client.get(f"/reports/{report_id}/material").text
    assert "信息处理费的说明由系统根据表格写入本部分" in card(page, "other")
    seven = client.get(f"/reports/{report_with(client)}/material").text
    assert "信息处理费的说明" not in seven


# ---- saving a part's notes ----------------------------------------------------------------------


def test_saving_notes_makes_a_statistics_version_that_still_checks(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client, HONGJIANG, HONGJIANG_AGENCY)
    before = workspace.read(report_id, "stats", STATS_DOC)
    assert check_statistics_text(before, "统计数据").counts.errors == 0
    lines = ["3月起在门户网站开设“优化营商环境”专栏", "围绕重点领域及时公开申报指南和评审结果"]
    response = save_notes(client, report_id, PROACTIVE, "\n".join(lines) + "\n\n", base=2)
    assert response.status_code == 200, response.text
    assert "已保存 · 版本 3" in response.text
    assert textarea(card(response.text, PROACTIVE)) == "\n".join(lines)
    # the page's shared base version moves on, so that the next save is based on it
    assert re.search(
        r'id="material-base" name="base_version" value="3" hx-swap-oob="true"', response.text
    )
    assert stats_versions(workspace, report_id) == 3
    after = workspace.read(report_id, "stats", STATS_DOC)
    assert stored_notes(workspace, report_id) == {PROACTIVE: lines}
    data_before, data_after = yaml.safe_load(before), yaml.safe_load(after)
    data_after.pop("notes")
    data_before.pop("notes", None)
    assert data_after == data_before  # nothing else changed
    checked = check_statistics_text(after, "统计数据")
    assert checked.counts.errors == 0 and checked.stats.notes[PROACTIVE] == lines
    [*_, last] = workspace.history(report_id, "stats", STATS_DOC)
    assert last.message == "修改“（一）主动公开”的素材"

    one = save_notes(client, report_id, "problems", "政策解读形式较为单一", base=3)
    assert one.status_code == 200 and "已保存 · 版本 4" in one.text
    assert stored_notes(workspace, report_id)["problems"] == "政策解读形式较为单一"  # one: a text
    cleared = save_notes(client, report_id, PROACTIVE, "  \n", base=4)
    assert cleared.status_code == 200 and "已保存 · 版本 5" in cleared.text
    assert stored_notes(workspace, report_id) == {"problems": "政策解读形式较为单一"}


def test_an_unchanged_part_makes_no_version(client: TestClient, workspace: Workspace):
    report_id = report_with(client)
    page = client.get(f"/reports/{report_id}/material").text
    text = textarea(card(page, "overall.management"))
    response = save_notes(client, report_id, "overall.management", text, base=2)
    assert response.status_code == 200 and "没有修改" in response.text
    assert stats_versions(workspace, report_id) == 2


def test_a_stale_save_is_refused_showing_the_other_change(client: TestClient, workspace: Workspace):
    report_id = report_with(client)
    theirs = save_notes(client, report_id, "problems", "网上调查公众参与度不高", base=2)
    assert theirs.status_code == 200
    content = workspace.read(report_id, "stats", STATS_DOC)
    mine = "政策解读形式不够丰富\n下一步增加图解解读"
    response = save_notes(client, report_id, "problems", mine, base=2)  # loaded at version 2
    assert response.status_code == 409
    shown = card(response.text, "problems")
    assert "保存失败" in shown and "版本 3" in shown
    assert "对方保存的版本中，本部分的素材为" in shown and "网上调查公众参与度不高" in shown
    assert '<pre class="diff">' in shown
    assert "+  problems: 网上调查公众参与度不高" in html.unescape(shown)
    assert textarea(shown) == mine  # the clerk's text is kept, not lost
    assert workspace.read(report_id, "stats", STATS_DOC) == content  # nothing overwritten
    assert stats_versions(workspace, report_id) == 3


def test_a_placeholder_naming_nothing_shows_its_finding_at_the_card(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client)
    text = "全年发布政策解读{proactive.interpretations}\n在专栏发布营商环境政策{proactive.no_such}"
    response = save_notes(client, report_id, PROACTIVE, text, base=2)
    assert response.status_code == 200  # saved, as a cell with an error is: the card says why
    shown = card(response.text, PROACTIVE)
    assert "E-NOTE-REF" in shown and "{proactive.no_such}" in shown and "第 2 条" in shown
    page = client.get(f"/reports/{report_id}/material").text
    assert "E-NOTE-REF" in card(page, PROACTIVE)
    assert "E-NOTE-REF" not in card(page, "overall.management")  # only at its own part
    assert stats_versions(workspace, report_id) == 3


def test_a_number_typed_into_a_note_is_left_to_the_draft_verification(
    client: TestClient, workspace: Workspace
):
    """`drafter check` says nothing about a number typed into a note (drafting verifies it:
    E-NUM-UNKNOWN), so the card invents no finding for it; the page says numbers are checked."""
    report_id = report_with(client)
    text = "3月起在门户网站开设“优化营商环境”专栏，发布政策解读12篇"
    response = save_notes(client, report_id, PROACTIVE, text, base=2)
    assert response.status_code == 200
    content = workspace.read(report_id, "stats", STATS_DOC)
    about_notes = [
        f for f in check_statistics_text(content, "统计数据").findings if f.location.table == "素材"
    ]
    assert about_notes == []
    assert 'class="finding-list material-findings"' not in card(response.text, PROACTIVE)


def test_notes_over_the_limit_are_refused_at_the_card(client: TestClient, workspace: Workspace):
    report_id = report_with(client)
    response = save_notes(client, report_id, "problems", "问题" * 10_001, base=2)
    assert response.status_code == 400
    assert "未保存" in response.text and "素材过长" in response.text
    assert stats_versions(workspace, report_id) == 2


@pytest.mark.parametrize("part", ["proactive", "fees", "nonsense", "overall.nonsense"])
def test_a_part_without_notes_is_not_found(client: TestClient, workspace: Workspace, part: str):
    report_id = report_with(client)  # seven parts: 五、信息处理费收取情况 is a table only
    response = save_notes(client, report_id, part, "素材", base=2)
    assert response.status_code == 404
    assert stats_versions(workspace, report_id) == 2


def test_a_save_without_the_csrf_token_is_refused(client: TestClient, workspace: Workspace):
    report_id = report_with(client)
    response = client.post(
        f"/reports/{report_id}/material/parts/problems",
        data={"text": "素材", "base_version": "2"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403
    upload = client.post(
        f"/reports/{report_id}/material/summary",
        files={"file": ("总结.txt", "素材".encode())},
    )
    assert upload.status_code == 403
    assert stats_versions(workspace, report_id) == 2
    assert workspace.head(report_id, SUMMARY_KIND, SUMMARY_DOC) is None


# ---- the work summary ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content",
    [
        ("2023年工作总结.txt", "\n".join(SUMMARY_LINES).encode("utf-8")),
        ("2023年工作总结.txt", ("\ufeff" + "\r\n\r\n".join(SUMMARY_LINES)).encode("utf-8")),
        ("2023年工作总结.txt", "\r\n".join(SUMMARY_LINES).encode("gb18030")),
        ("2023年工作总结.docx", docx_bytes(SUMMARY_LINES)),
    ],
    ids=["utf-8", "utf-8-bom", "gb18030", "docx"],
)
def test_a_summary_is_listed_paragraph_by_paragraph_with_suggestions(
    client: TestClient, workspace: Workspace, name: str, content: bytes
):
    report_id = report_with(client)
    response = upload_summary(client, report_id, name, content)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/reports/{report_id}/material#summary"
    page = client.get(f"/reports/{report_id}/material").text
    shown = rows(page)
    texts = [html.unescape(re.search(r"</span>(.*?)</p>", r, re.S)[1]) for r in shown]
    assert texts == SUMMARY_LINES
    assert [selected(r) for r in shown] == SUGGESTED
    assert "不使用" in shown[0] and "（一）主动公开方面" in shown[0]
    assert name in page
    stored = workspace.read(report_id, SUMMARY_KIND, SUMMARY_DOC)
    data = json.loads(stored)
    assert data["file"] == name
    assert data["paragraphs"] == [{"text": t, "part": None} for t in SUMMARY_LINES]
    assert stats_versions(workspace, report_id) == 2  # the statistics are not touched


def test_suggestions_follow_the_keywords_and_leave_headings_alone():
    ids = [pid for pid, _, _ in narrative_parts(load_layout("gov-info-disclosure-2021"))]
    assert suggest_part("（二）依申请公开", ids) is None  # a heading
    assert suggest_part("全年办理政府信息公开申请，均按期答复申请人", ids) == "overall.requests"
    assert suggest_part("针对依申请公开工作中存在的不足，下一步将加强培训", ids) == "problems"
    assert suggest_part("在门户网站开设专栏，发布政策解读", ids) == PROACTIVE
    assert suggest_part("全年承办人大代表建议和政协提案，均按期办结", ids) == "other"
    assert suggest_part("今天天气晴朗，万里无云", ids) is None


def test_adding_a_paragraph_appends_it_to_the_part(client: TestClient, workspace: Workspace):
    report_id = report_with(client)
    with_summary(client, report_id)
    before = stored_notes(workspace, report_id)["problems"]
    response = add(client, report_id, 3, "problems", base=2, summary=1)
    assert response.status_code == 200, response.text
    assert "已加入“六、存在的主要问题及改进情况”" in rows(response.text)[0]
    assert "<select" not in rows(response.text)[0]
    notes = stored_notes(workspace, report_id)["problems"]
    assert notes == [*before, SUMMARY_LINES[3]]
    assert stats_versions(workspace, report_id) == 3
    data = json.loads(workspace.read(report_id, SUMMARY_KIND, SUMMARY_DOC))
    assert [p["part"] for p in data["paragraphs"]] == [None, None, None, "problems"]
    # the part's card and the page's base versions are replaced out of band
    shown = card(response.text, "problems")
    assert 'hx-swap-oob="true"' in shown and textarea(shown).endswith(SUMMARY_LINES[3])
    assert 'id="material-base" name="base_version" value="3" hx-swap-oob="true"' in response.text
    assert (
        'name="summary_version" form="summary-upload" value="2" hx-swap-oob="true"' in response.text
    )
    page = client.get(f"/reports/{report_id}/material").text
    assert "已加入“六、存在的主要问题及改进情况”" in rows(page)[3]
    assert textarea(card(page, "problems")).endswith(SUMMARY_LINES[3])

    again = add(client, report_id, 3, "problems", base=3, summary=2)  # a second click
    assert again.status_code == 200 and stats_versions(workspace, report_id) == 3
    empty_part = add(client, report_id, 1, PROACTIVE, base=3, summary=2)
    assert empty_part.status_code == 200
    assert stored_notes(workspace, report_id)[PROACTIVE][-1] == SUMMARY_LINES[1]


def test_adding_to_a_part_that_has_no_notes_yet(client: TestClient, workspace: Workspace):
    report_id = report_with(client, HONGJIANG, HONGJIANG_AGENCY)
    with_summary(client, report_id)
    assert add(client, report_id, 2, "overall.requests", base=2, summary=1).status_code == 200
    assert stored_notes(workspace, report_id) == {"overall.requests": SUMMARY_LINES[2]}
    content = workspace.read(report_id, "stats", STATS_DOC)
    assert check_statistics_text(content, "统计数据").counts.errors == 0


def test_adding_on_a_stale_summary_changes_nothing(client: TestClient, workspace: Workspace):
    report_id = report_with(client)
    with_summary(client, report_id)
    with_summary(client, report_id, summary_version="1")
    response = add(client, report_id, 1, PROACTIVE, base=2, summary=1)
    assert response.status_code == 409 and "保存失败" in response.text
    assert stats_versions(workspace, report_id) == 2
    assert len(workspace.history(report_id, SUMMARY_KIND, SUMMARY_DOC)) == 2
    stale_upload = upload_summary(client, report_id, "总结.txt", b"x", summary_version="1")
    assert stale_upload.status_code == 409 and "保存失败" in stale_upload.text


def test_adding_needs_a_known_part_and_paragraph(client: TestClient, workspace: Workspace):
    report_id = report_with(client)
    assert add(client, report_id, 0, PROACTIVE, base=2, summary=1).status_code == 404  # no summary
    with_summary(client, report_id)
    assert add(client, report_id, 1, "nonsense", base=2, summary=1).status_code == 400
    assert add(client, report_id, 1, "fees", base=2, summary=1).status_code == 400
    assert add(client, report_id, 99, PROACTIVE, base=2, summary=1).status_code == 404
    unused = add(client, report_id, 1, "", base=2, summary=1)  # 不使用
    assert unused.status_code == 400 and "请选择要加入的部分" in unused.text
    no_token = client.post(
        f"/reports/{report_id}/material/summary/1",
        data={"part": PROACTIVE, "base_version": "2", "summary_version": "1"},
        headers={"HX-Request": "true"},
    )
    assert no_token.status_code == 403
    assert stats_versions(workspace, report_id) == 2
    assert len(workspace.history(report_id, SUMMARY_KIND, SUMMARY_DOC)) == 1


def _good_docx() -> bytes:
    return docx_bytes(SUMMARY_LINES)


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("总结.txt", lambda: "素材\n".encode() * MB, "E-LIMIT-SIZE"),  # 7 MB: over 5 MB
        ("总结.docx", lambda: b"PK\x03\x04 this is not really a zip", "E-FILE-CORRUPT"),
        ("总结.docx", lambda: "工作总结".encode(), "E-FILE-CORRUPT"),
        ("总结.docx", lambda: bomb(_good_docx(), "word/document.xml", 60 * MB), "E-LIMIT-UNPACKED"),
        (
            "总结.docx",
            lambda: bomb(_good_docx(), "word/document.xml", 30 * MB, lie=True),
            "E-FILE-CORRUPT",
        ),
        ("总结.pdf", lambda: b"%PDF-1.7", "E-FILE-TYPE"),
        ("总结.doc", lambda: b"\xd0\xcf\x11\xe0" + b"\0" * 100, "E-FILE-TYPE"),
        ("../../etc/passwd", lambda: b"root:x:0:0", "E-FILE-TYPE"),
        ("总结.txt", lambda: b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "E-FILE-ENCODING"),
        ("总结.txt", lambda: b"\n  \n\t\n", "E-INPUT"),
        ("总结.txt", lambda: "段落\n".encode() * (MAX_SUMMARY_PARAGRAPHS + 1), "E-LIMIT-TEXT"),
    ],
    ids=[
        "oversized-txt",
        "not-a-zip",
        "text-as-docx",
        "zip-bomb",
        "lying-zip",
        "pdf",
        "old-doc",
        "traversal-name",
        "binary-txt",
        "empty-txt",
        "too-many-paragraphs",
    ],
)
def test_a_hostile_summary_gives_one_clear_error_and_stores_nothing(
    client: TestClient, workspace: Workspace, name: str, content: Callable[[], bytes], code: str
):
    """Each file made when its test runs (a zip bomb costs a second to build)."""
    report_id = report_with(client)
    response = upload_summary(client, report_id, name, content())
    assert response.status_code == 400
    alert = re.search(r'<div class="alert error" role="alert">(.*?)</div>', response.text, re.S)
    assert alert, response.text[:500]
    items = re.findall(r"<li>(.*?)</li>", alert[1], re.S)
    assert len(items) == 1 and code in items[0] and "未保存" in alert[1]
    assert "/tmp" not in alert[1] and "Traceback" not in response.text
    assert workspace.head(report_id, SUMMARY_KIND, SUMMARY_DOC) is None
    assert stats_versions(workspace, report_id) == 2


def test_a_hostile_summary_leaves_the_stored_one_as_it_was(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client)
    with_summary(client, report_id)
    response = upload_summary(client, report_id, "坏.docx", b"not a zip", summary_version="1")
    assert response.status_code == 400
    assert len(workspace.history(report_id, SUMMARY_KIND, SUMMARY_DOC)) == 1
    assert len(rows(response.text)) == len(SUMMARY_LINES)  # the stored summary still listed


def test_a_paragraph_the_notes_have_already_is_not_added_twice(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client, HONGJIANG, HONGJIANG_AGENCY)
    with_summary(client, report_id)
    assert save_notes(client, report_id, PROACTIVE, SUMMARY_LINES[1], base=2).status_code == 200
    response = add(client, report_id, 1, PROACTIVE, base=3, summary=1)
    assert response.status_code == 200 and "已加入“（一）主动公开”" in response.text
    assert stats_versions(workspace, report_id) == 3  # no second copy, no new version
    assert stored_notes(workspace, report_id) == {PROACTIVE: SUMMARY_LINES[1]}
    assert len(workspace.history(report_id, SUMMARY_KIND, SUMMARY_DOC)) == 2


# ---- in a real browser: the page's forms share the versions they save on ------------------------

server = browser_support.server  # `drafter serve`, headless Chromium (skipped without one)
browser = browser_support.browser
page = browser_support.page


def test_in_the_browser_each_save_moves_the_shared_version_on(page: Any, tmp_path: Path):
    """Adding a paragraph, saving another part, adding again: every save is based on the
    version the previous one made (the shared base inputs, replaced out of band), so none is
    refused as stale, and the card of the part a paragraph went to shows it at once."""
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_label("发布机关全称").fill("泉州市科学技术局")
    page.get_by_label("统计年度").fill("2023")
    page.get_by_role("button", name="新建").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+/stats$"))
    page.get_by_label("统计文件", exact=True).set_input_files(str(SAMPLE))
    page.get_by_role("button", name="上传 Excel / YAML").click()
    page.get_by_role("link", name="素材").click()
    expect(page).to_have_url(re.compile(r"/material$"))
    summary = tmp_path / "2023年工作总结.txt"
    summary.write_bytes("\r\n".join(SUMMARY_LINES).encode("gb18030"))
    page.get_by_label("工作总结文件").set_input_files(str(summary))
    page.locator("#summary-upload button").click()
    first = page.locator("#paragraph-1")
    expect(first.locator("select")).to_have_value(PROACTIVE)  # the suggestion, pre-selected
    first.get_by_role("button", name="加入").click()
    expect(first.locator(".added")).to_have_text("已加入“（一）主动公开方面”")
    expect(page.locator("#material-overall-proactive textarea")).to_have_value(
        re.compile(re.escape(SUMMARY_LINES[1]) + "$")
    )
    problems = page.locator("#material-problems")
    problems.locator("textarea").fill("政策解读形式较为单一\n下一步增加图解解读")
    problems.get_by_role("button", name="保存").click()
    expect(problems.locator(".saved")).to_have_text("已保存 · 版本 4")
    third = page.locator("#paragraph-3")
    third.get_by_role("button", name="加入").click()
    expect(third.locator(".added")).to_have_text("已加入“六、存在的主要问题及改进情况”")
    expect(problems.locator("textarea")).to_have_value(
        "政策解读形式较为单一\n下一步增加图解解读\n" + SUMMARY_LINES[3]
    )
    expect(page.locator("#material-base")).to_have_value("5")
    expect(page.locator("#summary-base")).to_have_value("3")
