"""HTML tables back into grids (rowspan/colspan expanded), with the standard library parser."""

from __future__ import annotations

from html.parser import HTMLParser

from drafter import report as rp
from drafter.read.document import Block
from drafter.read.tables import Grid

_BLOCK_TAGS = {"p": None, "h1": 0, "h2": 1, "h3": 2, "h4": 2, "li": None, "div": None}


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[tuple[str, int, int]]]] = []
        self._depth = 0
        self._row: list[tuple[str, int, int]] | None = None
        self._cell: list[str] | None = None
        self._span = (1, 1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._depth += 1
            if self._depth == 1:
                self.tables.append([])
        elif self._depth == 1 and tag == "tr":
            self._row = []
        elif self._depth == 1 and tag in ("td", "th") and self._row is not None:
            values = dict(attrs)
            self._span = (_int(values.get("rowspan")), _int(values.get("colspan")))
            self._cell = []
        elif self._cell is not None and tag == "br":
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._depth -= 1
        elif self._depth == 1 and tag in ("td", "th") and self._cell is not None:
            assert self._row is not None
            self._row.append(("".join(self._cell).strip(), *self._span))
            self._cell = None
        elif self._depth == 1 and tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def html_tables(text: str) -> list[Grid]:
    """Every top-level table of an HTML page as a grid."""
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    return [_expand(rows) for rows in parser.tables]


def _expand(rows: list[list[tuple[str, int, int]]]) -> Grid:
    taken: dict[tuple[int, int], str] = {}
    for r, row in enumerate(rows):
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in taken:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken[(r + dr, c + dc)] = text
            c += colspan
    if not taken:
        return []
    height = max(r for r, _ in taken) + 1
    width = max(c for _, c in taken) + 1
    return [[taken.get((r, c), "") for c in range(width)] for r in range(height)]


class _BlockParser(HTMLParser):
    """Paragraphs, headings and top-level tables of a page, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._text: list[str] | None = None
        self._level: int | None = None
        self._tag: str | None = None
        self._table_depth = 0
        self._table_html: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        if tag == "table":
            self._flush()
            self._table_depth += 1
        if self._table_depth:
            self._table_html.append(self.get_starttag_text() or f"<{tag}>")
            return
        if tag in _BLOCK_TAGS:
            self._flush()
            self._text, self._level, self._tag = [], _BLOCK_TAGS[tag], tag
        elif tag == "br" and self._text is not None:
            self._text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        if self._table_depth:
            self._table_html.append(f"</{tag}>")
            if tag == "table":
                self._table_depth -= 1
                if not self._table_depth:
                    grids = _tables_with_spans("".join(self._table_html))
                    self._table_html = []
                    for table in grids:
                        self.blocks.append(Block(table=table))
            return
        if tag == self._tag:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._table_depth:
            self._table_html.append(data.replace("&", "&amp;").replace("<", "&lt;"))
        elif self._text is not None:
            self._text.append(data)
        elif data.strip():
            self.blocks.append(Block(data.strip()))

    def _flush(self) -> None:
        if self._text is not None:
            text = "".join(self._text).strip()
            if text:
                self.blocks.append(Block(text, self._level))
        self._text, self._level, self._tag = None, None, None


def _tables_with_spans(text: str) -> list[rp.Table]:
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    out = []
    for rows in parser.tables:
        cells, taken = [], set()
        for r, row in enumerate(rows):
            c = 0
            for cell_text, rowspan, colspan in row:
                while (r, c) in taken:
                    c += 1
                for dr in range(rowspan):
                    for dc in range(colspan):
                        taken.add((r + dr, c + dc))
                cells.append(rp.Cell(cell_text, r, c, rowspan, colspan))
                c += colspan
        if cells:
            height = max(r for r, _ in taken) + 1
            width = max(c for _, c in taken) + 1
            out.append(rp.Table("", "", width, height, 0, cells))
    return out


def html_blocks(text: str) -> list[Block]:
    parser = _BlockParser()
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.blocks
