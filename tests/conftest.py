"""Shared helpers: statistics built in code, loaded exactly as a file would be."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from drafter.checking.checks import check
from drafter.checking.findings import Finding
from drafter.statistics.load import stats_from_data
from drafter.statistics.stats import APPLICANT_COLUMNS, Stats

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"

OUTCOME_PATHS = [
    ("disclosed",),
    ("partially_disclosed",),
    *[
        ("withheld", n)
        for n in (
            "state_secret",
            "prohibited_by_law",
            "security_stability",
            "third_party_rights",
            "internal_affairs",
            "process_information",
            "enforcement_files",
            "query_matters",
        )
    ],
    *[("unavailable", n) for n in ("not_held", "needs_creation", "unclear_after_correction")],
    *[
        ("not_processed", n)
        for n in (
            "complaints",
            "duplicate",
            "publications",
            "excessive",
            "confirm_or_reissue",
        )
    ],
    *[("other", n) for n in ("no_correction", "fee_unpaid", "other")],
]


def row(**cells: int | None) -> dict[str, int | None]:
    """A table 三 row with its total given (the sum of the cells given)."""
    data: dict[str, int | None] = {c: 0 for c in APPLICANT_COLUMNS}
    data.update(cells)
    data["total"] = sum(v for k, v in data.items() if k in APPLICANT_COLUMNS and v is not None)
    return data


def base_data() -> dict[str, Any]:
    """A small, consistent report: 3 new + 1 carried over = 3 closed + 1 carried forward."""
    return {
        "format": "gov-info-disclosure-2021",
        "agency": "某某市某某区科学技术局",
        "year": 2023,
        "proactive": {
            "rules": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {"issued": 2, "repealed": 1, "in_force": 10},
            "licensing": 5,
            "penalty": 1,
            "enforcement": 0,
            "admin_fees_10k_yuan": 0,
        },
        "applications": {
            "new_received": row(natural_person=2, commercial=1),
            "carried_over": row(natural_person=1),
            "results": {
                "disclosed": row(natural_person=1, commercial=1),
                "partially_disclosed": row(),
                "withheld": {"third_party_rights": row(natural_person=1)},
                "unavailable": {},
                "not_processed": {},
                "other": {},
                "total": row(natural_person=2, commercial=1),
            },
            "carried_forward": row(natural_person=1),
        },
        "review_litigation": {
            "review": {"upheld": 1, "corrected": 0, "other": 0, "pending": 1, "total": 2},
            "litigation_direct": {
                "upheld": 0,
                "corrected": 0,
                "other": 0,
                "pending": 0,
                "total": 0,
            },
            "litigation_after_review": {},
        },
        "processing_fees": {"notices": 0, "notified_yuan": 0, "collected_yuan": 0},
        "facts": [],
        "notes": {},
    }


class _Dumper(yaml.SafeDumper):
    """Dumps Decimal as the number it is written as (YAML reads it back as a Decimal)."""


_Dumper.add_representer(
    Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", str(value))
)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False)


def load_data(data: dict[str, Any], name: str = "stats.yaml") -> Stats:
    """Validate data as the loader does, with line numbers from a YAML dump of it."""
    from drafter.yamlsource import parse_yaml

    text = dump_yaml(data)
    parsed, lines = parse_yaml(text, name)
    return stats_from_data(parsed, lines, name)


def findings_for(data: dict[str, Any], previous: dict[str, Any] | None = None) -> list[Finding]:
    return check(load_data(data), load_data(previous) if previous is not None else None)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def set_in(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `data` with the dotted `path` set to `value`."""
    data = copy.deepcopy(data)
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return data


@pytest.fixture
def base() -> dict[str, Any]:
    return base_data()


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never touch the real user directories, never pick up the developer's model settings."""
    home = tmp_path_factory.mktemp("drafter-home")
    monkeypatch.setenv("DRAFTER_HOME", str(home))
    monkeypatch.setenv("DRAFTER_MODELS", str(home / "drafter-models.yaml"))
    for name in (
        "DRAFTER_BASE_URL",
        "DRAFTER_MODEL",
        "DRAFTER_API_KEY",
        "OPENAI_API_KEY",
        "DRAFTER_PROMPTS_DIR",
        "DRAFTER_TIMEOUT",
        "DRAFTER_DEADLINE",
        "DRAFTER_DRAFT_DEADLINE",
    ):
        monkeypatch.delenv(name, raising=False)


