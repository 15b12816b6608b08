"""`drafter serve`, 历史版本 (issue 13, item 2): every save is a version that can be listed,
viewed (with what differs from the current one) and restored as a new version."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from conftest import csrf_token as token
from fastapi.testclient import TestClient
from test_web_app import cell_html, edit, new_report

from drafter.workspace import Workspace

LICENSING = "proactive.licensing"


def three_saves(client: TestClient) -> int:
    """A new report (version 1) and two edits of one cell: licensing 0 → 7 → 9."""
    report_id = new_report(client)
    assert edit(client, report_id, 1, **{LICENSING: "7"}).status_code == 200
    assert edit(client, report_id, 2, **{LICENSING: "9"}).status_code == 200
    return report_id


def version_url(report_id: int, number: int, kind: str = "stats", name: str = "统计") -> str:
    return f"/reports/{report_id}/history/{kind}/{quote(name)}/{number}"


def restore(client: TestClient, report_id: int, number: int, base: int | None, **more: str):
    data = {"base_version": "" if base is None else str(base), **more}
    data.setdefault("csrf_token", token(client))
    return client.post(
        version_url(report_id, number) + "/restore", data=data, follow_redirects=False
    )


def test_the_history_lists_every_version_newest_first(client: TestClient):
    report_id = three_saves(client)
    page = client.get(f"/reports/{report_id}/history")
    assert page.status_code == 200
    text = page.text
    assert f'class="tab active" href="/reports/{report_id}/history"' in text
    stats = re.search(
        r'<section class="history-doc"[^>]*data-kind="stats".*?</section>', text, re.S
    )
    assert stats and "统计数据" in stats.group()
    numbers = re.findall(r'data-number="(\d+)"', stats.group())
    assert numbers == ["3", "2", "1"]
    rows = re.findall(r"<tr class=\"version-row[^\"]*\".*?</tr>", stats.group(), re.S)
    assert "本机用户" in rows[0] and "在页面上修改表格" in rows[0] and "当前" in rows[0]
    assert "新建报告（各项为 0）" in rows[2]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", rows[0])  # local time, readable
    assert re.search(r"\d+(\.\d)? (字节|KB)", rows[0])  # size
    assert f'href="{version_url(report_id, 1)}"' in stats.group()


def test_every_document_of_the_report_is_listed(client: TestClient, workspace: Workspace):
    report_id = new_report(client)
    workspace.save(report_id, "draft", "起草", b'{"parts": {}}', base_version=None, author="甲")
    workspace.save(
        report_id, "upload", "某文件", b"PK\x03\x04 docx", base_version=None, author="乙"
    )
    text = client.get(f"/reports/{report_id}/history").text
    kinds = re.findall(r'<section class="history-doc"[^>]*data-kind="(\w+)"', text)
    assert kinds == ["stats", "draft", "upload"]
    assert "起草稿" in text and "上传的文件" in text and "某文件" in text  # label, and the name


def test_viewing_an_old_version_shows_its_content_and_the_diff_against_head(client: TestClient):
    report_id = three_saves(client)
    page = client.get(version_url(report_id, 2))
    assert page.status_code == 200
    text = page.text
    assert "版本 2" in text and "当前为版本 3" in text
    content = re.search(r'<pre class="history-text">(.*?)</pre>', text, re.S)
    assert content and "licensing: 7" in content.group(1)
    diff = re.search(r'<pre class="history-diff">(.*?)</pre>', text, re.S)
    assert diff
    assert '<span class="diff-del">-  licensing: 9</span>' in diff.group(1)  # the head's
    assert '<span class="diff-add">+  licensing: 7</span>' in diff.group(1)  # this version's
    assert "恢复到此版本" in text and 'name="base_version" value="3"' in text
    head = client.get(version_url(report_id, 3)).text
    assert "当前版本" in head and "history-diff" not in head and "恢复到此版本" not in head


def test_restore_makes_a_new_version_with_the_old_content(client: TestClient, workspace: Workspace):
    report_id = three_saves(client)
    response = restore(client, report_id, 2, base=3)
    assert response.status_code == 303
    assert response.headers["location"] == f"/reports/{report_id}/stats"
    history = workspace.history(report_id, "stats", "统计")
    assert [v.number for v in history] == [1, 2, 3, 4]
    assert history[-1].sha256 == history[1].sha256 and history[-1].restored_from == 2
    assert "恢复版本 2" in history[-1].message and history[-1].author == "本机用户"
    assert workspace.read(report_id, "stats", "统计") == workspace.read(
        report_id, "stats", "统计", 2
    )
    page = client.get(f"/reports/{report_id}/stats").text  # the old value is back on the page
    assert re.search(r'id="cell-proactive\.licensing"[^>]*value="7"', page)
    assert "mark-" not in cell_html(page, LICENSING)
    listed = client.get(f"/reports/{report_id}/history").text
    assert "内容同版本 2" in listed


def test_restore_of_a_draft_goes_back_to_the_draft_page(client: TestClient, workspace: Workspace):
    report_id = new_report(client)
    first = b'{"parts": {"preamble": ["\\u7532"], "problems": ["\\u4e59"]}, "edited": []}'
    workspace.save(report_id, "draft", "起草", first, base_version=None, author="甲")
    workspace.save(report_id, "draft", "起草", b'{"parts": {"preamble": ["X"]}}', base_version=1,
                   author="乙")  # fmt: skip
    page = client.get(version_url(report_id, 1, "draft", "起草")).text
    parts = re.search(r'<div class="history-parts">(.*?)</div>', page, re.S)
    assert parts and "前言" in parts.group(1) and "<p>甲</p>" in parts.group(1)
    assert "五、存在的主要问题及改进情况" in parts.group(1)  # the part's heading, not its id
    assert '<span class="diff-add">+甲</span>' in page
    response = client.post(
        version_url(report_id, 1, "draft", "起草") + "/restore",
        data={"base_version": "2", "csrf_token": token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/reports/{report_id}/draft"
    assert workspace.read(report_id, "draft", "起草") == first


def test_a_binary_version_is_only_downloaded(client: TestClient, workspace: Workspace):
    report_id = new_report(client)
    docx = b"PK\x03\x04" + b"word/document.xml" + b"\0" * 50
    workspace.save(report_id, "review", "送审稿", docx, base_version=None, author="甲")
    page = client.get(version_url(report_id, 1, "review", "送审稿"))
    assert page.status_code == 200
    assert "请下载查看" in page.text and "history-text" not in page.text
    download = client.get(version_url(report_id, 1, "review", "送审稿") + "?download=1")
    assert download.status_code == 200 and download.content == docx
    assert "attachment" in download.headers["content-disposition"]
    assert ".docx" in download.headers["content-disposition"]


def test_a_stale_restore_is_refused_and_nothing_changes(client: TestClient, workspace: Workspace):
    report_id = three_saves(client)
    # another person saved version 4 while this page still showed version 3 as the head
    assert edit(client, report_id, 3, **{LICENSING: "11"}).status_code == 200
    response = restore(client, report_id, 2, base=3)
    assert response.status_code == 409
    assert "未恢复：此文档已被 本机用户" in response.text
    assert "现为版本 4，你看到的是版本 3" in response.text
    assert 'name="base_version" value="4"' in response.text  # the diff, against the new head
    assert workspace.head(report_id, "stats", "统计").number == 4
    assert b"licensing: 11" in workspace.read(report_id, "stats", "统计")
    assert restore(client, report_id, 2, base=None).status_code == 409
    assert restore(client, report_id, 2, base=99).status_code == 409
    assert workspace.head(report_id, "stats", "统计").number == 4


@pytest.mark.parametrize(
    "path",
    [
        "/history/stats/统计/9",  # no such version
        "/history/stats/统计/0",
        "/history/stats/统计/-1",
        "/history/stats/统计/abc",
        "/history/stats/统计/1.0",
        "/history/stats/统计/99999999999999999999",
        "/history/stats/other/1",  # no such document
        "/history/nonsense/统计/1",  # no such kind
        "/history/draft/起草/1",  # a kind the report has no document of
        "/history/stats/../../etc/passwd/1",
        "/history/stats/%2e%2e%2fworkspace.db/1",
        "/history/stats/统计/1/../../../1",
    ],
)
def test_an_unknown_kind_name_or_number_is_404(client: TestClient, path: str):
    report_id = new_report(client)
    response = client.get(f"/reports/{report_id}{path}")
    assert response.status_code == 404
    assert client.get("/reports/999/history").status_code == 404
    restored = client.post(
        f"/reports/{report_id}{path}/restore",
        data={"base_version": "1", "csrf_token": token(client)},
    )
    assert restored.status_code in (404, 405)


def test_restoring_the_head_itself_is_refused(client: TestClient, workspace: Workspace):
    report_id = three_saves(client)
    assert restore(client, report_id, 3, base=3).status_code == 400
    assert workspace.head(report_id, "stats", "统计").number == 3


def test_restore_needs_the_csrf_token(client: TestClient, workspace: Workspace):
    report_id = three_saves(client)
    assert restore(client, report_id, 2, base=3, csrf_token="").status_code == 403
    other = TestClient(client.app)  # another browser replaying this session's token
    stolen = other.post(
        version_url(report_id, 2) + "/restore",
        data={"base_version": "3"},
        headers={"X-CSRF-Token": token(client)},
    )
    assert stolen.status_code == 403
    assert workspace.head(report_id, "stats", "统计").number == 3


def test_a_save_survives_a_killed_server(client: TestClient, workspace: Workspace):
    """A save acknowledged by the page is in the database: a new Workspace on the same folder
    (the next server, after this one was killed without closing anything) has it."""
    report_id = new_report(client)
    assert edit(client, report_id, 1, **{LICENSING: "42"}).status_code == 200
    with Workspace.open(workspace.folder) as again:
        head = again.head(report_id, "stats", "统计")
        assert head is not None and head.number == 2 and head.message == "在页面上修改表格"
        assert b"licensing: 42" in again.read(report_id, "stats", "统计", 2)
        assert [v.number for v in again.history(report_id, "stats", "统计")] == [1, 2]


def test_caches_need_no_invalidation_on_restore(client: TestClient):
    """What is cached is keyed by version number and sha256: a restore is a new version, so
    the page is checked afresh rather than served from the entry of the version it replaced."""
    report_id = three_saves(client)
    caches = client.app.state.caches["stats"]
    assert client.get(f"/reports/{report_id}/stats").status_code == 200
    before = len(caches)
    assert restore(client, report_id, 1, base=3).status_code == 303
    page = client.get(f"/reports/{report_id}/stats").text
    assert re.search(r'id="cell-proactive\.licensing"[^>]*value="0"', page)
    assert "版本 4" in page
    assert len(caches) == before + 1
