"""The deterministic checker: statistics in, findings out (docs/format.md §4.1, §4.2, N-10).

`check(stats, previous=None)` never raises on content: every rule that does not hold becomes a
`Finding` with a registered code, located by key path, official table labels and the line of
the statistics file. Sums involving a blank cell are not evaluated (the blank is reported
once, instead of a cascade of sums that cannot be judged).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from drafter.checking.findings import Finding, Location, sort_findings
from drafter.formats import Layout, load_layout
from drafter.resources import structured_dir
from drafter.statistics.stats import (
    APPLICANT_COLUMNS,
    REVIEW_COLUMNS,
    TOTAL,
    DocumentCounts,
    Fact,
    Stats,
)
from drafter.verification.numbers import approx_contains
from drafter.yamlsource import read_trusted_yaml

# a residual in the stock of documents needs an explanation above this share of the stock.
STOCK_DRIFT_SHARE = Decimal("0.10")


def check(
    stats: Stats, previous: Stats | None = None, layout: Layout | None = None
) -> list[Finding]:
    """All findings about one report's statistics, errors first."""
    ctx = _Context(stats, layout or load_layout(stats.format))
    findings: list[Finding] = []
    for rule in (
        _cells,
        _table_three,
        _table_four,
        _table_two,
        _fees,
        _facts,
        _note_placeholders,
        _postal_code,
        _template_text,
        _all_zero,
    ):
        findings.extend(rule(ctx))
    if previous is not None:
        findings.extend(_cross_year(ctx, previous))
    return sort_findings(findings)


@dataclass
class _Context:
    stats: Stats
    layout: Layout

    def at(self, key: str) -> Location:
        """The location of one value cell (or of a key that is not a cell)."""
        info = self.layout.cell_info(key)
        line = self.stats.line_of(key)
        cell = self.stats.cell_of(key)
        if info is None:
            return Location(path=key, file=self.stats.source_name, line=line, cell=cell)
        return Location(
            path=key,
            table=info.table,
            row=info.row_label or None,
            column=info.column_header or None,
            file=self.stats.source_name,
            line=line,
            cell=cell,
        )

    def column(self, prefix: str, column: str) -> Location:
        """The location of a whole table 三 column."""
        return Location(
            path=f"{prefix}.*.{column}",
            table=self.layout.tables["applications"].name,
            column=self.layout.column_header("applications", column),
            file=self.stats.source_name,
        )

    # Official labels for messages, always read from the layout.

    def row_name(self, prefix: str) -> str:
        """The full label of a table 三 row or the header of a table 四 block."""
        return self.layout.group_label(prefix)[1]

    def short_row(self, prefix: str) -> str:
        """The innermost label of a row: 一、本年新收政府信息公开申请数量, （七）总计."""
        return self.row_name(prefix).split(" · ")[-1]

    def column_name(self, column: str) -> str:
        """The most specific header of a table 三 column: 自然人, 商业企业 … 总计."""
        return self.layout.column_header("applications", column).split(" · ")[-1]

    def header(self, key: str) -> str:
        """The innermost column header of a value cell: 现行有效件数, 结果维持."""
        info = self.layout.cell_info(key)
        return info.column_header.split(" · ")[-1] if info else key

    def row_label(self, key: str) -> str:
        """The row label of a value cell: 规章, 行政规范性文件, 信息处理费收取情况."""
        info = self.layout.cell_info(key)
        return info.row_label if info else key

    def table(self, table_id: str) -> str:
        return self.layout.tables[table_id].name

    def outcome_groups(self) -> str:
        """“（一）予以公开”至“（六）其他处理”: the outcome rows before （七）总计."""
        rows = [prefix for prefix, _ in self.stats.outcome_rows()]
        first = self.row_name(rows[0]).split(" · ")[1]
        last = self.row_name(rows[-1]).split(" · ")[1]
        return f"{first}至{last}"


def _n(value: int | Decimal | None) -> str:
    return "空白" if value is None else str(value)


# ---- T2-1, T3-4, T4-2, FEE-1: every cell present and a valid number ----------------------


