"""The README documents every command, every finding code and the two commands CI runs."""

from __future__ import annotations

import re

from conftest import ROOT

from drafter.checking.findings import CODES
from drafter.cli import app

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_is_documented_with_an_example():
    import typer.main

    names = [c.name for c in typer.main.get_command(app).commands.values()]
    assert names
    for name in names:
        assert f"### `drafter {name}`" in README, name
        assert re.search(rf"^drafter {name}\b", README, re.M), f"no example for {name}"


def test_every_finding_code_is_documented():
    for code, info in CODES.items():
        row = next((ln for ln in README.splitlines() if ln.startswith(f"| `{code}` |")), None)
        assert row is not None, code
        assert info.severity.zh in row and all(r in row for r in info.rules), row


def test_every_input_error_code_is_documented():
    from drafter.errors import INPUT_CODES

    for code, title in INPUT_CODES.items():
        assert f"| `{code}` | {title} |" in README, code


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "<!-- test-command -->" in ci and "README.md" in ci
    block = README.split("<!-- test-command -->")[1].split("<!-- /test-command -->")[0]
    assert "python -m pytest" in block and "venv --clear" in block


def test_readme_sample_command_points_at_the_sample():
    block = README.split("<!-- sample-command -->")[1].split("<!-- /sample-command -->")[0]
    assert "samples/quanzhou-kj-2023/stats.yaml" in block
    assert (ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml").is_file()
