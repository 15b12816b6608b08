"""Driving a labelled model answer (tests/fixtures/model-answers/) through the real LLM path.

One case: the stub OpenAI-compatible server answers the part under test with the case's
answers in order (the last one repeats) and every other part like a compliant model; the
real ChatOpenAI client drafts the whole report; the .docx is rendered and read back. The
result says, against the case's labels, what reached the document: debris, invented claims
and wrong numbers left unmarked, and marks on correct text. Used by tests/test_model_answers.py
and benchmarks/llm/quality.py.
"""

from __future__ import annotations

import io
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from stub_openai import StubServer, drafting_answer

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "fixtures" / "model-answers"
SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"

# What an editor would have to clean up, whatever the case's labels say.
DEBRIS = re.compile(
    r"好的|以下是|如下[：:]$|仅供参考|如需|（注|^注[：:]|说明[：:]|\*\*|^#|---|[{}｛｝|]"
    r"|\[素材|【素材|\[统计|\[通用|占位符|(件|条|份|期|次|个|项)\1(?![\u4e00-\u9fff])"
)
# The codes the drafter marks in a part and `drafter verify` finds again in the document.
MARKED_CODES = ("E-NUM-", "W-NUM-UNSURE", "E-CLAIM-", "W-CLAIM-UNSOURCED", "E-TEXT-DEBRIS")


@dataclass
class Case:
    path: Path
    style: str
    part: str
    stats: Path
    previous: Path | None
    answers: list[str]
    labels: dict[str, list[str]]

    @classmethod
    def load(cls, path: Path) -> Case:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        stats = SAMPLE if data["stats"] == "sample" else CORPUS / data["stats"]
        previous = CORPUS / data["previous"] if data.get("previous") else None
        labels = {k: list(v or []) for k, v in (data.get("labels") or {}).items()}
        return cls(path, data["style"], data["part"], stats, previous, data["answers"], labels)


@dataclass
class Result:
    case: Case
    part_text: str  # the part as it stands in the document
    calls: int  # model calls for the part under test
    seconds: float
    debris_left: list[str] = field(default_factory=list)  # unmarked debris
    invented_left: list[str] = field(default_factory=list)  # invented claims, unmarked
    wrong_left: list[str] = field(default_factory=list)  # wrong numbers, unmarked
    false_marks: list[str] = field(default_factory=list)  # marks on correct text
    marks: list[tuple[str, str]] = field(default_factory=list)  # (code, text) in the draft
    verified: list[tuple[str, str]] = field(default_factory=list)  # … found by verify

    @property
    def ok(self) -> bool:
        return not (self.debris_left or self.invented_left or self.wrong_left or self.false_marks)


class Script:
    """The stub's answers: the case's part in order, the other parts compliant."""

    def __init__(self) -> None:
        self.heading = ""
        self.answers: list[str] = []
        self.calls = 0
        self._lock = threading.Lock()

    def set(self, heading: str, answers: list[str]) -> None:
        with self._lock:
            self.heading, self.answers, self.calls = heading, answers, 0

    def __call__(self, body: dict[str, Any]) -> str:
        first = body["messages"][1]["content"]
        with self._lock:
            if f"起草报告中“{self.heading}”部分" in first:
                answer = self.answers[min(self.calls, len(self.answers) - 1)]
                self.calls += 1
                return answer
        return drafting_answer(body)


def marked_ranges(paragraph: Any) -> list[tuple[int, int]]:
    """Highlighted character ranges of a python-docx paragraph: what the drafter marked. The
    gaps left for the clerk (【待补充：…】), which every draft highlights, are not marks."""
    from drafter.render import gap_spans

    gaps = gap_spans(paragraph.text)
    out, at = [], 0
    for run in paragraph.runs:
        end = at + len(run.text)
        if run.font.highlight_color is not None and not any(s <= at and end <= e for s, e in gaps):
            out.append((at, end))
        at = end
    return out