def _table_cells(ctx: _Context) -> Iterator[tuple[str, int | Decimal | None, bool]]:
    """(key, value, is_money) for every cell the statistics file gives (totals only if given)."""
    s = ctx.stats
    for name in ("rules", "normative_documents"):
        counts: DocumentCounts = getattr(s.proactive, name)
        for field in DocumentCounts.model_fields:
            yield f"proactive.{name}.{field}", getattr(counts, field), False
    for name in ("licensing", "penalty", "enforcement"):
        yield f"proactive.{name}", getattr(s.proactive, name), False
    yield "proactive.admin_fees_10k_yuan", s.proactive.admin_fees_10k_yuan, True
    for prefix, row in s.applicant_rows():
        if prefix == "applications.results.total" and s.applications.results.total is None:
            continue
        for column in APPLICANT_COLUMNS:
            yield f"{prefix}.{column}", getattr(row, column), False
        if row.total_given:
            yield f"{prefix}.{TOTAL}", row.total, False
    for prefix, block in s.review_blocks():
        for column in REVIEW_COLUMNS:
            yield f"{prefix}.{column}", getattr(block, column), False
        if block.total_given:
            yield f"{prefix}.{TOTAL}", block.total, False
    fees = s.processing_fees
    yield "processing_fees.notices", fees.notices, False
    yield "processing_fees.notified_yuan", fees.notified_yuan, True
    yield "processing_fees.collected_yuan", fees.collected_yuan, True


def _cells(ctx: _Context) -> Iterator[Finding]:
    for key, value, money in _table_cells(ctx):
        if value is None:
            yield Finding(
                "E-CELL-BLANK", "单元格空白：没有数据也应填 0（空白不等于 0）", ctx.at(key)
            )
        elif (
            isinstance(value, bool)
            or not isinstance(value, int | Decimal)
            or value < 0
            or (not money and not isinstance(value, int))
        ):
            kind = "非负金额" if money else "非负整数"
            yield Finding("E-CELL-VALUE", f"单元格应为{kind}，现为 {value!r}", ctx.at(key))


# What a template or an example leaves in a field: 请填写发布机关全称, 待补充, XX局, 0000-0000.
_TEMPLATE_TEXT = re.compile(r"请填写|请在此|待补充|填写说明|编写说明|[X×Ｘ]{2,}|0000-0000|^示例")
_TEXT_FIELDS = (
    ("agency", ()),
    ("profile", ("level",)),
    ("publication", ("site", "url", "column")),
    ("contact", ("office", "address", "postal_code", "phone", "fax", "email")),
    ("cover_letter", ("doc_number", "recipient", "contact_person", "contact_phone", "date")),
    ("scope_change", ()),
)


def _template_text(ctx: _Context) -> Iterator[Finding]:
    """Text a template left in the statistics (drafter init's 请填写发布机关全称, an example's
    XX局): it would go into the report as it is."""
    for key, fields in _TEXT_FIELDS:
        value = getattr(ctx.stats, key)
        items = (
            [(key, value)]
            if not fields
            else [
                (f"{key}.{name}", getattr(value, name, None))
                for name in fields
                if value is not None
            ]
        )
        for path, text in items:
            if isinstance(text, str) and _TEMPLATE_TEXT.search(text):
                yield Finding(
                    "E-STATS-TEMPLATE",
                    f"统计文件中留有模板文字“{text}”：请填写实际内容，它会原样写进报告",
                    ctx.at(path),
                )


def _all_zero(ctx: _Context) -> Iterator[Finding]:
    """A file whose every table cell is still 0, as drafter init wrote it."""
    values = [value for _, value, _ in _table_cells(ctx)]
    if values and all(v == 0 for v in values) and not ctx.stats.facts:
        yield Finding(
            "W-STATS-EMPTY",
            "各表的数全部为 0，像是尚未填写的模板；如确实全年没有发生，请在正文中说明",
            Location(path="表二、表三、表四", file=ctx.stats.source_name),
        )


def _valid(*values: object) -> bool:
    return all(isinstance(v, int | Decimal) and not isinstance(v, bool) for v in values)


