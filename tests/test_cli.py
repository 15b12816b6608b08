"""The command line, driven through typer's CliRunner: outputs and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLE, base_data, dump_yaml
from typer.testing import CliRunner

from drafter.cli import app
from drafter.errors import INPUT_CODES
from drafter.findings import CODES
from drafter.load import load_stats

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args))


# ---- init ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "layout", ["gov-info-disclosure-2021", "gov-info-disclosure-2021-seven-part"]
)
def test_init_writes_a_template_that_checks_clean(tmp_path: Path, layout: str):
    out = tmp_path / "stats.yaml"
    result = run(
        "init", "-o", str(out), "--agency", "某某县人民政府", "--year", "2024", "--format", layout
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    stats = load_stats(out)
    assert (stats.agency, stats.year, stats.format) == ("某某县人民政府", 2024, layout)
    # Every key is written, with the official labels in the comments.
    for label in (
        "1.属于国家秘密",
        "3.危及“三安全一稳定”",
        "（七）总计",
        "本年废止件数",
        "复议后起诉",
    ):
        assert label in text
    assert text.count("natural_person: 0") == 25
    check = run("check", str(out))
    assert check.exit_code == 0, check.output  # all zeros: a warning only
    assert "W-STATS-EMPTY" in check.output and "错误 0 项，警告 1 项" in check.output


def test_init_to_stdout(tmp_path: Path):
    result = run("init", "-o", "-", "--agency", "某某局")
    assert result.exit_code == 0
    assert result.stdout.startswith("# 政府信息公开工作年度报告")
    assert 'agency: "某某局"' in result.stdout
    assert list(tmp_path.iterdir()) == []


def test_init_defaults_to_last_year(tmp_path: Path):
    import datetime

    out = tmp_path / "stats.yaml"
    assert run("init", "-o", str(out)).exit_code == 0
    assert load_stats(out).year == datetime.date.today().year - 1


def test_init_never_overwrites_without_force(tmp_path: Path):
    out = tmp_path / "stats.yaml"
    out.write_text("mine", encoding="utf-8")
    result = run("init", "-o", str(out))
    assert result.exit_code == 2
    assert "已存在" in result.output and "--force" in result.output
    assert out.read_text(encoding="utf-8") == "mine"
    assert run("init", "-o", str(out), "--force").exit_code == 0
    assert out.read_text(encoding="utf-8") != "mine"
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_init_unknown_format_writes_nothing(tmp_path: Path):
    out = tmp_path / "stats.yaml"
    result = run("init", "-o", str(out), "--format", "nope")
    assert result.exit_code == 2 and "未知的版式" in result.output
    assert not out.exists()


# ---- check --------------------------------------------------------------------------------


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "stats.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    return path


def test_check_exit_0_when_clean(tmp_path: Path):
    result = run("check", str(write(tmp_path, base_data())))
    assert result.exit_code == 0
    assert "未发现问题" in result.output


def test_check_exit_0_with_warnings_only(tmp_path: Path):
    data = base_data()
    data["proactive"]["rules"] = {"issued": 1, "repealed": 0, "in_force": 1}
    result = run("check", str(write(tmp_path, data)))
    assert result.exit_code == 0
    assert "W-RULES-NO-POWER" in result.output and "警告 1 项" in result.output


def test_check_exit_1_on_the_sample_with_official_labels():
    result = run("check", str(SAMPLE))
    assert result.exit_code == 1
    for text in ("E-CELL-BLANK", "E-FACT-CELL", "行政复议", "错误 6 项", "W-CONTACT-POSTCODE"):
        assert text in result.output


def test_check_json(tmp_path: Path):
    result = run("check", str(SAMPLE), "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["errors"] == 6 and payload["warnings"] == 1
    assert {"findings", "errors", "warnings"} <= set(payload)
    first = payload["findings"][0]
    assert set(first) >= {"code", "severity", "location", "message"}
    assert first["code"] in CODES and first["severity"] == "error"
    assert first["location"]["path"].startswith("review_litigation.review.")
    assert first["location"]["line"] > 0


def test_check_exit_2_on_bad_input_one_line_each_no_traceback(tmp_path: Path):
    data = base_data()
    data["proactive"]["licensing"] = "五"
    result = run("check", str(write(tmp_path, data)))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "proactive.licensing" in lines[0] and '需要非负整数, 得到 "五"' in lines[0]
    assert "Traceback" not in result.output


def test_check_exit_2_on_missing_file(tmp_path: Path):
    result = run("check", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2 and "文件不存在" in result.output


def test_check_exit_2_on_usage_error():
    assert run("check").exit_code == 2
    assert run("check", "a.yaml", "--no-such-option").exit_code == 2


def test_check_previous_year(tmp_path: Path):
    this = base_data()
    last = base_data()
    last["year"] = 2022
    last["applications"]["carried_forward"] = {"natural_person": 3}
    this_path = write(tmp_path, this)
    last_path = tmp_path / "last.yaml"
    last_path.write_text(dump_yaml(last), encoding="utf-8")
    result = run("check", str(this_path), "--previous", str(last_path), "--json")
    assert result.exit_code == 1
    found = {f["code"] for f in json.loads(result.stdout)["findings"]}
    assert "E-CARRY-OVER" in found


def test_check_previous_unreadable(tmp_path: Path):
    result = run("check", str(write(tmp_path, base_data())), "--previous", str(tmp_path / "x.yaml"))
    assert result.exit_code == 2


# ---- reference commands ---------------------------------------------------------------------


def test_layouts_lists_both():
    result = run("layouts")
    assert result.exit_code == 0
    assert "gov-info-disclosure-2021-seven-part" in result.output
    assert "信息处理费收取情况" in result.output


def test_codes_lists_every_code():
    result = run("codes", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [c["code"] for c in rows if c["severity"] != "input"] == list(CODES)
    assert [c["code"] for c in rows if c["severity"] == "input"] == list(INPUT_CODES)


def test_schema_prints_json_and_refuses_overwrite(tmp_path: Path):
    result = run("schema")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["title"]
    target = tmp_path / "schema.json"
    target.write_text("keep", encoding="utf-8")
    assert run("schema", "-o", str(target)).exit_code == 2
    assert target.read_text(encoding="utf-8") == "keep"


def test_version_and_help():
    assert run("--version").exit_code == 0
    result = run("--help")
    assert result.exit_code == 0
    for command in ("init", "check", "layouts", "codes", "schema"):
        assert command in result.output


def test_summary_tables_wrap_their_text_instead_of_cutting_it():
    """At 80 columns the meaning of every code is shown whole, wrapped over lines, never
    cut with "…" (issue 12, item 10)."""
    result = run("codes")
    assert result.exit_code == 0
    assert "…" not in result.output
    cells = "".join(
        line.split("│")[-2].strip() for line in result.output.splitlines() if line.count("│") >= 3
    )
    for info in CODES.values():
        assert info.title.replace("“", "").replace("”", "")[-6:] in cells.replace("“", "").replace(
            "”", ""
        ), info.code
