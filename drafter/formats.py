"""The official layouts, read from `structured/<id>.yaml`.

A layout holds the section titles and order and every table cell with its official text, its
merges and the statistics key that fills it. Everything that prints or checks a label asks
this module; nothing else spells one. A layout may `extend` another and override its
sections or tables (a province's variant is one small file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from drafter.errors import InputError, Problem
from drafter.resources import structured_dir
from drafter.yamlsource import read_trusted_yaml

DEFAULT_LAYOUT = "gov-info-disclosure-2021"
_ROLES = {"caption", "header", "label", "corner"}


@dataclass(frozen=True)
class TableCell:
    """A printed cell: official text (or a statistics key for a value), with its merges."""

    text: str | None = None
    key: str | None = None
    role: str = "value"
    rowspan: int = 1
    colspan: int = 1

    @property
    def is_value(self) -> bool:
        return self.key is not None


@dataclass(frozen=True)
class Placed:
    """A cell at its position in the table grid (0-based top-left corner)."""

    cell: TableCell
    row: int
    col: int


@dataclass(frozen=True)
class CellInfo:
    """How a reader of the printed table names a value cell."""

    key: str
    table: str  # the table's short name, e.g. 表三
    row_label: str  # the label cells of its row, outermost first, joined by " · "
    column_header: str  # the header cells above it, outermost first, joined by " · "
    row_id: str | None = None  # e.g. L05 for table 三
    caption: str | None = None  # the block caption above it, e.g. 第二十条第（五）项


@dataclass(frozen=True)
class Table:
    id: str
    name: str
    columns: int
    rows: tuple[tuple[TableCell, ...], ...]  # header rows first, then body rows
    header_rows: int
    row_ids: tuple[str | None, ...]  # one per row
    value_columns: tuple[str, ...] = ()
    widths: tuple[float, ...] = ()  # relative column widths for printing; equal when empty
    small: bool = False  # printed in the smaller table size (many columns)
    placed: tuple[Placed, ...] = ()
    cells: dict[str, CellInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class Subsection:
    id: str
    number: str
    title: str

    @property
    def heading(self) -> str:
        return f"{self.number}{self.title}"


@dataclass(frozen=True)
class Section:
    id: str
    number: str
    title: str
    table: str | None = None
    subsections: tuple[Subsection, ...] = ()
    aliases: tuple[str, ...] = ()
    fee_statement: bool = False

    @property
    def heading(self) -> str:
        return f"{self.number}、{self.title}"


@dataclass(frozen=True)
class Layout:
    id: str
    name: str
    basis: str
    from_year: int
    title: str
    sections: tuple[Section, ...]
    tables: dict[str, Table]
    source: Path

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    def table(self, table_id: str) -> Table:
        return self.tables[table_id]

    def cell_info(self, key: str) -> CellInfo | None:
        for table in self.tables.values():
            if key in table.cells:
                return table.cells[key]
        return None

    def group_label(self, prefix: str) -> tuple[str, str]:
        """(table name, label) for a group of cells sharing a key prefix: a table 三 row
        (`applications.new_received`) or a table 四 block (`review_litigation.review`)."""
        key = (self.id, prefix)
        if key not in _GROUP_LABELS:
            _GROUP_LABELS[key] = self._group_label(prefix)
        return _GROUP_LABELS[key]

    def _group_label(self, prefix: str) -> tuple[str, str]:
        infos = [
            info
            for table in self.tables.values()
            for key, info in table.cells.items()
            if key.startswith(prefix + ".")
        ]
        if not infos:
            return "", prefix
        rows = {i.row_label for i in infos}
        if len(rows) == 1 and infos[0].row_label:
            return infos[0].table, infos[0].row_label
        headers = [i.column_header.split(" · ") for i in infos]
        common: list[str] = []
        for parts in zip(*headers, strict=False):
            if len(set(parts)) != 1:
                break
            common.append(parts[0])
        return infos[0].table, " · ".join(common) or prefix

    def outcome_paths(self) -> list[tuple[str, ...]]:
        """The rows of 三、本年度办理结果 as key paths below `applications.results`, in
        printed order: ('disclosed',) … ('other', 'other')."""
        return [
            tuple(key.split(".")[2:-1])
            for key in self.tables["applications"].cells
            if key.startswith("applications.results.")
            and key.endswith(".total")
            and not key.startswith("applications.results.total")
        ]

    def column_header(self, table_id: str, column: str) -> str:
        """The header of a table's value column, e.g. ('applications', 'commercial')."""
        table = self.tables[table_id]
        for key, info in table.cells.items():
            if key.rsplit(".", 1)[-1] == column:
                return info.column_header
        return column


