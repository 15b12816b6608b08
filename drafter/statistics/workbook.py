"""The statistics file as an Excel workbook: written from the layout, read back by label.

Clerks keep their figures in Excel or WPS 表格. `workbook_bytes` lays the official tables out
as the layout data describes them (every label, every merged cell, one sheet per table:
二、三、四、信息处理费), with 基本信息, 事实, 素材 and 说明 sheets beside them. Input cells
are unlocked and validated, labels are locked (sheet protection without a password), totals
are formulas.

`read_workbook` turns a workbook back into the plain data a YAML statistics file parses into,
plus the cell of every key (`三!D7`), so that `drafter check` can point at cells. It reads by
label, never by position (drafter.read.tables), so a clerk may insert blank rows or columns.
Formulas are taken from their cached results when the file was saved by a spreadsheet program;
a file never opened in one (openpyxl writes no results) is recomputed by a small evaluator
that knows SUM, + and -, cell references and numbers, and refuses anything else by cell.

A .xlsx file is a zip of XML from an untrusted source. Before openpyxl opens it, every member
is decompressed within drafter.limits (real sizes, CRCs checked) and its XML scanned: a DTD or
entity declaration is refused (defusedxml, which openpyxl uses, refuses what slips past), and
so are more cells, rows and merged or linked cells than a statistics workbook holds (openpyxl
builds a Python object for each: a million rows, or one mergeCell over a whole sheet, would
take minutes and gigabytes). The formula evaluator is bounded in nesting, chain depth, work and
the magnitude of its numbers.

openpyxl is imported inside the functions only: `drafter check stats.yaml` never loads it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import math
import re
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from drafter.errors import InputError, Problem
from drafter.formats import DEFAULT_LAYOUT, Layout, Table, layout_ids, load_layout
from drafter.limits import (
    MAX_FORMULA_DEPTH,
    MAX_FORMULA_LENGTH,
    MAX_FORMULA_NUMBER,
    MAX_FORMULA_RANGE,
    MAX_FORMULA_WORK,
    MAX_NUMBER_DIGITS,
    MAX_SHEET_GRID,
    MAX_WORKBOOK_BYTES,
    MAX_WORKBOOK_ELEMENTS,
    WORKBOOK_LIMITS,
    SafeZip,
    open_zip,
    read_bytes_limited,
    read_member,
)
from drafter.read.tables import Grid, normalise, read_table
from drafter.statistics.stats import (
    APPLICANT_COLUMNS,
    TOTAL,
    Applications,
    Contact,
    CoverLetter,
    Fact,
    Proactive,
    ProcessingFees,
    ReviewLitigation,
    SectionId,
    Stats,
    clip,
)
from drafter.yamlsource import PathKey

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Alignment
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.worksheet import Worksheet

INFO_SHEET = "基本信息"
FACTS_SHEET = "事实"
NOTES_SHEET = "素材"
HELP_SHEET = "说明"

EXCEL_TEXT = 32767  # characters in one cell (what drafter writes)

TOP = 2  # rows above each table: the title and a short instruction
PORTRAIT_WIDTH = 100  # column units an A4 portrait page holds at full size; wider tables turn

TABLE_FONT = "宋体"
TITLE_FONT = "黑体"
NOTE_FONT = "仿宋"
SIZE = 10.5  # 五号
INPUT_FILL = "FFF8DC"  # pale yellow: type here
TOTAL_FILL = "E7E6E6"  # grey: a formula
HEAD_FILL = "F2F2F2"
LINE = 14.0  # points per line of 10.5 pt text

_INSTRUCTION = (
    "浅黄色单元格填写数字：没有发生的事项填 0，不要留空（空白不等于 0，检查时报告）；"
    "灰色单元格是公式，自动计算。行名、列名已锁定（工作表保护没有密码），可以插入空行、空列。"
)

# 基本信息: (分类, key path). The item's label and help come from the model's descriptions.
_INFO: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("报告", ("format",)),
    ("报告", ("agency",)),
    ("报告", ("year",)),
    ("机关性质", ("profile", "level")),
    ("机关性质", ("profile", "rulemaking_power")),
    ("机关性质", ("profile", "self_name")),
    ("发布网站", ("publication", "site")),
    ("发布网站", ("publication", "url")),
    ("发布网站", ("publication", "column")),
    *(("联系方式", ("contact", name)) for name in Contact.model_fields),
    *(("报送函（可选）", ("cover_letter", name)) for name in CoverLetter.model_fields),
    ("口径变化（可选）", ("scope_change",)),
)
_INFO_HEADER = ("分类", "项目", "填写内容", "说明")
_YES, _NO = "是", "否"

_FACT_KEYS: tuple[str, ...] = tuple(Fact.model_fields)  # id label value unit section parts …
# The 事实 sheet's columns as written: what every row needs first, the optional after; each with
# its Chinese header (read by either the header or the key below it, in any order).
_FACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("label", "名称"),
    ("value", "数值"),
    ("unit", "单位"),
    ("section", "所属部分"),
    ("approx", "近似说法\n（可选）"),
    ("id", "编号（可不填）"),
    ("parts", "组成部分（可选）"),
    ("cell", "对应表格单元格（可选）"),
)
_FACT_WIDTHS = {"label": 40, "value": 10, "unit": 8, "section": 28, "approx": 12, "id": 36}
_FACT_WIDTHS |= {"parts": 36, "cell": 40}
_NOTE_KEYS = ("section", "text")
_NOTE_COLUMNS: tuple[tuple[str, str], ...] = (("section", "部分"), ("text", "素材"))
_SECTIONS: tuple[str, ...] = get_args(SectionId)
FACT_ROWS = 200  # input rows styled and validated on 事实 and 素材 (at least; more when filled)
_UNITS = ("条", "件", "份", "期", "次", "个", "场", "人次", "万元", "元", "%")


# ---- key paths and the model ------------------------------------------------------------


def sheet_name(table: Table) -> str:
    """The sheet of an official table: 表三 → 三; 信息处理费 stays."""
    return table.name.removeprefix("表") or table.id


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None


def _owner(path: tuple[str, ...]) -> tuple[type[BaseModel], str, FieldInfo]:
    """The model class holding the field a key path names, the field's name and info."""
    model: type[BaseModel] = Stats
    for name in path[:-1]:
        inner = _inner_model(model.model_fields[name].annotation)
        if inner is None:
            raise KeyError(".".join(path))
        model = inner
    return model, path[-1], model.model_fields[path[-1]]


def _is_money(key: str) -> bool:
    _, _, info = _owner(tuple(key.split(".")))
    return Decimal in get_args(info.annotation)


def _describe(info: FieldInfo) -> tuple[str, str]:
    """(label, help) from a field description: 统计年度（统计期限为…） → 统计年度, 统计期限为…"""
    text = info.description or ""
    match = re.search(r"[，：；（]", text)
    if match is None:
        return text, ""
    rest = text[match.end() :].strip()
    if match.group() == "（" and rest.endswith("）"):
        rest = rest[:-1]
    return text[: match.start()].strip(), rest


@cache
def _outcome_prefixes() -> tuple[str, ...]:
    """The 22 rows of 三、本年度办理结果 before （七）总计 (Stats knows their order)."""
    blank = _blank_stats(load_layout(DEFAULT_LAYOUT), None, 2000)
    return tuple(prefix for prefix, _ in blank.outcome_rows())


def _blank_stats(layout: Layout, agency: str | None, year: int | None) -> Stats:
    from drafter.statistics.template import PLACEHOLDER_AGENCY

    return Stats(
        format=layout.id,
        agency=agency or PLACEHOLDER_AGENCY,
        year=year or _dt.date.today().year - 1,
        proactive=Proactive(),
        applications=Applications(),
        review_litigation=ReviewLitigation(),
        processing_fees=ProcessingFees(),
    )


def part_names(layout: Layout) -> dict[str, str]:
    """Section id → the Chinese name a clerk picks for a fact or a note in this layout:
    overall.proactive → （一）主动公开, problems → 存在的主要问题及改进情况. A part's number
    is left off where it differs between layouts (五、 or 六、存在的主要问题…)."""
    names: dict[str, str] = {}
    for section in layout.sections:
        names[section.id] = section.title
        for sub in section.subsections:
            names[sub.id] = sub.heading
    return {s: names.get(s, s) for s in _SECTIONS}


# A part's number in front of its name: （一） (一) 一、 1. 六．
_PART_NUMBER = re.compile(r"^(?:（[一二三四五六七八九十\d]+）|[一二三四五六七八九十\d]+[、.])")


