"""Every number of a report's prose marked by its provenance, for a page that shows a draft.

`number_marks` verifies a report once (`verify_report`, nothing decided here) and says, for
each paragraph of each part, what every number token is: verified, and against which table
cell or fact (`ok`); wrong or doubtful (the finding's severity, code and message); and where
the gaps left for the clerk (【待补充…】) and the marked claims (a claim the statistics
contradict, one a model wrote without a source, debris) stand. `marks_html` renders one part
as escaped HTML with those marks as spans. The web page calls both after each edit: nothing
here is specific to it.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from drafter.checking.findings import Finding, Severity
from drafter.formats import Layout
from drafter.render import gap_spans
from drafter.report import Paragraph, Report, Section
from drafter.statistics.quantities import Quantity
from drafter.statistics.stats import Stats
from drafter.verification.numbers import find_numbers

Kind = Literal["number", "gap", "claim"]
Status = Literal["ok", "warning", "error", "advice", "gap"]

PREAMBLE = "preamble"  # the id of the part before the first heading
PREAMBLE_HEADING = "前言"
UNCHECKED = "不是统计数（如“三类”“两项”），不核对"
CONFIRMED = "核对无误"


@dataclass(frozen=True)
class Mark:
    """One marked stretch of a paragraph's text, `text[start:end]`."""

    start: int
    end: int
    kind: Kind
    status: Status
    code: str | None = None  # the finding's code (None for a number verified right)
    message: str | None = None  # the finding's message, or what was checked
    source: str | None = None  # where the number comes from, in Chinese; None when unknown


@dataclass(frozen=True)
class Note:
    """A finding about a paragraph as a whole (no stretch of its text to mark)."""

    status: Status
    code: str
    message: str


@dataclass(frozen=True)
class ParagraphMarks:
    number: int  # 1-based within its part, as findings number it
    text: str
    marks: tuple[Mark, ...]
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class PartMarks:
    """One part of a report: the preamble (id `preamble`) or a section, its own paragraphs
    only (a section's subsections are parts of their own). The id is the section's id, stable
    across drafts and edits."""

    id: str
    heading: str
    level: int  # 0: the preamble; 1: 一、…; 2: （一）…
    paragraphs: tuple[ParagraphMarks, ...] = field(default_factory=tuple)


def parts_of(report: Report) -> list[tuple[str, str, int, str | None, list[Paragraph]]]:
    """(id, heading, level, heading as findings name it, paragraphs) of each part, in
    reading order."""
    out: list[tuple[str, str, int, str | None, list[Paragraph]]] = [
        (PREAMBLE, PREAMBLE_HEADING, 0, None, list(report.preamble))
    ]

    def walk(section: Section) -> None:
        paragraphs = [b for b in section.blocks if isinstance(b, Paragraph)]
        out.append((section.id, section.heading, section.level, section.heading, paragraphs))
        for sub in section.subsections:
            walk(sub)

    for section in report.sections:
        walk(section)
    return out


