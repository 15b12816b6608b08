"""Property tests: consistent statistics pass; one changed cell is caught where it is."""

from __future__ import annotations

from typing import Any

from conftest import OUTCOME_PATHS, load_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter.checking.checks import check
from drafter.checking.findings import Finding, Severity
from drafter.statistics.stats import APPLICANT_COLUMNS, REVIEW_COLUMNS, TOTAL

small = st.integers(min_value=0, max_value=60)


@st.composite
def consistent_stats(draw: st.DrawFn) -> dict[str, Any]:
    """Random statistics that satisfy every arithmetic rule, with every total given."""
    outcomes = {path: {c: draw(small) for c in APPLICANT_COLUMNS} for path in OUTCOME_PATHS}
    closed = {c: sum(outcomes[p][c] for p in OUTCOME_PATHS) for c in APPLICANT_COLUMNS}
    carried_forward, carried_over, new_received = {}, {}, {}
    for c in APPLICANT_COLUMNS:
        carried_forward[c] = draw(small)
        # 一 + 二 = （七） + 四, with 二 no larger than the right-hand side.
        carried_over[c] = draw(st.integers(0, closed[c] + carried_forward[c]))
        new_received[c] = closed[c] + carried_forward[c] - carried_over[c]

    def with_total(cells: dict[str, int]) -> dict[str, int]:
        return {**cells, TOTAL: sum(cells.values())}

    results: dict[str, Any] = {}
    for path in OUTCOME_PATHS:
        node = results
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = with_total(outcomes[path])
    results["total"] = with_total(closed)

    def block() -> dict[str, int]:
        return with_total({c: draw(small) for c in REVIEW_COLUMNS})

    notices = draw(st.integers(0, 20))
    notified = 0 if notices == 0 else 10 * draw(st.integers(0, 500))
    collected = 10 * draw(st.integers(0, notified // 10))
    outcomes_unpaid = results["other"]["fee_unpaid"]
    if outcomes_unpaid[TOTAL] > notices:  # FEE-4 is only a warning, but keep the report clean
        notices = outcomes_unpaid[TOTAL]
        notified = notified or 10 * notices
    issued = draw(small)
    return {
        "format": draw(
            st.sampled_from(["gov-info-disclosure-2021", "gov-info-disclosure-2021-seven-part"])
        ),
        "agency": "某某市某某区人民政府",
        "year": 2024,
        "proactive": {
            "rules": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {
                "issued": issued,
                "repealed": draw(small),
                "in_force": issued + draw(small),
            },
            "licensing": draw(small),
            "penalty": draw(small),
            "enforcement": draw(small),
            "admin_fees_10k_yuan": 0,
        },
        "applications": {
            "new_received": with_total(new_received),
            "carried_over": with_total(carried_over),
            "results": results,
            "carried_forward": with_total(carried_forward),
        },
        "review_litigation": {
            "review": block(),
            "litigation_direct": block(),
            "litigation_after_review": block(),
        },
        "processing_fees": {
            "notices": notices,
            "notified_yuan": notified,
            "collected_yuan": collected,
        },
    }


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_stats())
def test_consistent_statistics_have_no_errors(data: dict[str, Any]) -> None:
    assert errors(check(load_data(data))) == []


def _cells(data: dict[str, Any]) -> list[str]:
    """Every cell of tables 三 and 四 (the tables with arithmetic), as dotted key paths."""
    paths = []
    apps = data["applications"]
    for name in ("new_received", "carried_over", "carried_forward"):
        paths += [f"applications.{name}.{c}" for c in (*APPLICANT_COLUMNS, TOTAL)]
    for path in (*OUTCOME_PATHS, ("total",)):
        prefix = "applications.results." + ".".join(path)
        paths += [f"{prefix}.{c}" for c in (*APPLICANT_COLUMNS, TOTAL)]
    for name in data["review_litigation"]:
        paths += [f"review_litigation.{name}.{c}" for c in (*REVIEW_COLUMNS, TOTAL)]
    assert len(paths) == 175 + 15 and apps
    return paths


def _set(data: dict[str, Any], path: str, value: int) -> None:
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[part]
    node[parts[-1]] = value


def _get(data: dict[str, Any], path: str) -> int:
    node = data
    for part in path.split("."):
        node = node[part]
    return node


def _points_at(finding: Finding, path: str) -> bool:
    """The finding is at the changed cell, at its row or block, or at its column."""
    where = finding.location.path or ""
    row, column = path.rsplit(".", 1)
    if where == path or where.startswith(row + "."):
        return True
    # A column finding (applications.*.commercial) or a cell in the same column.
    return where.endswith("." + column) and where.startswith(path.split(".")[0])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_stats(), st.data())
def test_changing_any_cell_is_caught_at_its_cell_row_or_column(
    data: dict[str, Any], pick: st.DataObject
) -> None:
    path = pick.draw(st.sampled_from(_cells(data)))
    old = _get(data, path)
    new = pick.draw(st.integers(0, 200).filter(lambda v: v != old))
    _set(data, path, new)
    found = errors(check(load_data(data)))
    assert found, f"changing {path} from {old} to {new} went unnoticed"
    assert any(_points_at(f, path) for f in found), (path, [f.location.path for f in found])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_stats(), st.booleans())
def test_the_offline_drafter_handles_any_consistent_statistics(
    data: dict[str, Any], zero_applications: bool
) -> None:
    """Whatever the figures, the templates render, every placeholder resolves, and no
    sentence states a zero as a count ("收到0件")."""
    import re

    from drafter.drafting.draft import draft_report

    if zero_applications:
        for name in ("new_received", "carried_over", "carried_forward"):
            data["applications"][name] = {c: 0 for c in (*APPLICANT_COLUMNS, TOTAL)}
        data["applications"]["results"] = {}
    report = draft_report(load_data(data))
    text = "".join(p.text for p in report.paragraphs())
    assert "{" not in text and "}" not in text
    assert not re.search(r"(?<![\d.])0(件|条|元|万元)", text), text
