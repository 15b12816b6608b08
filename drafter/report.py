"""The one model of a report that every drafter fills and every renderer reads.

A `Report` is a title, a preamble and sections; a section holds paragraphs and tables and may
have subsections. Each paragraph knows who wrote it (`offline`, a model id, or `editor`) and
which quantities (facts, table cells) it states. Tables are grids of cells with their merges
already resolved, so renderers need neither the statistics nor the layout files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

OFFLINE = "offline"
EDITOR = "editor"
DOCUMENT = "document"  # read back from a file: who wrote it is not known


def paragraph_fingerprint(text: str) -> str:
    """What identifies a paragraph's text: it changes as soon as an editor changes a word
    (how a document records which paragraphs a model wrote)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Mark:
    """Text the drafter could not make right, kept and flagged for the editor: highlighted
    and commented in Word (a span of None marks the whole paragraph)."""

    message: str
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class Span:
    """Where a placeholder's value stands in a paragraph: the number is right by
    construction (its provenance), so verification checks it against its source only."""

    start: int
    end: int
    name: str  # the quantity (drafter.statistics.quantities)


_SENTENCE_END = re.compile(r"[。！？!?][”’」』）)]?")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a paragraph, its closing mark included."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if text[start : match.end()].strip():
            out.append((start, match.end()))
        start = match.end()
    if text[start:].strip():
        out.append((start, len(text)))
    return out


def bare_text(text: str) -> str:
    """Text without whitespace and punctuation: to tell whether a sentence survives a rewrite."""
    return re.sub(r"[\s，,。；;：:、！？!?“”\"'‘’（）()【】]", "", text)


def sentence_fingerprint(text: str) -> str:
    """What identifies a sentence a drafter wrote (whitespace aside)."""
    return hashlib.sha256(re.sub(r"\s+", "", text).encode("utf-8")).hexdigest()[:12]


@dataclass(eq=False)
class Paragraph:
    text: str
    author: str = OFFLINE
    # names of the quantities it states (drafter.statistics.quantities)
    quantities: tuple[str, ...] = ()
    marks: list[Mark] = field(default_factory=list)
    spans: tuple[Span, ...] = ()  # where the numbers from placeholders stand


@dataclass
class Provenance:
    """What drafter recorded in a document it wrote, read back with it: the numbers it filled
    in from placeholders (quantity, number as written, up to eight characters before it, so
    that an edited paragraph still finds them), and who wrote each sentence (a model id or
    offline) by fingerprint. Sentences without a record are the editor's."""

    numbers: list[tuple[str, str, str]] = field(default_factory=list)
    sentences: dict[str, str] = field(default_factory=dict)

    def spans(self, text: str) -> tuple[Span, ...]:
        """The recorded numbers found in `text` with the words before them unchanged."""
        found: dict[int, Span] = {}
        for name, number, before in self.numbers:
            if not number:
                continue
            for context in dict.fromkeys((before, before[-4:])):
                needle = context + number
                at = text.find(needle)
                hits = []
                while at >= 0:
                    if context or at == 0:
                        hits.append(at + len(context))
                    at = text.find(needle, at + 1)
                if hits:
                    for start in hits:
                        found.setdefault(start, Span(start, start + len(number), name))
                    break
        return tuple(sorted(found.values(), key=lambda s: s.start))

    def author(self, sentence: str) -> str | None:
        return self.sentences.get(sentence_fingerprint(sentence.strip()))


def record_provenance(paragraphs: Iterable[Paragraph]) -> Provenance:
    """The record a document keeps of what drafter wrote in it."""
    out = Provenance()
    for paragraph in paragraphs:
        if paragraph.author in (EDITOR, DOCUMENT):
            continue
        for span in paragraph.spans:
            before = paragraph.text[max(0, span.start - 8) : span.start]
            out.numbers.append((span.name, paragraph.text[span.start : span.end], before))
        for start, end in sentence_spans(paragraph.text):
            out.sentences[sentence_fingerprint(paragraph.text[start:end].strip())] = (
                paragraph.author
            )
    return out


@dataclass(frozen=True)
class Cell:
    """One printed table cell at its grid position (0-based), with its merges."""

    text: str
    row: int
    col: int
    rowspan: int = 1
    colspan: int = 1
    role: str = "value"  # caption | header | label | corner | value
    key: str | None = None  # the statistics key of a value cell


@dataclass
class Table:
    id: str
    name: str
    columns: int
    rows: int
    header_rows: int
    cells: list[Cell]
    widths: tuple[float, ...] = ()  # relative column widths; equal when empty
    small: bool = False  # set in the smaller of the two table sizes (table 三)
    exact: bool = True  # False when read from plain text, where merges are lost
    # readings of a table read back from a file, by drafter.read.tables (memo, not content)
    memo: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    def grid(self) -> list[list[Cell]]:
        """rows × columns, a merged cell repeated at every position it covers."""
        grid: list[list[Cell | None]] = [[None] * self.columns for _ in range(self.rows)]
        for cell in self.cells:
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    grid[r][c] = cell
        return [[c for c in row if c is not None] for row in grid]


Block = Paragraph | Table


@dataclass
class Section:
    id: str
    heading: str
    level: int  # 1: 一、…  2: （一）…
    blocks: list[Block] = field(default_factory=list)
    subsections: list[Section] = field(default_factory=list)

    def walk(self) -> Iterator[tuple[Section, Block]]:
        for block in self.blocks:
            yield self, block
        for sub in self.subsections:
            yield from sub.walk()


@dataclass
class CoverLetter:
    """报送函: the letter some agencies send the report with; the report is its 附件."""

    agency: str
    doc_number: str | None
    title: str
    recipient: str
    body: list[str]
    attachment: str
    date: str | None
    contact: str | None


@dataclass
class Report:
    title: str
    agency: str
    year: int
    layout: str
    preamble: list[Paragraph]
    sections: list[Section]
    cover_letter: CoverLetter | None = None
    provenance: Provenance | None = None  # read back from a document drafter wrote
    # Read back: the paragraphs in front of the report's "附件" line (a 报送函 or 转发通知),
    # which are not part of the report and are not verified; said so, never hidden.
    front_matter: list[str] = field(default_factory=list)

    def walk(self) -> Iterator[tuple[Section | None, Block]]:
        """Every block in reading order, with the section it belongs to."""
        for paragraph in self.preamble:
            yield None, paragraph
        for section in self.sections:
            yield from section.walk()

    def paragraphs(self) -> Iterator[Paragraph]:
        for _, block in self.walk():
            if isinstance(block, Paragraph):
                yield block

    def tables(self) -> Iterator[Table]:
        for _, block in self.walk():
            if isinstance(block, Table):
                yield block

    def located_paragraphs(self) -> Iterator[tuple[str | None, int, Paragraph]]:
        """(section heading or None for the preamble, 1-based number within it, paragraph):
        how findings name a paragraph."""
        for number, paragraph in enumerate(self.preamble, 1):
            yield None, number, paragraph

        def walk(section: Section) -> Iterator[tuple[str | None, int, Paragraph]]:
            paragraphs = [b for b in section.blocks if isinstance(b, Paragraph)]
            for number, paragraph in enumerate(paragraphs, 1):
                yield section.heading, number, paragraph
            for sub in section.subsections:
                yield from walk(sub)

        for section in self.sections:
            yield from walk(section)
