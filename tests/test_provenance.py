"""Every number of a draft's prose marked by its provenance (drafter.verification.provenance)."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from drafter.checking.findings import Severity
from drafter.report import EDITOR, Paragraph
from drafter.verification.numbers import find_numbers
from drafter.verification.provenance import Mark, PartMarks, marks_html, number_marks
from drafter.verification.verify import verify_report
from drafter.workflows import DraftResult, is_gap, prepare_draft

ROOT = Path(__file__).resolve().parents[1]
QUANZHOU = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
HONGJIANG = ROOT / "samples" / "hongjiang-yuanjianglu-2023" / "stats.yaml"


def _draft(path: Path) -> DraftResult:
    result = prepare_draft(path, allow_errors=True)
    assert result.report is not None
    return result


def _marks(result: DraftResult) -> list[PartMarks]:
    assert result.report is not None
    return number_marks(result.report, result.stats, result.layout)


def _find(parts: list[PartMarks], part_id: str, text: str) -> tuple[str, Mark]:
    """The paragraph and the mark of the number `text` in part `part_id`."""
    part = next(p for p in parts if p.id == part_id)
    for paragraph in part.paragraphs:
        for mark in paragraph.marks:
            if mark.kind == "number" and paragraph.text[mark.start : mark.end] == text:
                return paragraph.text, mark
    raise AssertionError(f"no mark for {text} in {part_id}")


def _paragraph(result: DraftResult, heading: str, needle: str) -> Paragraph:
    assert result.report is not None
    return next(
        p for h, _, p in result.report.located_paragraphs() if h == heading and needle in p.text
    )


@pytest.fixture(scope="module")
def quanzhou() -> DraftResult:
    return _draft(QUANZHOU)


def test_every_number_token_has_a_mark(quanzhou: DraftResult) -> None:
    parts = _marks(quanzhou)
    assert parts[0].id == "preamble"
    assert [p.id for p in parts][1:3] == ["overall", "overall.proactive"]
    total = 0
    for part in parts:
        for paragraph in part.paragraphs:
            numbers = {(m.start, m.end) for m in find_numbers(paragraph.text)}
            marked = {(m.start, m.end) for m in paragraph.marks if m.kind == "number"}
            assert numbers == marked, paragraph.text
            total += len(numbers)
    assert total > 30


def test_known_wrong_number_is_an_error_with_its_cell(quanzhou: DraftResult) -> None:
    _, mark = _find(_marks(quanzhou), "overall.management", "11份")
    assert (mark.status, mark.code) == ("error", "E-NUM-MISMATCH")
    assert mark.source is not None
    assert "表二" in mark.source and "现行有效件数" in mark.source and "14" in mark.source
    assert "14" in (mark.message or "")


def test_right_numbers_are_ok_with_their_source(quanzhou: DraftResult) -> None:
    parts = _marks(quanzhou)
    _, mark = _find(parts, "overall.proactive", "143条")
    assert (mark.status, mark.code) == ("ok", None)
    assert mark.source is not None
    assert "proactive.items" in mark.source and "143条" in mark.source
    _, mark = _find(parts, "overall.requests", "1件")
    assert mark.status == "ok"
    assert mark.source == "表三 · 一、本年新收政府信息公开申请数量 · 总计 = 1件"


def test_numbers_an_editor_wrote_are_sourced_by_their_context() -> None:
    """Without placeholders (the editor's own words), the quantity the verifier matched each
    right number to is its source."""
    result = _draft(QUANZHOU)
    assert result.report is not None
    for paragraph in result.report.paragraphs():
        paragraph.spans, paragraph.author = (), EDITOR
    parts = _marks(result)
    _, mark = _find(parts, "overall.proactive", "14件")
    assert mark.status == "ok" and mark.source == "表二 · 行政规范性文件 · 现行有效件数 = 14件"
    _, mark = _find(parts, "overall.management", "11份")
    assert mark.code == "E-NUM-MISMATCH"
    oks = [m for p in parts for q in p.paragraphs for m in q.marks if m.status == "ok"]
    assert oks and all(m.source for m in oks)


@pytest.mark.parametrize("editor", [False, True])
def test_a_changed_number_becomes_an_error(editor: bool) -> None:
    result = _draft(QUANZHOU)
    paragraph = _paragraph(result, "（一）主动公开方面", "143条")
    if editor:
        paragraph.spans, paragraph.author = (), EDITOR
    _, before = _find(_marks(result), "overall.proactive", "143条")
    assert before.status == "ok"
    paragraph.text = paragraph.text.replace("143条", "134条", 1)
    text, mark = _find(_marks(result), "overall.proactive", "134条")
    assert (text[mark.start : mark.end], mark.status, mark.code) == (
        "134条",
        "error",
        "E-NUM-MISMATCH",
    )
    assert mark.source is not None and "143条" in mark.source


def test_gaps_are_marked() -> None:
    result = _draft(HONGJIANG)
    parts = _marks(result)
    gaps = [
        (paragraph.text, mark)
        for part in parts
        for paragraph in part.paragraphs
        for mark in paragraph.marks
        if mark.kind == "gap"
    ]
    assert len(gaps) == len(result.gaps) > 0
    for text, mark in gaps:
        assert mark.status == "gap"
        assert text[mark.start : mark.end].startswith("【待补充")
        assert text[mark.end - 1] == "】"
    assert {text[m.start : m.end] for text, m in gaps} == {g.text for g in result.gaps}


def test_marked_claims() -> None:
    """A claim the statistics contradict is marked on its words."""
    result = _draft(QUANZHOU)
    paragraph = _paragraph(result, "（二）依申请公开方面", "行政诉讼")
    paragraph.text = "本年度未收到政府信息公开申请。" + paragraph.text
    paragraph.spans = ()
    part = next(p for p in _marks(result) if p.id == "overall.requests")
    claims = [(q.text, m) for q in part.paragraphs for m in q.marks if m.kind == "claim"]
    assert len(claims) == 1
    text, mark = claims[0]
    assert (mark.status, mark.code) == ("error", "E-CLAIM-NONE")
    assert text[mark.start : mark.end] == "未收到政府信息公开申请"


class _Spans(HTMLParser):
    """The text inside each span (innermost), with its attributes, and all text."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[dict[str, str | None], list[str]]] = []
        self.spans: list[tuple[dict[str, str | None], str]] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "span":
            self.stack.append((dict(attrs), []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            attrs, inner = self.stack.pop()
            self.spans.append((attrs, "".join(inner)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for _, inner in self.stack:
            inner.append(data)


def test_marks_html_escapes_and_spans_cover_the_numbers(quanzhou: DraftResult) -> None:
    result = _draft(QUANZHOU)
    paragraph = _paragraph(result, "（一）主动公开方面", "143条")
    hostile = "<script>alert(\"x\")</script>&<b onclick='y'>"
    paragraph.text = hostile + paragraph.text.replace("143条", "134条", 1)
    paragraph.spans = ()
    part = next(p for p in _marks(result) if p.id == "overall.proactive")
    out = marks_html(part)
    assert "<script" not in out and "<b " not in out
    assert "&lt;script&gt;" in out
    parser = _Spans()
    parser.feed(out)
    parser.close()
    assert set(parser.tags) <= {"section", "h2", "p", "span"}
    # the text shown is the paragraphs' text, unchanged
    shown = "".join(parser.text)
    for marked in part.paragraphs:
        assert marked.text in shown
    numbers = [
        (q.text[m.start : m.end], m) for q in part.paragraphs for m in q.marks if m.kind == "number"
    ]
    spans = [(a, inner) for a, inner in parser.spans if (a.get("class") or "").startswith("num")]
    assert [inner for _, inner in spans] == [text for text, _ in numbers]
    for (attrs, _), (_, mark) in zip(spans, numbers, strict=True):
        assert attrs["class"] == f"num {mark.status}"
        assert attrs.get("data-code") == mark.code
        if mark.source:
            assert mark.source in (attrs["title"] or "")
    wrong = next(a for a, inner in spans if inner == "134条")
    assert wrong["class"] == "num error" and wrong["data-code"] == "E-NUM-MISMATCH"


def test_marks_html_escapes_the_heading_and_id() -> None:
    part = PartMarks('x" onload="y', "<img src=x>", 1, ())
    out = marks_html(part)
    assert "<img" not in out and 'x" onload' not in out
    assert "&lt;img src=x&gt;" in out


def _agreement(result: DraftResult) -> None:
    assert result.report is not None
    findings = verify_report(result.report, result.stats, result.layout)
    expected = {
        (f.location.section, f.location.paragraph, f.location.span, f.code)
        for f in findings
        if f.location.paragraph is not None
        and f.severity in (Severity.ERROR, Severity.WARNING)
        and not is_gap(f)
    }
    marked = set()
    for part in _marks(result):
        section = None if part.id == "preamble" else part.heading
        for paragraph in part.paragraphs:
            for mark in paragraph.marks:
                if mark.status in ("error", "warning"):
                    marked.add((section, paragraph.number, (mark.start, mark.end), mark.code))
            for note in paragraph.notes:
                if note.status in ("error", "warning"):
                    marked.add((section, paragraph.number, None, note.code))
    # a finding without a span is marked where its words stand
    spanless = {e for e in expected if e[2] is None}
    assert expected - spanless <= marked
    assert {(s, p, c) for s, p, _, c in marked - expected} == {(s, p, c) for s, p, _, c in spanless}


def test_marks_agree_with_verify(quanzhou: DraftResult) -> None:
    _agreement(quanzhou)
    result = _draft(QUANZHOU)
    for paragraph in result.report.paragraphs() if result.report else []:
        paragraph.spans, paragraph.author = (), EDITOR
        paragraph.text = paragraph.text.replace("143条", "144条").replace("4件", "5件")
    result.report.preamble[0].text += "本年度未收到政府信息公开申请。"  # type: ignore[union-attr]
    _agreement(result)
    errors = {
        m.code for p in _marks(result) for q in p.paragraphs for m in q.marks if m.status == "error"
    }
    assert {"E-NUM-MISMATCH", "E-CLAIM-NONE"} <= errors
