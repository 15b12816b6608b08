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
    AuditResult,
    CheckResult,
    DrafterChoice,
    DraftResult,
    ExtractResult,
    RedraftPlan,
    RedraftResult,
    TemplateResult,
    VerifyResult,
    audit_paths,
    check_draft_targets,
    check_statistics,
    extract_statistics,
    init_template,
    last_year,
    plan_redraft,
    prepare_draft,
    redraft_planned,
    redraft_section,
    select_drafter,
    verify_document,
    write_audit_csv,
    write_draft,
    write_extracted,
    write_redraft,
    write_template,
)

HONGJIANG = ROOT / "samples" / "hongjiang-yuanjianglu-2023" / "stats.yaml"
runner = CliRunner()


def cli_json(*args: object) -> dict:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def cli_stdout(*args: object) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def refused(call, code: str, text: str = "") -> InputError:
    """`call()` raises an InputError with `code` whose message holds `text`."""
    with pytest.raises(InputError) as raised:
        call()
    assert raised.value.code == code, raised.value
    assert text in str(raised.value)
    return raised.value


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


# ---- choosing a drafter --------------------------------------------------------------------


def test_select_drafter_offline_says_which_without_printing(capsys):
    stats = check_statistics(HONGJIANG)
    choice = select_drafter(stats.stats, stats.layout, offline=True)
    assert capsys.readouterr() == ("", "")
    assert isinstance(choice, DrafterChoice)
    assert choice.notice == "正文由离线起草器按模板起草（--offline）"
    assert not choice.by_model and choice.corrections == ()
    unconfigured = select_drafter(stats.stats, stats.layout)
    assert unconfigured.notice == "正文由离线起草器按模板起草：未配置模型（见 drafter models）"
    assert not unconfigured.by_model


def test_select_drafter_with_a_model_reports_progress_through_the_callback(
    stub, monkeypatch, capsys
):
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "m")
    stats = check_statistics(HONGJIANG)
    told: list[tuple[str, str]] = []
    choice = select_drafter(
        stats.stats, stats.layout, workers=2, progress=lambda *step: told.append(step)
    )
    assert choice.by_model and choice.notice.startswith("正文由模型 ")
    assert choice.drafter.progress is not None
    report = prepare_draft(HONGJIANG, make_drafter=lambda _checked: choice.drafter).report
    assert report is not None
    assert capsys.readouterr() == ("", "")
    assert ("overall", "起草中") in told  # each part's status line, not printed


def test_select_drafter_reads_the_style_reference(tmp_path, drafted):
    stats = check_statistics(HONGJIANG)
    select_drafter(stats.stats, stats.layout, offline=True, style_from=drafted)
    refused(
        lambda: select_drafter(
            stats.stats, stats.layout, offline=True, style_from=tmp_path / "missing.docx"
        ),
        "E-FILE-MISSING",
    )


# ---- redraft -------------------------------------------------------------------------------

PART = "overall.requests"


def test_plan_redraft_reads_the_statistics_and_finds_the_part(drafted, tmp_path):
    plan = plan_redraft(drafted, HONGJIANG, PART, tmp_path / "new.docx")
    assert isinstance(plan, RedraftPlan)
    assert plan.heading == "（二）依申请公开" and plan.section == PART
    assert plan.stats.agency == check_statistics(HONGJIANG).stats.agency
    assert plan.output == tmp_path / "new.docx" and not plan.dry_run
    assert plan_redraft(drafted, HONGJIANG, PART, dry_run=True).output is None


def test_plan_redraft_refuses_what_the_cli_refuses(drafted, tmp_path):
    new = tmp_path / "new.docx"
    refused(lambda: plan_redraft(drafted, HONGJIANG, PART), "E-USAGE", "请用 -o 指定写出的新文档")
    html = tmp_path / "r.html"
    html.write_text("<p></p>", encoding="utf-8")
    refused(lambda: plan_redraft(html, HONGJIANG, PART, new), "E-USAGE", "redraft 读写 .docx 文档")
    refused(
        lambda: plan_redraft(drafted, HONGJIANG, PART, tmp_path / "new.md"),
        "E-USAGE",
        "redraft 读写 .docx 文档",
    )
    refused(
        lambda: plan_redraft(drafted, HONGJIANG, PART, drafted, force=True),
        "E-USAGE",
        "新文档不能覆盖原文档",
    )
    new.write_bytes(b"")
    refused(lambda: plan_redraft(drafted, HONGJIANG, PART, new), "E-FILE-EXISTS")
    assert plan_redraft(drafted, HONGJIANG, PART, new, dry_run=True).dry_run  # not checked
    refused(
        lambda: plan_redraft(drafted, HONGJIANG, "overall.nothing", new, force=True),
        "E-INPUT",
        "overall.requests",
    )