# ---- Table 三: T3-1, T3-2, T3-3, T3-5 ----------------------------------------------------

_NEW, _CARRIED, _TOTAL_ROW, _FORWARD = (
    "applications.new_received",
    "applications.carried_over",
    "applications.results.total",
    "applications.carried_forward",
)


def _balance(s: Stats, column: str) -> tuple[int, int] | None:
    """(一 + 二, （七） + 四) in one column; None when a term is blank."""
    terms = [
        s.applications.new_received.value(column),
        s.applications.carried_over.value(column),
        s.results_total().value(column),
        s.applications.carried_forward.value(column),
    ]
    if not _valid(*terms):
        return None
    a, b, c, d = terms
    return a + b, c + d  # type: ignore[operator]


def _outcome(s: Stats, column: str) -> tuple[int, int] | None:
    """(（七）总计, Σ of the 22 outcome rows) in one column; None when a term is blank."""
    total = s.results_total().value(column)
    parts = [row.value(column) for _, row in s.outcome_rows()]
    if not _valid(total, *parts):
        return None
    return total, sum(parts)  # type: ignore[return-value,arg-type]


def _balance_text(ctx: _Context, balance: tuple[int, int]) -> str:
    left = f"{ctx.short_row(_NEW)}与{ctx.short_row(_CARRIED)}之和为 {balance[0]}"
    right = f"{ctx.short_row(_TOTAL_ROW)}与{ctx.short_row(_FORWARD)}之和为 {balance[1]}"
    return f"{left}，{right}，两者应相等（相差 {balance[0] - balance[1]}）"


def _outcome_text(ctx: _Context, outcome: tuple[int, int]) -> str:
    return (
        f"{ctx.short_row(_TOTAL_ROW)}为 {outcome[0]}，但{ctx.outcome_groups()}各项之和为 "
        f"{outcome[1]}（相差 {outcome[0] - outcome[1]}）"
    )


def _table_three(ctx: _Context) -> Iterator[Finding]:
    s = ctx.stats
    residuals: dict[str, dict[str, int]] = {"balance": {}, "outcome": {}}
    for column in APPLICANT_COLUMNS:
        name = ctx.column_name(column)
        balance = _balance(s, column)
        if balance is not None:
            residuals["balance"][column] = balance[0] - balance[1]
            if balance[0] != balance[1]:
                yield Finding(
                    "E-SUM-BALANCE",
                    f"{ctx.table('applications')}“{name}”列：{_balance_text(ctx, balance)}",
                    ctx.column("applications", column),
                )
        outcome = _outcome(s, column)
        if outcome is not None and s.applications.results.total is not None:
            residuals["outcome"][column] = outcome[0] - outcome[1]
            if outcome[0] != outcome[1]:
                yield Finding(
                    "E-SUM-OUTCOME",
                    f"{ctx.table('applications')}“{name}”列：{_outcome_text(ctx, outcome)}",
                    ctx.at(f"{_TOTAL_ROW}.{column}"),
                )
    # T3-3: every row's 总计 is the sum of its applicant columns (only where 总计 is given).
    for prefix, row in s.applicant_rows():
        if not row.total_given:
            continue
        parts = row.parts_sum()
        if row.total is None or parts is None:
            continue
        if row.total != parts:
            yield Finding(
                "E-SUM-ROW",
                f"{ctx.table('applications')}“{ctx.row_name(prefix)}”行："
                f"{ctx.column_name(TOTAL)}为 {row.total}，但各类申请人之和为 {parts}"
                f"（相差 {row.total - parts}）",
                ctx.at(f"{prefix}.{TOTAL}"),
            )
    # T3-5: the same identities in the 总计 column. Reported only when the applicant columns
    # do not already explain the difference, so that an error in a 总计 cell is localised.
    balance = _balance(s, TOTAL)
    explained = sum(residuals["balance"].values())
    if balance is not None and balance[0] != balance[1] and balance[0] - balance[1] != explained:
        yield Finding(
            "E-SUM-TOTAL-COLUMN",
            f"{ctx.table('applications')}“{ctx.column_name(TOTAL)}”列："
            f"{_balance_text(ctx, balance)}，而各申请人列合计相差 {explained}：总计列中的数有误",
            ctx.column("applications", TOTAL),
        )
    outcome = _outcome(s, TOTAL)
    explained = sum(residuals["outcome"].values())
    if (
        outcome is not None
        and s.applications.results.total is not None
        and outcome[0] != outcome[1]
        and outcome[0] - outcome[1] != explained
    ):
        yield Finding(
            "E-SUM-TOTAL-COLUMN",
            f"{ctx.table('applications')}“{ctx.column_name(TOTAL)}”列："
            f"{_outcome_text(ctx, outcome)}，而各申请人列合计相差 {explained}：总计列中的数有误",
            ctx.at(f"{_TOTAL_ROW}.{TOTAL}"),
        )