def _part_key(text: str) -> str:
    """A part's name as compared: no spaces, one form of brackets, no number, no 方面, and
    codes in lower case (（一）主动公开方面, (一) 主动公开, 主动公开 and 一、主动公开 are one)."""
    key = _PART_NUMBER.sub("", normalise(text))
    return key.removesuffix("方面").lower()


@cache
def _part_lookup() -> dict[str, str]:
    """Every name a part may be written by → its section id: the code (overall.proactive),
    and the title, heading and aliases of the part in every layout."""
    lookup = {_part_key(s): s for s in _SECTIONS}
    for layout_id in layout_ids():
        for section in load_layout(layout_id).sections:
            names = [(section.id, n) for n in (section.title, section.heading, *section.aliases)]
            names += [(sub.id, n) for sub in section.subsections for n in (sub.title, sub.heading)]
            for section_id, name in names:
                if section_id in _SECTIONS:
                    lookup.setdefault(_part_key(name), section_id)
    return lookup


# ---- writing ------------------------------------------------------------------------------


def _width(text: str) -> float:
    """Display width in Excel column units (a CJK character is about two)."""
    return sum(2.0 if unicodedata.east_asian_width(ch) in "WF" else 1.1 for ch in text)


def _lines(text: str, width: float) -> int:
    usable = max(2.0, width - 1.5)
    return sum(max(1, math.ceil(_width(part) / usable)) for part in text.split("\n"))


def _column_widths(table: Table) -> list[float]:
    """Excel column widths: the layout's relative widths when it has them, widened so that a
    short label (（三）不予公开, 结果维持) keeps to one line."""
    if table.widths:
        scale = max(60.0, 14.0 * table.columns) / sum(table.widths)
        widths = [max(6.0, round(w * scale, 1)) for w in table.widths]
    else:
        widths = [10.0] * table.columns
    for p in table.placed:
        text = p.cell.text
        if text and p.cell.colspan == 1 and len(text) <= 8:
            widths[p.col] = max(widths[p.col], min(18.0, round(_width(text) + 2, 1)))
    return widths


def _page(ws: Worksheet, *, landscape: bool, one_page: bool) -> None:
    """A4, as wide as the page; a table on one page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _clean(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)[:EXCEL_TEXT]


def _put_text(cell: Cell, text: str) -> None:
    """Text stays text, even when it starts with = (never a formula from data)."""
    cell.value = _clean(text)
    cell.data_type = "s"


def _put_number(cell: Cell, value: int | Decimal | None) -> None:
    """A number as a number; an amount a spreadsheet's float cannot hold exactly (more than
    15 significant digits) as its text, which reads back exactly."""
    if isinstance(value, Decimal) and Decimal(repr(float(value))) != value:
        _put_text(cell, format(value, "f"))
    else:
        cell.value = value


class _Styles:
    """The few styles of the workbook, made once."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side

        thin = Side(style="thin", color="000000")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.font = Font(name=TABLE_FONT, size=SIZE)
        self.bold = Font(name=TABLE_FONT, size=SIZE, bold=True)
        self.title = Font(name=TITLE_FONT, size=14)
        self.note = Font(name=NOTE_FONT, size=SIZE, color="404040")
        self.key = Font(name="Consolas", size=9, color="808080")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.left = Alignment(horizontal="left", vertical="center", wrap_text=True)
        self.top_left = Alignment(horizontal="left", vertical="top", wrap_text=True)
        self.input = PatternFill("solid", fgColor=INPUT_FILL)
        self.total = PatternFill("solid", fgColor=TOTAL_FILL)
        self.head = PatternFill("solid", fgColor=HEAD_FILL)
        self.unlocked = Protection(locked=False)


def _protect(ws: Worksheet) -> None:
    """Labels locked, no password; rows and columns may still be inserted and resized."""
    ws.protection.sheet = True
    ws.protection.insertRows = False
    ws.protection.insertColumns = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.formatCells = False


def _validation(kind: str) -> DataValidation:
    from openpyxl.worksheet.datavalidation import DataValidation

    if kind == "count":
        return DataValidation(
            type="whole",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="需要非负整数",
            error="请填写 0 或正整数（件数）；没有发生的事项填 0。",
            showInputMessage=False,
        )
    return DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="需要非负金额",
        error="请填写 0 或正数金额（万元可到小数点后六位，元最多两位小数）。",
        showInputMessage=False,
    )


def _list_validation(items: list[str], *, strict: bool, title: str) -> DataValidation:
    """A drop-down list (Excel allows 255 characters of them: a longer list is left out)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    choices = ",".join(items)
    return DataValidation(
        type="list",
        formula1=f'"{choices}"' if len(choices) <= 255 else None,
        allow_blank=True,
        showErrorMessage=strict,
        errorTitle=title,
        error="请从下拉列表中选择。",
    )


def _add_validations(ws: Worksheet, *checks: DataValidation) -> None:
    """Only validations that apply to some cell and have a rule (Excel rejects others)."""
    for check in checks:
        if check.sqref.ranges and check.formula1 is not None:
            ws.add_data_validation(check)


def _heading_rows(ws: Worksheet, st: _Styles, title: str, note: str, columns: int) -> None:
    """Row 1: the title; row 2: a short instruction, both across the table's width."""
    _put_text(ws.cell(1, 1), title)
    ws.cell(1, 1).font, ws.cell(1, 1).alignment = st.title, st.left
    _put_text(ws.cell(2, 1), note)
    ws.cell(2, 1).font, ws.cell(2, 1).alignment = st.note, st.top_left
    if columns > 1:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=columns)
    width = sum(ws.column_dimensions[_letter(c)].width or 10 for c in range(1, columns + 1))
    ws.row_dimensions[1].height = 26
    ws.row_dimensions[2].height = LINE * _lines(note, width) + 4


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _ref(row: int, col: int) -> str:
    return f"{_letter(col)}{row}"


def _sum(cells: list[tuple[int, int]]) -> str:
    """=SUM(D5:I5) for a run of cells in one row or column, =SUM(D5,F5) otherwise."""
    rows = {r for r, _ in cells}
    cols = {c for _, c in cells}
    ordered = sorted(cells)
    run = (len(rows) == 1 and max(cols) - min(cols) == len(cells) - 1) or (
        len(cols) == 1 and max(rows) - min(rows) == len(cells) - 1
    )
    if run and len(cells) > 1:
        return f"=SUM({_ref(*ordered[0])}:{_ref(*ordered[-1])})"
    return "=SUM(" + ",".join(_ref(*c) for c in ordered) + ")"


def _stored(stats: Stats, key: str) -> Any:
    """The value the statistics store at a key (a total not given is None)."""
    node: Any = stats
    for name in key.split("."):
        if node is None:
            return None
        node = getattr(node, name)
    return node


def _formulas(table: Table, where: dict[str, tuple[int, int]]) -> dict[str, str]:
    """The formula of every total cell: a row's 总计 sums its cells, （七）总计 sums the
    outcome rows column by column."""
    formulas: dict[str, str] = {}
    outcomes = _outcome_prefixes()
    results_total = "applications.results.total"
    for key in where:
        prefix, column = key.rsplit(".", 1)
        model = _inner_model(_owner(tuple(prefix.split(".")))[2].annotation)
        parts: list[str] = list(getattr(model, "PARTS", ()))
        if column == TOTAL and parts:
            cells = [where[f"{prefix}.{p}"] for p in parts if f"{prefix}.{p}" in where]
            if len(cells) == len(parts):
                formulas[key] = _sum(cells)
        elif prefix == results_total and column in APPLICANT_COLUMNS:
            cells = [where[f"{o}.{column}"] for o in outcomes if f"{o}.{column}" in where]
            if len(cells) == len(outcomes):
                formulas[key] = _sum(cells)
    return formulas


def _total_agrees(stats: Stats, key: str) -> bool:
    """Whether the statistics' total at `key` is what its formula computes (or is derived)."""
    prefix, column = key.rsplit(".", 1)
    if prefix == "applications.results.total":
        given = stats.applications.results.total
        if given is None:
            return True
        if column == TOTAL:
            return not given.total_given or given.total == given.parts_sum()
        values = [row.value(column) for _, row in stats.outcome_rows()]
        derived = None if None in values else sum(v for v in values if v is not None)
        return getattr(given, column) is not None and getattr(given, column) == derived
    row = _stored(stats, prefix)
    return not row.total_given or (row.total is not None and row.total == row.parts_sum())