def test_redraft_section_offline_gives_the_changes_and_writes_only_when_asked(
    drafted, tmp_path, capsys
):
    capsys.readouterr()
    before = drafted.read_bytes()
    dry = redraft_section(drafted, HONGJIANG, PART, tmp_path / "new.docx", dry_run=True)
    assert capsys.readouterr() == ("", "")
    assert isinstance(dry, RedraftResult)
    assert dry.heading == "（二）依申请公开"
    assert dry.redrafted.new and len(dry.redrafted.old) == len(dry.redrafted.new)
    assert dry.kept == 0 and dry.redrafted.editor == []
    assert not dry.by_model and not dry.cached
    with pytest.raises(ValueError):
        write_redraft(dry)
    assert not (tmp_path / "new.docx").exists()
    result = redraft_section(drafted, HONGJIANG, PART, tmp_path / "new.docx")
    assert write_redraft(result) == tmp_path / "new.docx"
    assert (tmp_path / "new.docx").read_bytes() == result.redrafted.data
    assert drafted.read_bytes() == before  # the edited document is never changed


def test_the_offline_drafter_cannot_follow_instructions(drafted, tmp_path):
    plan = plan_redraft(drafted, HONGJIANG, PART, tmp_path / "n.docx", instructions="简练")
    offline = select_drafter(plan.stats, plan.layout, offline=True, workers=1).drafter
    refused(lambda: redraft_planned(plan, offline), "E-USAGE", "离线起草器不能按修改要求改写")
    refused(
        lambda: redraft_section(drafted, HONGJIANG, PART, tmp_path / "n.docx", instructions="简练"),
        "E-USAGE",
    )
    assert not (tmp_path / "n.docx").exists()


def test_redraft_with_a_model_says_when_the_answer_came_from_the_cache(
    stub, monkeypatch, drafted, tmp_path
):
    monkeypatch.setenv("DRAFTER_BASE_URL", stub.base_url)
    monkeypatch.setenv("DRAFTER_MODEL", "m")

    def model(plan: RedraftPlan):
        return select_drafter(
            plan.stats, plan.layout, workers=1, instructions=plan.instructions
        ).drafter

    first = redraft_section(
        drafted, HONGJIANG, PART, dry_run=True, instructions="简练", make_drafter=model
    )
    assert first.by_model and not first.cached
    same = redraft_section(
        drafted, HONGJIANG, PART, dry_run=True, instructions="简练", make_drafter=model
    )
    assert same.by_model and same.cached
    assert [p.text for p in same.redrafted.new] == [p.text for p in first.redrafted.new]


# ---- init ----------------------------------------------------------------------------------


def test_init_template_gives_the_yaml_the_cli_prints(capsys):
    result = init_template(Path("-"), agency="某某局", year=2024)
    assert capsys.readouterr() == ("", "")
    assert isinstance(result, TemplateResult)
    assert result.path is None and not result.xlsx and isinstance(result.content, str)
    assert result.content == cli_stdout("init", "-o", "-", "--agency", "某某局", "--year", "2024")
    with pytest.raises(ValueError):
        write_template(result)


def test_init_template_defaults_and_writes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = init_template()
    assert result.path == Path("stats.yaml") and not result.xlsx
    assert f"year: {last_year()}" in str(result.content)
    assert not (tmp_path / "stats.yaml").exists()  # nothing written yet
    assert write_template(result) == Path("stats.yaml")
    assert (tmp_path / "stats.yaml").read_text(encoding="utf-8") == result.content
    refused(init_template, "E-FILE-EXISTS")
    assert init_template(force=True).path == Path("stats.yaml")
    workbook = init_template(xlsx=True, year=2023)
    assert workbook.path == Path("stats.xlsx") and workbook.xlsx
    assert isinstance(workbook.content, bytes) and workbook.content.startswith(b"PK")
    assert init_template(tmp_path / "s.xlsx").xlsx  # by its suffix
    write_template(workbook)
    assert (tmp_path / "stats.xlsx").read_bytes() == workbook.content