# ---- Table 四: T4-1 -------------------------------------------------------------------------


def _table_four(ctx: _Context) -> Iterator[Finding]:
    for prefix, block in ctx.stats.review_blocks():
        if not block.total_given or block.total is None:
            continue
        parts = block.parts_sum()
        if parts is not None and parts != block.total:
            results = "、".join(ctx.header(f"{prefix}.{c}") for c in REVIEW_COLUMNS)
            yield Finding(
                "E-SUM-REVIEW",
                f"{ctx.table('review_litigation')}“{ctx.row_name(prefix)}”："
                f"{ctx.header(f'{prefix}.{TOTAL}')}为 {block.total}，但{results}之和为 {parts}"
                f"（相差 {block.total - parts}）",
                ctx.at(f"{prefix}.{TOTAL}"),
            )


# ---- Table 二: T2-2, T2-3 ---------------------------------------------------------------------

_PROVINCIAL = re.compile(r"(省|自治区|^北京市|^天津市|^上海市|^重庆市)人民政府$")
_NO_POWER_GOVERNMENT = re.compile(r"(县|区|旗|乡|镇|苏木)人民政府$|街道办事处$|(乡|镇)$")
_NATIONAL = re.compile(r"^(中华人民共和国|国务院|国家)")


def rulemaking_power(stats: Stats) -> bool | None:
    """Whether the agency may make 规章: as stated in `profile`, else inferred from its name.

    Only State Council departments and provincial and 设区的市 governments make 规章. A name
    ending in 市人民政府 may be a 设区的市 or a county-level city, and national bodies vary,
    so those stay unknown (None); other local departments and lower governments cannot."""
    if stats.profile.rulemaking_power is not None:
        return stats.profile.rulemaking_power
    name = stats.agency.strip()
    if _PROVINCIAL.search(name):
        return True
    if _NATIONAL.search(name) or name.endswith("市人民政府"):
        return None
    if _NO_POWER_GOVERNMENT.search(name):
        return False
    return False


def _figures(ctx: _Context, prefix: str, figures: list[int | None]) -> str:
    """本年制发件数 1、本年废止件数 0、现行有效件数 1."""
    names = [ctx.header(f"{prefix}.{c}") for c in DocumentCounts.model_fields]
    return "、".join(f"{name} {_n(v)}" for name, v in zip(names, figures, strict=True))


def _document_rows(ctx: _Context) -> Iterator[tuple[str, DocumentCounts]]:
    yield "proactive.rules", ctx.stats.proactive.rules
    yield "proactive.normative_documents", ctx.stats.proactive.normative_documents


