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
from functools import lru_cache
from itertools import pairwise

from drafter import formats
from drafter import report as rp

Grid = list[list[str]]

_SPACE = re.compile(r"\s+")
SIMILAR = 0.75  # how close a printed label must be to an official one to stand for it


def normalise(text: str) -> str:
    """Compare labels as printed: no spaces, one form of parentheses, colons and commas."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACE.sub("", text)
    return text.replace("(", "（").replace(")", "）").replace(":", "：").replace(",", "，")


@lru_cache(maxsize=65536)  # the same labels and numbers recur in every table read
def _norm_label(text: str) -> str:
    # Quotation marks differ between copies (“三安全一稳定” vs "三安全一稳定").
    return normalise(text).replace("“", "").replace("”", "").replace('"', "")


@dataclass
class ReadTable:
    values: dict[str, str | None]  # key → cell text (None: its row or column was not found)
    renamed: dict[str, str] = field(default_factory=dict)  # official label → printed label
    missing_labels: list[str] = field(default_factory=list)  # official labels not printed
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # key → (row, column)


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
    positions: dict[str, tuple[int, int]] = {}
    rows: dict[tuple[tuple[str, ...], str | None], int | None] = {}
    columns = _Columns(norm)
    for key, info in table.cells.items():
        row_parts = [alias.get(p, p) for p in map(_norm_label, info.row_label.split(" · ")) if p]
        header_parts = [
            alias.get(p, p) for p in map(_norm_label, info.column_header.split(" · ")) if p
        ]
        caption = alias.get(_norm_label(info.caption)) if info.caption else None
        if not exact:
            values[key] = None
            continue
        row = rows.get((tuple(row_parts), caption), -1)
        if row == -1:
            row = rows[(tuple(row_parts), caption)] = _find_row(norm, row_parts, caption)
        column = None if row is None else columns.find(row, header_parts, caption)
        values[key] = None if row is None or column is None else grid[row][column].strip()
        if row is not None and column is not None:
            positions[key] = (row, column)
    return ReadTable(values, renamed, missing, positions=positions)


def text_grid(table: rp.Table) -> Grid:
    """The cell texts of a printed table, rows × columns (worked out once per table)."""
    if "grid" not in table.memo:
        table.memo["grid"] = [[c.text for c in row] for row in table.grid()]
    return table.memo["grid"]  # type: ignore[return-value]


def read_printed(table: rp.Table, spec: formats.Table, *, exact: bool = True) -> ReadTable:
    """`read_table` of a printed table, remembered: extract and the table rules read the
    same tables with the same layouts (an audit reads hundreds of reports)."""
    key = ("read", id(spec), exact)
    if key not in table.memo:
        table.memo[key] = read_table(text_grid(table), spec, exact=exact)
    return table.memo[key]  # type: ignore[return-value]


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


class _Columns:
    """`_find_column` with the labels above each cell gathered once per block."""

    def __init__(self, norm: list[list[str]]) -> None:
        self.norm = norm
        self._above: dict[int, list[list[set[str]]]] = {}  # block start → [row][column]

    def find(self, row: int, parts: list[str], caption: str | None) -> int | None:
        start = _block_start(self.norm, caption)
        if start not in self._above:
            self._above[start] = self._gather(start)
        above = self._above[start]
        if row - start >= len(above) or row < start:
            return _find_column(self.norm, row, parts, caption)
        labels = above[row - start]
        for c, cell in enumerate(self.norm[row]):
            if c < len(labels) and all(p in labels[c] for p in parts) and cell not in parts:
                return c
        return None

    def _gather(self, start: int) -> list[list[set[str]]]:
        """For each row from `start`, for each column, the labels printed above it."""
        width = max((len(r) for r in self.norm), default=0)
        seen: list[set[str]] = [set() for _ in range(width)]
        out: list[list[set[str]]] = []
        for r in range(start, len(self.norm)):
            out.append([set(s) for s in seen])
            for c, text in enumerate(self.norm[r]):
                seen[c].add(text)
        return out


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
