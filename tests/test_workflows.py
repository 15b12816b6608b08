"""drafter.workflows: the commands' workflows as library functions that return data (issue 13,
item 0): the same findings as the CLI's --json, blocking as data, and never a printed line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE
from typer.testing import CliRunner

from drafter.cli import app
from drafter.errors import InputError
from drafter.report import Report
from drafter.workflows import (
    BLOCKED_BY_STATISTICS,
    CheckResult,
    DraftResult,
    VerifyResult,
    check_draft_targets,
    check_statistics,
    prepare_draft,
    verify_document,
    write_draft,
)

HONGJIANG = ROOT / "samples" / "hongjiang-yuanjianglu-2023" / "stats.yaml"
runner = CliRunner()


def cli_json(*args: object) -> dict:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def test_check_statistics_gives_the_findings_of_check_json(capsys):
    result = check_statistics(SAMPLE)
    assert capsys.readouterr() == ("", "")
    assert isinstance(result, CheckResult)
    payload = cli_json("check", SAMPLE, "--json")
    assert codes(result.findings) == [f["code"] for f in payload["findings"]]
    assert result.to_dict() == payload
    assert result.errors == payload["errors"] > 0
    assert (result.counts.warnings, result.counts.advice) == (
        payload["warnings"],
        payload["advice"],
    )
    assert result.stats.agency == payload["agency"] and result.layout.id == payload["format"]
    assert result.previous is None


def test_check_statistics_with_last_year(capsys):
    result = check_statistics(HONGJIANG, HONGJIANG)
    assert capsys.readouterr() == ("", "")
    assert result.previous is not None and result.previous.extracted is None
    assert result.previous.stats.year == result.stats.year
    payload = cli_json("check", HONGJIANG, "--previous", HONGJIANG, "--json")
    assert result.to_dict() == payload


def test_an_unreadable_file_is_still_an_input_error(tmp_path, capsys):
    with pytest.raises(InputError):
        check_statistics(tmp_path / "missing.yaml")
    assert capsys.readouterr() == ("", "")


def test_draft_is_blocked_by_errors_in_the_statistics(capsys):
    result = prepare_draft(SAMPLE)
    assert capsys.readouterr() == ("", "")
    assert isinstance(result, DraftResult)
    assert result.blocked == BLOCKED_BY_STATISTICS
    assert result.report is None and result.gaps == () and result.verified == ()
    assert result.checked.errors > 0
    assert codes(result.findings) == codes(check_statistics(SAMPLE).findings)
    with pytest.raises(ValueError):
        write_draft(result, Path("never-written.docx"))


def test_draft_with_allow_errors_gives_a_report(tmp_path, capsys):
    result = prepare_draft(SAMPLE, allow_errors=True, cover_letter=True)
    assert capsys.readouterr() == ("", "")
    assert result.blocked is None
    assert isinstance(result.report, Report)
    assert result.report.agency == result.stats.agency
    assert result.checked.errors > 0  # the statistics' errors are still there, as data
    assert result.missing_date  # the sample's cover letter has no date
    written = write_draft(result, tmp_path / "r.docx", html=tmp_path / "r.html")
    assert capsys.readouterr() == ("", "")
    assert written == [tmp_path / "r.docx", tmp_path / "r.html"]
    assert all(path.stat().st_size > 0 for path in written)


def test_draft_of_a_clean_sample_has_ten_gaps_by_part(capsys):
    result = prepare_draft(HONGJIANG)
    assert capsys.readouterr() == ("", "")
    assert result.blocked is None and result.report is not None
    assert result.checked.errors == 0 and result.number_errors == 0
    assert len(result.gaps) == 10
    by_part = result.gaps_by_part()
    assert sum(len(texts) for texts in by_part.values()) == 10
    assert "前言" in by_part
    assert all(text.startswith("【") and text.endswith("】") for text in by_part["前言"])
    assert not result.missing_date


def test_draft_targets_are_checked_before_anything_is_read(tmp_path):
    with pytest.raises(InputError):
        check_draft_targets(None, None, None)
    with pytest.raises(InputError):
        check_draft_targets(tmp_path / "report.txt", None, None)
    existing = tmp_path / "report.docx"
    existing.write_bytes(b"")
    with pytest.raises(InputError):
        check_draft_targets(existing, None, None)
    assert check_draft_targets(existing, None, tmp_path / "r.htm", force=True) == [
        existing,
        tmp_path / "r.htm",
    ]


@pytest.fixture
def drafted(tmp_path: Path) -> Path:
    path = tmp_path / "report.docx"
    write_draft(prepare_draft(HONGJIANG), path)
    return path


def test_verify_document_gives_the_findings_of_verify_json(drafted, tmp_path, capsys):
    capsys.readouterr()
    result = verify_document(drafted, HONGJIANG)
    assert capsys.readouterr() == ("", "")
    assert isinstance(result, VerifyResult)
    payload = cli_json("verify", drafted, "--stats", HONGJIANG, "--json")
    assert codes(result.findings) == [f["code"] for f in payload["findings"]]
    assert result.to_dict() == payload
    assert [p.to_dict() for p in result.parts] == payload["parts"]
    assert result.annotated is None


def test_verify_document_writes_the_annotated_copy(drafted, tmp_path, capsys):
    capsys.readouterr()
    annotated = tmp_path / "annotated.docx"
    result = verify_document(drafted, HONGJIANG, annotate=annotated)
    assert capsys.readouterr() == ("", "")
    assert result.annotated == annotated and annotated.stat().st_size > 0
    with pytest.raises(InputError):  # never over the document verified
        verify_document(drafted, HONGJIANG, annotate=drafted, force=True)


def test_last_year_read_from_a_published_report_is_told_to_the_caller(drafted, capsys):
    capsys.readouterr()
    told = []
    result = check_statistics(HONGJIANG, drafted, on_previous=told.append)
    assert capsys.readouterr() == ("", "")
    assert told == [result.previous]
    assert result.previous.extracted is not None
    assert result.previous.stats.agency == result.stats.agency


def test_importing_workflows_loads_nothing_heavy():
    probe = "import json, sys, drafter.workflows; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60
    )
    tops = {m.split(".")[0] for m in json.loads(result.stdout)}
    heavy = {"docx", "jinja2", "langchain", "langchain_core", "openai", "rich", "typer", "yaml"}
    assert not heavy & tops
