"""`drafter audit`: many published reports at once, one row each, never a crash."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import CONTACT, EXTRA_NOTES, PUBLICATION, SAMPLE, base_data, load_data, set_in
from typer.testing import CliRunner

from drafter.batch import NO_SOURCE_CODES, audit_report, audit_reports, report_files
from drafter.cli import app
from drafter.drafting.draft import draft_report
from drafter.formats import load_layout
from drafter.render.docx import render_docx
from drafter.render.html import render_html
from drafter.statistics.load import load_stats

runner = CliRunner()


def write(folder: Path, name: str, stats) -> Path:
    report = draft_report(stats, load_layout(stats.format))
    path = folder / name
    data = render_docx(report) if name.endswith(".docx") else render_html(report)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A clean report, the sample (with its real errors), a report whose table 三 does not
    balance, a broken file, and files that are not reports."""
    reports = tmp_path / "年报"
    (reports / "区县").mkdir(parents=True)
    clean = set_in(base_data(), "notes", {"problems": "解读形式单一。下一步丰富解读形式。"})
    clean["publication"] = PUBLICATION
    clean["contact"] = CONTACT
    clean["notes"].update(
        {
            **EXTRA_NOTES,
            "overall.management": "落实三审",
            "overall.platforms": "优化专栏",
            "overall.supervision": "纳入考核",
        }
    )
    write(reports, "a-clean.html", load_data(clean))
    write(reports, "b-sample.docx", load_stats(SAMPLE))
    unbalanced = set_in(clean, "applications.new_received", {"natural_person": 5})
    write(reports / "区县", "c-unbalanced.docx", load_data(unbalanced))
    (reports / "d-broken.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (reports / "~$a-clean.docx").write_bytes(b"lock file")
    (reports / "notes.txt").write_text("不是报告", encoding="utf-8")
    return reports


def test_report_files_searches_folders_and_skips_lock_files(folder):
    names = [p.name for p in report_files([folder, folder / "a-clean.html"])]
    assert names == ["a-clean.html", "b-sample.docx", "d-broken.docx", "c-unbalanced.docx"]


def test_each_report_gets_its_own_findings(folder):
    results = {Path(r.path).name: r for r in audit_reports(report_files([folder]), workers=1)}
    clean = results["a-clean.html"]
    assert clean.unreadable is None and clean.errors == 0, clean.findings
    assert (clean.agency, clean.year) == ("某某市某某区科学技术局", 2023)
    sample = results["b-sample.docx"]
    assert sample.codes["E-CELL-BLANK"] == 5 and sample.codes["E-NUM-MISMATCH"] == 1
    assert sample.worst["code"].startswith("E-")
    assert "E-SUM-BALANCE" in results["c-unbalanced.docx"].codes
    broken = results["d-broken.docx"]
    assert broken.unreadable and "zip" in broken.unreadable and broken.errors == 0
    # a published report has no facts: "no source" findings are left out
    assert not any(code in NO_SOURCE_CODES for r in results.values() for code in r.codes)


def test_workers_give_the_same_results_in_the_same_order(folder):
    files = report_files([folder])
    one = [r.to_dict() for r in audit_reports(files, workers=1)]
    two = [r.to_dict() for r in audit_reports(files, workers=2)]
    assert one == two


def test_a_crash_inside_one_report_is_its_row(tmp_path, monkeypatch):
    import drafter.batch as batch

    def explode(path, result):
        raise RuntimeError("boom")

    monkeypatch.setattr(batch, "_audit", explode)
    result = audit_report(str(tmp_path / "x.docx"))
    assert result.unreadable == "无法读取（RuntimeError：boom）"


def test_cli_summary_json_and_csv(folder, tmp_path):
    out = tmp_path / "汇总.csv"
    result = runner.invoke(app, ["audit", str(folder), "--csv", str(out)])
    assert result.exit_code == 1  # reports with errors, one unreadable
    assert "共 4 份：2 份有错误，1 份无法读取" in result.output
    assert "E-CELL-BLANK" in result.output and "Traceback" not in result.output
    text = out.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 with a BOM
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [Path(r["path"]).name for r in rows][:2] == ["a-clean.html", "b-sample.docx"]
    assert rows[1]["worst_code"].startswith("E-") and "E-CELL-BLANK×5" in rows[1]["codes"]
    assert rows[2]["unreadable"]
    again = runner.invoke(app, ["audit", str(folder), "--csv", str(out)])
    assert again.exit_code == 2 and "--force" in again.output

    as_json = runner.invoke(app, ["audit", str(folder), "--json", "--workers", "2"])
    data = json.loads(as_json.stdout)
    assert set(data) == {"reports", "totals"}
    assert data["totals"]["reports"] == 4 and data["totals"]["unreadable"] == 1
    assert data["totals"]["codes"]["E-CELL-BLANK"] == {
        "severity": "error",
        "title": data["totals"]["codes"]["E-CELL-BLANK"]["title"],
        "reports": 1,
        "findings": 5,
    }
    first = data["reports"][0]
    assert {
        "path",
        "agency",
        "year",
        "errors",
        "warnings",
        "worst",
        "codes",
        "findings",
        "unreadable",
    } <= set(first)


def test_only_clean_reports_exit_zero(tmp_path):
    clean = set_in(
        base_data(),
        "notes",
        {
            "problems": "解读形式单一。下一步丰富解读形式。",
            "overall.management": "落实三审",
            "overall.platforms": "优化专栏",
            "overall.supervision": "纳入考核",
            **EXTRA_NOTES,
        },
    )
    clean["publication"] = PUBLICATION
    clean["contact"] = CONTACT
    path = write(tmp_path, "clean.docx", load_data(clean))
    result = runner.invoke(app, ["audit", str(path)])
    assert result.exit_code == 0, result.output


def test_nothing_to_audit_is_a_usage_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["audit", str(empty)])
    assert result.exit_code == 2 and "没有找到报告文件" in result.output
    missing = runner.invoke(app, ["audit", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "不存在" in missing.output


# ---- limits per report -----------------------------------------------------------------


def test_a_report_over_its_time_is_a_row_and_the_run_goes_on(folder, monkeypatch):
    """A report that never finishes (here: one that sleeps) is stopped at the time limit
    by ending its worker; the other reports still get their rows, in order."""
    import time

    from drafter import batch

    real = batch._audit

    def slow(path: Path, result) -> None:
        if path.name == "b-sample.docx":
            time.sleep(60)
        real(path, result)

    monkeypatch.setattr(batch, "_audit", slow)
    files = report_files([folder])
    start = time.monotonic()
    results = audit_reports(files, workers=2, limits=batch.Limits(seconds=1.5, memory_mb=500))
    assert time.monotonic() - start < 30  # far below the 60 s the report would take
    assert [Path(r.path).name for r in results] == [p.name for p in files]
    by_name = {Path(r.path).name: r for r in results}
    assert by_name["b-sample.docx"].unreadable == "超过时限（1.5 秒），已跳过"
    assert by_name["a-clean.html"].unreadable is None and by_name["a-clean.html"].agency


def test_a_report_over_its_memory_is_a_row_and_the_run_goes_on(folder, monkeypatch):
    from drafter import batch

    real = batch._audit

    def greedy(path: Path, result) -> None:
        if path.name == "a-clean.html":
            hoard = bytearray(2 * 1024 * 1024 * 1024)  # 2 GB, over the 200 MB allowed
            hoard[-1] = 1
        real(path, result)

    monkeypatch.setattr(batch, "_audit", greedy)
    files = report_files([folder])
    results = audit_reports(files, workers=1, limits=batch.Limits(seconds=30, memory_mb=200))
    by_name = {Path(r.path).name: r for r in results}
    assert by_name["a-clean.html"].unreadable == "超过内存上限，已跳过"
    assert by_name["b-sample.docx"].unreadable is None and by_name["b-sample.docx"].errors > 0
    assert len(results) == len(files)