_GROUP_LABELS: dict[tuple[str, str], tuple[str, str]] = {}  # layouts are loaded once, by id


def layout_ids() -> list[str]:
    return sorted(p.stem for p in structured_dir().glob("*.yaml") if not p.stem.startswith("_"))


@cache
def load_layout(layout_id: str = DEFAULT_LAYOUT) -> Layout:
    """The layout `structured/<layout_id>.yaml`; InputError when it is unknown or malformed."""
    path = structured_dir() / f"{layout_id}.yaml"
    if not path.is_file():
        raise InputError(
            f"未知的版式 {layout_id!r}；可用的版式：{'、'.join(layout_ids())}", code="E-LAYOUT"
        )
    data = _merged(layout_id, set())
    return _build(layout_id, data, path)


@cache
def reference_tables(name: str) -> dict[str, Table]:
    """Tables defined outside a layout, in `structured/reference/<name>.yaml` (the 2019
    format's tables, which drafter reads but never prints)."""
    path = structured_dir() / "reference" / f"{name}.yaml"
    data = read_trusted_yaml(path)
    try:
        return {tid: _build_table(tid, spec) for tid, spec in data["tables"].items()}
    except (KeyError, TypeError, ValueError) as exc:
        message = f"表格文件格式错误：{exc}"
        raise InputError(Problem(message, file=path.name, code="E-LAYOUT")) from None


def _merged(layout_id: str, seen: set[str]) -> dict[str, Any]:
    if layout_id in seen:
        raise InputError(f"版式 {layout_id} 的 extends 形成循环", code="E-LAYOUT")
    seen.add(layout_id)
    path = structured_dir() / f"{layout_id}.yaml"
    if not path.is_file():
        raise InputError(f"未知的版式 {layout_id!r}", code="E-LAYOUT")
    data = read_trusted_yaml(path)
    if not isinstance(data, dict):
        raise InputError(Problem("版式文件须为映射", file=path.name, code="E-LAYOUT"))
    parent_id = data.pop("extends", None)
    if parent_id is None:
        return data
    merged = _merged(str(parent_id), seen)
    tables = {**merged.get("tables", {}), **data.pop("tables", {})}
    merged.update(data)
    merged["tables"] = tables
    return merged


def _build(layout_id: str, data: dict[str, Any], path: Path) -> Layout:
    def fail(message: str) -> InputError:
        return InputError(Problem(message, file=path.name, code="E-LAYOUT"))

    try:
        tables = {tid: _build_table(tid, spec) for tid, spec in data["tables"].items()}
        sections = tuple(_build_section(s) for s in data["sections"])
        layout = Layout(
            id=str(data["id"]),
            name=str(data["name"]),
            basis=str(data["basis"]),
            from_year=int(data.get("from_year", 2021)),
            title=str(data["title"]),
            sections=sections,
            tables=tables,
            source=path,
        )
    except KeyError as exc:
        raise fail(f"版式文件缺少 {exc.args[0]}") from None
    except (TypeError, ValueError) as exc:
        raise fail(f"版式文件格式错误：{exc}") from None
    if layout.id != layout_id:
        raise fail(f"版式文件的 id {layout.id!r} 与文件名不一致")
    for section in sections:
        if section.table and section.table not in tables:
            raise fail(f"部分 {section.heading} 引用了不存在的表格 {section.table}")
    return layout


def _build_section(spec: dict[str, Any]) -> Section:
    return Section(
        id=str(spec["id"]),
        number=str(spec["number"]),
        title=str(spec["title"]),
        table=spec.get("table"),
        subsections=tuple(
            Subsection(str(s["id"]), str(s["number"]), str(s["title"]))
            for s in spec.get("subsections", [])
        ),
        aliases=tuple(spec.get("aliases", [])),
        fee_statement=bool(spec.get("fee_statement", False)),
    )


