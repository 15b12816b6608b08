"""`drafter --help` and `drafter check` must not load the LLM or Word libraries."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import SAMPLE

HEAVY = ("langchain", "langchain_core", "langchain_openai", "openai", "docx", "openpyxl", "httpx")

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