def test_init_template_refuses_what_the_cli_refuses(tmp_path):
    refused(lambda: init_template(Path("-"), xlsx=True), "E-USAGE", "Excel 工作簿不能输出到屏幕")
    refused(
        lambda: init_template(tmp_path / "x.yaml", xlsx=True),
        "E-USAGE",
        "Excel 工作簿的文件扩展名应为 .xlsx",
    )
    refused(lambda: init_template(tmp_path / "d.yaml", layout_id="nope"), "E-LAYOUT")
    assert not list(tmp_path.iterdir())


# ---- extract -------------------------------------------------------------------------------


@pytest.fixture
def published(tmp_path: Path) -> Path:
    path = tmp_path / "published.html"
    write_draft(prepare_draft(HONGJIANG), html=path)
    return path


def test_extract_statistics_gives_what_the_cli_prints(published, capsys):
    capsys.readouterr()
    result = extract_statistics(published)
    assert capsys.readouterr() == ("", "")
    assert isinstance(result, ExtractResult)
    assert result.output is None
    assert result.stats.agency == check_statistics(HONGJIANG).stats.agency
    assert result.warnings == result.extracted.warnings
    as_json = json.loads(json.dumps(result.to_dict(), ensure_ascii=False, default=str))
    assert as_json == cli_json("extract", published, "--json")
    assert result.yaml_text() == cli_stdout("extract", published)
    assert extract_statistics(published, Path("-")).output is None
    with pytest.raises(ValueError):
        write_extracted(result)


def test_extract_statistics_writes_the_statistics_file(published, tmp_path):
    out = tmp_path / "stats.yml"
    result = extract_statistics(published, out, agency="某机关", year=2021)
    assert not out.exists()
    assert write_extracted(result) == out
    assert out.read_text(encoding="utf-8") == result.yaml_text()
    assert (result.stats.agency, result.stats.year) == ("某机关", 2021)
    assert check_statistics(out).stats.agency == "某机关"


def test_extract_statistics_refuses_what_the_cli_refuses(published, tmp_path):
    refused(
        lambda: extract_statistics(published, tmp_path / "s.txt"),
        "E-USAGE",
        "统计文件的扩展名应为 .yaml",
    )
    existing = tmp_path / "s.yaml"
    existing.write_text("", encoding="utf-8")
    refused(lambda: extract_statistics(published, existing), "E-FILE-EXISTS")
    assert extract_statistics(published, existing, force=True).output == existing
    refused(lambda: extract_statistics(tmp_path / "missing.html"), "E-FILE-MISSING")


# ---- audit ---------------------------------------------------------------------------------


def test_audit_paths_gives_what_the_cli_prints(published, drafted, tmp_path, capsys):
    folder = tmp_path / "reports"
    folder.mkdir()
    for path in (published, drafted):
        (folder / path.name).write_bytes(path.read_bytes())
    capsys.readouterr()
    told: list[tuple[int, int]] = []
    result = audit_paths([folder], workers=1, progress=lambda *step: told.append(step))
    assert capsys.readouterr() == ("", "")
    assert isinstance(result, AuditResult)
    assert told == [(1, 2), (2, 2)]
    assert result.files == (folder / "published.html", folder / "report.docx")
    assert len(result.reports) == len(result.rows()) == 2 and result.csv is None
    assert result.totals["reports"] == 2
    assert result.failed == bool(result.totals["with_errors"] or result.totals["unreadable"])
    assert result.to_dict() == cli_json("audit", folder, "--json", "--workers", "1")
    with pytest.raises(ValueError):
        write_audit_csv(result)


def test_audit_paths_writes_the_csv_when_asked(drafted, tmp_path):
    out = tmp_path / "summary.csv"
    result = audit_paths([drafted], csv_out=out, workers=1)
    assert result.csv == out and not out.exists()
    assert write_audit_csv(result) == out
    assert out.read_bytes().decode("utf-8").count("\n") >= 2  # a header and one report


def test_audit_paths_refuses_what_the_cli_refuses(drafted, tmp_path):
    refused(
        lambda: audit_paths([drafted], csv_out=tmp_path / "s.txt"),
        "E-USAGE",
        "汇总文件的扩展名应为 .csv",
    )
    existing = tmp_path / "s.csv"
    existing.write_text("", encoding="utf-8")
    refused(lambda: audit_paths([drafted], csv_out=existing), "E-FILE-EXISTS")
    empty = tmp_path / "empty"
    empty.mkdir()
    refused(lambda: audit_paths([empty]), "E-FILE-MISSING", "没有找到报告文件")
    refused(lambda: audit_paths([tmp_path / "nope"]), "E-FILE-MISSING")
