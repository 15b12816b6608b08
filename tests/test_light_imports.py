"""`drafter --help` and `drafter check` must not load the LLM, Word or Excel libraries."""

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
)

PROBE = """
import json, sys
from drafter.cli import app
try:
    app(sys.argv[1:], standalone_mode=False)
except SystemExit:
    pass
except Exception:
    pass
print("\\n" + json.dumps(sorted(m for m in sys.modules)))
"""


def loaded_modules(*args: str) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_import_cli_is_light():
    assert heavy(loaded_modules()) == []


def test_help_is_light():
    assert heavy(loaded_modules("--help")) == []


def test_check_is_light():
    modules = loaded_modules("check", str(SAMPLE))
    assert "drafter.checks" in modules  # the probe really ran the check
    assert heavy(modules) == []
    assert "drafter.workbook" not in modules  # a YAML check never touches openpyxl


def test_check_of_a_workbook_loads_openpyxl_only_then(tmp_path):
    """The probe would see openpyxl: checking a .xlsx imports it (and only that does)."""
    from drafter.formats import load_layout
    from drafter.workbook import workbook_bytes

    path = tmp_path / "stats.xlsx"
    path.write_bytes(workbook_bytes(load_layout(), agency="某局", year=2024))
    modules = loaded_modules("check", str(path))
    assert "drafter.checks" in modules
    assert "openpyxl" in modules and "drafter.workbook" in modules
    assert not {"langchain_core", "openai", "docx"} & {m.split(".")[0] for m in modules}
