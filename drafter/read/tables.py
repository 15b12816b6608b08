"""Finding an official table's values in a grid read back from a document, by label.

A grid is rows × columns of cell texts with merged cells repeated at every position they
cover (as python-docx and an HTML rowspan/colspan expansion give them). Values are found by
the official row label and column header of each cell of the layout, never by index, so a
table with an extra blank row or a different styling still reads right. A label printed
slightly differently (本年度止件数 for 本年废止件数, 规范性文件 for 行政规范性文件) is still
found, and reported as a label that is not character-exact.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import pairwise

from drafter import formats

Grid = list[list[str]]

_SPACE = re.compile(r"\s+")
SIMILAR = 0.75  # how close a printed label must be to an official one to stand for it


def normalise(text: str) -> str:
    """Compare labels as printed: no spaces, one form of parentheses, colons and commas."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACE.sub("", text)
    return text.replace("(", "（").replace(")", "）").replace(":", "：").replace(",", "，")


def _norm_label(text: str) -> str:
    # Quotation marks differ between copies (“三安全一稳定” vs "三安全一稳定").
    return normalise(text).replace("“", "").replace("”", "").replace('"', "")


@dataclass
class ReadTable:
    values: dict[str, str | None]  # key → cell text (None: its row or column was not found)
    renamed: dict[str, str] = field(default_factory=dict)  # official label → printed label
    missing_labels: list[str] = field(default_factory=list)  # official labels not printed


def official_labels(table: formats.Table) -> list[str]:
    """Every text the layout prints in the table (captions, headers, row labels)."""
    out: list[str] = []
    for placed in table.placed:
        text = placed.cell.text
        if text and not placed.cell.is_value and text not in out:
            out.append(text)
    return out


def read_table(grid: Grid, table: formats.Table, *, exact: bool = True) -> ReadTable:
    norm = [[_norm_label(cell) for cell in row] for row in grid]
    printed = {text for row in norm for text in row if text}
    if not exact:
        # Plain text splits a label over cells ("一、" and "本年新收……"): count neighbours
        # joined as printed too.
        printed |= {a + b for row in norm for a, b in pairwise(row) if a and b}
    renamed: dict[str, str] = {}
    missing: list[str] = []
    alias: dict[str, str] = {}  # normalised official → normalised printed
    official = official_labels(table)
    exact_hits = {_norm_label(label) for label in official} & printed
    for label in official:
        key = _norm_label(label)
        if not key:
            continue
        if key in printed:
            alias[key] = key
            continue
        candidates = [t for t in printed - exact_hits if not _is_number(t)]
        close = difflib.get_close_matches(key, candidates, n=1, cutoff=SIMILAR)
        if close:
            alias[key] = close[0]
            renamed[label] = _original(grid, norm, close[0])
        else:
            missing.append(label)
    values: dict[str, str | None] = {}
    for key, info in table.cells.items():
        row_parts = [alias.get(p, p) for p in map(_norm_label, info.row_label.split(" · ")) if p]
        header_parts = [
            alias.get(p, p) for p in map(_norm_label, info.column_header.split(" · ")) if p
        ]
        caption = alias.get(_norm_label(info.caption)) if info.caption else None
        if not exact:
            values[key] = None
            continue
        row = _find_row(norm, row_parts, caption)
        column = None if row is None else _find_column(norm, row, header_parts, caption)
        values[key] = None if row is None or column is None else grid[row][column].strip()
    return ReadTable(values, renamed, missing)


def read_values(grid: Grid, table: formats.Table) -> dict[str, str | None]:
    """key → the text of its cell in `grid` (None when its row or column is not found)."""
    return read_table(grid, table).values


def label_hits(grid: Grid, table: formats.Table) -> int:
    """How many of the table's official labels the grid prints (to tell tables apart)."""
    printed = {_norm_label(text) for row in grid for text in row}
    return sum(1 for label in official_labels(table) if _norm_label(label) in printed)


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[\d.,，]+", text))


def _original(grid: Grid, norm: list[list[str]], wanted: str) -> str:
    for row, norm_row in zip(grid, norm, strict=True):
        for text, key in zip(row, norm_row, strict=True):
            if key == wanted:
                return text.strip()
    return wanted


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
    for c in range(width):
        above = {norm[r][c] for r in range(start, row) if c < len(norm[r])}
        if all(p in above for p in parts) and norm[row][c] not in parts:
            return c  # a single-value row (行政许可) spans columns: the first holds the value
    return None
