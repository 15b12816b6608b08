"""Exit statuses and their messages, through the real console script: 0 clean, 1 findings,
2 bad input or usage (one line with a stable code), 3 a bug in drafter (one line with an
error id, the traceback in a log file). Never a traceback on the terminal."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLE
from typer.testing import CliRunner

from drafter import cli
from drafter.errors import INPUT_CODES, InputError, Problem, one_line

runner = CliRunner()


def drafter(*args: str, home: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "DRAFTER_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "drafter", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def one_coded_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert re.match(r"^错误 E-[A-Z-]+：", lines[0]), lines[0]
    assert lines[0].split()[1].split("：")[0] in INPUT_CODES
    return lines[0]


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["check"], "E-USAGE", "缺少参数"),
        (["check", "--nope", "x.yaml"], "E-USAGE", "没有选项 --nope"),
        (["nocommand"], "E-USAGE", "没有命令 nocommand"),
        (["check", "a.yaml", "b.yaml"], "E-USAGE", "多余的参数"),
        (["check", "missing.yaml"], "E-FILE-MISSING", "missing.yaml"),
        (["verify", "a.docx"], "E-USAGE", "缺少选项 --stats（"),
        (["init", "--year", "二〇二四"], "E-USAGE", "选项 --year 的值无效：需要整数"),
        (["init", "--year", "1900"], "E-USAGE", "选项 --year 的值无效：不能小于 1990"),
        (["log", "--limit"], "E-USAGE", "选项 --limit 需要一个值（"),
        (["layouts", "--json"], "E-USAGE", "没有选项 --json"),
        (["check", "--json=yes", "a.yaml"], "E-USAGE", "选项 --json 不带值"),
    ],
)
def test_usage_and_input_errors_are_one_coded_line(tmp_path, args, code, words):
    result = drafter(*args, home=tmp_path / "home", cwd=tmp_path)
    assert result.returncode == 2
    line = one_coded_line(result.stderr)
    assert line.startswith(f"错误 {code}：") and words in line
    assert "Traceback" not in result.stderr + result.stdout
    for english in ("Error", "Usage", "Try ", "Invalid", "Input should", "Missing", "No such"):
        assert english not in line


def test_a_bug_is_exit_3_with_an_id_and_a_log_file(tmp_path, monkeypatch):
    """A crash inside a command: one line naming an error id and the log file; the
    traceback (with no secret from the environment) is in that file."""
    monkeypatch.setenv("DRAFTER_HOME", str(tmp_path))
    monkeypatch.setenv("SOME_API_KEY", "sk-very-secret-value-123")

    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("sk-very-secret-value-123 leaked into a message")

    monkeypatch.setattr("drafter.checking.checks.check", broken)
    result = runner.invoke(cli.app, ["check", str(SAMPLE)])
    assert result.exit_code == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("内部错误 E-INTERNAL（编号 ")
    assert "Traceback" not in result.output
    error_id = re.search(r"编号 ([0-9a-f]{8})", lines[0]).group(1)
    logs = list((tmp_path / "errors").glob(f"*-{error_id}.log"))
    assert len(logs) == 1 and str(logs[0]) in lines[0]
    log = logs[0].read_text(encoding="utf-8")
    assert "Traceback" in log and "ZeroDivisionError" in log
    assert "sk-very-secret-value-123" not in log and "***" in log


def test_a_bug_in_the_console_script_is_exit_3_too(tmp_path):
    """Outside any command (here: a broken layouts folder breaks `drafter layouts`)."""
    script = (
        "import sys, drafter.cli as c\n"
        "def boom(*a, **k):\n    raise RuntimeError('boom')\n"
        "c.app.registered_callback = None\n"
        "import drafter.formats as f\nf.layout_ids = boom\n"
        "sys.argv = ['drafter', 'layouts']\nc.main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "DRAFTER_HOME": str(tmp_path)},
        timeout=120,
    )
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("内部错误 E-INTERNAL")
    assert "Traceback" not in result.stderr
    assert list((tmp_path / "errors").glob("*.log"))


def test_messages_stay_on_one_line_whatever_they_quote():
    problem = Problem('得到 "a\nnotes: x\x1b]0;t\x07"', file="s.yaml", line=3, code="E-STATS-VALUE")
    text = str(problem)
    assert "\n" not in text and "\x1b" not in text and "\x07" not in text
    assert "⏎" in text and "\\x1b" in text
    assert one_line("a\u2028b\u2029c\x85d") == "a⏎b⏎c⏎d"


def test_every_code_used_is_declared():
    with pytest.raises(AssertionError):
        InputError("x", code="E-NOT-A-CODE")
    assert InputError("x", code="E-LIMIT-SIZE").code == "E-LIMIT-SIZE"


def test_the_terminal_never_gets_a_control_sequence_from_text(capsys):
    console = cli._SafeConsole(force_terminal=True, width=80)
    console.print(cli.Text("标题\x1b]0;pwned\x07\x1b[2J正文", style="bold"))
    shown = capsys.readouterr().out
    assert "\x1b]0;" not in shown and "\x07" not in shown and "\x1b[2J" not in shown
    assert "␛]0;pwned" in shown and "␛[2J正文" in shown
    assert "\x1b[1m" in shown  # rich's own styling is still there
