"""The command line, driven through typer's CliRunner: outputs and exit statuses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE, base_data, dump_yaml
from typer.testing import CliRunner

from drafter.checking.findings import CODES
from drafter.cli import app
from drafter.errors import INPUT_CODES
from drafter.statistics.load import load_stats

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


# ---- typer's and click's own words, in Chinese (issue 12, item 10) --------------------------

# What click and typer write by themselves, in English, on a help screen or in an error.
ENGLISH = (
    "Usage",
    "Arguments",
    "Options",
    "Commands",
    "Show this message",
    "required",
    "default",
    "[OPTIONS]",
    "COMMAND",
    "[ARGS]",
    "<path>",
    "<str>",
    "<int",
    "<float",
    "range",
    "env var",
    "dynamic",
    "Try '",
    "for help",
    "Error",
    "Missing",
    "No such",
    "Invalid value",
    "Input should",
    "Got unexpected",
    "does not take",
    "requires an",
    "Did you mean",
    "Possible options",
)


def english_in(text: str) -> list[str]:
    return [words for words in ENGLISH if words in text]


COMMANDS = [
    "init",
    "check",
    "draft",
    "verify",
    "models",
    "log",
    "redraft",
    "extract",
    "audit",
    "layouts",
    "codes",
    "schema",
    "serve",
]


def test_the_command_list_is_the_apps():
    from drafter import cli

    assert [c.__name__ for c in cli._COMMANDS] == COMMANDS


USERS_COMMANDS = ["add", "grant", "revoke", "list", "passwd"]


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["-h"],
        *([c, "--help"] for c in COMMANDS),
        ["users", "--help"],
        *(["users", c, "-h"] for c in USERS_COMMANDS),
    ],
)
def test_every_help_screen_reads_in_chinese(args: list[str]):
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("用法：drafter"), result.output
    assert english_in(result.output) == [], result.output
    assert "显示本帮助并退出" in result.output and "选项：" in result.output


def test_help_screens_name_types_defaults_and_ranges_in_chinese():
    shown = run("draft", "--help").output
    assert "STATS <路径>" in shown and "[必填]" in shown
    assert "--workers <整数>" in shown and "[默认 4；取值 1～16]" in shown
    assert "--model <文字>" in shown
    assert "[默认 10.0；不小于 0.1]" in run("audit", "--help").output
    assert "命令：" in run("--help").output and "参数：" in shown


def test_help_columns_line_up_with_chinese_in_them():
    """The help column starts at one terminal column for every option, though the first
    column holds Chinese (two columns a character)."""
    from drafter.clihelp import _width

    lines = [line for line in run("draft", "--help").output.splitlines() if line.startswith("  -")]
    starts = set()
    for line in lines:
        _, _, help_text = line.strip().partition("  ")
        starts.add(_width(line[: len(line) - len(help_text.lstrip())]))
    assert len(starts) == 1, lines


def test_drafter_alone_shows_the_help_in_chinese_with_status_2():
    result = run()
    assert result.exit_code == 2
    assert result.output.startswith("用法：drafter [选项] 命令 [参数]...")
    assert english_in(result.output) == []


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["check"], "缺少参数 STATS（drafter check -h 查看用法）"),
        (["redraft", "a.docx", "--section", "overall"], "缺少选项 --stats"),
        (["check", "--jso", "a.yaml"], "没有选项 --jso（是不是 --json？）"),
        (["check", "a.yaml", "b.yaml"], "多余的参数：b.yaml"),
        (["chek", "a.yaml"], "没有命令 chek（是不是 check"),
        (
            ["draft", "a.yaml", "-o", "a.docx", "--workers", "x"],
            '--workers 的值无效：需要整数，得到 "x"',
        ),
        (["draft", "a.yaml", "-o", "a.docx", "--workers", "0"], "--workers 的值无效：不能小于 1"),
        (["draft", "a.yaml", "-o", "a.docx", "--workers", "17"], "--workers 的值无效：不能大于 16"),
        (["audit", "--timeout", "abc", "x"], "--timeout 的值无效：需要数字"),
        (["codes", "--json=1"], "选项 --json 不带值"),
        (["check", "a.yaml", "--previous"], "选项 --previous 需要一个值（drafter check -h"),
    ],
)
def test_usage_errors_are_one_chinese_line(args: list[str], words: str):
    """Under CliRunner as from the console script (tests/test_exits.py): one line on stderr,
    status 2, nothing of click's English."""
    result = run(*args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误 E-USAGE："), result.stderr
    assert words in lines[0]
    assert english_in(result.output) == [], result.output


# ---- `check` without typer: the same results ---------------------------------------------------


def test_plain_check_arguments_are_parsed_without_typer():
    from drafter.cli import _plain_check

    plain = _plain_check(["check", "a.yaml", "--previous=b.yaml", "--json"])
    assert plain == {"stats": Path("a.yaml"), "previous": Path("b.yaml"), "as_json": True}
    assert _plain_check(["check", "--json", "a.yaml"]) == {
        "stats": Path("a.yaml"),
        "previous": None,
        "as_json": True,
    }
    assert _plain_check(["check", "--previous", "b.yaml", "a.yaml"])["previous"] == Path("b.yaml")
    for other in (
        [],
        ["check"],
        ["check", "-h"],
        ["check", "a.yaml", "--help"],
        ["check", "a.yaml", "b.yaml"],
        ["check", "a.yaml", "--json", "--json"],
        ["check", "a.yaml", "--previous"],
        ["check", "a.yaml", "--previous", "--json"],
        ["check", "a.yaml", "--previous="],
        ["check", "a.yaml", "--previous", "b", "--previous", "c"],
        ["check", "--", "a.yaml"],
        ["check", "-"],
        ["check", "a.yaml", "--jsn"],
        ["draft", "a.yaml"],
        ["--version"],
    ):
        assert _plain_check(other) is None, other


def console_script(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    from drafter import cli

    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "__all__")  # main() sets it for its process
    monkeypatch.setattr(sys, "argv", ["drafter", *args])
    with pytest.raises(SystemExit) as exit_:
        cli.main()
    captured = capsys.readouterr()
    return exit_.value.code, captured.out, captured.err


@pytest.mark.parametrize(
    "args",
    [
        ["check", "{sample}"],
        ["check", "{sample}", "--json"],
        ["check", "--json", "{clean}"],
        ["check", "{clean}", "--previous", "{sample}"],
        ["check", "{clean}", "--previous={clean}", "--json"],
        ["check", "{missing}"],
        ["check", "{clean}", "--previous", "{missing}"],
    ],
)
def test_check_without_typer_is_check_through_typer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args
):
    from drafter import cli

    paths = {
        "sample": str(SAMPLE),
        "clean": str(write(tmp_path, base_data())),
        "missing": str(tmp_path / "missing.yaml"),
    }
    args = [a.format(**paths) for a in args]
    assert cli._plain_check(args) is not None
    plain = console_script(monkeypatch, capsys, *args)
    monkeypatch.setattr(cli, "_plain_check", lambda _: None)
    through_typer = console_script(monkeypatch, capsys, *args)
    assert plain == through_typer
    assert plain[1] or plain[2]