def _cell(spec: dict[str, Any]) -> TableCell:
    unknown = set(spec) - {"text", "key", "role", "rowspan", "colspan"}
    if unknown:
        raise ValueError(f"单元格含未知的键 {sorted(unknown)}")
    key = spec.get("key")
    role = spec.get("role", "value" if key else None)
    if key is None and role not in _ROLES:
        raise ValueError(f"文字单元格须有 role（{'、'.join(sorted(_ROLES))}）：{spec}")
    rowspan, colspan = int(spec.get("rowspan", 1)), int(spec.get("colspan", 1))
    if rowspan < 1 or colspan < 1:
        raise ValueError(f"rowspan/colspan 须为正整数：{spec}")
    text = spec.get("text")
    return TableCell(None if text is None else str(text), key, role, rowspan, colspan)


def _build_table(table_id: str, spec: dict[str, Any]) -> Table:
    value_columns = tuple(spec.get("value_columns", ()))
    rows: list[tuple[TableCell, ...]] = []
    row_ids: list[str | None] = []
    header = spec.get("header", [])
    for row in header:
        rows.append(tuple(_cell(c) for c in row))
        row_ids.append(None)
    for row in spec["rows"]:
        if isinstance(row, list):
            rows.append(tuple(_cell(c) for c in row))
            row_ids.append(None)
        else:
            cells = [_cell(c) for c in row.get("labels", [])]
            cells += [TableCell(key=f"{row['values']}.{col}") for col in value_columns]
            rows.append(tuple(cells))
            row_ids.append(row.get("id"))
    columns = int(spec["columns"])
    widths = tuple(float(w) for w in spec.get("widths", ()))
    if widths and len(widths) != columns:
        raise ValueError(f"表格 {table_id} 的 widths 有 {len(widths)} 项，应为 {columns} 项")
    placed = _place(table_id, rows, columns)
    table = Table(
        id=table_id,
        name=str(spec.get("name", table_id)),
        columns=columns,
        rows=tuple(rows),
        header_rows=len(header),
        row_ids=tuple(row_ids),
        value_columns=value_columns,
        widths=widths,
        small=bool(spec.get("small", False)),
        placed=tuple(placed),
    )
    table.cells.update(_describe(table))
    return table


def _place(table_id: str, rows: list[tuple[TableCell, ...]], columns: int) -> list[Placed]:
    """Lay the cells on a grid as an HTML table would; the layout must fill it exactly."""
    taken: dict[tuple[int, int], TableCell] = {}
    placed: list[Placed] = []
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            if c + cell.colspan > columns:
                raise ValueError(f"表格 {table_id} 第{r + 1}行超出 {columns} 列")
            if cell.rowspan > 1 and r + cell.rowspan > len(rows):
                raise ValueError(f"表格 {table_id} 第{r + 1}行的 rowspan 超出表格")
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    if (r + dr, c + dc) in taken:
                        raise ValueError(f"表格 {table_id} 第{r + 1}行的单元格重叠")
                    taken[(r + dr, c + dc)] = cell
            placed.append(Placed(cell, r, c))
            c += cell.colspan
        filled = sum(1 for (rr, _) in taken if rr == r)
        if filled != columns:
            raise ValueError(f"表格 {table_id} 第{r + 1}行有 {filled} 格，应为 {columns} 格")
    return placed


def _describe(table: Table) -> dict[str, CellInfo]:
    """Name every value cell by its row's label cells and the header cells above it."""
    grid: dict[tuple[int, int], Placed] = {}
    for p in table.placed:
        for dr in range(p.cell.rowspan):
            for dc in range(p.cell.colspan):
                grid[(p.row + dr, p.col + dc)] = p
    infos: dict[str, CellInfo] = {}
    for p in table.placed:
        if not p.cell.is_value:
            continue
        labels: list[str] = []
        for c in range(p.col):
            left = grid[(p.row, c)]
            if left.cell.role == "label" and left.cell.text and left.cell.text not in labels:
                labels.append(left.cell.text)
        headers: list[str] = []
        caption: str | None = None
        r = p.row - 1
        while r >= 0:
            above = grid[(r, p.col)]
            if above.cell.role == "caption":
                caption = above.cell.text
                break
            if (
                above.cell.role == "header"
                and above.cell.text
                and (not headers or headers[0] != above.cell.text)
            ):
                headers.insert(0, above.cell.text)
            r = above.row - 1
        key = p.cell.key or ""
        if key in infos:
            raise ValueError(f"表格 {table.id} 中键 {key} 出现两次")
        infos[key] = CellInfo(
            key=key,
            table=table.name,
            row_label=" · ".join(labels),
            column_header=" · ".join(headers),
            row_id=table.row_ids[p.row],
            caption=caption,
        )
    return infos