def number_marks(
    report: Report,
    stats: Stats,
    layout: Layout,
    previous: Stats | None = None,
) -> list[PartMarks]:
    """Every part of `report` with each paragraph's text and its marks, from one run of
    `verify_report` against `stats` (and last year's, `previous`)."""
    from drafter.statistics.quantities import quantities, with_table_values, year_on_year
    from drafter.verification.verify import verify_report

    confirmed: dict[tuple[str | None, int], dict[tuple[int, int], Quantity | str]] = {}
    findings = verify_report(report, stats, layout, previous, confirmed=confirmed)
    known = quantities(stats, layout)
    named = dict(known)
    named.update(with_table_values(stats, known)[0])
    if previous is not None:
        named.update(year_on_year(known, quantities(previous, layout)))
    agency = next((f for f in findings if f.code == "E-DOC-AGENCY"), None)

    by_paragraph: dict[tuple[str | None, int], list[Finding]] = {}
    for finding in findings:
        if finding.location.paragraph is not None:
            key = (finding.location.section, finding.location.paragraph)
            by_paragraph.setdefault(key, []).append(finding)

    def describe(quantity: Quantity | str | None) -> str | None:
        if quantity is None or isinstance(quantity, str):
            return quantity
        if quantity.kind == "fact":
            out = f"事实 {quantity.name}「{quantity.label}」= {quantity.text()}"
            fact = stats.fact(quantity.name)
            cell = known.get("@" + fact.cell) if fact is not None and fact.cell else None
            return out + (f"（即{cell.label}）" if cell is not None else "")
        return f"{quantity.label} = {quantity.text()}"

    parts = []
    for part_id, heading, level, section, paragraphs in parts_of(report):
        marked = []
        for number, paragraph in enumerate(paragraphs, 1):
            key = (section, number)
            marks, notes = _paragraph_marks(
                paragraph.text,
                by_paragraph.get(key, []),
                confirmed.get(key, {}),
                describe,
                lambda name: describe(named.get(name)) if name else None,
                agency,
            )
            marked.append(ParagraphMarks(number, paragraph.text, tuple(marks), tuple(notes)))
        parts.append(PartMarks(part_id, heading, level, tuple(marked)))
    return parts


def _status(finding: Finding) -> Status:
    return {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.ADVICE: "advice"}[
        finding.severity
    ]


def _locate(text: str, finding: Finding) -> tuple[int, int] | None:
    """Where a finding's text stands in the paragraph: its span, else its text within its
    sentence, else its text anywhere."""
    where = finding.location
    if where.span is not None:
        return where.span
    if not where.text:
        return None
    offset = text.find(where.sentence) if where.sentence else -1
    at = text.find(where.text, max(offset, 0))
    if at < 0:
        at = text.find(where.text)
    return (at, at + len(where.text)) if at >= 0 else None


def _paragraph_marks(
    text: str,
    findings: list[Finding],
    confirmed: dict[tuple[int, int], Quantity | str],
    describe: Callable[[Quantity | str | None], str | None],
    source_of: Callable[[str | None], str | None],
    agency: Finding | None,
) -> tuple[list[Mark], list[Note]]:
    from drafter.workflows import is_gap

    numbers = {(m.start, m.end) for m in find_numbers(text)}
    verified = set()  # numbers the verifier looked at (others are category counts)
    marks: list[Mark] = []
    notes: list[Note] = []
    gaps = gap_spans(text)
    gap_finding = next((f for f in findings if is_gap(f)), None)
    for start, end in gaps:
        marks.append(
            Mark(
                start,
                end,
                "gap",
                "gap",
                gap_finding.code if gap_finding else None,
                gap_finding.message if gap_finding else "留待填写的内容",
            )
        )
    for finding in findings:
        if is_gap(finding):
            continue
        span = _locate(text, finding)
        if span is None:
            notes.append(Note(_status(finding), finding.code, finding.message))
            continue
        kind: Kind = "number" if span in numbers else "claim"
        if kind == "number":
            verified.add(span)
        marks.append(
            Mark(
                span[0],
                span[1],
                kind,
                _status(finding),
                finding.code,
                finding.message,
                source_of(finding.location.quantity),
            )
        )
    for span in sorted(numbers - verified):
        if agency is not None:
            mark = Mark(*span, "number", "error", agency.code, agency.message)
        elif span in confirmed:
            mark = Mark(*span, "number", "ok", None, CONFIRMED, describe(confirmed[span]))
        elif _looked_at(text, span):
            mark = Mark(*span, "number", "ok", None, CONFIRMED)
        else:
            mark = Mark(*span, "number", "ok", None, UNCHECKED)
        marks.append(mark)
    marks.sort(key=lambda m: (m.start, -m.end, _KIND_ORDER[m.kind]))
    return marks, notes