def _table_sheet(wb: Workbook, layout: Layout, table: Table, stats: Stats, st: _Styles) -> None:
    ws = wb.create_sheet(sheet_name(table))
    widths = _column_widths(table)
    for c, w in enumerate(widths, start=1):
        ws.column_dimensions[_letter(c)].width = w
    section = next((s for s in layout.sections if s.table == table.id), None)
    _heading_rows(ws, st, section.heading if section else table.name, _INSTRUCTION, table.columns)

    where = {
        p.cell.key: (TOP + p.row + 1, p.col + 1) for p in table.placed if p.cell.key is not None
    }
    formulas = _formulas(table, where)
    checks = {"count": _validation("count"), "money": _validation("money")}
    heights = [LINE + 6] * len(table.rows)
    for p in table.placed:
        row, col = TOP + p.row + 1, p.col + 1
        for dr in range(p.cell.rowspan):
            for dc in range(p.cell.colspan):
                ws.cell(row + dr, col + dc).border = st.border
        cell = ws.cell(row, col)
        cell.font = st.font
        if p.cell.key is not None:
            key = p.cell.key
            money = _is_money(key)
            formula = formulas.get(key)
            if formula is not None and _total_agrees(stats, key):
                cell.value = formula
                cell.fill = st.total
            else:
                _put_number(cell, _stored(stats, key))  # None stays blank, 0 is written as 0
                cell.fill = st.total if formula is not None else st.input
            cell.number_format = "General" if money else "0"
            cell.alignment = st.center
            cell.protection = st.unlocked
            checks["money" if money else "count"].add(cell)
        else:
            text = p.cell.text or ""
            _put_text(cell, text)
            if p.cell.role == "label":
                cell.alignment = st.left
            else:
                cell.alignment = st.center
                cell.fill = st.head
            if p.cell.role == "caption":
                cell.font = st.bold
                cell.alignment = st.left
            if p.cell.rowspan == 1:
                span = sum(widths[p.col : p.col + p.cell.colspan])
                heights[p.row] = max(heights[p.row], LINE * _lines(text, span) + 6)
        if p.cell.rowspan > 1 or p.cell.colspan > 1:
            ws.merge_cells(
                start_row=row,
                start_column=col,
                end_row=row + p.cell.rowspan - 1,
                end_column=col + p.cell.colspan - 1,
            )
    for r, height in enumerate(heights):
        ws.row_dimensions[TOP + r + 1].height = height
    _add_validations(ws, *checks.values())
    first_value_col = min(c for _, c in where.values())
    if table.header_rows:
        ws.freeze_panes = _ref(TOP + table.header_rows + 1, first_value_col)
    _page(ws, landscape=sum(widths) > PORTRAIT_WIDTH, one_page=True)
    ws.print_options.horizontalCentered = True
    _protect(ws)


def _info_sheet(
    wb: Workbook, stats: Stats, agency: str | None, year: int | None, st: _Styles
) -> None:
    ws = wb.create_sheet(INFO_SHEET)
    for letter, width in zip("ABCD", (16, 20, 44, 52), strict=True):
        ws.column_dimensions[letter].width = width
    _heading_rows(
        ws,
        st,
        "基本信息",
        "填写发布机关、统计年度和前言用到的信息；浅黄色单元格可以填写，不需要的可选项留空。",
        4,
    )
    header_row = TOP + 1
    for c, text in enumerate(_INFO_HEADER, start=1):
        cell = ws.cell(header_row, c)
        _put_text(cell, text)
        cell.font, cell.alignment, cell.fill, cell.border = st.bold, st.center, st.head, st.border
    layouts = layout_ids()
    choose_layout = _list_validation(layouts, strict=True, title="版式")
    yes_no = _list_validation([_YES, _NO], strict=True, title="是否有规章制定权")
    year_check = _validation("count")
    year_check.operator, year_check.formula1, year_check.formula2 = "between", "1990", "2100"
    year_check.error = "请填写四位数的统计年度，如 2024。"
    group_start = header_row + 1
    for i, (group, path) in enumerate(_INFO):
        row = header_row + 1 + i
        label, help_text = _describe(_owner(path)[2])
        if path == ("format",):
            help_text = "可选：" + "；".join(f"{lid}（{load_layout(lid).name}）" for lid in layouts)
        elif path[-1] == "rulemaking_power":
            help_text = f"填“{_YES}”或“{_NO}”；{help_text}"
        for c, text in ((1, group), (2, label), (4, help_text)):
            cell = ws.cell(row, c)
            _put_text(cell, text)
            cell.font, cell.border = st.font, st.border
            cell.alignment = st.center if c == 1 else st.left
        cell = ws.cell(row, 3)
        value = _stored(stats, ".".join(path))
        if path == ("agency",) and agency:
            value = agency
        if path == ("year",) and year:
            value = year
        if isinstance(value, bool):
            value = _YES if value else _NO
        if isinstance(value, str):
            _put_text(cell, value)
        else:
            cell.value = value
        _input_cell(cell, st, text=path != ("year",))  # 邮政编码, 电话 typed as digits stay text
        if path == ("format",):
            choose_layout.add(cell)
        elif path[-1] == "rulemaking_power":
            yes_no.add(cell)
        elif path == ("year",):
            year_check.add(cell)
        lines = max(_lines(label, 20), _lines(help_text, 52), _lines(str(value or ""), 44))
        ws.row_dimensions[row].height = LINE * lines + 6
        last = i == len(_INFO) - 1 or _INFO[i + 1][0] != group
        if last:
            if row > group_start:
                ws.merge_cells(start_row=group_start, start_column=1, end_row=row, end_column=1)
            group_start = row + 1
    _add_validations(ws, choose_layout, yes_no, year_check)
    _page(ws, landscape=True, one_page=False)
    _protect(ws)


def _keyed_header(ws: Worksheet, st: _Styles, columns: tuple[tuple[str, str], ...]) -> None:
    """Two header rows: the Chinese name of each column, then its key in small grey type
    (read by either; a clerk may delete the row of keys)."""
    for c, (key, label) in enumerate(columns, start=1):
        cell = ws.cell(TOP + 1, c)
        _put_text(cell, label)
        cell.font, cell.alignment, cell.fill, cell.border = st.bold, st.center, st.head, st.border
        cell = ws.cell(TOP + 2, c)
        _put_text(cell, key)
        cell.font, cell.alignment, cell.fill, cell.border = st.key, st.center, st.head, st.border
    lines = max(
        _lines(label, ws.column_dimensions[_letter(c)].width or 10)
        for c, (_, label) in enumerate(columns, start=1)
    )
    ws.row_dimensions[TOP + 1].height = LINE * lines + 8
    ws.freeze_panes = _ref(TOP + 3, 2)  # the headers, and the first column (名称, 部分)


def _input_cell(cell: Cell, st: _Styles, *, text: bool, alignment: Alignment | None = None) -> None:
    """The look of a cell to fill in, as on the tables: pale yellow, framed, unlocked."""
    cell.font, cell.border, cell.fill = st.font, st.border, st.input
    cell.alignment = alignment or st.left
    cell.protection = st.unlocked
    if text:
        cell.number_format = "@"  # typed digits (an id, a list of ids) stay text


def _facts_sheet(wb: Workbook, layout: Layout, stats: Stats, st: _Styles) -> None:
    ws = wb.create_sheet(FACTS_SHEET)
    keys = [key for key, _ in _FACT_COLUMNS]
    for c, key in enumerate(keys, start=1):
        ws.column_dimensions[_letter(c)].width = _FACT_WIDTHS[key]
    names = part_names(layout)
    _heading_rows(
        ws,
        st,
        "事实：正文中陈述的数",
        "每行一个数：填名称、数值、单位，所属部分从下拉列表中选择（如“"
        + names["overall.proactive"]
        + "”）。编号可以不填，读取时按名称自动编号；要在素材中用 {编号} 引用这个数，或在"
        "“组成部分”中列出它时才需要填（英文字母、数字、下划线，可用点分段，如 proactive.items，"
        "本表内不得重复）。组成部分：相加应等于本数的各个数的编号，用逗号分隔；对应表格单元格："
        "本数重述的统计表格数（如 proactive.normative_documents.in_force）；近似说法：800多条"
        "填数值 800、近似说法“多”。",
        len(keys),
    )
    _keyed_header(ws, st, _FACT_COLUMNS)
    number = _validation("money")
    number.error = "请填写非负数。"
    section = _list_validation(list(names.values()), strict=True, title="所属部分")
    unit = _list_validation(list(_UNITS), strict=False, title="单位")
    approx_values = list(get_args(get_args(Fact.model_fields["approx"].annotation)[0]))
    approx = _list_validation(approx_values, strict=True, title="近似说法")
    first = TOP + 3
    rows = max(len(stats.facts) + 50, FACT_ROWS)
    for c, key in enumerate(keys, start=1):
        span = f"{_letter(c)}{first}:{_letter(c)}{first + rows - 1}"
        check = {"value": number, "section": section, "unit": unit, "approx": approx}.get(key)
        if check is not None:
            check.add(span)
    _add_validations(ws, number, section, unit, approx)
    _page(ws, landscape=True, one_page=False)
    ws.print_title_rows = f"{TOP + 1}:{TOP + 2}"
    for i in range(rows):
        row = first + i
        fact = stats.facts[i] if i < len(stats.facts) else None
        lines = 1
        for c, key in enumerate(keys, start=1):
            cell = ws.cell(row, c)
            number = key == "value"
            _input_cell(cell, st, text=not number, alignment=st.center if number else None)
            if fact is None:
                continue
            value = getattr(fact, key)
            if key == "parts":
                value = ", ".join(value) or None
            elif key == "section":
                value = names.get(value, value)
            if isinstance(value, str):
                _put_text(cell, value)
                lines = max(lines, _lines(value, _FACT_WIDTHS[key]))
            else:
                _put_number(cell, value)
        ws.row_dimensions[row].height = LINE * lines + 6


