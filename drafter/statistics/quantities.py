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
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any, Literal

from drafter.formats import Layout
from drafter.report import Span
from drafter.resources import structured_dir
from drafter.statistics.stats import APPLICANT_COLUMNS, REVIEW_COLUMNS, TOTAL, Stats
from drafter.yamlsource import read_trusted_yaml

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
    kind: Literal["fact", "cell", "derived", "change"]
    approx: str | None = None
    direction: str | None = None  # a change: 增加/减少 (or 增长/下降 for a percentage), 持平

    def text(self) -> str:
        """The value as prose states it: 143条, 800多条, 近100件, 5949.088667万元, 增加3件."""
        number = format_number(self.value)
        if self.direction == "持平":
            return "持平"
        if self.direction:
            return f"{self.direction}{number}{self.unit}"
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
    spans: tuple[Span, ...] = ()  # every substituted value, in order


def fill(text: str, quantities: dict[str, Quantity]) -> Filled:
    """Replace `{name}` placeholders by the quantity's text; report what was used and where
    each value now stands."""
    used: list[str] = []
    unknown: list[str] = []
    spans: list[Span] = []
    out: list[str] = []
    length = 0
    last = 0
    for match in PLACEHOLDER.finditer(text):
        name = match.group(1)
        quantity = quantities.get(name)
        before = text[last : match.start()]
        out.append(before)
        length += len(before)
        last = match.end()
        if quantity is None:
            if name not in unknown:
                unknown.append(name)
            out.append(match.group(0))
            length += len(match.group(0))
            continue
        if name not in used:
            used.append(name)
        value = quantity.text()
        spans.append(Span(length, length + len(value), name))
        out.append(value)
        length += len(value)
    out.append(text[last:])
    return Filled("".join(out), tuple(used), tuple(unknown), tuple(spans))


def _sum(values: list[int | None]) -> int | None:
    """The sum, or None (unknown) when a term is blank."""
    return None if None in values else sum(v for v in values if v is not None)


def _cell_unit(key: str) -> str:
    if key == "proactive.admin_fees_10k_yuan":
        return "万元"
    if key.endswith("_yuan"):
        return "元"
    return "件"


_APPLICANT_HEADERS = (
    ("natural_person", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("social_welfare", "社会公益组织"),
    ("legal_service", "法律服务机构"),
    ("other", "其他"),
)


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
    # 收办 / 受理并办理: what was handled this year, new and carried over, per column too
    new, carried = stats.applications.new_received, stats.applications.carried_over
    for column, header in (*_APPLICANT_HEADERS, ("organisations", "法人或其他组织合计")):
        columns = APPLICANT_COLUMNS[1:] if column == "organisations" else (column,)
        add(
            f"{CELL_PREFIX}applications.handled.{column}",
            _sum([row.value(c) for row in (new, carried) for c in columns]),
            "件",
            f"表三 · 本年新收与上年结转合计 · {header}",
            "derived",
        )
    # 办复: what was handled less what goes on to next year (办结 when table 三 balances)
    handled_total = found.get(f"{CELL_PREFIX}applications.handled")
    forward = stats.applications.carried_forward.value(TOTAL)
    if handled_total is not None and forward is not None and handled_total.value >= forward:
        add(
            f"{CELL_PREFIX}applications.answered",
            int(handled_total.value) - forward,
            "件",
            "表三 · 本年新收与上年结转合计减结转下年度",
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


def with_table_values(
    stats: Stats, found: dict[str, Quantity]
) -> tuple[dict[str, Quantity], list[tuple[Quantity, Quantity]]]:
    """The quantities to draft with: a fact that restates a table cell (`cell:`) but differs
    from it takes the table's value (the tables are the official figures; `check` reports
    the contradiction as E-FACT-CELL). Returns the set and (fact as given, as drafted)."""
    out = dict(found)
    corrected: list[tuple[Quantity, Quantity]] = []
    for fact in stats.facts:
        if fact.cell is None or fact.id not in found:
            continue
        try:
            table = stats.value(fact.cell)
        except KeyError:
            continue
        given = found[fact.id]
        if table is not None and Decimal(table) != Decimal(given.value) and not given.approx:
            out[fact.id] = Quantity(fact.id, table, given.unit, given.label, "fact")
            corrected.append((given, out[fact.id]))
    return out, corrected


YOY_PREFIX = "yoy."  # the change since last year: 增加3件, 减少3件, 持平
YOY_PERCENT_PREFIX = "yoy_pct."  # the same as a percentage of last year's value: 增长50.0%


def year_on_year(
    now: dict[str, Quantity], then: dict[str, Quantity], names: list[str] | None = None
) -> dict[str, Quantity]:
    """Changes since last year of the quantities both years state (or of `names`), as
    quantities of their own: `yoy.<name>` (the difference, with its direction) and
    `yoy_pct.<name>` (the percentage of last year's value, one decimal, as reports write it).
    Quantities that are zero in both years, approximate or in other units have none."""
    out: dict[str, Quantity] = {}
    for name in names if names is not None else list(now):
        current, last = now.get(name), then.get(name)
        if current is None or last is None or current.unit != last.unit:
            continue
        if current.approx or last.approx or current.kind == "change":
            continue
        a, b = Decimal(current.value), Decimal(last.value)
        if a == 0 and b == 0:
            continue
        bare = name.removeprefix(CELL_PREFIX)
        label = f"与上年相比：{current.label}（上年{last.text()}，本年{current.text()}）"
        difference = abs(a - b)
        direction = "增加" if a > b else "减少" if a < b else "持平"
        out[YOY_PREFIX + bare] = Quantity(
            YOY_PREFIX + bare,
            _plain_number(difference),
            current.unit,
            label,
            "change",
            direction=direction,
        )
        if b:
            percent = (difference / b * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
            out[YOY_PERCENT_PREFIX + bare] = Quantity(
                YOY_PERCENT_PREFIX + bare,
                percent,
                "%",
                label + "的变化幅度",
                "change",
                direction="增长" if a > b else "下降" if a < b else "持平",
            )
    return out


def _plain_number(value: Decimal) -> int | Decimal:
    return int(value) if value == value.to_integral_value() else value


# ---- the words a report uses for a quantity ------------------------------------------------


@cache
def prompt_words() -> dict[str, Any]:
    return read_trusted_yaml(structured_dir() / "reference" / "prompt-words.yaml")


_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|\d+\.)")
_REMARK = re.compile(r"（(?:区分处理的|单位|元)[^（）]*）")


def plain_label(quantity: Quantity) -> str:
    """The words a report uses for a quantity: a fact's own label; for a table quantity its
    headings without table names, numbering, "总计" and remarks (prompt-words.yaml)."""
    if quantity.kind in ("fact", "change"):
        return quantity.label
    words = prompt_words()
    if quantity.name in words["words"]:
        return str(words["words"][quantity.name])
    parts = quantity.label.split(" · ")
    if parts and (parts[0].startswith("表") or parts[0] == "信息处理费"):
        parts = parts[1:]
    out: list[str] = []
    for index, part in enumerate(parts):
        part = _REMARK.sub("", _NUMBERING.sub("", part.strip()))
        if part in words["drop"]:
            continue
        if part == "法人或其他组织" and index + 1 < len(parts):
            continue
        out.append(str(words["replace"].get(part, part)))
    return "：".join(out) or quantity.label
