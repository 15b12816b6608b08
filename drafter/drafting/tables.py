"""The official tables filled from the statistics, as `report.Table` grids.

Every value cell of the layout gets its value; a total left out of the statistics file is
printed as derived. A blank cell (null in the statistics) stays blank: printing 0 would hide
what the checker reports as E-CELL-BLANK.
"""

from __future__ import annotations

from drafter import formats, report
from drafter.statistics.quantities import format_number
from drafter.statistics.stats import Stats


def cell_text(stats: Stats, key: str) -> str:
    value = stats.value(key)
    return "" if value is None else format_number(value)


def fill_table(table: formats.Table, stats: Stats) -> report.Table:
    cells = [
        report.Cell(
            text=cell_text(stats, p.cell.key) if p.cell.key else (p.cell.text or ""),
            row=p.row,
            col=p.col,
            rowspan=p.cell.rowspan,
            colspan=p.cell.colspan,
            role=p.cell.role,
            key=p.cell.key,
        )
        for p in table.placed
    ]
    return report.Table(
        id=table.id,
        name=table.name,
        columns=table.columns,
        rows=len(table.rows),
        header_rows=table.header_rows,
        cells=cells,
        widths=table.widths,
        small=table.small,
    )