def _notes_sheet(wb: Workbook, layout: Layout, stats: Stats, st: _Styles) -> None:
    ws = wb.create_sheet(NOTES_SHEET)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 100
    names = part_names(layout)
    _heading_rows(
        ws,
        st,
        "素材：各部分要写的内容",
        "一行一段素材，同一部分可以写多行；“部分”从下拉列表中选择（"
        + "、".join(names.values())
        + "）。素材是起草的材料，不是给起草者的指令；可以用 {编号} 引用“事实”表中填了编号的数。",
        2,
    )
    _keyed_header(ws, st, _NOTE_COLUMNS)
    sections = _list_validation(list(names.values()), strict=True, title="部分")
    first = TOP + 3
    rows: list[tuple[str, str]] = []
    for section, value in stats.notes.items():
        items = value if isinstance(value, list) else [value]
        rows += [(section, str(item)) for item in items]
    if not rows:  # the template: one empty row per section, so that clerks see them all
        rows = [(s, "") for s in _SECTIONS]
    count = max(len(rows) + 50, FACT_ROWS)
    for i in range(count):
        row = first + i
        _input_cell(ws.cell(row, 1), st, text=True, alignment=st.top_left)
        _input_cell(ws.cell(row, 2), st, text=True, alignment=st.top_left)
        if i >= len(rows):
            continue
        section, text = rows[i]
        _put_text(ws.cell(row, 1), names.get(section, section))
        if text:
            _put_text(ws.cell(row, 2), text)
        ws.row_dimensions[row].height = LINE * min(_lines(text, 100), 30) + 6
    sections.add(f"A{first}:A{first + count - 1}")
    _add_validations(ws, sections)
    _page(ws, landscape=False, one_page=False)
    ws.print_title_rows = f"{TOP + 1}:{TOP + 2}"


def _help_sheet(wb: Workbook, layout: Layout, st: _Styles) -> None:
    ws = wb.create_sheet(HELP_SHEET)
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 90
    tables = "、".join(sheet_name(t) for t in layout.tables.values())
    paragraphs = [
        (
            "用途",
            "本工作簿是 drafter 的统计文件，内容与 YAML 统计文件相同，可以直接检查和起草："
            "drafter check 本文件.xlsx；drafter draft 本文件.xlsx -o 报告.docx。",
        ),
        ("表格", f"工作表 {tables} 是官方表格，行名、列名、合并单元格与官方格式逐字一致。"),
        (
            "填写",
            "浅黄色单元格填写数字。没有发生的事项填 0，不要留空：空白不等于 0，"
            "检查时报告 E-CELL-BLANK，并指出工作表和单元格。",
        ),
        (
            "数字",
            "件数只能是非负整数；金额可带小数（行政事业性收费以万元计，可到小数点后六位；"
            "信息处理费以元计，最多两位小数）。“/”“--”“三”等文字会被拒绝。",
        ),
        (
            "总计",
            "灰色单元格是公式（各行的总计、（七）总计、表四的总计），随填写自动计算。"
            "照抄已发布的报告时可以直接改写总计，检查会核对它是否等于各项之和。",
        ),
        (
            "插入行列",
            "读取时按行名和列名查找，不按位置：可以插入空行、空列（例如写备注）。"
            "行名、列名已锁定（工作表保护，没有密码）；请不要改动。",
        ),
        ("基本信息", "版式、发布机关、统计年度必填；机关性质、发布网站、联系方式、报送函可选。"),
        (
            "事实",
            "正文中陈述的每一个数一行：名称、数值、单位、所属部分必填；近似说法、编号、"
            "组成部分（编号用逗号分隔）、对应表格单元格可选。编号不填时按所属部分和名称自动编号"
            "（如 proactive.f3a9c1e）；素材要用 {编号} 引用的数、组成部分列出的数须填编号。",
        ),
        ("素材", "各部分要写的内容，一行一段；同一部分可以有多行。"),
        (
            "部分",
            "“事实”的所属部分和“素材”的部分从下拉列表中选择："
            + "、".join(part_names(layout).values())
            + "。写成“（一）主动公开方面”“一、主动公开”“(一)主动公开”也可以；YAML 统计文件的"
            "英文编号也照样读取："
            + "；".join(f"{t}＝{s}" for s, t in part_names(layout).items())
            + "。",
        ),
        ("单位", "、".join(_UNITS)),
    ]
    ws.cell(1, 1, "说明").font = st.title
    ws.row_dimensions[1].height = 26
    for i, (head, text) in enumerate(paragraphs, start=3):
        a, b = ws.cell(i, 1), ws.cell(i, 2)
        _put_text(a, head)
        _put_text(b, text)
        a.font, b.font = st.bold, st.font
        a.alignment, b.alignment = st.top_left, st.top_left
        ws.row_dimensions[i].height = LINE * _lines(text, 90) + 8
    _page(ws, landscape=False, one_page=False)


def workbook_bytes(
    layout: Layout,
    stats: Stats | None = None,
    *,
    agency: str | None = None,
    year: int | None = None,
) -> bytes:
    """A workbook laid out like the layout's tables, filled from `stats` when given (a blank
    cell stays empty, zero is 0), all zeros otherwise (it then checks clean)."""
    from openpyxl import Workbook

    if stats is None:
        stats = _blank_stats(layout, agency, year)
    st = _Styles()
    wb = Workbook()
    wb.remove(wb.active)
    _info_sheet(wb, stats, agency, year, st)
    for table in layout.tables.values():
        _table_sheet(wb, layout, table, stats, st)
    _facts_sheet(wb, layout, stats, st)
    _notes_sheet(wb, layout, stats, st)
    _help_sheet(wb, layout, st)
    wb.active = 0
    wb.properties.creator = "drafter"
    wb.properties.title = layout.title.format(
        agency=agency or stats.agency, year=year or stats.year
    )
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


# ---- reading: the file ----------------------------------------------------------------------


_OLE = b"\xd0\xcf\x11\xe0"  # an .xls, or an .xlsx encrypted with an opening password
_XML_SUFFIXES = (".xml", ".rels", ".vml")
# Encodings in which the scan below sees the markup as it is (Excel writes UTF-8).
_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "us-ascii", "ascii", "iso-8859-1", "latin1"}
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
# openpyxl makes a Python object of every element (a cell, a row, a shared string, a style),
# and expands merged and hyperlinked ranges cell by cell (MergedCell): their areas count too.
_RANGE_REF = re.compile(rb"<(?:[\w.-]+:)?(?:mergeCell|hyperlink)\b[^>]*?\bref\s*=\s*[\"']([^\"']*)")
_LONG_NUMBER = re.compile(rb"<(?:[\w.-]+:)?v>\s*[-+]?\d{%d,}" % (MAX_NUMBER_DIGITS + 1))
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]{1,3}[0-9]{1,7})["']""")
_AREA = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?")


