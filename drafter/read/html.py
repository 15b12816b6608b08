"""Web pages back into blocks: paragraphs, headings and tables with their merges.

Parsed with lxml's HTML parser (libxml2: fast, forgiving of the markup government sites
publish, no external entities, no network). A block tag (p, div, li, h1…h4) starts a
paragraph; text outside any block is a paragraph of its own; script, style and the head are
skipped. A top-level table becomes a table: rowspan/colspan give its merges, a nested
table's text belongs to the cell around it, <br> is a line break. Spans are clamped as browsers
clamp them (a rowspan never reaches below the table's last row) and every table, paragraph and
character is counted against drafter.limits as it is made: a 500-byte page of cells declaring
rowspan="1000" colspan="1000" is no longer a grid of millions of cells.
"""

from __future__ import annotations

import re
from typing import Any

from drafter import report as rp
from drafter.limits import MAX_HTML_SPAN, TextBudget, check_table
from drafter.read.document import Block
from drafter.read.tables import Grid

_BLOCK_TAGS = {"p": None, "h1": 0, "h2": 1, "h3": 2, "h4": 2, "li": None, "div": None}
_SKIPPED = {"script", "style", "head", "title", "noscript", "template"}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def _parse(text: str) -> Any:
    """The page's root element (None for a page with nothing in it)."""
    import lxml.html
    from lxml import etree

    text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses str with a declaration
    if not text.strip():
        return None
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError):
        return None


def _span(value: str | None, room: int) -> int:
    """A rowspan or colspan: at least 1, at most MAX_HTML_SPAN (as browsers clamp it) and at
    most `room`, what the table has left in that direction."""
    text = (value or "").strip()
    try:
        # int() of thousands of digits is slow, and no span has ten
        number = int(text) if len(text) < 10 else (MAX_HTML_SPAN if text.isdigit() else 1)
    except ValueError:
        number = 1
    return max(1, min(number, MAX_HTML_SPAN, room))


def _cell_text(element: Any) -> str:
    """A cell's text, <br> as a line break, nested tables' text included."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node.tag, str):
            if node.tag == "br":
                out.append("\n")
            elif node.tag not in ("script", "style") and node.text:
                out.append(node.text)
            if node.tag not in ("script", "style"):
                for child in node:
                    walk(child)
        if node.tail and node is not element:
            out.append(node.tail)

    walk(element)
    return "".join(out).strip()


def _table(element: Any, budget: TextBudget) -> rp.Table | None:
    """A top-level <table> as a report table; None when it has no cells. A rowspan is clamped
    to the rows below it; the grid is checked against MAX_TABLE_CELLS before each cell is laid
    out (E-LIMIT-TABLE), so that no table costs more than that."""
    rows = [
        tr
        for tr in element.iter("tr")
        if next(tr.iterancestors("table"), None) is element  # not a nested table's row
    ]
    cells: list[rp.Cell] = []
    taken: set[tuple[int, int]] = set()
    height = width = 0
    for r, tr in enumerate(rows):
        c = 0
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                continue
            while (r, c) in taken:
                c += 1
            rowspan = _span(td.get("rowspan"), len(rows) - r)
            colspan = _span(td.get("colspan"), MAX_HTML_SPAN)
            height, width = max(height, r + rowspan), max(width, c + colspan)
            check_table(height, width, budget.name)
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken.add((r + dr, c + dc))
            text = _cell_text(td)
            budget.text(text)
            cells.append(rp.Cell(text, r, c, rowspan, colspan))
            c += colspan
    if not cells:
        return None
    budget.table(height, width)
    return rp.Table("", "", width, height, 0, cells)


class _Blocks:
    """Paragraphs, headings and top-level tables of a page, in reading order."""

    def __init__(self, budget: TextBudget) -> None:
        self.budget = budget
        self.blocks: list[Block] = []
        self._text: list[str] | None = None
        self._level: int | None = None
        self._tag: str | None = None

    def walk(self, element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else None  # comments: no tag
        if tag in _SKIPPED:
            return
        if tag == "table":
            self.flush()
            table = _table(element, self.budget)
            if table is not None:
                self.blocks.append(Block(table=table))
            return
        if tag in _BLOCK_TAGS:
            self.flush()
            self._text, self._level, self._tag = [], _BLOCK_TAGS[tag], tag
        elif tag == "br" and self._text is not None:
            self._text.append("\n")
        if tag is not None:
            self._data(element.text)
        for child in element:
            self.walk(child)
            self._data(child.tail)
        if tag is not None and tag == self._tag:
            self.flush()

    def _data(self, data: str | None) -> None:
        if not data:
            return
        if self._text is not None:
            self._text.append(data)
        elif data.strip():
            self.budget.paragraph(data.strip())
            self.blocks.append(Block(data.strip()))

    def flush(self) -> None:
        if self._text is not None:
            text = "".join(self._text).strip()
            if text:
                self.budget.paragraph(text)
                self.blocks.append(Block(text, self._level))
        self._text, self._level, self._tag = None, None, None


def html_blocks(text: str, budget: TextBudget | None = None) -> list[Block]:
    root = _parse(text)
    if root is None:
        return []
    builder = _Blocks(budget or TextBudget(None))
    builder.walk(root)
    builder.flush()
    return builder.blocks


def _tables_with_spans(text: str, budget: TextBudget | None = None) -> list[rp.Table]:
    """The top-level tables of an HTML fragment (Markdown embeds its tables as HTML)."""
    root = _parse(text)
    if root is None:
        return []
    budget = budget or TextBudget(None)
    out = []
    for element in root.iter("table"):
        if next(element.iterancestors("table"), None) is None:
            table = _table(element, budget)
            if table is not None:
                out.append(table)
    return out


def html_tables(text: str) -> list[Grid]:
    """Every top-level table of an HTML page as a grid (merged cells repeated)."""
    return [[[c.text for c in row] for row in t.grid()] for t in _tables_with_spans(text)]
