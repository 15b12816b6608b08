"""`drafter serve` (issue 13, item 4): the 素材 tab. Every narrative part's notes with an
example of good material, saved as a new statistics version (stale saves refused, the check's
findings about notes shown at the part), and a work summary (.docx/.txt) whose paragraphs are
added to parts, through FastAPI's test client."""

from __future__ import annotations

import html
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import browser_support
import pytest
import yaml
from conftest import ROOT, SAMPLE, report_with
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
    page.locator("#summary-upload").get_by_role("button", name="上传").click()
    first = page.locator("#paragraph-1")
    expect(first.locator("select")).to_have_value(PROACTIVE)  # the suggestion, pre-selected
    first.get_by_role("button", name="加入").click()
    expect(first.locator(".added")).to_have_text("已加入“（一）主动公开方面”")
    expect(page.locator("#material-overall-proactive textarea")).to_have_value(
        re.compile(re.escape(SUMMARY_LINES[1]) + "$")
    )
    problems = page.locator("#material-problems")
    problems.locator("textarea").fill("政策解读形式较为单一\n下一步增加图解解读")
    problems.get_by_role("button", name="保存", exact=True).click()
    expect(problems.locator(".saved")).to_have_text("已保存 · 版本 4")
    third = page.locator("#paragraph-3")
    third.get_by_role("button", name="加入").click()
    expect(third.locator(".added")).to_have_text("已加入“六、存在的主要问题及改进情况”")
    expect(problems.locator("textarea")).to_have_value(
        "政策解读形式较为单一\n下一步增加图解解读\n" + SUMMARY_LINES[3]
    )
    expect(page.locator("#material-base")).to_have_value("5")
    expect(page.locator("#summary-base")).to_have_value("3")


# ---- 机关信息 and facts (the rest of the statistics file, in the browser alone) -----------------

NORMATIVE = "management.normative_in_force"  # the sample's fact that contradicts 表二 (11 ≠ 14)
MANAGEMENT = "overall.management"


def save_agency(client: TestClient, report_id: int, base: int, **fields: str):
    """The 机关信息 form: `contact__postal_code="362000"` is the field contact.postal_code."""
    data = {key.replace("__", "."): value for key, value in fields.items()}
    return client.post(
        f"/reports/{report_id}/material/agency",
        data={**data, "base_version": str(base)},
        headers={"X-CSRF-Token": token(client), "HX-Request": "true"},
    )


def facts_block(page: str, part: str) -> str:
    anchor = part.replace(".", "-")
    match = re.search(
        rf'<div class="material-facts" id="facts-{re.escape(anchor)}".*?</form>', page, re.S
    )
    assert match, part
    return match.group()


def _attributes(tag: str) -> dict[str, str]:
    return {k: html.unescape(v) for k, v in re.findall(r'([\w:-]+)="([^"]*)"', tag)}


def facts_form(page: str, part: str) -> list[tuple[str, str]]:
    """What the browser submits for a part's facts table as the page shows it."""
    block = facts_block(page, part)
    fields: list[tuple[str, str]] = []
    for tag in re.findall(r"<input\b[^>]*>|<select\b[^>]*>.*?</select>", block, re.S):
        if tag.startswith("<select"):
            name = _attributes(tag.split(">", 1)[0])["name"]
            chosen = re.search(r'<option value="([^"]*)" selected>', tag)
            fields.append((name, html.unescape(chosen[1]) if chosen else ""))
            continue
        attributes = _attributes(tag)
        if attributes.get("type") == "checkbox" and " checked" not in tag:
            continue
        fields.append((attributes["name"], attributes.get("value", "")))
    return fields


def fact_row_number(form: list[tuple[str, str]], fact_id: str) -> str:
    [number] = [
        name.split(":", 1)[1] for name, value in form if name.startswith("id:") and value == fact_id
    ]
    return number


