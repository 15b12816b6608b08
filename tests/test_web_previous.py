"""`drafter serve`, the 统计 page's 上年数据 box (issue 13, item 3): last year's statistics or
last year's published report, read as `drafter check --previous` reads them, stored as a
document of the report, and from then on part of the page's check (the cross-year rules)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import base_data, dump_yaml, set_in
from conftest import csrf_token as token
from fastapi.testclient import TestClient
from hostile_corpus import bomb
from test_web_app import BILLION_LAUGHS, MB, cell_html, edit, new_report, upload

from drafter.web.site import PREVIOUS_DOC, PREVIOUS_KIND
from drafter.workspace import Workspace

AGENCY = base_data()["agency"]
CARRIED = "applications.carried_over.natural_person"  # this year's: 1 (conftest.base_data)


def last_year(**changes: Any) -> dict[str, Any]:
    """Last year's statistics: this year's base with year 2022 and `changes` (dotted paths)."""
    data = set_in(base_data(), "year", 2022)
    for path, value in changes.items():
        data = set_in(data, path.replace("__", "."), value)
    return data


# Last year carried 2 applications forward; this year says 1 was carried over.
MISMATCH = {"applications__carried_forward": {"natural_person": 2, "total": 2}}


def this_year_report(client: TestClient) -> int:
    report_id = new_report(client, AGENCY, 2023)
    assert (
        upload(client, report_id, "stats.yaml", dump_yaml(base_data()).encode()).status_code == 303
    )
    return report_id


def upload_previous(client: TestClient, report_id: int, name: str, content: bytes, base: str = ""):
    return client.post(
        f"/reports/{report_id}/stats/previous",
        data={"csrf_token": token(client), "base_version": base},
        files={"file": (name, content)},
        follow_redirects=False,
    )


def remove_previous(client: TestClient, report_id: int, base: str):
    return client.post(
        f"/reports/{report_id}/stats/previous/remove",
        data={"csrf_token": token(client), "base_version": base},
        follow_redirects=False,
    )


def stats_page(client: TestClient, report_id: int) -> str:
    response = client.get(f"/reports/{report_id}/stats")
    assert response.status_code == 200
    return response.text


def previous_versions(workspace: Workspace, report_id: int) -> int:
    head = workspace.head(report_id, PREVIOUS_KIND, PREVIOUS_DOC)
    return head.number if head else 0


def box(page: str) -> str:
    found = re.search(r'<section id="previous".*?</section>', page, re.S)
    assert found
    return found.group()


def test_last_years_statistics_bring_the_cross_year_finding_to_its_cell(
    client: TestClient, workspace: Workspace
):
    report_id = this_year_report(client)
    page = stats_page(client, report_id)
    assert "E-CARRY-OVER" not in page and "mark-" not in cell_html(page, CARRIED)
    assert "上传上年的统计文件" in box(page)

    response = upload_previous(
        client, report_id, "2022年统计.yaml", dump_yaml(last_year(**MISMATCH)).encode()
    )
    assert response.status_code == 303, response.text[:2000]
    assert previous_versions(workspace, report_id) == 1
    page = stats_page(client, report_id)
    cell = cell_html(page, CARRIED)
    assert "mark-error" in cell and "E-CARRY-OVER" in cell  # at its cell, with its message
    assert "mark-error" in cell_html(page, "applications.carried_over.total")
    assert re.search(
        r'data-key="applications\.carried_over\.natural_person" data-code="E-CARRY-OVER"', page
    )
    shown = box(page)
    assert f"{AGENCY} 2022 年度" in shown and "上传 2022年统计.yaml" in shown
    assert "移除上年数据" in shown and 'name="base_version" value="1"' in shown

    # an edit of a cell is checked against last year too (and cached with it)
    fixed = edit(client, report_id, 2, **{CARRIED: "2", "applications.carried_over.total": "2"})
    assert fixed.status_code == 200
    assert "E-CARRY-OVER" not in fixed.text
    broken = edit(client, report_id, 3, **{CARRIED: "1", "applications.carried_over.total": "1"})
    assert "E-CARRY-OVER" in broken.text

    # removed: the finding goes away, the history keeps what was loaded
    assert remove_previous(client, report_id, "1").status_code == 303
    page = stats_page(client, report_id)
    assert "E-CARRY-OVER" not in page and "mark-" not in cell_html(page, CARRIED)
    assert "上传上年的统计文件" in box(page)
    assert previous_versions(workspace, report_id) == 2
    assert workspace.read(report_id, PREVIOUS_KIND, PREVIOUS_DOC) == b""
    history = client.get(f"/reports/{report_id}/history").text
    assert "上年数据" in history and "移除上年数据" in history


def test_last_years_published_report_as_docx(client: TestClient, tmp_path: Path):
    from drafter.render.docx import render_docx
    from drafter.workflows import prepare_draft

    source = tmp_path / "stats-2022.yaml"
    source.write_text(dump_yaml(last_year(**MISMATCH)), encoding="utf-8")
    drafted = prepare_draft(source, allow_errors=True)  # offline
    assert drafted.report is not None
    docx = render_docx(drafted.report)

    report_id = this_year_report(client)
    response = upload_previous(client, report_id, "2022年报告.docx", docx)
    assert response.status_code == 303, response.text[:3000]
    page = stats_page(client, report_id)
    assert "E-CARRY-OVER" in cell_html(page, CARRIED)
    shown = box(page)
    assert f"{AGENCY} 2022 年度" in shown and "上传 2022年报告.docx（上年数据由报告读出" in shown


def test_a_workbook_of_last_year(client: TestClient):
    from drafter.formats import load_layout
    from drafter.statistics.load import stats_from_data
    from drafter.statistics.workbook import workbook_bytes

    stats = stats_from_data(last_year(**MISMATCH), {}, "stats.yaml")
    content = workbook_bytes(load_layout(stats.format), stats)
    report_id = this_year_report(client)
    assert upload_previous(client, report_id, "上年.xlsx", content).status_code == 303
    assert "E-CARRY-OVER" in cell_html(stats_page(client, report_id), CARRIED)


def test_a_file_that_is_not_last_year_gives_the_clis_message(
    client: TestClient, workspace: Workspace, tmp_path: Path
):
    from drafter.workflows import check_statistics

    wrong = last_year(year=2021)
    report_id = this_year_report(client)
    response = upload_previous(client, report_id, "2021.yaml", dump_yaml(wrong).encode())
    assert response.status_code == 400
    # what `drafter check --previous` says of it
    (tmp_path / "this.yaml").write_text(dump_yaml(base_data()), encoding="utf-8")
    (tmp_path / "2021.yaml").write_text(dump_yaml(wrong), encoding="utf-8")
    cli = check_statistics(tmp_path / "this.yaml", tmp_path / "2021.yaml")
    said = next(f for f in cli.findings if f.code == "W-PREV-YEAR")
    assert said.message == "作为上年数据提供的统计文件是 2021 年度的，本报告是 2023 年度"
    alert = re.search(
        r'<div class="alert error" role="alert">(.*?)</div>', box(response.text), re.S
    )
    assert alert and said.message in alert.group(1) and "W-PREV-YEAR" in alert.group(1)
    assert previous_versions(workspace, report_id) == 0


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("stats.yaml", BILLION_LAUGHS.encode(), "E-"),
        ("stats.yaml", b"agency: [unclosed\nyear: 2022\n", "E-YAML-SYNTAX"),
        ("stats.yaml", b"#" * (6 * MB), "E-LIMIT-SIZE"),
        ("report.html", b"<html>" + b" " * (6 * MB), "E-LIMIT-SIZE"),
        ("report.docx", b"PK\x03\x04 not really a zip", "E-"),
        (
            "report.html",
            "<h1>某局2022年政府信息公开工作年度报告</h1><p>无表格</p>".encode(),
            "E-FILE-TYPE",
        ),
        ("report.md", b"no title, no tables", "E-USAGE"),
        ("../../etc/passwd", b"root:x:0:0", "E-FILE-TYPE"),
        ("report.pdf", b"%PDF-1.4", "E-FILE-TYPE"),
    ],
    ids=[
        "yaml-bomb",
        "yaml-syntax",
        "oversized-yaml",
        "oversized-html",
        "broken-docx",
        "no-tables",
        "no-title",
        "traversal-name",
        "pdf",
    ],
)
def test_a_hostile_or_oversized_upload_is_refused_and_nothing_stored(
    client: TestClient, workspace: Workspace, name: str, content: bytes, code: str
):
    report_id = this_year_report(client)
    response = upload_previous(client, report_id, name, content)
    assert response.status_code == 400
    alert = re.search(
        r'<div class="alert error" role="alert">(.*?)</div>', box(response.text), re.S
    )
    assert alert, response.text[:500]
    assert "未保存" in alert.group(1) and code in alert.group(1)
    items = re.findall(r"<li>", alert.group(1))
    assert len(items) == 1  # one line
    assert "/tmp" not in alert.group(1) and "drafter-web-" not in alert.group(1)
    assert "--" not in alert.group(1)  # no command-line option to follow on a web page
    assert previous_versions(workspace, report_id) == 0
    assert "E-CARRY-OVER" not in stats_page(client, report_id)


def test_a_zip_bomb_report_is_refused(client: TestClient, workspace: Workspace, tmp_path: Path):
    from drafter.render.docx import render_docx
    from drafter.workflows import prepare_draft

    source = tmp_path / "stats-2022.yaml"
    source.write_text(dump_yaml(last_year()), encoding="utf-8")
    drafted = prepare_draft(source, allow_errors=True)
    assert drafted.report is not None
    bombed = bomb(render_docx(drafted.report), "word/document.xml", 120 * MB)
    assert len(bombed) < 2 * MB
    report_id = this_year_report(client)
    response = upload_previous(client, report_id, "2022.docx", bombed)
    assert response.status_code == 400 and "E-LIMIT-" in box(response.text)
    assert previous_versions(workspace, report_id) == 0


def test_changing_last_years_data_needs_the_current_version(
    client: TestClient, workspace: Workspace
):
    report_id = this_year_report(client)
    content = dump_yaml(last_year(**MISMATCH)).encode()
    assert upload_previous(client, report_id, "a.yaml", content).status_code == 303
    stale = upload_previous(client, report_id, "b.yaml", dump_yaml(last_year()).encode(), base="")
    assert stale.status_code == 409 and "保存失败" in box(stale.text)
    assert remove_previous(client, report_id, "7").status_code == 409
    assert previous_versions(workspace, report_id) == 1
    # with the current version as the base: replaced
    again = upload_previous(client, report_id, "b.yaml", dump_yaml(last_year()).encode(), base="1")
    assert again.status_code == 303
    assert "E-CARRY-OVER" not in stats_page(client, report_id)


def test_uploading_and_removing_need_the_csrf_token(client: TestClient, workspace: Workspace):
    report_id = this_year_report(client)
    content = dump_yaml(last_year(**MISMATCH)).encode()
    no_token = client.post(
        f"/reports/{report_id}/stats/previous",
        data={"base_version": ""},
        files={"file": ("a.yaml", content)},
    )
    assert no_token.status_code == 403
    assert upload_previous(client, report_id, "a.yaml", content).status_code == 303
    no_token = client.post(
        f"/reports/{report_id}/stats/previous/remove", data={"base_version": "1"}
    )
    assert no_token.status_code == 403
    assert previous_versions(workspace, report_id) == 1


def test_restoring_last_years_data_from_the_history(client: TestClient, workspace: Workspace):
    report_id = this_year_report(client)
    content = dump_yaml(last_year(**MISMATCH)).encode()
    assert upload_previous(client, report_id, "a.yaml", content).status_code == 303
    assert remove_previous(client, report_id, "1").status_code == 303
    response = client.post(
        f"/reports/{report_id}/history/{PREVIOUS_KIND}/{PREVIOUS_DOC}/1/restore",
        data={"base_version": "2", "csrf_token": token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/reports/{report_id}/stats"
    assert "E-CARRY-OVER" in cell_html(stats_page(client, report_id), CARRIED)