def _table_two(ctx: _Context) -> Iterator[Finding]:
    s = ctx.stats
    rules = s.proactive.rules
    figures = [rules.issued, rules.repealed, rules.in_force]
    if rulemaking_power(s) is False and any(v for v in figures if v):
        why = (
            "统计文件注明无规章制定权"
            if s.profile.rulemaking_power is False
            else (f"按机关名称“{s.agency}”推断为无规章制定权")
        )
        yield Finding(
            "W-RULES-NO-POWER",
            f"{ctx.table('proactive')}“{ctx.row_label('proactive.rules.issued')}”行填报了 "
            f"{_figures(ctx, 'proactive.rules', figures)}，"
            f"但{why}：规章只能由国务院部门和省、自治区、直辖市、设区的市人民政府制定，"
            "本机关制定的一般是行政规范性文件。如确有规章制定权，请在统计文件中写 "
            "profile: {rulemaking_power: true}",
            ctx.at("proactive.rules.issued"),
        )
    for prefix, counts in _document_rows(ctx):
        if _valid(counts.issued, counts.in_force) and counts.in_force < counts.issued:  # type: ignore[operator]
            yield Finding(
                "W-STOCK-BELOW-ISSUED",
                f"{ctx.table('proactive')}“{ctx.row_label(prefix + '.in_force')}”："
                f"{ctx.header(prefix + '.in_force')} {counts.in_force} 小于"
                f"{ctx.header(prefix + '.issued')} {counts.issued}；只有本年制发的文件当年即已失效"
                "才会如此，请核实",
                ctx.at(f"{prefix}.in_force"),
            )
    if s.year < ctx.layout.from_year:
        yield Finding(
            "W-FORMAT-YEAR",
            f"统计年度 {s.year} 早于 {ctx.layout.basis} 格式的适用年度 {ctx.layout.from_year}："
            "2019、2020年度报告使用国办公开办函〔2019〕60号的试行格式",
            Location(
                path="year", file=s.source_name, line=s.line_of("year"), cell=s.cell_of("year")
            ),
        )


# ---- 信息处理费: FEE-1 … FEE-5 ----------------------------------------------------------------


def _fees(ctx: _Context) -> Iterator[Finding]:
    s = ctx.stats
    fees = s.processing_fees
    notices, notified, collected = fees.notices, fees.notified_yuan, fees.collected_yuan
    table = ctx.table("processing_fees")
    n_notices, n_notified, n_collected = (
        ctx.header(f"processing_fees.{k}") for k in ("notices", "notified_yuan", "collected_yuan")
    )
    if notices == 0 and _valid(notified) and notified:
        yield Finding(
            "E-FEE-WITHOUT-NOTICE",
            f"{table}：{n_notices}为 0，{n_notified}却为 {notified}",
            ctx.at("processing_fees.notified_yuan"),
        )
    if _valid(notified, collected) and collected > notified:  # type: ignore[operator]
        yield Finding(
            "W-FEE-COLLECTED-OVER",
            f"{table}：{n_collected} {collected} 大于{n_notified} {notified}；"
            "只有收取的是上年度通知的费用才可能如此，请核实",
            ctx.at("processing_fees.collected_yuan"),
        )
    for key, amount in (
        ("processing_fees.notified_yuan", notified),
        ("processing_fees.collected_yuan", collected),
    ):
        if _valid(amount) and amount % 10 != 0:  # type: ignore[operator]
            yield Finding(
                "W-FEE-NOT-TENS",
                f"{table}：{ctx.header(key)} {amount} 不是 10 元的整数倍；按件或按量收费的标准"
                "都以 10 元为单位（国办函〔2020〕109号），请核实",
                ctx.at(key),
            )
    unpaid_key = "applications.results.other.fee_unpaid"
    unpaid = s.applications.results.other.fee_unpaid.value(TOTAL)
    if _valid(unpaid, notices) and unpaid > notices:  # type: ignore[operator]
        yield Finding(
            "W-FEE-UNPAID-OVER",
            f"{ctx.table('applications')}“{ctx.row_name(unpaid_key)}”行{ctx.column_name(TOTAL)}"
            f"为 {unpaid}，多于{table}{n_notices} {notices}；除非涉及上年度发出的收费通知，"
            "逾期未缴费的申请不会多于收费通知",
            ctx.at(f"{unpaid_key}.{TOTAL}"),
        )
    admin = s.proactive.admin_fees_10k_yuan
    admin_key = "proactive.admin_fees_10k_yuan"
    for key, amount in (
        ("processing_fees.notified_yuan", notified),
        ("processing_fees.collected_yuan", collected),
    ):
        if _valid(admin, amount) and admin and admin == amount:
            yield Finding(
                "A-FEE-UNITS",
                f"{ctx.table('proactive')}“{ctx.row_label(admin_key)}”{ctx.header(admin_key)}"
                f"与{table}{ctx.header(key)}都是 {amount}：前者以万元计、后者以元计，"
                "同一笔钱的数值应相差一万倍，请确认没有照抄",
                ctx.at(admin_key),
            )
            break


