"""Whether the claims of a model's sentence come from the staff's notes or the statistics.

A model may only state what the material says. Numbers are checked by `drafter.verify`; this
module checks everything else a sentence claims: awards, rankings, evaluations, new systems
and channels, events and trainings, people counts, year-on-year changes, rectification of
last year's problems, problems themselves, and names in quotation marks. The words that
make a clause such a claim, and the generic words of official prose that need no source,
are data (`structured/reference/claims.yaml`).

The check is by characters, as Chinese needs no word list for it: a clause is supported when
its own words (generic words taken out) share enough character pairs with the material
(the notes, with their placeholders read as their labels, and the labels of the statistics);
a strict marker (an award, "多次", "同比") or a quoted name must stand in the material
itself, so a vague rewrite of an unsupported claim ("多次组织专题培训，实现全覆盖") is
no more supported than the claim was. The verdict depends only on the sentence and the
material, never on what the model said it used, so the document and `drafter verify` agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from drafter.offline import tidy
from drafter.quantities import PLACEHOLDER, YOY_PERCENT_PREFIX, YOY_PREFIX, Quantity, plain_label
from drafter.report import Span
from drafter.resources import structured_dir
from drafter.stats import Stats
from drafter.yamlsource import read_trusted_yaml

_CJK = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z]{2,}")
_QUOTED = re.compile(
    r"“([^“”\n]{1,40})”|《([^《》\n]{1,60})》|‘([^‘’\n]{1,30})’|「([^「」\n]{1,30})」"
    r'|"([^"\n]{1,40})"'
)
_CLAUSE_BREAKS = "，,；;：:。！？!?"
_KINDS = {
    "award": "奖项或荣誉",
    "ranking": "排名",
    "evaluation": "考评结果",
    "vague_amount": "笼统的数量或成效",
    "people": "人数",
    "change": "与上年的比较",
    "rectification": "整改情况",
    "new_system": "新建的系统、平台或栏目",
    "event": "活动、会议或培训",
    "problem": "问题",
    "name": "名称",
}


@dataclass(frozen=True)
class Unsupported:
    """A clause whose claim neither the notes nor the statistics support."""

    start: int  # the clause's span in the sentence
    end: int
    words: tuple[str, ...]  # the words that have no source
    kind: str  # what is claimed (a key of _KINDS)

    @property
    def what(self) -> str:
        return _KINDS.get(self.kind, "说法")


@cache
def _reference() -> dict[str, Any]:
    data = read_trusted_yaml(structured_dir() / "reference" / "claims.yaml")
    generic = sorted({w for group in data["generic"] for w in group}, key=len, reverse=True)
    return {
        "coverage": float(data["coverage"]),
        "strict": {k: tuple(v) for k, v in data["strict"].items()},
        "soft": {k: tuple(v) for k, v in data["soft"].items()},
        "names": frozenset(data["generic_names"]),
        "actions": re.compile("|".join(re.escape(w) for w in data["actions"])),
        "generic": re.compile("|".join(re.escape(w) for w in generic)),
    }


def pairs(text: str) -> set[str]:
    """Character pairs of the Chinese runs of a text, and its Latin words."""
    out: set[str] = set()
    for run in _CJK.findall(text):
        if run.isascii():
            out.add(run.lower())
            continue
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


class Material:
    """What a report's prose may claim: the staff's notes and the statistics' labels."""

    def __init__(self, stats: Stats, quantities: Mapping[str, Quantity]) -> None:
        texts: list[str] = []
        for value in stats.notes.values():
            items = value if isinstance(value, list) else [value]
            for item in items:
                if item is None:
                    continue
                text = tidy(str(item))
                texts.append(
                    PLACEHOLDER.sub(
                        lambda m: (
                            f"（{quantities[m.group(1)].label}）"
                            if m.group(1) in quantities
                            else ""
                        ),
                        text,
                    )
                )
        for quantity in quantities.values():
            texts.append(quantity.label)
            if quantity.kind != "change":
                texts.append(plain_label(quantity))
        self.text = "\n".join(texts)
        self.pairs = pairs(self.text)
        self.quantities = quantities

    def check(
        self, sentence: str, spans: Sequence[Span] = (), *, changes: bool = False
    ) -> list[Unsupported]:
        """The clauses of `sentence` (filled text) that claim what the material does not
        say. `spans` are the numbers that came from placeholders (positions in the sentence):
        their labels count as material, and a year-on-year one supports 同比, as does
        `changes` (a change the statistics of both years confirm)."""
        reference = _reference()
        masked = list(sentence)
        local: set[str] = set()
        for span in spans:
            for i in range(max(0, span.start), min(len(sentence), span.end)):
                masked[i] = "\x00"
            quantity = self.quantities.get(span.name)
            if quantity is not None:
                local |= pairs(quantity.label)
            changes |= span.name.startswith((YOY_PREFIX, YOY_PERCENT_PREFIX))
        # A placeholder the drafter could not fill is debris (reported as such), not a claim.
        text = PLACEHOLDER.sub(lambda m: "\x00" * len(m.group(0)), "".join(masked))
        out: list[Unsupported] = []
        for start, end in _clauses(text):
            clause = text[start:end]
            found = self._clause(clause, local, changes, reference)
            if found is not None:
                words, kind = found
                out.append(Unsupported(start, end, words, kind))
        return out

    def _clause(
        self, clause: str, local: set[str], changes: bool, reference: dict[str, Any]
    ) -> tuple[tuple[str, ...], str] | None:
        for match in _QUOTED.finditer(clause):
            name = next(g for g in match.groups() if g is not None).strip()
            if not self._has_name(name, reference):
                return (name,), "name"
        for kind, words in reference["strict"].items():
            for word in words:
                if word not in clause:
                    continue
                if kind == "change" and changes:
                    continue
                if word not in self.text:
                    return (word,), kind
        content = reference["generic"].sub("|", _QUOTED.sub("|", clause))
        soft = [
            (kind, word)
            for kind, words in reference["soft"].items()
            for word in words
            if _contains(content, word)
        ]
        if not soft:
            return None
        own = pairs(content)
        if not own or not pairs(reference["actions"].sub("|", content)):
            return None  # nothing but generic words and verbs: framing, not a claim
        known = self.pairs | local
        covered = len(own & known) / len(own)
        if covered >= reference["coverage"]:
            return None
        return _uncovered(content, known) or (soft[0][1],), soft[0][0]

    def _has_name(self, name: str, reference: dict[str, Any]) -> bool:
        if name in self.text or name in reference["names"]:
            return True
        own = pairs(name)
        return bool(own) and len(own & self.pairs) / len(own) >= 0.75


def _contains(text: str, word: str) -> bool:
    """Whether `word` stands in `text` (a Latin word as a whole word, in any case)."""
    if word.isascii():
        return re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", text, re.I) is not None
    return word in text


def _clauses(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) of each clause, never breaking inside quotation or title marks."""
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in "“《‘「":
            depth += 1
        elif ch in "”》’」" and depth:
            depth -= 1
        elif ch in _CLAUSE_BREAKS and not depth:
            if i > start:
                yield start, i
            start = i + 1
    if start < len(text):
        yield start, len(text)


def _uncovered(content: str, known: set[str]) -> tuple[str, ...]:
    """The runs of the clause's own words that share no character pair with the material."""
    words: list[str] = []
    for run in re.findall(r"[\u4e00-\u9fff]+", content):
        covered = [False] * len(run)
        for i in range(len(run) - 1):
            if run[i : i + 2] in known:
                covered[i] = covered[i + 1] = True
        current = ""
        for ch, hit in zip(run, covered, strict=True):
            if hit:
                if len(current) >= 2:
                    words.append(current)
                current = ""
            else:
                current += ch
        if len(current) >= 2:
            words.append(current)
    return tuple(dict.fromkeys(words))