def changed(form: list[tuple[str, str]], **values: str) -> list[tuple[str, str]]:
    """`form` with fields replaced: `value__3="14"` is the field value:3."""
    wanted = {key.replace("__", ":"): value for key, value in values.items()}
    out = [(name, wanted.pop(name, value)) for name, value in form]
    return out + list(wanted.items())


def save_facts(
    client: TestClient, report_id: int, part: str, form: list[tuple[str, str]], base: int
):
    return client.post(
        f"/reports/{report_id}/material/facts/{part}",
        content=urlencode([*form, ("base_version", str(base))]).encode(),
        headers={
            "X-CSRF-Token": token(client),
            "HX-Request": "true",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def stored(workspace: Workspace, report_id: int) -> dict[str, Any]:
    return yaml.safe_load(workspace.read(report_id, "stats", STATS_DOC))


def drafter_check(workspace: Workspace, report_id: int, tmp_path: Path) -> list[str]:
    """`drafter check --json` on the stored statistics: the codes it finds."""
    path = tmp_path / f"stats-{report_id}.yaml"
    path.write_bytes(workspace.read(report_id, "stats", STATS_DOC))
    done = subprocess.run(
        [sys.executable, "-m", "drafter", "check", str(path), "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    return sorted(f["code"] for f in json.loads(done.stdout)["findings"])


def agency_field(page: str, path: str) -> str:
    match = re.search(
        rf'<div class="agency-field[^"]*" data-field="{re.escape(path)}">.*?</div>', page, re.S
    )
    assert match, path
    return match.group()


def fact_tbody(page: str, fact_id: str) -> str:
    match = re.search(
        rf'<tbody class="fact[^"]*" data-fact="{re.escape(fact_id)}".*?</tbody>', page, re.S
    )
    assert match, fact_id
    return match.group()


SAMPLE_CODES = ["E-CELL-BLANK"] * 5 + ["E-FACT-CELL", "W-CONTACT-POSTCODE"]


def test_the_agency_card_shows_the_preamble_and_cover_letter_fields(client: TestClient):
    report_id = report_with(client)
    page = client.get(f"/reports/{report_id}/material").text
    assert page.index('id="agency"') < page.index('class="card material-part"')  # at the top
    expected = {
        "publication.site": "泉州市科技信息网站",
        "publication.url": "http://kj.quanzhou.gov.cn/",
        "contact.office": "泉州市科技局办公室",
        "contact.postal_code": "350000",
        "contact.phone": "0595-22579359",
        "contact.email": "",
        "profile.level": "设区的市政府工作部门",
        "profile.self_name": "",
        "cover_letter.recipient": "泉州市人民政府办公室",
        "cover_letter.date": "",
    }
    for path, value in expected.items():
        field = agency_field(page, path)
        assert re.search(
            rf'name="{re.escape(path)}" value="{re.escape(html.escape(value))}"', field
        )
    power = agency_field(page, "profile.rulemaking_power")
    assert '<option value="false" selected>没有</option>' in power
    assert "按名称推断" in power and ">有</option>" in power
    postcode = agency_field(page, "contact.postal_code")  # the finding, at its field
    assert "W-CONTACT-POSTCODE" in postcode and "mark-warning" in postcode
    assert "W-CONTACT-POSTCODE" not in agency_field(page, "contact.address")


def test_saving_the_postal_code_makes_a_version_that_checks_clean_of_the_warning(
    client: TestClient, workspace: Workspace, tmp_path: Path
):
    report_id = report_with(client)
    assert drafter_check(workspace, report_id, tmp_path) == sorted(SAMPLE_CODES)
    before = stored(workspace, report_id)
    response = save_agency(client, report_id, 2, contact__postal_code=" 362000 ")
    assert response.status_code == 200, response.text
    assert "已保存 · 版本 3" in response.text
    assert 'id="material-base" name="base_version" value="3" hx-swap-oob="true"' in response.text
    assert "W-CONTACT-POSTCODE" not in response.text
    after = stored(workspace, report_id)
    assert after["contact"]["postal_code"] == "362000"  # text: a leading 0 would be kept
    after["contact"]["postal_code"] = before["contact"]["postal_code"]
    assert after == before  # nothing else changed
    assert drafter_check(workspace, report_id, tmp_path) == ["E-CELL-BLANK"] * 5 + ["E-FACT-CELL"]
    [*_, last] = workspace.history(report_id, "stats", STATS_DOC)
    assert last.message == "修改机关信息"
    page = client.get(f"/reports/{report_id}/material").text
    assert "W-CONTACT-POSTCODE" not in agency_field(page, "contact.postal_code")


def test_saving_profile_and_cover_letter_writes_them_as_the_file_does(
    client: TestClient, workspace: Workspace, tmp_path: Path
):
    report_id = report_with(client, HONGJIANG, HONGJIANG_AGENCY)
    assert "cover_letter" not in stored(workspace, report_id)
    response = save_agency(
        client, report_id, 2,
        profile__self_name="我街道", profile__rulemaking_power="false", profile__level="街道",
        cover_letter__recipient="洪江区人民政府办公室", cover_letter__date="2024-01-15",
        contact__email="hj@example.gov.cn",
    )  # fmt: skip
    assert response.status_code == 200, response.text
    data = stored(workspace, report_id)
    assert data["profile"] == {"self_name": "我街道", "rulemaking_power": False, "level": "街道"}
    assert data["cover_letter"] == {"recipient": "洪江区人民政府办公室", "date": "2024-01-15"}
    assert data["contact"]["email"] == "hj@example.gov.cn"
    keys = list(data)  # new blocks where the statistics file has them: before the tables
    assert keys.index("profile") < keys.index("proactive")
    assert keys.index("cover_letter") < keys.index("proactive")
    checked = check_statistics_text(workspace.read(report_id, "stats", STATS_DOC), "统计数据")
    assert checked.stats.cover_letter.date == "2024年1月15日"  # the model normalises the date
    assert checked.stats.profile.rulemaking_power is False
    assert drafter_check(workspace, report_id, tmp_path) == []
    # the page shows the date as the report will print it, and saving that again is no change
    date = agency_field(response.text, "cover_letter.date")
    assert 'value="2024年1月15日"' in date
    again = save_agency(client, report_id, 3, cover_letter__date="2024年1月15日")
    assert again.status_code == 200 and "没有修改" in again.text
    # a field emptied is left out; a block left empty goes; the inferred power is no key
    cleared = save_agency(
        client, report_id, 3, cover_letter__recipient="", cover_letter__date=" ",
        profile__rulemaking_power="", profile__self_name="", profile__level="",
    )  # fmt: skip
    assert cleared.status_code == 200 and "已保存 · 版本 4" in cleared.text
    data = stored(workspace, report_id)
    assert "cover_letter" not in data and "profile" not in data
    assert len(workspace.history(report_id, "stats", STATS_DOC)) == 4


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("cover_letter__date", "2024-02-30", "不是有效的日期"),
        ("cover_letter__date", "2024-13-01", "不是有效的日期"),
        ("profile__self_name", "我 局", "格式不符"),
        ("profile__self_name", "本机关的一个很长的自称名字", "10"),
    ],
    ids=["no-such-day", "no-such-month", "space-in-self-name", "self-name-too-long"],
)
def test_an_invalid_agency_field_is_refused_at_the_field(
    client: TestClient, workspace: Workspace, field: str, value: str, message: str
):
    report_id = report_with(client)
    content = workspace.read(report_id, "stats", STATS_DOC)
    response = save_agency(client, report_id, 2, **{field: value, "contact__phone": "0595-1"})
    assert response.status_code == 400
    shown = agency_field(response.text, field.replace("__", "."))
    assert "E-STATS-VALUE" in shown and message in shown and "mark-error" in shown
    assert 'aria-invalid="true"' in shown
    assert f'value="{html.escape(value)}"' in shown  # what was typed is kept
    assert 'value="0595-1"' in agency_field(response.text, "contact.phone")
    assert "未保存" in response.text
    assert workspace.read(report_id, "stats", STATS_DOC) == content  # nothing saved
    assert stats_versions(workspace, report_id) == 2


def test_a_rulemaking_power_that_is_not_a_choice_is_refused(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client)
    response = save_agency(client, report_id, 2, profile__rulemaking_power="maybe")
    assert response.status_code == 400
    assert stats_versions(workspace, report_id) == 2


def test_a_stale_agency_save_is_refused_showing_the_other_change(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client)
    theirs = save_agency(client, report_id, 2, contact__postal_code="362000")
    assert theirs.status_code == 200
    content = workspace.read(report_id, "stats", STATS_DOC)
    response = save_agency(client, report_id, 2, contact__postal_code="362100", contact__fax="")
    assert response.status_code == 409
    assert "保存失败" in response.text and "版本 3" in response.text
    assert "对方保存的版本中，以下各项与你填写的不同" in response.text
    assert "联系方式 · 邮政编码：362000" in response.text
    assert "联系方式 · 传真：0595-22579371" in response.text
    assert '<pre class="diff">' in response.text
    assert 'value="362100"' in agency_field(response.text, "contact.postal_code")  # kept
    assert workspace.read(report_id, "stats", STATS_DOC) == content  # nothing overwritten
    assert stats_versions(workspace, report_id) == 3


def test_the_sample_fact_shows_its_finding_at_its_row_and_loses_it_once_fixed(
    client: TestClient, workspace: Workspace, tmp_path: Path
):
    report_id = report_with(client)
    page = client.get(f"/reports/{report_id}/material").text
    row = fact_tbody(page, NORMATIVE)
    assert "E-FACT-CELL" in row and "mark-error" in row
    assert "{" + NORMATIVE + "}" in row  # the id, as the placeholder notes cite it by
    assert re.search(r'<td class="num mark-error"><input name="value:\d+" value="11"', row)
    assert "E-FACT-CELL" not in fact_tbody(page, "management.online_interviews")
    assert "E-FACT-CELL" in facts_block(page, MANAGEMENT)
    assert "E-FACT-CELL" not in facts_block(page, PROACTIVE)  # at its own part only

    form = facts_form(page, MANAGEMENT)
    number = fact_row_number(form, NORMATIVE)
    response = save_facts(
        client, report_id, MANAGEMENT, changed(form, **{f"value__{number}": "14"}), 2
    )
    assert response.status_code == 200, response.text
    assert "已保存 · 版本 3" in response.text
    assert "E-FACT-CELL" not in response.text
    assert 'id="material-base" name="base_version" value="3" hx-swap-oob="true"' in response.text
    assert 'id="notes-findings-overall-management" hx-swap-oob="true"' in response.text
    data = stored(workspace, report_id)
    [fact] = [f for f in data["facts"] if f["id"] == NORMATIVE]
    assert fact["value"] == 14 and fact["cell"] == "proactive.normative_documents.in_force"
    before = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    assert [f["id"] for f in data["facts"]] == [f["id"] for f in before["facts"]]  # in place
    assert drafter_check(workspace, report_id, tmp_path) == ["E-CELL-BLANK"] * 5 + [
        "W-CONTACT-POSTCODE"
    ]
    [*_, last] = workspace.history(report_id, "stats", STATS_DOC)
    assert last.message == "修改“（三）政府信息管理方面”的事实"
    page = client.get(f"/reports/{report_id}/material").text
    assert "E-FACT-CELL" not in fact_tbody(page, NORMATIVE)


def test_an_unchanged_facts_table_makes_no_version(client: TestClient, workspace: Workspace):
    report_id = report_with(client)
    page = client.get(f"/reports/{report_id}/material").text
    for part in (PROACTIVE, MANAGEMENT, "overall.platforms"):
        response = save_facts(client, report_id, part, facts_form(page, part), 2)
        assert response.status_code == 200 and "没有修改" in response.text, part
    assert stats_versions(workspace, report_id) == 2


def test_a_fact_added_gets_the_workbooks_id_and_a_deleted_one_goes(
    client: TestClient, workspace: Workspace, tmp_path: Path
):
    from drafter.statistics.workbook import _fact_id

    report_id = report_with(client)
    page = client.get(f"/reports/{report_id}/material").text
    form = facts_form(page, MANAGEMENT)
    numbers = [value for name, value in form if name == "row"]
    blank = numbers[-1]  # the page's blank row, for a new fact
    assert dict(form)[f"id:{blank}"] == ""
    online = fact_row_number(form, "management.online_interviews")
    form = changed(
        form,
        **{f"label__{blank}": "  政策解读会 ", f"value__{blank}": "3", f"unit__{blank}": "场"},
        **{f"approx__{blank}": "余"},
    )
    form.append(("delete", online))
    response = save_facts(client, report_id, MANAGEMENT, form, 2)
    assert response.status_code == 200, response.text
    expected_id = _fact_id({"section": MANAGEMENT, "label": "政策解读会"}, set())
    assert re.fullmatch(r"management\.f[0-9a-f]{6}", expected_id)
    data = stored(workspace, report_id)
    ids = [f["id"] for f in data["facts"]]
    assert "management.online_interviews" not in ids
    assert data["facts"][ids.index(expected_id)] == {
        "id": expected_id, "label": "政策解读会", "value": 3, "approx": "余", "unit": "场",
        "section": MANAGEMENT,
    }  # fmt: skip
    # after the last fact of the part
    assert ids.index(expected_id) == ids.index("management.mailbox_items") + 1
    assert "{" + expected_id + "}" in fact_tbody(response.text, expected_id)
    # the notes cite the deleted fact: the check says so at the notes, shown out of band
    codes = drafter_check(workspace, report_id, tmp_path)
    assert "E-NOTE-REF" in codes
    oob = 'id="notes-findings-overall-management" hx-swap-oob="true">'
    notes = re.search(rf'<div class="notes-findings" {oob}.*?</div>', response.text, re.S)
    assert notes and "E-NOTE-REF" in notes.group()


def test_adding_a_row_shows_another_blank_one_and_saves_nothing(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client, HONGJIANG, HONGJIANG_AGENCY)  # a part without facts
    page = client.get(f"/reports/{report_id}/material").text
    form = facts_form(page, "problems")
    assert [n for n, _ in form if n == "row"] == ["row"]  # just the blank row
    form = changed(form, label__0="整改问题", value__0="2", unit__0="个")
    response = client.post(
        f"/reports/{report_id}/material/facts/problems/rows",
        content=urlencode(form).encode(),
        headers={"X-CSRF-Token": token(client), "HX-Request": "true",
                 "Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert response.status_code == 200
    shown = facts_form(response.text, "problems")
    assert [v for n, v in shown if n == "row"] == ["0", "1"]
    assert dict(shown)["label:0"] == "整改问题" and dict(shown)["label:1"] == ""
    assert stats_versions(workspace, report_id) == 2
    saved = save_facts(client, report_id, "problems", shown, 2)
    assert saved.status_code == 200, saved.text
    [fact] = [f for f in stored(workspace, report_id)["facts"] if f["section"] == "problems"]
    assert fact["label"] == "整改问题" and fact["value"] == 2 and fact["unit"] == "个"
    assert fact["id"].startswith("problems.f")


@pytest.mark.parametrize(
    "value, message",
    [
        ("-1", "需要非负整数, 得到 -1"),
        ("十一", "需要非负数"),
        ("11份", "需要非负数"),
        ("", "缺少必填项"),
    ],
    ids=["negative", "chinese-numeral", "with-unit", "blank"],
)
def test_an_invalid_fact_value_is_refused_at_its_row(
    client: TestClient, workspace: Workspace, value: str, message: str
):
    report_id = report_with(client)
    content = workspace.read(report_id, "stats", STATS_DOC)
    page = client.get(f"/reports/{report_id}/material").text
    form = facts_form(page, MANAGEMENT)
    number = fact_row_number(form, NORMATIVE)
    other = fact_row_number(form, "management.online_surveys")
    form = changed(form, **{f"value__{number}": value, f"label__{other}": "网上调查活动"})
    response = save_facts(client, report_id, MANAGEMENT, form, 2)
    assert response.status_code == 400
    row = fact_tbody(response.text, NORMATIVE)
    assert "E-STATS-VALUE" in row and message in row and "未保存" in row
    assert re.search(
        rf'<td class="num mark-error"><input name="value:{number}" value="{re.escape(value)}"', row
    )
    assert 'value="网上调查活动"' in fact_tbody(response.text, "management.online_surveys")  # kept
    assert "E-STATS-VALUE" not in fact_tbody(response.text, "management.online_surveys")
    assert workspace.read(report_id, "stats", STATS_DOC) == content  # nothing saved
    assert stats_versions(workspace, report_id) == 2


def test_a_new_fact_without_a_label_or_unit_is_refused_at_its_row(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client)
    page = client.get(f"/reports/{report_id}/material").text
    form = facts_form(page, MANAGEMENT)
    blank = [value for name, value in form if name == "row"][-1]
    response = save_facts(
        client, report_id, MANAGEMENT, changed(form, **{f"value__{blank}": "3"}), 2
    )
    assert response.status_code == 400
    row = re.search(
        rf'<tbody class="fact[^"]*" data-fact="" data-row="{blank}">.*?</tbody>',
        response.text,
        re.S,
    )
    assert row and "不能为空" in row.group() and 'value="3"' in row.group()
    assert stats_versions(workspace, report_id) == 2


def test_a_stale_facts_save_is_refused_showing_the_other_change(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client)
    page = client.get(f"/reports/{report_id}/material").text
    form = facts_form(page, MANAGEMENT)
    number = fact_row_number(form, NORMATIVE)
    theirs = save_facts(
        client, report_id, MANAGEMENT, changed(form, **{f"value__{number}": "14"}), 2
    )
    assert theirs.status_code == 200
    content = workspace.read(report_id, "stats", STATS_DOC)
    mine = changed(form, **{f"value__{number}": "13"})
    response = save_facts(client, report_id, MANAGEMENT, mine, 2)  # loaded at version 2
    assert response.status_code == 409
    assert "保存失败" in response.text and "版本 3" in response.text
    assert "对方保存的版本中，本部分的事实为" in response.text
    assert "集中发布我局制定的现行有效规范性文件 14份" in response.text
    assert '<pre class="diff">' in response.text
    assert f'<input name="value:{number}" value="13"' in response.text  # kept, not saved
    assert workspace.read(report_id, "stats", STATS_DOC) == content  # nothing overwritten
    assert stats_versions(workspace, report_id) == 3


def test_a_facts_form_naming_another_parts_fact_is_refused(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client)
    page = client.get(f"/reports/{report_id}/material").text
    form = facts_form(page, MANAGEMENT)
    number = fact_row_number(form, NORMATIVE)
    wrong = changed(form, **{f"id__{number}": "proactive.items"})
    assert save_facts(client, report_id, MANAGEMENT, wrong, 2).status_code == 400
    twice = [*form, ("row", "99"), ("id:99", NORMATIVE)]
    assert save_facts(client, report_id, MANAGEMENT, twice, 2).status_code == 400
    bad_row = [*form, ("row", "x")]
    assert save_facts(client, report_id, MANAGEMENT, bad_row, 2).status_code == 400
    assert save_facts(client, report_id, "fees", form, 2).status_code == 404
    assert stats_versions(workspace, report_id) == 2


def test_agency_and_facts_saves_without_the_csrf_token_are_refused(
    client: TestClient, workspace: Workspace
):
    report_id = report_with(client)
    page = client.get(f"/reports/{report_id}/material").text
    for path, data in [
        ("agency", {"contact.postal_code": "362000", "base_version": "2"}),
        (f"facts/{MANAGEMENT}", [*facts_form(page, MANAGEMENT), ("base_version", "2")]),
        (f"facts/{MANAGEMENT}/rows", facts_form(page, MANAGEMENT)),
    ]:
        response = client.post(
            f"/reports/{report_id}/material/{path}",
            content=urlencode(data).encode(),
            headers={"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 403, path
    assert stats_versions(workspace, report_id) == 2


def test_another_agencys_agency_and_facts_are_not_found(workspace: Workspace):
    from test_web_auth import OURS, THEIRS, add_user, logged_in, report_with_stats

    from drafter.web.app import create_app

    add_user(workspace, "张三", OURS)
    ours = report_with_stats(workspace, OURS)
    theirs = report_with_stats(workspace, THEIRS)
    network = logged_in(TestClient(create_app(workspace, host="0.0.0.0")))
    assert network.get(f"/reports/{theirs}/material").status_code == 404
    page = network.get(f"/reports/{ours}/material").text
    form = changed(facts_form(page, PROACTIVE), label__0="公开信息", value__0="3", unit__0="条")
    assert save_agency(network, theirs, 1, contact__office="某某办公室").status_code == 404
    assert save_facts(network, theirs, PROACTIVE, form, 1).status_code == 404
    assert workspace.head(theirs, "stats", STATS_DOC).number == 1  # nothing saved there
    assert save_agency(network, ours, 1, contact__office="某某办公室").status_code == 200
    assert save_facts(network, ours, PROACTIVE, form, 2).status_code == 200
    head = workspace.head(ours, "stats", STATS_DOC)
    assert head.number == 3 and head.author == "张三"  # saved here, as the user


def test_in_the_browser_facts_and_notes_of_a_part_are_saved_apart(page: Any):
    """A fact typed but not saved survives saving the part's notes (the table on the page is
    kept: hx-preserve); 添加一行 adds a blank row keeping what was typed; saving the facts then
    is based on the version the notes made, and a new fact gets its {id}."""
    from playwright.sync_api import expect

    page.goto("/")
    page.get_by_label("发布机关全称").fill(HONGJIANG_AGENCY)
    page.get_by_label("统计年度").fill("2023")
    page.get_by_role("button", name="新建").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+/stats$"))
    page.get_by_label("统计文件", exact=True).set_input_files(str(HONGJIANG))
    page.get_by_role("button", name="上传 Excel / YAML").click()
    page.get_by_role("link", name="素材").click()
    expect(page).to_have_url(re.compile(r"/material$"))
    part = page.locator("#material-problems")
    facts = part.locator(".material-facts")
    facts.get_by_label("第 1 行 · 事项").fill("整改问题")
    facts.get_by_label("第 1 行 · 数值").fill("3")
    facts.get_by_label("第 1 行 · 单位").fill("个")
    facts.get_by_role("button", name="添加一行").click()
    expect(facts.get_by_label("第 2 行 · 事项")).to_have_value("")
    expect(facts.get_by_label("第 1 行 · 事项")).to_have_value("整改问题")
    part.locator("textarea").fill("整改问题{problems.no_such}")
    part.get_by_role("button", name="保存", exact=True).click()
    expect(part.locator(".material-notes .saved")).to_have_text("已保存 · 版本 3")
    expect(part.locator(".notes-findings")).to_contain_text("E-NOTE-REF")
    expect(facts.get_by_label("第 1 行 · 事项")).to_have_value("整改问题")  # kept, unsaved
    expect(facts.get_by_label("第 2 行 · 事项")).to_be_visible()
    facts.get_by_role("button", name="保存事实").click()
    expect(facts.locator(".saved")).to_have_text("已保存 · 版本 4")
    expect(facts.locator("tbody.fact code.placeholder")).to_have_text(
        re.compile(r"^\{problems\.f[0-9a-f]{6}\}$")
    )
    expect(page.locator("#material-base")).to_have_value("4")
    expect(part.locator(".notes-findings")).to_contain_text("E-NOTE-REF")  # still cites nothing
