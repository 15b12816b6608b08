"""What each command loads: `drafter --help` and `drafter check` never the LLM, Word or Excel
libraries; `check` not even typer (its plain forms are parsed without it), `check --json` not
rich; and what start-up made lazy stays lazy (benchmarks/check/README.md has the figures)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import SAMPLE

HEAVY = (
    "langchain",
    "langchain_core",
    "langchain_openai",
    "openai",
    "docx",
    "openpyxl",
    "defusedxml",
    "httpx",
    "httpx2",
    "lxml",
    "jinja2",
)

# The console script (drafter.cli:main), then the modules it loaded.
PROBE = """
import json, os, sys
sys.argv = ["drafter", *sys.argv[1:]]
from drafter.cli import main
try:
    main()
except SystemExit:
    pass
os.write(1, ("\\n" + json.dumps(sorted(sys.modules))).encode())
"""


def loaded_modules(*args: str, probe: str = PROBE) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=60
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def top(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_import_cli_is_light():
    modules = loaded_modules(
        probe="import json, sys, drafter.cli; print(json.dumps(sorted(sys.modules)))"
    )
    assert heavy(modules) == []
    assert not {"typer", "rich", "pydantic", "yaml"} & top(modules)


def test_help_is_light():
    modules = loaded_modules("--help")
    assert "drafter.clihelp" in modules  # the probe really showed typer's help
    assert heavy(modules) == []
    assert not {"pydantic", "yaml", "rich"} & top(modules)
    assert "drafter.checking.checks" not in modules


def test_check_is_light():
    modules = loaded_modules("check", str(SAMPLE))
    assert "drafter.checking.checks" in modules  # the probe really ran the check
    assert "rich.table" in modules  # and printed its table
    assert heavy(modules) == []
    assert "drafter.statistics.workbook" not in modules  # a YAML check never touches openpyxl
    # parsed without typer; and nothing loaded that only other paths need
    assert not {"typer", "click", "platformdirs", "difflib", "sqlite3"} & top(modules)
    assert (
        not {"drafter.clihelp", "drafter.audit", "drafter.drafting.models", "drafter.drafting.llm"}
        & modules
    )


def test_check_json_does_not_load_rich():
    modules = loaded_modules("check", str(SAMPLE), "--json")
    assert "drafter.checking.checks" in modules
    assert heavy(modules) == []
    assert not {"typer", "rich"} & top(modules)


def test_check_in_another_form_goes_through_typer_and_stays_light():
    modules = loaded_modules("check", "--json", "--", str(SAMPLE))
    assert "drafter.checking.checks" in modules and "typer" in top(modules)
    assert heavy(modules) == []


def test_usage_error_is_light():
    modules = loaded_modules("check", "--no-such-option")
    assert "drafter.clihelp" in modules
    assert not {"yaml", "rich"} & top(modules)  # (typer converts values with pydantic)
    assert "drafter.checking.checks" not in modules


def test_check_of_a_workbook_loads_openpyxl_only_then(tmp_path):
    """The probe would see openpyxl: checking a .xlsx imports it (and only that does)."""
    from drafter.formats import load_layout
    from drafter.statistics.workbook import workbook_bytes

    path = tmp_path / "stats.xlsx"
    path.write_bytes(workbook_bytes(load_layout(), agency="某局", year=2024))
    modules = loaded_modules("check", str(path))
    assert "drafter.checking.checks" in modules
    assert "openpyxl" in modules and "drafter.statistics.workbook" in modules
    assert not {"langchain_core", "openai", "docx"} & {m.split(".")[0] for m in modules}