# ---- Facts: N-10 (parts), N-1 (a fact restating a table cell) --------------------------------


def _fact_location(ctx: _Context, index: int, fact: Fact, attribute: str | None = None) -> Location:
    line = ctx.stats.line_at(("facts", index, attribute or "id"))
    cell = ctx.stats.cell_at(("facts", index, attribute or "id"))
    path = f"facts[{index}]({fact.id})" + (f".{attribute}" if attribute else "")
    return Location(
        path=path, table="事实", row=fact.id, file=ctx.stats.source_name, line=line, cell=cell
    )


def _facts(ctx: _Context) -> Iterator[Finding]:
    s = ctx.stats
    by_id = {f.id: f for f in s.facts}
    index = {f.id: i for i, f in enumerate(s.facts)}
    cyclic = _cyclic_facts(by_id)
    for i, fact in enumerate(s.facts):
        if fact.parts:
            yield from _fact_parts(ctx, i, fact, by_id, cyclic)
        if fact.cell is not None:
            yield from _fact_cell(ctx, i, fact)
    for fact_id in sorted(cyclic, key=index.__getitem__):
        fact = by_id[fact_id]
        yield Finding(
            "E-FACT-CYCLE",
            f"事实 {fact_id} 的组成部分直接或间接包含它自己",
            _fact_location(ctx, index[fact_id], fact, "parts"),
        )


def _cyclic_facts(by_id: dict[str, Fact]) -> set[str]:
    cyclic: set[str] = set()
    for start in by_id:
        stack, seen = list(by_id[start].parts), set()
        while stack:
            current = stack.pop()
            if current == start:
                cyclic.add(start)
                break
            if current in seen or current not in by_id:
                continue
            seen.add(current)
            stack.extend(by_id[current].parts)
    return cyclic


def _fact_parts(
    ctx: _Context, i: int, fact: Fact, by_id: dict[str, Fact], cyclic: set[str]
) -> Iterator[Finding]:
    where = _fact_location(ctx, i, fact, "parts")
    missing = [p for p in fact.parts if p not in by_id]
    for part in missing:
        close = [f for f in by_id if f.endswith(part.rsplit(".", 1)[-1])][:1]
        hint = f"（是否应为 {close[0]}？）" if close else ""
        yield Finding("E-FACT-REF", f"事实 {fact.id} 的组成部分 {part} 不存在{hint}", where)
    if missing or fact.id in cyclic:
        return
    parts = [by_id[p] for p in fact.parts]
    units = {p.unit for p in parts if p.unit != fact.unit}
    if units:
        yield Finding(
            "W-FACT-PART-UNIT",
            f"事实 {fact.id}（{fact.value}{fact.unit}）的组成部分使用了不同的单位："
            f"{'、'.join(sorted(units))}",
            where,
        )
    if fact.approx or any(p.approx for p in parts):
        return  # an approximate total cannot be checked against a sum
    total = sum((Decimal(p.value) for p in parts), Decimal(0))
    if total != Decimal(fact.value):
        listed = "＋".join(f"{p.value}" for p in parts)
        yield Finding(
            "E-FACT-PARTS",
            f"{fact.label}为 {fact.value}{fact.unit}，但其组成部分 {listed} ＝ {total}"
            f"（相差 {Decimal(fact.value) - total}）",
            _fact_location(ctx, i, fact, "value"),
        )


def _fact_cell(ctx: _Context, i: int, fact: Fact) -> Iterator[Finding]:
    key = fact.cell or ""
    try:
        actual = ctx.stats.value(key)
    except KeyError:
        yield Finding(
            "E-FACT-REF",
            f"事实 {fact.id} 的 cell: {key} 不是统计表中的单元格",
            _fact_location(ctx, i, fact, "cell"),
        )
        return
    if actual is None:
        return  # the blank cell is reported on its own
    info = ctx.at(key)
    agrees = (
        approx_contains(fact.value, fact.approx, actual)
        if fact.approx
        else Decimal(actual) == Decimal(fact.value)
    )
    if not agrees:
        stated = f"{fact.value}{fact.approx or ''}{fact.unit}"
        yield Finding(
            "E-FACT-CELL",
            f"{fact.label}为 {stated}，但{info.label()}为 {actual}：叙述与表格不一致",
            _fact_location(ctx, i, fact, "value"),
        )


