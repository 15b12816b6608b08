"""Whether the claims of a model's sentence come from the staff's notes or the statistics.

A model may only state what the material says. Numbers are checked by `drafter.verification.verify`;
this module checks everything else a sentence claims: awards, rankings, evaluations, new systems
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

from drafter.drafting.offline import tidy
from drafter.formats import Layout
from drafter.report import Span
from drafter.resources import structured_dir
from drafter.statistics.quantities import (
    PLACEHOLDER,
    YOY_PERCENT_PREFIX,
    YOY_PREFIX,
    Quantity,
    plain_label,
)
from drafter.statistics.stats import Stats
from drafter.yamlsource import read_trusted_yaml

_CJK = re.compile(r"[\u4e00-\u9fff]+|[A-Za-z]{2,}")
_QUOTED = re.compile(
    r"“([^“”\n]{1,40})”|《([^《》\n]{1,60})》|‘([^‘’\n]{1,30})’|「([^「」\n]{1,30})」"
    r'|"([^"\n]{1,40})"'
)
_CLAUSE_BREAKS = "，,；;：:。！？!?"
# two or more specific things listed: 老旧小区改造、垃圾分类等 (generic words already out);
# only searched for, so two characters each side say as much as {2,} and never scan a long
# run of Chinese again from each of its characters
_LIST = re.compile(r"[\u4e00-\u9fff]{2}、[\u4e00-\u9fff]{2}")
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
    "topic": "工作事项",
    "list": "具体事项",
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
        "plenty": float(data["plenty"]),
        "strict_parts": frozenset(data["strict_parts"]),
        "strict": {k: tuple(v) for k, v in data["strict"].items()},
        "soft": {k: tuple(v) for k, v in data["soft"].items()},
        "names": frozenset(data["generic_names"]),
        "actions": re.compile("|".join(re.escape(w) for w in data["actions"])),
        "problems": re.compile(
            "|".join(re.escape(w) for w in sorted(data["soft"]["problem"], key=len, reverse=True))
        ),
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

    def __init__(
        self, stats: Stats, quantities: Mapping[str, Quantity], layout: Layout | None = None
    ) -> None:
        self.quantities = quantities
        labels: list[str] = []
        for quantity in quantities.values():
            labels.append(quantity.label)
            if quantity.kind != "change":
                labels.append(plain_label(quantity))
        if layout is not None:  # the report's own headings name what it is about
            labels += [s.heading for s in layout.sections]
            labels += [sub.heading for s in layout.sections for sub in s.subsections]
        self.labels = "\n".join(labels)
        self.notes: dict[str, str] = {}
        for part, value in stats.notes.items():
            items = value if isinstance(value, list) else [value]
            self.notes[part] = "\n".join(self._note(str(i)) for i in items if i is not None)
        self.text = "\n".join([*self.notes.values(), self.labels])
        self.pairs = pairs(self.text)
        self._parts: dict[str, str] = {}
        if layout is not None:
            from drafter.drafting.cleaning import heading_key

            for section in layout.sections:
                self._parts[heading_key(section.heading)] = section.id
                for sub in section.subsections:
                    self._parts[heading_key(sub.heading)] = sub.id
        self._strict: dict[str, tuple[str, set[str]]] = {}

    def _note(self, text: str) -> str:
        """A note as material: its placeholders read as the labels of their quantities."""
        return PLACEHOLDER.sub(
            lambda m: (
                f"（{self.quantities[m.group(1)].label}）" if m.group(1) in self.quantities else ""
            ),
            tidy(text),
        )

    def part_of(self, heading: str | None) -> str | None:
        """The narrative part a heading (as printed) belongs to."""
        if not heading:
            return None
        from drafter.drafting.cleaning import heading_key

        return self._parts.get(heading_key(heading))

    def _material(self, part: str | None) -> tuple[str, set[str], bool]:
        """(text, pairs, strict) that support a claim of this part."""
        if part is None or part not in _reference()["strict_parts"]:
            return self.text, self.pairs, False
        if part not in self._strict:
            text = self.notes.get(part, "")
            self._strict[part] = (text, pairs(text))
        text, own = self._strict[part]
        return text, own, True

    def check(
        self,
        sentence: str,
        spans: Sequence[Span] = (),
        *,
        confirmed: Sequence[tuple[int, int]] = (),
        part: str | None = None,
    ) -> list[Unsupported]:
        """The clauses of `sentence` (filled text) that claim what the material does not
        say. `spans` are the numbers that came from placeholders (positions in the sentence):
        their labels count as material, and a year-on-year one supports 同比 in its clause.
        `confirmed` are the numbers the model typed that the verifier confirmed (a change
        among them supports 同比 in its clause, as the statistics of both years agree).
        `part` is the narrative part of the sentence (the part on problems is held to its
        own notes)."""
        from drafter.verification.numbers import find_numbers

        reference = _reference()
        masked = list(sentence)
        local: set[str] = set()
        changes = list(confirmed)
        for span in spans:
            for i in range(max(0, span.start), min(len(sentence), span.end)):
                masked[i] = "\x00"
            quantity = self.quantities.get(span.name)
            if quantity is not None:
                local |= pairs(quantity.label)
            if span.name.startswith((YOY_PREFIX, YOY_PERCENT_PREFIX)):
                changes.append((span.start, span.end))
        # Numbers the model typed are the verifier's to check (a wrong one is marked there);
        # here they are no words of the claim.
        for mention in find_numbers("".join(masked)):
            for i in range(mention.start, mention.end):
                masked[i] = "\x01"
        # A placeholder the drafter could not fill is debris (reported as such), not a claim.
        text = PLACEHOLDER.sub(lambda m: "\x00" * len(m.group(0)), "".join(masked))
        material, known, strict = self._material(part)
        out: list[Unsupported] = []
        for start, end in _clauses(text):
            clause = text[start:end]
            found = _clause(
                clause,
                material,
                known | local,
                any(start <= a < end for a, _ in changes),
                strict,
                reference,
            )
            if found is not None:
                words, kind = found
                out.append(Unsupported(start, end, words, kind))
        return out


def _clause(
    clause: str,
    material: str,
    known: set[str],
    changes: bool,
    strict: bool,
    reference: dict[str, Any],
) -> tuple[tuple[str, ...], str] | None:
    for match in _QUOTED.finditer(clause):
        name = next(g for g in match.groups() if g is not None).strip()
        if not _has_name(name, material, known, reference):
            return (name,), "name"
    for kind, words in reference["strict"].items():
        for word in words:
            if word not in clause:
                continue
            if kind == "change" and changes:
                continue
            if word not in material:
                return (word,), kind
    content = reference["generic"].sub("|", _QUOTED.sub("|", clause))
    soft = [
        (kind, word)
        for kind, words in reference["soft"].items()
        for word in words
        if _contains(content, word)
    ]
    if _LIST.search(content):
        soft.append(("list", ""))
    if strict and not soft:
        soft.append(("problem", ""))
    if not soft:
        return None
    # What the clause is about: its words without generic ones, verbs and the words that
    # say something falls short (a paraphrase may say 设立 for 开辟, 较少 for 不多; what it
    # is about must be the material's).
    objects = reference["problems"].sub("|", reference["actions"].sub("|", content))
    own = pairs(objects)
    if not own:
        if strict:  # "……的风险依然存在": in the part on problems, the problem must be noted
            absent = [w for kind, w in soft if kind == "problem" and w and w not in material]
            if absent:
                return tuple(absent), "problem"
        return None  # nothing but generic words and verbs: framing, not a claim
    covered = len(own & known) / len(own)
    missing = _uncovered(objects, known)
    # Supported: most of the clause's own words stand in the material, and none of its
    # words stands apart from it (a new element: 局内 in "在局内组织专题培训").
    if covered >= reference["coverage"] and (not missing or covered >= reference["plenty"]):
        return None
    kind, word = soft[0]
    return missing or ((word,) if word else ()), kind


def _has_name(name: str, material: str, known: set[str], reference: dict[str, Any]) -> bool:
    if name in material or name in reference["names"]:
        return True
    own = pairs(name)
    return bool(own) and len(own & known) / len(own) >= 0.75


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