def check_workbook_zip(data: bytes, name: str) -> None:
    """Refuse what is not a sane .xlsx before openpyxl parses any of it: every member is
    decompressed within the limits (E-LIMIT-UNPACKED; damage is E-FILE-CORRUPT), and every
    XML part is scanned for a DTD, an encoding the scan cannot read, and what openpyxl would
    build an object for (cells, rows, merged cells: E-LIMIT-TABLE)."""
    if data[:4] == _OLE:
        raise InputError(
            Problem(
                "这是旧版 .xls 格式或设置了打开密码的工作簿；请在 Excel 或 WPS 中"
                "另存为不加密的 .xlsx",
                file=name,
                code="E-FILE-TYPE",
            )
        )
    archive = open_zip(data, name, WORKBOOK_LIMITS, ".xlsx")
    if "xl/workbook.xml" not in archive:
        raise InputError(
            Problem("不是 Excel 工作簿（缺少 xl/workbook.xml）", file=name, code="E-FILE-TYPE")
        )
    objects = 0  # elements, and cells of merged or linked ranges, in all parts so far
    for info in archive.infos:
        if info.is_dir():
            continue
        content = archive.read(info)  # every member to its end: CRC checked, sizes real
        if not info.filename.lower().endswith(_XML_SUFFIXES):
            continue
        text = _scannable(content, info.filename, name)
        if b"<!DOCTYPE" in text[: 64 * 1024] or b"<!ENTITY" in text[: 64 * 1024]:
            raise InputError(
                Problem(
                    f"工作簿的 {info.filename} 含有 XML 实体或 DTD 声明，拒绝读取"
                    "（正常的 Excel、WPS 文件不会有）",
                    file=name,
                    code="E-FILE-CORRUPT",
                )
            )
        long_number = _LONG_NUMBER.search(text)
        if long_number is not None:
            raise _long_number(archive, info.filename, text, long_number.start(), name)
        objects += _elements(text)
        for ref in _RANGE_REF.finditer(text):
            objects += _area(ref.group(1).decode("ascii", "replace"))
            if objects > MAX_WORKBOOK_ELEMENTS:
                break
        if objects > MAX_WORKBOOK_ELEMENTS:
            where = _sheet_titles(archive).get(info.filename, info.filename)
            raise InputError(
                Problem(
                    f"工作簿的单元格、格式或合并单元格过多（超过 {MAX_WORKBOOK_ELEMENTS} 个），"
                    "统计工作簿不会有这么多；请删除表格以外的内容",
                    file=name,
                    path=where,
                    code="E-LIMIT-TABLE",
                )
            )


def _scannable(content: bytes, member: str, name: str) -> bytes:
    """An XML part as UTF-8 (or ASCII-compatible) bytes that the scan can search."""
    head = content[:4]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in head:
        big = head[:2] == b"\xfe\xff" or head[:1] == b"\x00"
        return content.decode("utf-16-be" if big else "utf-16-le", "ignore").encode("utf-8")
    declared = _DECLARED_ENCODING.match(content[:200].lstrip())
    encoding = declared.group(1).decode("ascii", "replace").lower() if declared else "utf-8"
    if encoding not in _ENCODINGS:  # EBCDIC and the like: the scan would see no markup
        raise InputError(
            Problem(
                f"工作簿的 {member} 使用了不支持的文字编码，拒绝读取",
                file=name,
                code="E-FILE-CORRUPT",
            )
        )
    return content


def _elements(xml: bytes) -> int:
    """The elements of an XML part: every "<" opens one, except end tags, declarations and
    comments (text holds "<" only as &lt;; CDATA may, and is counted, which errs on the safe
    side). bytes.count runs in C: 50 MB are counted in milliseconds."""
    return xml.count(b"<") - xml.count(b"</") - xml.count(b"<?") - xml.count(b"<!")


def _area(ref: str) -> int:
    """Cells in a range reference such as A1:D5 (1 for what is no such reference)."""
    from openpyxl.utils import column_index_from_string

    match = _AREA.fullmatch(ref.strip())
    if match is None or match.group(3) is None:
        return 1
    try:
        left = column_index_from_string(match.group(1).upper())
        right = column_index_from_string(match.group(3).upper())
    except ValueError:
        return 1
    rows = abs(int(match.group(4)) - int(match.group(2))) + 1
    return rows * (abs(right - left) + 1)


def _long_number(archive: SafeZip, member: str, text: bytes, at: int, name: str) -> InputError:
    """A number of more digits than any count or amount has, located by sheet and cell (openpyxl
    would fail on it: Python converts at most 4,300 digits to an int)."""
    refs = _CELL_REF.findall(text[max(0, at - 4096) : at])
    cell = refs[-1].decode("ascii") if refs else None
    sheet = _sheet_titles(archive).get(member, member)
    return InputError(
        Problem(
            f"数值过大（超过 {MAX_NUMBER_DIGITS} 位数字），件数、金额不会有这么多位",
            file=name,
            path=f"{sheet}!{cell}" if cell else sheet,
            code="E-STATS-VALUE",
        )
    )


def _sheet_titles(archive: SafeZip) -> dict[str, str]:
    """Member path → sheet title (xl/worksheets/sheet3.xml → 三), for messages."""
    import posixpath

    from defusedxml.ElementTree import fromstring

    try:
        book = fromstring(read_member(archive, "xl/workbook.xml") or b"<x/>")
        rels = fromstring(read_member(archive, "xl/_rels/workbook.xml.rels") or b"<x/>")
    except Exception:  # only for a message: the member path will do
        return {}
    relation = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    targets = {
        r.get("Id"): r.get("Target") or "" for r in rels if str(r.tag).endswith("}Relationship")
    }
    titles: dict[str, str] = {}
    for sheet in book.iter():
        target = targets.get(sheet.get(relation)) if str(sheet.tag).endswith("}sheet") else None
        if target:
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            titles[posixpath.normpath(path)] = sheet.get("name") or path
    return titles


def _open(data: bytes, name: str, *, data_only: bool) -> Workbook:
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return load_workbook(
                io.BytesIO(data), data_only=data_only, keep_links=False, rich_text=False
            )
    except Exception as exc:  # openpyxl raises many kinds on malformed parts
        cause: BaseException | None = exc
        while cause is not None:  # openpyxl wraps defusedxml's refusal in a ValueError
            if isinstance(cause, DefusedXmlException):
                raise InputError(
                    Problem(
                        "工作簿含有 XML 实体或 DTD 声明，拒绝读取", file=name, code="E-FILE-CORRUPT"
                    )
                ) from None
            cause = cause.__cause__ or cause.__context__
        raise InputError(
            Problem(
                f"无法读取 Excel 工作簿（{type(exc).__name__}）", file=name, code="E-FILE-CORRUPT"
            )
        ) from None


def _read_file(path: Path, name: str) -> bytes:
    return read_bytes_limited(path, MAX_WORKBOOK_BYTES, "统计工作簿", display=name)


# ---- reading: values --------------------------------------------------------------------------


class _FormulaError(Exception):
    """A formula the evaluator will not compute (the message says why, in Chinese): one it
    does not support (E-STATS-VALUE), or one past a limit (E-LIMIT-FORMULA)."""

    def __init__(self, message: str, code: str = "E-STATS-VALUE") -> None:
        super().__init__(message)
        self.code = code


def _limit(message: str) -> _FormulaError:
    return _FormulaError(message, "E-LIMIT-FORMULA")


def _bounded(value: Decimal) -> Decimal:
    """`value`, if a statistics formula can mean it: Decimal keeps 1E+999999999 as it is, and
    anything that later turns it into an int or text would never finish."""
    # copy_abs and comparison are exact; abs() would round in the context, and overflow
    if not value.is_finite() or value.copy_abs() > MAX_FORMULA_NUMBER:
        raise _limit(f"数值超出范围（绝对值超过 {MAX_FORMULA_NUMBER:.0E}）")
    return value


_BAD = object()  # a cell whose problem has been recorded


def _decimal(value: float) -> Decimal:
    """A float as the number that was typed: its shortest repr, float noise of a formula
    (0.30000000000000004) rounded off at ten places."""
    amount = Decimal(repr(value))
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -10:
        amount = amount.quantize(Decimal(1).scaleb(-10))
        text = format(amount, "f").rstrip("0").rstrip(".")
        amount = Decimal(text or "0")
    return amount