def distinct_data() -> dict[str, Any]:
    """Statistics whose table cells all differ, so that a value printed in the wrong cell
    cannot go unnoticed (the arithmetic does not hold; rendering does not care)."""
    data = base_data()
    counter = iter(range(1, 10_000))
    columns = [*APPLICANT_COLUMNS, "total"]

    def fresh_row() -> dict[str, int]:
        return {c: next(counter) for c in columns}

    apps = data["applications"]
    for name in ("new_received", "carried_over", "carried_forward"):
        apps[name] = fresh_row()
    results: dict[str, Any] = {}
    for path in (*OUTCOME_PATHS, ("total",)):
        node = results
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = fresh_row()
    apps["results"] = results
    data["review_litigation"] = {
        name: {c: next(counter) for c in ("upheld", "corrected", "other", "pending", "total")}
        for name in ("review", "litigation_direct", "litigation_after_review")
    }
    data["proactive"] = {
        "rules": {"issued": next(counter), "repealed": next(counter), "in_force": next(counter)},
        "normative_documents": {
            "issued": next(counter),
            "repealed": next(counter),
            "in_force": next(counter),
        },
        "licensing": next(counter),
        "penalty": next(counter),
        "enforcement": next(counter),
        "admin_fees_10k_yuan": Decimal("5949.088667"),
    }
    data["processing_fees"] = {
        "notices": next(counter),
        "notified_yuan": Decimal("1230.50"),
        "collected_yuan": 980,
    }
    return data


@pytest.fixture
def stub():  # type: ignore[no-untyped-def]
    """The OpenAI-compatible stub server on 127.0.0.1 (tests/stub_openai.py), stopped after."""
    from stub_openai import StubServer

    server = StubServer().start()
    yield server
    server.stop()


# A report with nothing for the clerk to fill in: the offline drafter writes 【待补充】 in every
# part without notes and in the preamble without website or contact, so "clean" fixtures need them.
EXTRA_NOTES = {
    "overall": "坚持以公开为常态、不公开为例外，推进政府信息公开工作",
    "overall.proactive": "围绕重点领域做好信息公开和政策解读",
    "overall.requests": "规范依申请公开受理、办理和答复流程",
    "other": "本年度无其他需要报告的事项",
}
PUBLICATION = {"site": "某某区人民政府网站", "url": "http://www.example.gov.cn/"}
CONTACT = {"office": "某某区科技局办公室", "phone": "0000-1234567"}


# ---- the web app (drafter serve) through FastAPI's test client -------------------------------


@pytest.fixture
def workspace(tmp_path: Path):  # type: ignore[no-untyped-def]
    from drafter.workspace import Workspace

    with Workspace.open(tmp_path / "ws") as ws:
        yield ws


@pytest.fixture
def client(workspace):  # type: ignore[no-untyped-def]
    """A browser session on a fresh workspace: its first page load sets the CSRF cookie."""
    from fastapi.testclient import TestClient

    from drafter.web.app import create_app

    client = TestClient(create_app(workspace, host="127.0.0.1"))
    assert client.get("/").status_code == 200
    return client


def csrf_token(client) -> str:  # type: ignore[no-untyped-def]
    from drafter.web.app import CSRF_COOKIE

    value = client.cookies.get(CSRF_COOKIE)
    assert value
    return value


def report_with(client, stats: Path = SAMPLE, agency: str = "泉州市科学技术局") -> int:  # type: ignore[no-untyped-def]
    """A report of `agency` for 2023 made through the page's form, with the statistics file
    `stats` uploaded on its 统计 page (version 2); its id."""
    import re

    response = client.post(
        "/reports",
        data={"agency": agency, "year": "2023", "csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    report_id = int(re.fullmatch(r"/reports/(\d+)/stats", response.headers["location"])[1])
    response = client.post(
        f"/reports/{report_id}/stats/upload",
        data={"csrf_token": csrf_token(client), "base_version": "1"},
        files={"file": ("stats.yaml", stats.read_bytes())},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return report_id
