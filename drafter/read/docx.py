"""Word documents back into text and table grids."""

from __future__ import annotations

import io

from drafter.read.tables import Grid


def docx_tables(data: bytes) -> list[Grid]:
    """Every table of a .docx as a grid; merged cells repeat at every position they cover."""
    from docx import Document

    document = Document(io.BytesIO(data))
    grids = []
    for table in document.tables:
        columns = len(table.columns)
        # table._cells once: table.cell(r, c) rebuilds the whole list on every call.
        cells = [cell.text for cell in table._cells]
        grids.append([cells[i : i + columns] for i in range(0, len(cells), columns)])
    return grids
