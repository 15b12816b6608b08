"""`drafter serve` (issue 13): the report list, the 统计 page and the security basics, through
FastAPI's test client (no socket is opened)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLE
from conftest import csrf_token as token
from fastapi.testclient import TestClient
from hostile_corpus import bomb

from drafter.errors import InputError
from drafter.formats import load_layout
from drafter.statistics.load import load_stats
from drafter.statistics.workbook import workbook_bytes
from drafter.web.app import MAX_BODY_BYTES, bind_refusal, create_app
from drafter.workspace import Workspace

MB = 2**20
BLANK_CELL = "review_litigation.review.upheld"  # blank in the sample: E-CELL-BLANK


def new_report(client: TestClient, agency: str = "泉州市科学技术局", year: int = 2023) -> int:
    response = client.post(
        "/reports",
        data={"agency": agency, "year": str(year), "csrf_token": token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/reports/(\d+)/stats", response.headers["location"])
    assert match
    return int(match.group(1))


def upload(client: TestClient, report_id: int, name: str, content: bytes, base: int = 1):
    return client.post(
        f"/reports/{report_id}/stats/upload",
        data={"csrf_token": token(client), "base_version": str(base)},
        files={"file": (name, content)},
        follow_redirects=False,
    )


def edit(client: TestClient, report_id: int, base: int, **cells: str):
    return client.post(
        f"/reports/{report_id}/stats/cells",
        data={"base_version": str(base), **{f"cell:{k}": v for k, v in cells.items()}},
        headers={"X-CSRF-Token": token(client), "HX-Request": "true"},
    )


def cell_html(page: str, key: str) -> str:
    match = re.search(rf'<td class="value[^"]*"[^>]*data-key="{re.escape(key)}"[^>]*>', page)
    assert match, key
    return match.group()


def stats_versions(workspace: Workspace, report_id: int) -> int:
    head = workspace.head(report_id, "stats", "统计")
    return head.number if head else 0


# ---- the report list -----------------------------------------------------------------------


def test_list_and_create_a_report(client: TestClient, workspace: Workspace):
    assert "工作区还没有报告" in client.get("/").text
    report_id = new_report(client)
    page = client.get("/").text
    assert "泉州市科学技术局" in page and "2023" in page
    assert f"/reports/{report_id}/stats" in page
    assert [r.agency for r in workspace.list_reports()] == ["泉州市科学技术局"]
    # a new report starts from drafter init's statistics: every cell 0, no error
    stats = client.get(f"/reports/{report_id}/stats").text
    assert "错误 0</span>" in stats
    # the same agency and year twice: refused with the reason
    again = client.post(
        "/reports", data={"agency": "泉州市科学技术局", "year": "2023", "csrf_token": token(client)}
    )
    assert again.status_code == 400
    assert "报告已存在" in again.text
    bad_year = client.post(
        "/reports", data={"agency": "某局", "year": "二〇二三", "csrf_token": token(client)}
    )
    assert bad_year.status_code == 400 and "年度应为四位数字" in bad_year.text


# ---- the 统计 page ---------------------------------------------------------------------------


def test_stats_page_draws_the_official_tables_from_the_layout(client: TestClient):
    report_id = new_report(client)
    page = client.get(f"/reports/{report_id}/stats").text
    for table in ("proactive", "applications", "review_litigation", "processing_fees"):
        assert f'data-table="{table}"' in page
    # table 三: its merged headers and its 22 outcome rows, one input per applicant column
    assert re.search(r'<th class="header" colspan="5">法人或其他组织</th>', page)
    assert "申请人情况" in page
    outcome_totals = set(re.findall(r'data-key="(applications\.results\.[a-z_.]+)\.total"', page))
    assert len(outcome_totals) == 22  # 21 办理结果 rows and （七）总计
    assert outcome_totals == {
        ".".join(("applications", "results", *p)) for p in load_layout().outcome_paths()
    } | {"applications.results.total"}
    assert 'name="cell:applications.new_received.natural_person"' in page
    assert 'name="cell:applications.results.total.total"' in page  # （七）总计
    assert 'src="/static/htmx.min.js"' in page and "cdn" not in page.lower()


def test_upload_the_sample_shows_findings_at_their_cells(client: TestClient, workspace: Workspace):
    report_id = new_report(client)
    response = upload(client, report_id, "stats.yaml", SAMPLE.read_bytes())
    assert response.status_code == 303
    assert stats_versions(workspace, report_id) == 2
    page = client.get(f"/reports/{report_id}/stats").text
    blank = cell_html(page, BLANK_CELL)
    assert "mark-error" in blank
    assert "E-CELL-BLANK：单元格空白" in blank  # the title (tooltip) of the marked cell
    assert "E-FACT-CELL" in page and "W-CONTACT-POSTCODE" in page
    assert re.search(r"错误 6</span>", page)
    # a clean cell is not marked
    assert "mark-" not in cell_html(page, "applications.new_received.natural_person")
    # the upload is stored as it was given (comments included)
    assert workspace.read(report_id, "stats", "统计") == SAMPLE.read_bytes()


def test_upload_a_workbook(client: TestClient, workspace: Workspace):
    report_id = new_report(client)
    stats = load_stats(SAMPLE)
    content = workbook_bytes(load_layout(stats.format), stats)
    assert upload(client, report_id, "统计.xlsx", content).status_code == 303
    page = client.get(f"/reports/{report_id}/stats").text
    assert "mark-error" in cell_html(page, BLANK_CELL)


def test_editing_a_cell_saves_a_version_and_updates_the_findings(
    client: TestClient, workspace: Workspace
):
    report_id = new_report(client)
    upload(client, report_id, "stats.yaml", SAMPLE.read_bytes())
    response = edit(client, report_id, 2, **{BLANK_CELL: "0"})
    assert response.status_code == 200
    assert stats_versions(workspace, report_id) == 3
    fragment = response.text
    assert 'id="findings"' in fragment
    assert 'id="base-version"' in fragment and 'value="3"' in fragment  # next save's base
    blank_findings = re.findall(
        r'data-key="review_litigation\.review\.(\w+)" data-code="E-CELL-BLANK"', fragment
    )
    assert sorted(blank_findings) == ["corrected", "other", "pending", "total"]
    page = client.get(f"/reports/{report_id}/stats").text
    assert "mark-" not in cell_html(page, BLANK_CELL)
    assert re.search(r'id="cell-review_litigation\.review\.upheld"[^>]*value="0"', page)
    # a row total that no longer adds up is found at the total cell
    response = edit(client, report_id, 3, **{"applications.new_received.natural_person": "5"})
    assert "E-SUM-ROW" in response.text
    page = client.get(f"/reports/{report_id}/stats").text
    assert "mark-error" in cell_html(page, "applications.new_received.total")
    # the page recomputes it as you type (app.js) and posts the total with the cell
    response = edit(
        client, report_id, 4,
        **{"applications.new_received.natural_person": "5", "applications.new_received.total": "5"},
    )  # fmt: skip
    assert "E-SUM-ROW" not in response.text


def test_a_bad_value_is_refused_and_not_stored(client: TestClient, workspace: Workspace):
    report_id = new_report(client)
    response = edit(client, report_id, 1, **{"proactive.licensing": "三"})
    assert response.status_code == 400
    assert "未保存" in response.text and "E-STATS-VALUE" in response.text
    assert stats_versions(workspace, report_id) == 1


def test_a_stale_save_is_refused_with_the_other_change(client: TestClient, workspace: Workspace):
    report_id = new_report(client)
    assert edit(client, report_id, 1, **{"proactive.licensing": "7"}).status_code == 200
    # a second person, whose page still shows version 1
    response = edit(client, report_id, 1, **{"proactive.penalty": "2"})
    assert response.status_code == 409
    assert "保存失败：此文档已被 本机用户" in response.text
    assert "版本 2" in response.text
    assert "licensing: 7" in response.text  # the other person's change, as a diff
    assert "载入最新版本" in response.text
    assert stats_versions(workspace, report_id) == 2
    assert b"penalty: 2" not in workspace.read(report_id, "stats", "统计")


def test_downloads_load_back_equal(client: TestClient, workspace: Workspace, tmp_path: Path):
    report_id = new_report(client)
    upload(client, report_id, "stats.yaml", SAMPLE.read_bytes())
    edit(client, report_id, 2, **{"proactive.licensing": "3"})
    expected = load_stats(SAMPLE).model_dump()
    expected["proactive"]["licensing"] = 3
    as_yaml = client.get(f"/reports/{report_id}/stats.yaml")
    assert as_yaml.status_code == 200
    assert "attachment" in as_yaml.headers["content-disposition"]
    (tmp_path / "back.yaml").write_bytes(as_yaml.content)
    assert load_stats(tmp_path / "back.yaml").model_dump() == expected
    as_xlsx = client.get(f"/reports/{report_id}/stats.xlsx")
    assert as_xlsx.status_code == 200
    assert as_xlsx.content[:2] == b"PK"
    (tmp_path / "back.xlsx").write_bytes(as_xlsx.content)
    assert load_stats(tmp_path / "back.xlsx").model_dump() == expected


# ---- security --------------------------------------------------------------------------------


def test_state_changing_requests_need_the_csrf_token(client: TestClient, workspace: Workspace):
    response = client.post("/reports", data={"agency": "某局", "year": "2023"})
    assert response.status_code == 403
    assert "安全令牌（CSRF）" in response.text
    wrong = client.post("/reports", data={"agency": "某局", "year": "2023", "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    assert workspace.list_reports() == []
    report_id = new_report(client)
    no_header = client.post(
        f"/reports/{report_id}/stats/cells",
        data={"base_version": "1", "cell:proactive.licensing": "9"},
    )
    assert no_header.status_code == 403
    no_field = client.post(
        f"/reports/{report_id}/stats/upload",
        data={"base_version": "1"},
        files={"file": ("stats.yaml", SAMPLE.read_bytes())},
    )
    assert no_field.status_code == 403
    # another browser (no cookie) replaying this session's token is refused too
    other = TestClient(client.app)
    stolen = other.post(
        "/reports",
        data={"agency": "某局", "year": "2024"},
        headers={"X-CSRF-Token": token(client)},
    )
    assert stolen.status_code == 403
    assert stats_versions(workspace, report_id) == 1
    assert len(workspace.list_reports()) == 1
    cookie = client.get("/").headers.get("set-cookie")  # issued once per session
    assert cookie is None


def test_the_csrf_cookie_is_strict(workspace: Workspace):
    fresh = TestClient(create_app(workspace, host="127.0.0.1"))
    cookie = fresh.get("/").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


BILLION_LAUGHS = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]"
        for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    + ["agency: *i", "year: 2023"]
)


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("stats.yaml", BILLION_LAUGHS.encode(), "E-"),
        ("stats.yaml", b"agency: [unclosed\nyear: 2023\n", "E-YAML-SYNTAX"),
        ("stats.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100, "E-FILE-TYPE"),
        ("../../etc/passwd", b"root:x:0:0", "E-FILE-TYPE"),
        ("stats.xlsx", b"PK\x03\x04 not really a zip", "E-FILE-CORRUPT"),
    ],
    ids=["yaml-entity-bomb", "yaml-syntax", "old-xls", "traversal-name", "broken-xlsx"],
)
def test_a_hostile_upload_gives_one_clear_error_and_stores_nothing(
    client: TestClient, workspace: Workspace, name: str, content: bytes, code: str
):
    report_id = new_report(client)
    response = upload(client, report_id, name, content)
    assert response.status_code == 400
    alert = re.search(r'<div class="alert error" role="alert">(.*?)</div>', response.text, re.S)
    assert alert, response.text[:500]
    assert "未保存" in alert.group(1) and code in alert.group(1)
    assert "/tmp" not in alert.group(1) and "drafter-web-" not in alert.group(1)
    assert stats_versions(workspace, report_id) == 1


def test_a_zip_bomb_workbook_is_refused(client: TestClient, workspace: Workspace):
    report_id = new_report(client)
    stats = load_stats(SAMPLE)
    good = workbook_bytes(load_layout(stats.format), stats)
    bombed = bomb(good, "xl/worksheets/sheet2.xml", 60 * MB)
    assert len(bombed) < 2 * MB
    response = upload(client, report_id, "统计.xlsx", bombed)
    assert response.status_code == 400
    assert "E-LIMIT-UNPACKED" in response.text
    assert stats_versions(workspace, report_id) == 1


def test_an_oversized_upload_is_refused_before_it_is_read(client: TestClient, workspace: Workspace):
    report_id = new_report(client)
    response = upload(client, report_id, "stats.yaml", b"#" * (6 * MB))
    assert response.status_code == 400 and "E-LIMIT-SIZE" in response.text
    huge = client.post(
        f"/reports/{report_id}/stats/upload",
        content=b"x" * (MAX_BODY_BYTES + 1),
        headers={"X-CSRF-Token": token(client), "Content-Type": "application/octet-stream"},
    )
    assert huge.status_code == 413 and "上传内容过大" in huge.text

    def chunks():  # no Content-Length: counted as it comes
        for _ in range(MAX_BODY_BYTES // MB + 2):
            yield b"x" * MB

    streamed = client.post(
        f"/reports/{report_id}/stats/upload",
        content=chunks(),
        headers={"X-CSRF-Token": token(client), "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert streamed.status_code == 413
    assert stats_versions(workspace, report_id) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e%2f%2e%2e%2fworkspace.py",
        "/static//etc/passwd",
        "/static/templates/../../app.py",
    ],
)
def test_static_path_traversal_is_404(client: TestClient, path: str):
    response = client.get(path)
    assert response.status_code == 404
    assert "create_app" not in response.text


def test_static_files_are_served_from_the_package(client: TestClient):
    js = client.get("/static/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text[:2000]
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/reports/999/stats").status_code == 404


def test_a_non_loopback_bind_without_users_refuses_to_start(workspace: Workspace):
    assert bind_refusal(workspace, "127.0.0.1") is None
    assert bind_refusal(workspace, "::1") is None
    assert bind_refusal(workspace, "localhost") is None
    for host in ("0.0.0.0", "192.168.1.10", "::", "example.org"):
        refusal = bind_refusal(workspace, host)
        assert refusal and "没有任何用户" in refusal
        with pytest.raises(InputError) as raised:
            create_app(workspace, host=host)
        assert raised.value.code == "E-USAGE"
    # with users it may start, and login is then required (tests/test_web_auth.py)
    workspace.add_user("张三")
    assert bind_refusal(workspace, "0.0.0.0") is None


def test_serve_command_refuses_a_non_loopback_bind(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "drafter", "serve", "--host", "0.0.0.0", "--port", "1",
         "--workspace", str(tmp_path / "ws")],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith("错误 E-USAGE：拒绝在 0.0.0.0 上启动")
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_downloaded_yaml_is_plain_yaml(client: TestClient):
    report_id = new_report(client)
    edit(client, report_id, 1, **{"proactive.admin_fees_10k_yuan": "12.5"})
    data = yaml.safe_load(io.StringIO(client.get(f"/reports/{report_id}/stats.yaml").text))
    assert data["proactive"]["admin_fees_10k_yuan"] == 12.5


def test_check_statistics_text_gives_the_findings_of_check_statistics(tmp_path: Path):
    from drafter.workflows import check_statistics, check_statistics_text

    def seen(result):
        return [
            (f.code, f.severity, f.message, f.location.path, f.location.line)
            for f in result.findings
        ]

    on_disk = check_statistics(SAMPLE)
    in_memory = check_statistics_text(SAMPLE.read_bytes(), "统计数据")
    assert seen(in_memory) == seen(on_disk) and in_memory.counts == on_disk.counts
    assert in_memory.stats.model_dump() == on_disk.stats.model_dump()
    assert {f.location.file for f in in_memory.findings} <= {"统计数据", None}
    path = tmp_path / "stats.yaml"
    for content in (b"agency: [\n", b"\xff\xfe", b"a\x00", b"- 1\n", b"x" * (6 * MB)):
        path.write_bytes(content)
        problems = []
        for check in (
            lambda: check_statistics(path),
            lambda text=content: check_statistics_text(text, "统计数据"),
        ):
            with pytest.raises(InputError) as raised:
                check()
            problems.append(
                [(p.code, p.line, p.message.replace(str(path), "统计数据"),
                  (p.file or "").replace(str(path), "统计数据")) for p in raised.value.problems]
            )  # fmt: skip
        assert problems[0] == problems[1], content[:20]


def test_yaml_text_with_libyaml_is_the_same_yaml():
    from drafter.web.site import yaml_text as _yaml_text
    from drafter.yamlsource import parse_yaml

    assert yaml.__with_libyaml__
    data, _ = parse_yaml(SAMPLE.read_text(encoding="utf-8"), "stats.yaml")
    text = _yaml_text(data)
    assert text == _yaml_text(data, c=False)  # libyaml writes what the pure-Python dumper does
    assert parse_yaml(text, "again")[0] == data


def test_checked_statistics_are_cached_per_app_and_by_version(workspace: Workspace):
    from drafter.web.site import VersionCache

    apps = [create_app(workspace, host="127.0.0.1") for _ in range(2)]
    checked = apps[0].state.caches["stats"]
    assert apps[0].state.caches["stats"] is not apps[1].state.caches["stats"]
    client = TestClient(apps[0])
    assert client.get("/").status_code == 200
    report_id = new_report(client)
    page = client.get(f"/reports/{report_id}/stats")
    assert page.status_code == 200 and len(checked) == 1
    assert edit(client, report_id, 1, **{"proactive.licensing": "7"}).status_code == 200
    assert len(checked) == 2 and len(apps[1].state.caches["stats"]) == 0
    assert client.get(f"/reports/{report_id}/stats").status_code == 200
    assert len(checked) == 2  # the edited version was cached when it was saved
    small = VersionCache(size=2)
    for key in "abc":
        small.put(key, key)
    assert len(small) == 2 and small.get("a", lambda: "again") == "again"


def test_the_report_list_gives_local_times(client: TestClient, workspace) -> None:
    from drafter.workspace import local_time

    report = workspace.create_report("某市某局", 2024)
    text = client.get("/").text
    assert local_time(report.created) in text
    assert report.created not in text and "UTC" not in text