def _plain(value: Any) -> Any:
    """A cell's value as plain data: blank → None, floats → exact Decimal, digits typed as text
    → numbers; anything else as it is (the model's validation names it)."""
    if value is None or isinstance(value, bool | int | Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return _decimal(value)
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if not text:
            return None
        if re.fullmatch(r"\d+", text):
            # int() refuses more than 4,300 digits; the model names a number that large
            return int(text) if len(text) <= MAX_NUMBER_DIGITS else Decimal(text)
        if re.fullmatch(r"\d+\.\d+", text):
            return Decimal(text)
        return value.strip()
    return value


def _text(value: Any) -> str | None:
    """A text field's value: numbers typed into it (电话, 邮编) become their digits; a date
    Excel made of 2024年1月15日 becomes that text again."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime | _dt.date):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, bool):
        return _YES if value else _NO
    if isinstance(value, float):
        value = _decimal(value)
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value, "f")
    text = str(value).strip()
    return text or None


@dataclass
class _Book:
    """Both loads of one workbook (formulas, cached results) and what reading found."""

    name: str
    formulas: Workbook
    results: Workbook
    problems: list[Problem] = field(default_factory=list)
    cells: dict[PathKey, str] = field(default_factory=dict)
    bad: set[tuple[str, int, int]] = field(default_factory=set)  # cells already reported
    _memo: dict[tuple[str, int, int], Any] = field(default_factory=dict)
    _active: list[tuple[str, int, int]] = field(default_factory=list)

    _work: int = 0  # cells the evaluator has visited (MAX_FORMULA_WORK)

    def problem(self, message: str, where: str | None, code: str = "E-STATS-VALUE") -> None:
        self.problems.append(Problem(message, file=self.name, path=where, code=code))

    def spend(self, cells: int) -> None:
        """Count cells the evaluator visits: a workbook of chained sums over wide ranges
        could otherwise keep it busy for hours."""
        self._work += cells
        if self._work > MAX_FORMULA_WORK:
            raise InputError(
                Problem(
                    f"公式的计算量过大（超过 {MAX_FORMULA_WORK} 个单元格），"
                    "统计工作簿的公式不会这样复杂",
                    file=self.name,
                    code="E-LIMIT-FORMULA",
                )
            )

    def sheet(self, title: str) -> Worksheet | None:
        return self.formulas[title] if title in self.formulas.sheetnames else None

    # -- cell values, formulas computed -------------------------------------------------

    def value(self, ws: Worksheet, row: int, col: int) -> Any:
        """The cell's value as the clerk saw it; a problem is recorded (→ _BAD) when a formula
        cannot be computed."""
        ref = f"{ws.title}!{_ref(row, col)}"
        try:
            return self._value(ws.title, row, col)
        except _FormulaError as exc:
            if not self.depends_on_bad(ws.title, row, col):
                formula = ws.cell(row, col).value
                shown = f"“{clip(formula, 60)}”" if isinstance(formula, str) else ""
                self.problem(f"无法计算公式{shown}：{exc}", ref, exc.code)
            self.bad.add((ws.title, row, col))
            return _BAD

    def depends_on_bad(self, title: str, row: int, col: int) -> bool:
        """Whether a formula refers, directly or through other formulas, to a cell whose
        problem is already reported (a total of a row with "三" in it says nothing new).
        Walked with a list, not recursion: a chain of 3,000 formulas is a workbook, not a
        RecursionError."""
        todo = [(title, row, col)]
        seen: set[tuple[str, int, int]] = set(todo)
        while todo:
            sheet, r, c = todo.pop()
            cell = self.formulas[sheet].cell(r, c)
            if cell.data_type != "f" or not isinstance(cell.value, str):
                continue
            try:
                tokens = _Formula(self, sheet, cell.value).tokens
            except _FormulaError:
                continue
            for kind, area in tokens:
                if kind != "ref" or area.title not in self.formulas.sheetnames:
                    continue
                size = (area.bottom - area.top + 1) * (area.right - area.left + 1)
                if size > MAX_FORMULA_RANGE:
                    continue
                self.spend(size)
                for r2 in range(area.top, area.bottom + 1):
                    for c2 in range(area.left, area.right + 1):
                        where = (area.title, r2, c2)
                        if where in self.bad:
                            return True
                        if where not in seen:
                            seen.add(where)
                            todo.append(where)
        return False

    def _value(self, title: str, row: int, col: int) -> Any:
        from openpyxl.cell.cell import MergedCell
        from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

        cell = self.formulas[title].cell(row, col)
        if isinstance(cell, MergedCell):
            return None
        raw = cell.value
        if cell.data_type != "f" and not isinstance(raw, ArrayFormula | DataTableFormula):
            return raw  # an error value typed in (#N/A) is text to the model
        cached = self.results[title].cell(row, col)
        if cached.data_type == "e":
            raise _FormulaError(f"公式结果是错误值 {cached.value}")
        if cached.value is not None:
            return cached.value
        if not isinstance(raw, str):  # an array or data-table formula never calculated
            raise _FormulaError("数组公式没有计算结果（请在 Excel 或 WPS 中打开后保存）")
        return self._evaluate(title, row, col, raw)

    def _evaluate(self, title: str, row: int, col: int, formula: str) -> Decimal:
        where = (title, row, col)
        if where in self._memo:
            return self._memo[where]
        if where in self._active:
            raise _FormulaError("公式循环引用")
        if len(self._active) >= MAX_FORMULA_DEPTH:
            raise _limit(f"公式层层引用过深（超过 {MAX_FORMULA_DEPTH} 层）")
        self._active.append(where)
        try:
            result = _Formula(self, title, formula).evaluate()
        finally:
            self._active.pop()
        self._memo[where] = result
        return result

    def number(self, title: str, row: int, col: int, *, in_sum: bool) -> Decimal | None:
        """A referenced cell as a number: blank → 0 (None in SUM), text ignored by SUM and an
        error in + and -."""
        if title not in self.formulas.sheetnames:
            raise _FormulaError(f"引用了不存在的工作表“{title}”")
        value = self._value(title, row, col)
        if value is None:
            return None if in_sum else Decimal(0)
        if isinstance(value, bool):
            if in_sum:
                return None
            raise _FormulaError(f"{title}!{_ref(row, col)} 不是数")
        if isinstance(value, int | Decimal):
            return _bounded(Decimal(value))
        if isinstance(value, float):
            return _bounded(_decimal(value)) if math.isfinite(value) else _bounded(Decimal(value))
        if in_sum:
            return None
        raise _FormulaError(f"{title}!{_ref(row, col)} 不是数（{value}）")


_SHEET = r"(?:'(?P<q{n}>(?:[^']|'')+)'|(?P<u{n}>[^\s'!:(),+\-*/^&=<>\"{{}};]+))!"
_CELL = r"\$?(?P<c{n}>[A-Za-z]{{1,3}})\$?(?P<r{n}>\d+)"
_TOKEN = re.compile(
    r"\s*(?:"
    rf"(?P<ref>(?:{_SHEET.format(n=1)})?{_CELL.format(n=1)}(?::{_CELL.format(n=2)})?)(?![\w(])"
    r"|(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<func>[A-Za-z_][A-Za-z0-9_.]*)\s*\("
    r"|(?P<op>[-+(),])"
    r")"
)
_MAX_ROW, _MAX_COL = 1_048_576, 16_384


@dataclass(frozen=True)
class _Area:
    title: str
    top: int
    left: int
    bottom: int
    right: int


class _Formula:
    """SUM over ranges and cell lists, + and -, cell references and numbers; nothing else."""

    def __init__(self, book: _Book, title: str, text: str) -> None:
        if len(text) > MAX_FORMULA_LENGTH:
            raise _limit(f"公式过长（超过 {MAX_FORMULA_LENGTH} 个字符）")
        self.book = book
        self.title = title
        self.tokens = self._tokenize(text.removeprefix("="))
        self.pos = 0
        self.depth = 0  # nesting of parentheses and signs: -(-(-(… must not recurse forever

    def _tokenize(self, text: str) -> list[tuple[str, Any]]:
        from openpyxl.utils import column_index_from_string

        tokens: list[tuple[str, Any]] = []
        pos = 0
        while pos < len(text):
            if not text[pos:].strip():
                break
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise _FormulaError("只支持 SUM、加减、单元格引用和数字")
            pos = match.end()
            if match.group("ref"):
                quoted, plain = match.group("q1"), match.group("u1")
                title = quoted.replace("''", "'") if quoted else plain or self.title
                row1, col1 = (
                    int(match.group("r1")),
                    column_index_from_string(match.group("c1").upper()),
                )
                row2, col2 = row1, col1
                if match.group("c2"):
                    row2 = int(match.group("r2"))
                    col2 = column_index_from_string(match.group("c2").upper())
                if not (0 < max(row1, row2) <= _MAX_ROW and 0 < max(col1, col2) <= _MAX_COL):
                    raise _FormulaError("单元格引用超出工作表范围")
                if min(row1, row2) < 1 or min(col1, col2) < 1:
                    raise _FormulaError("单元格引用超出工作表范围")
                area = _Area(
                    title, min(row1, row2), min(col1, col2), max(row1, row2), max(col1, col2)
                )
                tokens.append(("ref", area))
            elif match.group("num"):
                tokens.append(("num", _bounded(Decimal(match.group("num")))))
            elif match.group("func"):
                tokens.append(("func", match.group("func").upper()))
            else:
                tokens.append(("op", match.group("op")))
        return tokens

    def _peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> tuple[str, Any]:
        token = self._peek()
        if token is None:
            raise _FormulaError("公式不完整")
        self.pos += 1
        return token

    def evaluate(self) -> Decimal:
        result = self._number(self._expression())
        if self._peek() is not None:
            raise _FormulaError("只支持 SUM、加减、单元格引用和数字")
        return result

    def _expression(self) -> Decimal | _Area:
        left = self._unary()
        while self._peek() in (("op", "+"), ("op", "-")):
            _, op = self._take()
            right = self._number(self._unary())
            left = self._number(left) + right if op == "+" else self._number(left) - right
            left = _bounded(left)
        return left

    def _unary(self) -> Decimal | _Area:
        self.depth += 1
        if self.depth > MAX_FORMULA_DEPTH:
            raise _limit(f"公式嵌套过深（超过 {MAX_FORMULA_DEPTH} 层括号或正负号）")
        try:
            token = self._peek()
            if token in (("op", "+"), ("op", "-")):
                self._take()
                value = self._number(self._unary())
                return -value if token == ("op", "-") else value
            return self._primary()
        finally:
            self.depth -= 1

    def _primary(self) -> Decimal | _Area:
        kind, value = self._take()
        if kind == "num":
            return value
        if kind == "ref":
            return value
        if kind == "func":
            if value != "SUM":
                raise _FormulaError(f"不支持函数 {value}（只支持 SUM 和加减）")
            return self._sum()
        if (kind, value) == ("op", "("):
            inner = self._expression()
            if self._take() != ("op", ")"):
                raise _FormulaError("括号不配对")
            return inner
        raise _FormulaError("只支持 SUM、加减、单元格引用和数字")

    def _sum(self) -> Decimal:
        total = Decimal(0)
        if self._peek() == ("op", ")"):
            self._take()
            return total
        while True:
            arg = self._expression()
            if isinstance(arg, _Area):
                total += self._area_sum(arg)
            else:
                total += arg
            total = _bounded(total)
            kind, value = self._take()
            if (kind, value) == ("op", ")"):
                return total
            if (kind, value) != ("op", ","):
                raise _FormulaError("SUM 的参数之间应以逗号分隔")

    def _area_sum(self, area: _Area) -> Decimal:
        size = (area.bottom - area.top + 1) * (area.right - area.left + 1)
        if size > MAX_FORMULA_RANGE:
            raise _limit(f"求和范围过大（{size} 个单元格，上限 {MAX_FORMULA_RANGE}）")
        self.book.spend(size)
        total = Decimal(0)
        for row in range(area.top, area.bottom + 1):
            for col in range(area.left, area.right + 1):
                number = self.book.number(area.title, row, col, in_sum=True)
                if number is not None:
                    total = _bounded(total + number)
        return total

    def _number(self, value: Decimal | _Area) -> Decimal:
        if not isinstance(value, _Area):
            return value
        if (value.top, value.left) != (value.bottom, value.right):
            raise _FormulaError("区域只能放在 SUM 中")
        number = self.book.number(value.title, value.top, value.left, in_sum=False)
        return number if number is not None else Decimal(0)


# ---- reading: sheets ------------------------------------------------------------------------


def _grid(book: _Book, ws: Worksheet) -> Grid:
    """The sheet as rows of texts, a merged cell's text repeated over its whole area."""
    from openpyxl.cell.cell import MergedCell

    rows, cols = ws.max_row, ws.max_column  # real: computed from the cells openpyxl read
    if rows * cols > MAX_SHEET_GRID:
        raise InputError(
            Problem(
                f"工作表的已用区域过大（{rows} 行 × {cols} 列），请删除表格以外的内容",
                file=book.name,
                path=ws.title,
                code="E-LIMIT-TABLE",
            )
        )
    grid: Grid = [["" for _ in range(cols)] for _ in range(rows)]
    for r, cells in enumerate(ws.iter_rows(min_row=1, max_row=rows, max_col=cols)):
        for c, cell in enumerate(cells):
            if isinstance(cell, MergedCell) or cell.value is None or cell.data_type == "f":
                continue
            grid[r][c] = str(cell.value)
    for merged in ws.merged_cells.ranges:
        text = grid[merged.min_row - 1][merged.min_col - 1]
        for r in range(merged.min_row, min(merged.max_row, rows) + 1):
            for c in range(merged.min_col, min(merged.max_col, cols) + 1):
                grid[r - 1][c - 1] = text
    return grid


def _crop_unlabelled(grid: Grid, table: Table) -> Grid:
    """Table 四 has no row labels: its values are the first row with content below the
    headers. read_table takes them from the grid's last row, so the grid ends there."""
    headers = {normalise(p.cell.text) for p in table.placed if p.cell.text}
    last_header = max(
        (r for r, row in enumerate(grid) if any(normalise(t) in headers for t in row if t)),
        default=None,
    )
    if last_header is None:
        return grid
    below = [r for r in range(last_header + 1, len(grid)) if any(t.strip() for t in grid[r])]
    end = below[0] if below else min(last_header + 1, len(grid) - 1)
    return grid[: end + 1]


def _table_worksheet(book: _Book, table: Table) -> Worksheet | None:
    """The sheet named for the table, or else the sheet that prints most of its labels."""
    from drafter.read.tables import label_hits, official_labels

    ws = book.sheet(sheet_name(table))
    if ws is not None:
        return ws
    best, hits = None, 0
    for candidate in book.formulas.worksheets:
        if candidate.max_row * candidate.max_column > MAX_SHEET_GRID:
            continue
        found = label_hits(_grid(book, candidate), table)
        if found > hits:
            best, hits = candidate, found
    return best if hits * 2 >= len(official_labels(table)) else None


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = data
    for name in path[:-1]:
        node = node.setdefault(name, {})
    node[path[-1]] = value


def _validated(path: tuple[str, ...], value: Any) -> tuple[Any, str | None]:
    """The value as the statistics model accepts it, or the model's message."""
    model, name, _ = _owner(path)
    try:
        return getattr(model.model_validate({name: value}), name), None
    except ValidationError as exc:
        return _BAD, str(exc.errors()[0]["msg"])


def _read_table(book: _Book, table: Table, data: dict[str, Any]) -> None:
    ws = _table_worksheet(book, table)
    if ws is None:
        book.problem(f"缺少工作表“{sheet_name(table)}”（{table.name}）", None)
        return
    grid = _grid(book, ws)
    if any(not info.row_label for info in table.cells.values()):
        grid = _crop_unlabelled(grid, table)
    found = read_table(grid, table)
    missing: list[str] = []
    for key, info in table.cells.items():
        path = tuple(key.split("."))
        position = found.positions.get(key)
        if position is None:
            row_found = any(
                all(normalise(p) in map(normalise, row) for p in info.row_label.split(" · "))
                for row in grid
            )
            what = (
                f"“{info.column_header.split(' · ')[-1]}”列"
                if row_found or not info.row_label
                else f"“{info.row_label.split(' · ')[-1]}”行"
            )
            if what not in missing:
                missing.append(what)
            continue
        row, col = position[0] + 1, position[1] + 1
        ref = f"{ws.title}!{_ref(row, col)}"
        book.cells[path] = ref
        raw = book.value(ws, row, col)
        if raw is _BAD:
            continue
        value, message = _validated(path, _plain(raw))
        if message is not None:
            if not book.depends_on_bad(ws.title, row, col):
                book.problem(message, ref)
            book.bad.add((ws.title, row, col))
            continue
        _set(data, path, value)
    for what in missing:
        book.problem(f"找不到{what}（请不要改动表格的行名、列名）", ws.title)


def _header_row(grid: Grid, wanted: tuple[str, ...]) -> tuple[int, dict[str, int]] | None:
    """The first row that holds every text of `wanted`, and the column of each."""
    norm_wanted = {normalise(w): w for w in wanted}
    for r, row in enumerate(grid):
        columns: dict[str, int] = {}
        for c, text in enumerate(row):
            key = norm_wanted.get(normalise(text))
            if key is not None and key not in columns:
                columns[key] = c
        if set(columns) == set(wanted):
            return r, columns
    return None


def _read_info(book: _Book, data: dict[str, Any]) -> None:
    ws = book.sheet(INFO_SHEET)
    if ws is None:
        book.problem(f"缺少工作表“{INFO_SHEET}”（发布机关、统计年度）", None)
        return
    grid = _grid(book, ws)
    header = _header_row(grid, _INFO_HEADER[:3])
    if header is None:
        book.problem(f"找不到“{'”“'.join(_INFO_HEADER[:3])}”表头", ws.title)
        return
    start, columns = header
    by_label = {
        (normalise(group), normalise(_describe(_owner(path)[2])[0])): path for group, path in _INFO
    }
    for r in range(start + 1, len(grid)):
        label = (normalise(grid[r][columns["分类"]]), normalise(grid[r][columns["项目"]]))
        path = by_label.get(label)
        if path is None:
            continue
        row, col = r + 1, columns["填写内容"] + 1
        ref = f"{ws.title}!{_ref(row, col)}"
        book.cells[path] = ref
        raw = book.value(ws, row, col)
        if raw is _BAD:
            continue
        if path == ("year",):
            value = _plain(raw)
            if isinstance(value, Decimal) and abs(value) < 10**6 and value == int(value):
                value = int(value)
        elif path[-1] == "rulemaking_power":
            value = _plain(raw)
            if isinstance(value, str):
                value = {_YES: True, _NO: False, "有": True, "无": False}.get(value, value)
        else:
            value = _text(raw)
        if value is None:
            continue
        _set(data, path, value)


def _header_key(text: str) -> str:
    """A column header as compared: 编号（可不填） is 编号, ID is id."""
    return re.sub(r"（[^（）]*）$", "", normalise(text)).lower()


def _header_names(columns: tuple[tuple[str, str], ...], *more: tuple[str, str]) -> dict[str, str]:
    """Every header a column may have → its key: the key itself and its Chinese names."""
    names = {_header_key(key): key for key, _ in columns}
    for key, label in (*columns, *more):
        names.setdefault(_header_key(label), key)
    return names


# Headers of the 事实 sheet in earlier workbooks (the field descriptions) and a few synonyms.
_FACT_HEADERS = _header_names(
    _FACT_COLUMNS,
    *((k, _describe(Fact.model_fields[k])[0]) for k in _FACT_KEYS),
    ("id", "事实编号"),
    ("label", "事项"),
    ("section", "部分"),
)
_NOTE_HEADERS = _header_names(_NOTE_COLUMNS, ("section", "所属部分"), ("text", "内容"))


def _columns_row(
    grid: Grid, names: dict[str, str], required: tuple[str, ...]
) -> tuple[int, dict[str, int]] | None:
    """The header row and the column of each key: the first row naming every required column,
    or the last of consecutive such rows (the Chinese names, then the keys below them)."""
    found: tuple[int, dict[str, int]] | None = None
    for r, row in enumerate(grid):
        columns: dict[str, int] = {}
        for c, text in enumerate(row):
            key = names.get(_header_key(text)) if text.strip() else None
            if key is not None and key not in columns:
                columns[key] = c
        if all(k in columns for k in required):
            found = (r, columns)
        elif found is not None:
            break
    return found


def _read_rows(
    book: _Book, title: str, names: dict[str, str], required: tuple[str, ...]
) -> Iterator[dict[str, tuple[Any, str]]]:
    """key → (value, cell) for every non-blank row below the header rows."""
    ws = book.sheet(title)
    if ws is None:
        return
    grid = _grid(book, ws)
    header = _columns_row(grid, names, required)
    if header is None:
        chinese: dict[str, str] = {}
        for name, key in names.items():
            if name != key:
                chinese.setdefault(key, name)
        shown = "”“".join(chinese.get(k, k) for k in required)
        book.problem(f"找不到“{shown}”列（表头）", ws.title)
        return
    start, columns = header
    for r in range(start + 1, len(grid)):
        values: dict[str, tuple[Any, str]] = {}
        for key, c in columns.items():
            ref = f"{ws.title}!{_ref(r + 1, c + 1)}"
            values[key] = (book.value(ws, r + 1, c + 1), ref)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v, _ in values.values()):
            continue
        yield values