def _note_placeholders(ctx: _Context) -> Iterator[Finding]:
    """Notes may state numbers only through placeholders, and those must name something."""
    from drafter.statistics.quantities import PLACEHOLDER, quantities

    known: dict[str, object] | None = None
    for section, value in ctx.stats.notes.items():
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            names = [m.group(1) for m in PLACEHOLDER.finditer(item)]
            if not names:
                continue
            if known is None:
                known = quantities(ctx.stats, ctx.layout)  # type: ignore[assignment]
            for name in names:
                if name in known:  # type: ignore[operator]
                    continue
                path = ("notes", section) + ((index,) if isinstance(value, list) else ())
                yield Finding(
                    "E-NOTE-REF",
                    f"素材中的 {{{name}}} 不是统计文件中的事实编号，也不是有数值的表格单元格"
                    "（表格单元格写作 {@键路径}）",
                    Location(
                        path=".".join(str(p) for p in path),
                        table="素材",
                        row=section,
                        file=ctx.stats.source_name,
                        line=ctx.stats.line_at(path),
                        cell=ctx.stats.cell_at(path),
                    ),
                )


# ---- Cross-year, X-3 -----------------------------------------------------------------


def _cross_year(ctx: _Context, previous: Stats) -> Iterator[Finding]:
    s = ctx.stats
    if previous.year != s.year - 1:
        yield Finding(
            "W-PREV-YEAR",
            f"作为上年数据提供的统计文件是 {previous.year} 年度的，本报告是 {s.year} 年度",
            Location(
                path="year",
                file=previous.source_name,
                line=previous.line_of("year"),
                cell=previous.cell_of("year"),
            ),
        )
    # this year's 上年结转 is last year's 结转下年度继续办理, column by column.
    for column in (*APPLICANT_COLUMNS, TOTAL):
        this = s.applications.carried_over.value(column)
        last = previous.applications.carried_forward.value(column)
        if not _valid(this, last) or this == last:
            continue
        name = ctx.column_name(column)
        base = (
            f"{ctx.table('applications')}“{ctx.short_row(_CARRIED)}”{name}为 {this}，"
            f"但上年报告“{ctx.short_row(_FORWARD)}”{name}为 {last}"
        )
        if s.scope_change:
            yield Finding(
                "W-CARRY-OVER-SCOPE",
                f"{base}；已说明口径变化：{s.scope_change}",
                ctx.at(f"applications.carried_over.{column}"),
            )
        else:
            yield Finding(
                "E-CARRY-OVER",
                f"{base}。如因机构改革、职能划转等口径变化，请在统计文件的 scope_change 中说明",
                ctx.at(f"applications.carried_over.{column}"),
            )
    # stock of documents ≈ last year's stock + issued − repealed.
    for prefix, counts in _document_rows(ctx):
        last = getattr(previous.proactive, prefix.split(".")[1]).in_force
        if not _valid(last, counts.issued, counts.repealed, counts.in_force):
            continue
        expected = last + counts.issued - counts.repealed  # type: ignore[operator]
        residual = counts.in_force - expected  # type: ignore[operator]
        if residual == 0:
            continue
        in_force, issued, repealed = (
            ctx.header(f"{prefix}.{c}") for c in ("in_force", "issued", "repealed")
        )
        message = (
            f"{ctx.table('proactive')}“{ctx.row_label(prefix + '.in_force')}”：{in_force} "
            f"{counts.in_force}，而上年{in_force} {last} ＋ {issued} {counts.issued} － "
            f"{repealed} {counts.repealed} ＝ {expected}，相差 {residual:+d}。"
            "文件到期自动失效、修改计为制发、集中清理或机构改革都会造成差异"
        )
        big = abs(residual) > STOCK_DRIFT_SHARE * max(last, 1)
        yield Finding(
            "W-STOCK-DRIFT" if big else "A-STOCK-DRIFT",
            message + ("，差异较大，请在报告中说明原因" if big else ""),
            ctx.at(f"{prefix}.in_force"),
        )
    # a body that reported no 规章 last year and has no known power should not start now.
    last_rules = previous.proactive.rules
    last_figures = [last_rules.issued, last_rules.repealed, last_rules.in_force]
    rules = s.proactive.rules
    figures = [rules.issued, rules.repealed, rules.in_force]
    if (
        all(v == 0 for v in last_figures)
        and any(v for v in figures if v)
        and rulemaking_power(s) is not True
    ):
        rules_row = ctx.row_label("proactive.rules.issued")
        normative_row = ctx.row_label("proactive.normative_documents.issued")
        yield Finding(
            "W-RULES-NO-POWER-PREV",
            f"上年报告“{rules_row}”行均为 0，今年为 {_figures(ctx, 'proactive.rules', figures)}："
            f"请确认本机关确有规章制定权，而不是把{normative_row}填进了{rules_row}行",
            ctx.at("proactive.rules.issued"),
        )