def run_case(case: Case, stub: StubServer, script: Script, home: Path) -> Result:
    from docx import Document

    from drafter.drafting.draft import (
        choose_drafter,
        draft_report,
        drafting_quantities,
        narrative_parts,
    )
    from drafter.formats import load_layout
    from drafter.read.document import read_document
    from drafter.render.docx import render_docx
    from drafter.report import sentence_spans
    from drafter.statistics.load import load_stats
    from drafter.statistics.quantities import fill
    from drafter.verification.verify import verify_report

    stats = load_stats(case.stats)
    previous = load_stats(case.previous) if case.previous else None
    layout = load_layout(stats.format)
    heading = next(h for p, h, _ in narrative_parts(layout) if p == case.part)
    script.set(heading, case.answers)
    environment = {
        "DRAFTER_BASE_URL": stub.base_url,
        "DRAFTER_MODEL": "stub-model",
        "DRAFTER_HOME": str(home),
        "DRAFTER_MODELS": str(home / "none.yaml"),
    }
    saved = {k: os.environ.get(k) for k in (*environment, "DRAFTER_API_KEY", "OPENAI_API_KEY")}
    os.environ.update(environment)
    os.environ.pop("DRAFTER_API_KEY", None)
    os.environ.pop("OPENAI_API_KEY", None)
    try:
        start = time.perf_counter()
        drafter, _ = choose_drafter(stats, layout, use_cache=False, previous=previous)
        report = draft_report(stats, layout, drafter=drafter)
        data = render_docx(report)
        seconds = time.perf_counter() - start
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    known, _ = drafting_quantities(stats, layout, previous)
    result = Result(case, "", script.calls, seconds)

    # The document: every paragraph with its marked ranges.
    document = Document(io.BytesIO(data))
    paragraphs = [(p.text, marked_ranges(p)) for p in document.paragraphs]
    bounds = _part_bounds([t for t, _ in paragraphs], heading)
    own = paragraphs[bounds[0] : bounds[1]]
    result.part_text = "\n".join(t for t, _ in own)

    def occurrences(label: str) -> list[tuple[int, int, int]]:
        filled = fill(label, known).text
        found = []
        for index, (text, _) in enumerate(own):
            at = text.find(filled)
            while at >= 0:
                found.append((index, at, at + len(filled)))
                at = text.find(filled, at + 1)
        return found

    def marked(index: int, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in own[index][1])

    def clause(index: int, start: int, end: int) -> tuple[int, int, int]:
        """The clause around a span (a claim is marked when its clause is)."""
        text = own[index][0]
        breaks = "，,；;：:。！？"
        left = max(text.rfind(c, 0, start) for c in breaks) + 1
        right = min((i for i in (text.find(c, end) for c in breaks) if i >= 0), default=len(text))
        return index, left, right

    labelled: list[tuple[int, int, int]] = []
    for kind, left in (
        ("debris", result.debris_left),
        ("invented", result.invented_left),
        ("wrong_numbers", result.wrong_left),
    ):
        for label in case.labels.get(kind, []):
            spots = occurrences(label)
            labelled += spots
            if kind == "invented":
                spots = [clause(*spot) for spot in spots]
            left += [label for spot in spots if not marked(*spot)]
    for index, (text, ranges) in enumerate(own):
        for match in DEBRIS.finditer(text):
            if not marked(index, match.start(), match.end()):
                result.debris_left.append(f"{match.group(0)}（{text[:30]}…）")
        sentences = sentence_spans(text)
        for start, end in ranges:
            # A mark is right when it falls on a labelled problem, or in the sentence of an
            # invented claim or a wrong number (the claim is the sentence's).
            within = [(s, e) for s, e in sentences if s <= start < e]
            if not any(
                i == index and ((s < end and start < e) or any(a <= s < b for a, b in within))
                for i, s, e in labelled
            ):
                result.false_marks.append(text[start:end])
    # Marks outside the part under test are false too (the other parts are compliant).
    for index, (text, ranges) in enumerate(paragraphs):
        if bounds[0] <= index < bounds[1]:
            continue
        result.false_marks += [f"（其他部分）{text[s:e]}" for s, e in ranges]
    result.debris_left = list(dict.fromkeys(result.debris_left))

    # What the drafter marked, and what `drafter verify` finds in the document.
    for paragraph in report.paragraphs():
        for mark in paragraph.marks:
            code = re.match(r"\[([A-Z-]+)\]", mark.message)
            if code and code.group(1).startswith(MARKED_CODES) and mark.span:
                result.marks.append((code.group(1), paragraph.text[mark.span[0] : mark.span[1]]))
    path = home / f"{case.path.stem}.docx"
    path.write_bytes(data)
    read, _ = read_document(path)
    for finding in verify_report(read, stats, layout, previous):
        if finding.code.startswith(MARKED_CODES) and finding.location.section is not None:
            result.verified.append((finding.code, finding.location.text or ""))
    return result


def _part_bounds(texts: list[str], heading: str) -> tuple[int, int]:
    from drafter.read.document import heading_level

    start = texts.index(heading) + 1
    end = start
    while end < len(texts) and heading_level(texts[end].strip()) is None and texts[end] != "":
        end += 1
    return start, end


def cases(folder: Path = CORPUS) -> list[Path]:
    """The answer files of a folder of the corpus (statistics files aside)."""
    return sorted(p for p in folder.glob("*.yaml") if "answers:" in p.read_text(encoding="utf-8"))