def _part(book: _Book, raw: Any, ref: str, names: dict[str, str]) -> str | None:
    """The section id of a part written by its Chinese name (（一）主动公开, with or without
    its number, either form of brackets) or its code (overall.proactive); an unknown name is
    reported at its cell. None for a blank cell."""
    text = _text(raw)
    if text is None:
        return None
    section = _part_lookup().get(_part_key(text))
    if section is None:
        book.problem(
            f"不认识的部分“{clip(text, 40)}”，请从下拉列表中选择：{'、'.join(names.values())}",
            ref,
        )
    return section


def _fact_id(fact: dict[str, Any], taken: set[str]) -> str:
    """An id for a fact written without one, from its part and label: the same row gives the
    same id however rows are moved or inserted (proactive.f3a9c1e); a second fact of the same
    part and label gets _2, and so on."""
    section = fact.get("section")
    prefix = section.rsplit(".", 1)[-1] if section in _SECTIONS else "fact"
    label = normalise(str(fact.get("label", "")))
    base = f"{prefix}.f{hashlib.sha256(label.encode()).hexdigest()[:6]}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


def _read_facts(book: _Book, layout: Layout, data: dict[str, Any]) -> None:
    names = part_names(layout)
    facts: list[dict[str, Any]] = []
    label_cells: list[str] = []
    for values in _read_rows(book, FACTS_SHEET, _FACT_HEADERS, ("label", "value")):
        index = len(facts)
        fact: dict[str, Any] = {}
        label_cells.append(values["label"][1])
        book.cells[("facts", index)] = values.get("id", values["label"])[1]
        for key, (raw, ref) in values.items():
            book.cells[("facts", index, key)] = ref
            if raw is _BAD:
                continue
            if key == "value":
                value = _plain(raw)
            elif key == "section":
                value = _part(book, raw, ref, names)
            elif key == "parts":
                text = _text(raw)
                value = [p for p in re.split(r"[,，、;；\s]+", text) if p] if text else None
            else:
                value = _text(raw)
            if value is not None:
                fact[key] = value
        facts.append(fact)
    taken = {str(f["id"]) for f in facts if "id" in f}
    for index, fact in enumerate(facts):
        if "id" not in fact:
            fact["id"] = _fact_id(fact, taken)
            book.cells[("facts", index)] = book.cells[("facts", index, "id")] = label_cells[index]
    data["facts"] = facts