# ---- Contact block: the postal code fits the city (docs/format.md §2.2, a seed deviation) ----


@cache
def _postal_data() -> dict[str, Any]:
    return read_trusted_yaml(structured_dir() / "reference" / "postal-codes.yaml")


def _named_places(text: str, places: dict[str, Any], ambiguous: set[str]) -> list[tuple[int, str]]:
    """(position, short name) of every place named in `text` by its full name, or by its
    short name when that is not ambiguous (朝阳 is also a district of Beijing)."""
    found = []
    for short, entry in places.items():
        position = text.find(entry["full"])
        if position < 0 and short not in ambiguous and len(short) >= 2:
            position = text.find(short)
        if position >= 0:
            found.append((position, short))
    return sorted(found)


def _postal_code(ctx: _Context) -> Iterator[Finding]:
    contact = ctx.stats.contact
    code = (contact.postal_code or "").strip()
    if not code:
        return
    where = Location(
        path="contact.postal_code",
        row="前言 · 联系方式 · 邮政编码",
        file=ctx.stats.source_name,
        line=ctx.stats.line_of("contact.postal_code"),
        cell=ctx.stats.cell_of("contact.postal_code"),
    )
    if not re.fullmatch(r"\d{6}", code):
        yield Finding("W-CONTACT-POSTCODE", f"邮政编码应为6位数字，现为“{code}”", where)
        return
    data = _postal_data()
    cities, provinces = data["cities"], data["provinces"]
    ambiguous = set(data.get("ambiguous_short_names", []))
    texts = [ctx.stats.agency, contact.address or ""]
    city = next((c for t in texts for _, c in _named_places(t, cities, ambiguous)[:1]), None)
    if city is not None:
        entry = cities[city]
        if not code.startswith(tuple(entry["prefixes"])):
            owners = [
                cities[c]["full"]
                for c in cities
                if c != city and code.startswith(tuple(cities[c]["prefixes"]))
            ]
            owner = f"（{code[:3]} 开头的是{'、'.join(owners)}的邮编）" if len(owners) == 1 else ""
            yield Finding(
                "W-CONTACT-POSTCODE",
                f"邮政编码 {code} 与{entry['full']}不符：{entry['full']}的邮政编码以 "
                f"{'、'.join(entry['prefixes'])} 开头{owner}",
                where,
            )
        return
    province = next((p for t in texts for _, p in _named_places(t, provinces, ambiguous)[:1]), None)
    if province is not None:
        entry = provinces[province]
        prefixes = tuple(entry["prefixes"]) + tuple(entry.get("extra", ()))
        if not code.startswith(prefixes):
            yield Finding(
                "W-CONTACT-POSTCODE",
                f"邮政编码 {code} 与{entry['full']}不符：{entry['full']}的邮政编码以 "
                f"{'、'.join(entry['prefixes'])} 开头",
                where,
            )
