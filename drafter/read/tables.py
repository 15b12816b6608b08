"""Finding an official table's values in a grid read back from a document, by label.

A grid is rows × columns of cell texts with merged cells repeated at every position they
cover (as python-docx and an HTML rowspan/colspan expansion give them). Values are found by
the official row label and column header of each cell of the layout, never by index, so a
table with an extra blank row or a different styling still reads right.
"""

from __future__ import annotations

import re
import unicodedata

from drafter import formats

Grid = list[list[str]]

_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({'"': "“", "'": "‘"})


def normalise(text: str) -> str:
    """Compare labels as printed: full-width forms, no spaces, Chinese parentheses."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACE.sub("", text)
    return text.replace("(", "（").replace(")", "）").replace(":", "：").replace(",", "，")


def _norm_label(text: str) -> str:
    # Quotation marks differ between copies (“三安全一稳定” vs "三安全一稳定").
    return normalise(text).replace("“", "").replace("”", "").replace('"', "")


def read_values(grid: Grid, table: formats.Table) -> dict[str, str | None]:
    """key → the text of its cell in `grid` (None when its row or column is not found)."""
    norm = [[_norm_label(cell) for cell in row] for row in grid]
    values: dict[str, str | None] = {}
    for key, info in table.cells.items():
        row_parts = [_norm_label(p) for p in info.row_label.split(" · ") if p]
        header_parts = [_norm_label(p) for p in info.column_header.split(" · ") if p]
        caption = _norm_label(info.caption) if info.caption else None
        row = _find_row(norm, row_parts, caption)
        if row is None:
            values[key] = None
            continue
        column = _find_column(norm, row, header_parts, caption)
        values[key] = None if column is None else grid[row][column].strip()
    return values


def _block_start(norm: list[list[str]], caption: str | None) -> int:
    if caption is None:
        return 0
    for r, row in enumerate(norm):
        if caption in row:
            return r
    return len(norm)


def _find_row(norm: list[list[str]], parts: list[str], caption: str | None) -> int | None:
    start = _block_start(norm, caption)
    if not parts:  # table 四: the one data row is the last row
        return len(norm) - 1 if norm else None
    for r in range(start, len(norm)):
        if all(p in norm[r] for p in parts):
            return r
    return None


def _find_column(
    norm: list[list[str]], row: int, parts: list[str], caption: str | None
) -> int | None:
    start = _block_start(norm, caption)
    width = len(norm[row])
    candidates = []
    for c in range(width):
        above = {norm[r][c] for r in range(start, row) if c < len(norm[r])}
        if all(p in above for p in parts) and norm[row][c] not in parts:
            candidates.append(c)
    # A single-value row (行政许可) spans several columns: any of them holds the value.
    return candidates[0] if candidates else None