def _read_notes(book: _Book, layout: Layout, data: dict[str, Any]) -> None:
    names = part_names(layout)
    notes: dict[str, list[str]] = {}
    for values in _read_rows(book, NOTES_SHEET, _NOTE_HEADERS, _NOTE_KEYS):
        raw_section, section_ref = values["section"]
        raw_text, text_ref = values["text"]
        text = _text(raw_text) if raw_text is not _BAD else None
        if text is None:
            continue  # a section listed without material
        section = _part(book, raw_section, section_ref, names) if raw_section is not _BAD else None
        if section is None:
            if _text(raw_section) is None:
                book.problem("素材没有选择所属的部分", section_ref)
            continue
        items = notes.setdefault(section, [])
        book.cells.setdefault(("notes", section), section_ref)
        book.cells[("notes", section, len(items))] = text_ref
        items.append(text)
    data["notes"] = {s: items[0] if len(items) == 1 else items for s, items in notes.items()}


def read_workbook(path: Path, name: str) -> tuple[dict[str, Any], dict[PathKey, str]]:
    """The plain data a YAML statistics file would parse into, and the cell of every key
    (("applications", "new_received", "total") → "三!J6"). Raises InputError (one line per
    problem, each naming the sheet and cell) for what cannot be read."""
    raw = _read_file(Path(path), name)
    check_workbook_zip(raw, name)
    book = _Book(name, _open(raw, name, data_only=False), _open(raw, name, data_only=True))
    data: dict[str, Any] = {}
    _read_info(book, data)
    if book.problems:
        raise InputError(book.problems)
    layout_id = data.get("format", DEFAULT_LAYOUT)
    try:
        layout = load_layout(str(layout_id))
    except InputError as exc:
        raise InputError(
            Problem(
                exc.problems[0].message,
                file=name,
                path=book.cells.get(("format",)),
                code=exc.problems[0].code,
            )
        ) from None
    for table in layout.tables.values():
        _read_table(book, table, data)
    _read_facts(book, layout, data)
    _read_notes(book, layout, data)
    if book.problems:
        raise InputError(book.problems + _also_invalid(book, data))
    return data, book.cells


def _also_invalid(book: _Book, data: dict[str, Any]) -> list[Problem]:
    """What the statistics model finds besides the cells already reported (a year written
    二〇二三 beside an unknown part): the clerk corrects the workbook once, not twice."""
    from drafter.statistics.load import stats_from_data

    try:
        stats_from_data(data, {}, book.name, cells=book.cells)
    except InputError as exc:
        reported = {p.path for p in book.problems}
        return [p for p in exc.problems if p.path not in reported]
    return []
