"""Findings back into the Word document, as comments anchored on the offending text.

The reviewer sees each finding in Word or WPS where it applies: the number that does not
match is highlighted and carries a comment with the finding's code and message. The
original file is never changed: `annotate_docx` returns the bytes of a copy.
"""

from __future__ import annotations

import copy
import io
from bisect import bisect_left, bisect_right
from typing import Any

from drafter.checking.findings import Finding, Severity
from drafter.read.document import structure
from drafter.read.docx import W, document_blocks, open_docx

AUTHOR = "drafter"
INITIALS = "DR"
_HIGHLIGHT = {Severity.ERROR: "yellow", Severity.WARNING: "cyan", Severity.ADVICE: "lightGray"}
_SKIP = {W + "del", W + "moveFrom"}


def annotate_docx(data: bytes, findings: list[Finding], name: str = "document.docx") -> bytes:
    from docx.text.paragraph import Paragraph as DocxParagraph
    from docx.text.run import Run

    document = open_docx(data, name)
    report, origins = structure(document_blocks(document))
    where = {
        (heading, number): paragraph for heading, number, paragraph in report.located_paragraphs()
    }
    body_paragraphs = [p for p in document.element.body.iter(W + "p")]
    fallback = body_paragraphs[0] if body_paragraphs else None
    indexes: dict[Any, _RunIndex] = {}  # per paragraph element, built once
    for finding in findings:
        location = finding.location
        paragraph = where.get((location.section, location.paragraph))
        runs: list = []
        element = None
        if paragraph is not None and id(paragraph) in origins:
            element, offset = origins[id(paragraph)]
            start, end = location.span or (0, len(paragraph.text))
            if element not in indexes:
                indexes[element] = _RunIndex(element)
            runs = indexes[element].isolate(offset + start, offset + end)
        if not runs:
            element = element if element is not None else fallback
            if element is None:
                continue
            runs = [r for r in element.iter(W + "r") if not _deleted(r, element)][:1]
            if not runs:
                runs = [_empty_run(element)]
        owner = DocxParagraph(element, document._body)
        run_objects = [Run(r, owner) for r in runs]
        for run in run_objects:
            _highlight(run, _HIGHLIGHT[finding.severity])
        text = f"[{finding.code}] {finding.message}"
        if location.paragraph is None and location.label():
            text += f"（{location.label()}）"
        document.add_comment(run_objects, text=text, author=AUTHOR, initials=INITIALS)
    _drop_entity_references(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _drop_entity_references(document) -> None:  # type: ignore[no-untyped-def]
    """Remove the entity references the safe parser left unresolved (`&xxe;` of a hostile
    file's DOCTYPE): a part is saved without its DOCTYPE, so a reference left in it would
    name an undeclared entity and Word would refuse the whole annotated copy. What the
    reference would have expanded to was never read, so no text is lost that was shown."""
    from lxml import etree

    for part in document.part.package.iter_parts():
        root = getattr(part, "_element", None)
        if root is None:
            continue
        for entity in list(root.iter(etree.Entity)):
            parent = entity.getparent()
            if parent is None:
                continue
            tail = entity.tail or ""
            previous = entity.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + tail
            else:
                parent.text = (parent.text or "") + tail
            parent.remove(entity)


def _deleted(run, paragraph) -> bool:  # type: ignore[no-untyped-def]
    node = run.getparent()
    while node is not None and node is not paragraph:
        if node.tag in _SKIP:
            return True
        node = node.getparent()
    return False


def _text_runs(paragraph) -> list[tuple[object, int, int]]:  # type: ignore[no-untyped-def]
    """(run, start, end) of the text each live run contributes, in reading order; the offsets
    agree with drafter.read.docx.element_text."""
    out, position = [], 0
    for run in paragraph.iter(W + "r"):
        if _deleted(run, paragraph):
            continue
        length = 0
        for child in run:
            if child.tag == W + "t":
                length += len(child.text or "")
            elif child.tag in (W + "tab", W + "br", W + "cr", W + "noBreakHyphen"):
                length += 1
        out.append((run, position, position + length))
        position += length
    return out


class _RunIndex:
    """The live runs of one paragraph and the span of text each contributes (as `_text_runs`
    finds them), kept up to date as `isolate` splits runs: a paragraph with thousands of
    findings costs a bisection per finding, not a walk through all its runs (which each
    finding splits further). The runs a comment adds hold no text and shift no offset."""

    def __init__(self, paragraph: Any) -> None:
        self.paragraph = paragraph
        found = _text_runs(paragraph)
        self.runs = [run for run, _, _ in found]
        self.starts = [start for _, start, _ in found]
        self.ends = [end for _, _, end in found]

    def _split_at(self, position: int) -> None:
        index = bisect_left(self.starts, position) - 1  # the last run starting before it
        if index < 0 or position >= self.ends[index]:
            return
        run, start = self.runs[index], self.starts[index]
        if _split(run, position - start):
            self.runs.insert(index + 1, run.getnext())
            self.starts.insert(index + 1, position)
            self.ends.insert(index + 1, self.ends[index])
            self.ends[index] = position

    def isolate(self, start: int, end: int) -> list[Any]:
        """The runs covering exactly [start, end) of the paragraph's text: runs are split where
        the span begins and ends inside them (at the end first, so that offsets stay valid);
        when no run lies wholly inside the span, the runs that overlap it."""
        for position in (end, start):
            self._split_at(position)
        first = bisect_right(self.ends, start)  # the first run ending after the start
        last = bisect_left(self.starts, end, lo=first)  # … and the first starting at the end
        inside = [
            self.runs[i]
            for i in range(first, last)
            if self.starts[i] >= start and self.ends[i] <= end and self.ends[i] > self.starts[i]
        ]
        if inside:
            return inside
        return [r for r, s, e in _text_runs(self.paragraph) if s < end and e > start]


def _split(run, at: int) -> bool:  # type: ignore[no-untyped-def]
    """Split a run with one text element at character `at`; a run of another shape (tabs,
    breaks, several text elements) is left whole. Whether the run was split."""
    texts = [c for c in run if c.tag == W + "t"]
    others = [c for c in run if c.tag not in (W + "t", W + "rPr")]
    if len(texts) != 1 or others:
        return False
    text = texts[0].text or ""
    if at <= 0 or at >= len(text):
        return False
    right = copy.deepcopy(run)
    texts[0].text = text[:at]
    right_text = next(c for c in right if c.tag == W + "t")
    right_text.text = text[at:]
    for element in (texts[0], right_text):
        element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.addnext(right)
    return True


def _empty_run(paragraph):  # type: ignore[no-untyped-def]
    from docx.oxml import OxmlElement

    run = OxmlElement("w:r")
    paragraph.append(run)
    return run


def _highlight(run, colour: str) -> None:  # type: ignore[no-untyped-def]
    from docx.enum.text import WD_COLOR_INDEX

    run.font.highlight_color = {
        "yellow": WD_COLOR_INDEX.YELLOW,
        "cyan": WD_COLOR_INDEX.TURQUOISE,
        "lightGray": WD_COLOR_INDEX.GRAY_25,
    }[colour]
