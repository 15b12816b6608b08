"""Every number a report may state, by name: the provenance set.

A quantity is a fact of the statistics file (named by its id, e.g. `proactive.items`), a table
cell (named `@` + its key path, e.g. `@applications.new_received.total`) or a value derived
from the tables that reports commonly state (e.g. `@applications.results.withheld`, the total
of the eight 不予公开 rows). Narrative text never contains a number typed by hand: it
contains placeholders such as `{proactive.items}` or `{@applications.new_received}`, and
`fill` substitutes the value with its unit ("143条", "3件"). The offline drafter, the LLM
drafter and the verifier share this set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from drafter.formats import Layout
from drafter.stats import APPLICANT_COLUMNS, REVIEW_COLUMNS, TOTAL, Stats

CELL_PREFIX = "@"
PLACEHOLDER = re.compile(r"\{(@?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")

# Approximate words and where they stand: 近100件, 800多条, 50件以上.
_BEFORE = ("近", "约", "超过", "逾")
_BETWEEN = ("多", "余")
_AFTER = ("以上",)


@dataclass(frozen=True)
class Quantity:
    name: str
    value: int | Decimal
    unit: str
    label: str
    kind: Literal["fact", "cell", "derived"]
    approx: str | None = None

    def text(self) -> str:
        """The value as prose states it: 143条, 800多条, 近100件, 5949.088667万元."""
        number = format_number(self.value)
        if self.approx in _BEFORE:
            return f"{self.approx}{number}{self.unit}"
        if self.approx in _BETWEEN:
            return f"{number}{self.approx}{self.unit}"
        if self.approx in _AFTER:
            return f"{number}{self.unit}{self.approx}"
        return f"{number}{self.unit}"


def format_number(value: int | Decimal) -> str:
    """Integers as written; decimals exactly as given (never through float)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


@dataclass(frozen=True)
class Filled:
    text: str
    used: tuple[str, ...]  # quantity names, in order of first use
    unknown: tuple[str, ...]  # placeholders that name no quantity (left in the text)


def fill(text: str, quantities: dict[str, Quantity]) -> Filled:
    """Replace `{name}` placeholders by the quantity's text; report what was used."""
    used: list[str] = []
    unknown: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        quantity = quantities.get(name)
        if quantity is None:
            if name not in unknown:
                unknown.append(name)
            return match.group(0)
        if name not in used:
            used.append(name)
        return quantity.text()

    return Filled(PLACEHOLDER.sub(substitute, text), tuple(used), tuple(unknown))


def _sum(values: list[int | None]) -> int | None:
    """The sum, or None (unknown) when a term is blank."""
    return None if None in values else sum(v for v in values if v is not None)


def _cell_unit(key: str) -> str:
    if key == "proactive.admin_fees_10k_yuan":
        return "万元"
    if key.endswith("_yuan"):
        return "元"
    return "件"


def quantities(stats: Stats, layout: Layout) -> dict[str, Quantity]:
    """The provenance set of one report: facts, table cells and derived values."""
    found: dict[str, Quantity] = {}

    def add(name: str, value: int | Decimal | None, unit: str, label: str, kind: str) -> None:
        if value is not None:
            found[name] = Quantity(name, value, unit, label, kind)  # type: ignore[arg-type]

    for table in layout.tables.values():
        for key, info in table.cells.items():
            label = " · ".join(p for p in (info.table, info.row_label, info.column_header) if p)
            add(CELL_PREFIX + key, stats.value(key), _cell_unit(key), label, "cell")

    # Derived: a table 三 row or group by itself means its 总计; a table 四 block likewise.
    for prefix, row in stats.applicant_rows():
        _, label = layout.group_label(prefix)
        add(CELL_PREFIX + prefix, row.value(TOTAL), "件", f"表三 · {label} · 总计", "derived")
        add(
            f"{CELL_PREFIX}{prefix}.organisations",
            _sum([row.value(c) for c in APPLICANT_COLUMNS[1:]]),
            "件",
            f"表三 · {label} · 法人或其他组织合计",
            "derived",
        )
    groups: dict[str, list[int | None]] = {}
    group_labels: dict[str, str] = {}
    for prefix, row in stats.outcome_rows():
        parts = prefix.split(".")
        if len(parts) == 4:  # applications.results.<group>.<row>
            group = ".".join(parts[:3])
            groups.setdefault(group, []).append(row.value(TOTAL))
            group_labels.setdefault(group, layout.group_label(prefix)[1].split(" · ")[1])
    for group, totals in groups.items():
        add(
            CELL_PREFIX + group,
            _sum(totals),
            "件",
            f"表三 · {group_labels[group]} · 合计",
            "derived",
        )
    results = stats.applications.results
    add(
        f"{CELL_PREFIX}applications.handled",
        _sum(
            [
                stats.applications.new_received.value(TOTAL),
                stats.applications.carried_over.value(TOTAL),
            ]
        ),
        "件",
        "表三 · 本年新收与上年结转合计（本年应办理的申请）",
        "derived",
    )
    add(
        f"{CELL_PREFIX}applications.results.disclosed_or_partial",
        _sum([results.disclosed.value(TOTAL), results.partially_disclosed.value(TOTAL)]),
        "件",
        "表三 · 予以公开与部分公开合计",
        "derived",
    )
    blocks = dict(stats.review_blocks())
    for prefix, block in blocks.items():
        _, label = layout.group_label(prefix)
        add(CELL_PREFIX + prefix, block.value(TOTAL), "件", f"表四 · {label} · 总计", "derived")
    for column in (*REVIEW_COLUMNS, TOTAL):
        header = layout.column_header("review_litigation", column).split(" · ")[-1]
        add(
            f"{CELL_PREFIX}review_litigation.litigation.{column}",
            _sum([b.value(column) for p, b in blocks.items() if ".litigation" in p]),
            "件",
            f"表四 · 行政诉讼合计 · {header}",
            "derived",
        )
    add(
        f"{CELL_PREFIX}review_litigation.litigation",
        _sum([b.value(TOTAL) for p, b in blocks.items() if ".litigation" in p]),
        "件",
        "表四 · 行政诉讼合计",
        "derived",
    )
    add(
        f"{CELL_PREFIX}review_litigation",
        _sum([b.value(TOTAL) for b in blocks.values()]),
        "件",
        "表四 · 行政复议与行政诉讼合计",
        "derived",
    )

    for fact in stats.facts:
        found[fact.id] = Quantity(fact.id, fact.value, fact.unit, fact.label, "fact", fact.approx)
    return found