def _looked_at(text: str, span: tuple[int, int]) -> bool:
    """Whether the verifier judges the number at `span` (it passes over category counts)."""
    from drafter.verification.verify import _category_count

    mention = next(m for m in find_numbers(text) if (m.start, m.end) == span)
    return not _category_count(mention, text)


# ---- HTML ---------------------------------------------------------------------------------------

_KIND_ORDER = {"claim": 0, "gap": 1, "number": 2}
_STATUS_ORDER = {"error": 0, "warning": 1, "gap": 2, "advice": 3, "ok": 4}
_CLASS = {"number": "num", "gap": "gap", "claim": "claim"}


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _title(marks: list[Mark]) -> str:
    lines = []
    for mark in marks:
        if mark.code:
            lines.append(f"{mark.code} {mark.message or ''}".strip())
        elif mark.message and not mark.source:
            lines.append(mark.message)
        if mark.source:
            lines.append(f"来源：{mark.source}")
    return "\n".join(dict.fromkeys(lines))


def _open_tag(marks: list[Mark]) -> str:
    worst = min(marks, key=lambda m: _STATUS_ORDER[m.status])
    kind = marks[0].kind
    classes = _CLASS[kind] if kind == "gap" else f"{_CLASS[kind]} {worst.status}"
    codes = " ".join(dict.fromkeys(m.code for m in marks if m.code))
    attributes = f' class="{classes}" title="{_escape(_title(marks))}"'
    if codes:
        attributes += f' data-code="{_escape(codes)}"'
    return f"<span{attributes}>"


def paragraph_html(paragraph: ParagraphMarks) -> str:
    """One paragraph's text, escaped, with its marks as (nested) spans: a claim or gap
    around the numbers it holds; marks of the same stretch and kind are one span."""
    text = paragraph.text
    groups: dict[tuple[int, int, str], list[Mark]] = {}
    numbers = [m for m in paragraph.marks if m.kind == "number"]
    for mark in paragraph.marks:
        start, end = mark.start, mark.end
        if mark.kind != "number":
            # a claim never cuts a number in two: it takes in the numbers it overlaps
            for number in numbers:
                if number.start < end and start < number.end:
                    start, end = min(start, number.start), max(end, number.end)
        groups.setdefault((start, end, mark.kind), []).append(mark)
    order = sorted(groups, key=lambda g: (g[0], -g[1], _KIND_ORDER[g[2]]))
    out: list[str] = []
    stack: list[int] = []  # where each open span ends
    at = 0
    for key in order:
        start, end, _kind = key
        while stack and stack[-1] <= start:
            out.append(_escape(text[at : stack[-1]]) + "</span>")
            at = stack.pop()
        if stack and end > stack[-1]:
            end = stack[-1]  # overlapping marks of one kind: nest, never cross
        if end <= start or start < at:
            continue
        out.append(_escape(text[at:start]) + _open_tag(groups[key]))
        at = start
        stack.append(end)
    while stack:
        out.append(_escape(text[at : stack[-1]]) + "</span>")
        at = stack.pop()
    out.append(_escape(text[at:]))
    body = "".join(out)
    notes = "".join(
        f'<span class="note {n.status}" data-code="{_escape(n.code)}" title="{_escape(n.message)}">'
        f"{_escape(n.code)}</span>"
        for n in paragraph.notes
    )
    return f'<p data-paragraph="{paragraph.number}">{body}{notes}</p>'


def marks_html(part: PartMarks) -> str:
    """A part as HTML: its heading and its paragraphs with every mark as a span
    (`<span class="num ok" title="来源：…">143条</span>`, `class="num error"` with
    `data-code`, `class="gap"`, `class="claim warning"`). All text is escaped."""
    paragraphs = "".join(paragraph_html(p) for p in part.paragraphs)
    return (
        f'<section class="part" data-part="{_escape(part.id)}">'
        f"<h2>{_escape(part.heading)}</h2>{paragraphs}</section>"
    )
