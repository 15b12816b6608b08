"""False alarms and recall of `drafter verify` on real published prose, labelled by hand.

    .venv/bin/python benchmarks/verify/labelled.py [--corpus DIR ...] [--seed 7] [--show 20]

Each file of a corpus folder (default: `real/` and `real-heldout/` beside this script) is
one published report: its statistics (tables as published or rebuilt from the prose, facts
for the counts the prose states) and its narrative paragraphs verbatim, every number token
labelled before the tool was run on it:

- `right`: confirmed by the statistics (a table cell, a usual sum, a computed rate, a fact);
- `wrong`: contradicts the report's own statistics (a real error of the published report);
- `unknown`: a quantity the statistics deliberately give no source for;
- `name`: not a quantity (a year, a hotline, a version, a programme); unlisted tokens too.

Figures per corpus:

- false alarms: findings (errors and warnings) on `right` and `name` tokens, and any
  contradiction (E-NUM-MISMATCH/APPROX/PERCENT/UNIT) on an `unknown` token, per 100 `right`
  tokens;
- unknown: how many `unknown` tokens got a finding at all (E-NUM-UNKNOWN is the right one);
- real errors: `wrong` tokens flagged;
- planted errors: every `right` token mutated in turn (±1, ×10, another quantity's value,
  another unit, a Chinese numeral with a wrong value, an approximate form that excludes the
  value, a total stated as one of its parts, two neighbouring numbers exchanged); flagged
  when an error or warning covers the mutated number (for an exchange: either of the two).
  A change since last year ("较上年增长21%") can only be checked with last year's statistics
  (`--previous`); without them `verify` marks it as unverifiable (A-NUM-YOY, advice). Such
  mutants are counted apart ("同比，无上年数据") and left out of the recall.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

import yaml  # noqa: E402
from run import EMPTY, _decimals, _stats, _verifier, group_part_mutants, mutants  # noqa: E402

from drafter.checking.findings import Finding, Location, Severity  # noqa: E402
from drafter.verification.verify import Verifier  # noqa: E402

CONTRADICTIONS = ("E-NUM-MISMATCH", "E-NUM-APPROX", "E-NUM-PERCENT", "E-NUM-UNIT")


@dataclass
class Token:
    text: str
    label: str
    start: int
    end: int


@dataclass
class Tally:
    right: int = 0
    names: int = 0
    unknown: int = 0
    unknown_flagged: int = 0
    wrong: int = 0
    wrong_flagged: int = 0
    false_alarms: list[tuple[str, str, str, str]] = field(default_factory=list)
    planted: Counter = field(default_factory=Counter)
    caught: Counter = field(default_factory=Counter)
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    reports: int = 0
    yoy: int = 0  # mutants of a change since last year, marked unverifiable (advice)


def tokens(text: str, labelled: list[list[str]]) -> list[Token]:
    """The labelled tokens with their places, found in order of appearance."""
    out, at = [], 0
    for raw, label in labelled:
        start = text.find(raw, at)
        if start < 0:
            start = text.find(raw)
        if start < 0:
            raise ValueError(f"token {raw!r} not in {text[:40]!r}")
        out.append(Token(raw, label, start, start + len(raw)))
        at = start + len(raw)
    return out


def findings(verifier: Verifier, text: str) -> list[Finding]:
    return verifier.paragraph(text, Location(section="", paragraph=1))


def flags(verifier: Verifier, text: str) -> list[Finding]:
    return [f for f in findings(verifier, text) if f.severity is not Severity.ADVICE]


def covering(finding: Finding, start: int, end: int) -> bool:
    span = finding.location.span
    return span is not None and span[0] < end and span[1] > start


def evaluate(path: Path, tally: Tally, rng: random.Random) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    merged = {**EMPTY, **{k: v for k, v in data["stats"].items() if v is not None}}
    stats = _stats(_decimals(merged), path.stem)
    verifier = _verifier(stats)
    tally.reports += 1
    for paragraph in data["paragraphs"]:
        text = paragraph["text"]
        marked = tokens(text, paragraph.get("numbers") or [])
        found = flags(verifier, text)
        for token in marked:
            if token.label == "right":
                tally.right += 1
            elif token.label == "name":
                tally.names += 1
            elif token.label == "unknown":
                tally.unknown += 1
                if any(covering(f, token.start, token.end) for f in found):
                    tally.unknown_flagged += 1
            elif token.label == "wrong":
                tally.wrong += 1
                if any(covering(f, token.start, token.end) for f in found):
                    tally.wrong_flagged += 1
        for finding in found:
            hit = next((t for t in marked if covering(finding, t.start, t.end)), None)
            label = hit.label if hit else "name"
            if label in ("right", "name") or (
                label == "unknown" and finding.code in CONTRADICTIONS
            ):
                tally.false_alarms.append(
                    (path.stem, finding.code, finding.location.text or "", finding.message)
                )
        # planted errors, one per mutant, in the right tokens only
        rights = [t for t in marked if t.label == "right"]
        planted = (
            mutants(text, verifier, rng)
            + group_part_mutants(text, verifier)
            + whole_as_part(text, rights, verifier)
            + swapped(text, rights)
        )
        for kind, mutated, start, end in planted:
            if not any(t.start <= start < t.end for t in rights):
                continue
            found = [f for f in findings(verifier, mutated) if covering(f, start, end)]
            if any(f.severity is not Severity.ADVICE for f in found):
                tally.planted[kind] += 1
                tally.caught[kind] += 1
            elif any(f.code == "A-NUM-YOY" for f in found):
                tally.yoy += 1  # a change since last year: unverifiable without --previous
            else:
                tally.planted[kind] += 1
                tally.misses.append((path.stem, kind, mutated[max(0, start - 30) : end + 10]))


_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def whole_as_part(
    text: str, rights: list[Token], verifier: Verifier
) -> list[tuple[str, str, int, int]]:
    """A total stated as the value of one of its parts (a fact with `parts`)."""
    out = []
    for token in rights:
        digits = _DIGITS.search(token.text)
        if digits is None:
            continue
        value = digits.group(0)
        for fact in verifier.stats.facts:
            if fact.parts and str(fact.value) == value and not fact.approx:
                part = verifier.stats.fact(fact.parts[0])
                if part is not None and str(part.value) != value:
                    start = token.start + digits.start()
                    new = str(part.value)
                    mutated = text[:start] + new + text[start + len(value) :]
                    out.append(("分项当总数", mutated, start, start + len(new)))
                break
    return out


def swapped(text: str, rights: list[Token]) -> list[tuple[str, str, int, int]]:
    """Two neighbouring right numbers of the same unit exchanged ("34条、29条" → "29条、34条")."""
    out = []
    for first, second in itertools.pairwise(rights):
        a, b = _DIGITS.search(first.text), _DIGITS.search(second.text)
        if a is None or b is None or a.group(0) == b.group(0):
            continue
        if first.text[a.end() :] != second.text[b.end() :]:
            continue  # another unit: not a plausible slip
        a_start, b_start = first.start + a.start(), second.start + b.start()
        mutated = (
            text[:a_start]
            + b.group(0)
            + text[a_start + len(a.group(0)) : b_start]
            + a.group(0)
            + text[b_start + len(b.group(0)) :]
        )
        shift = len(b.group(0)) - len(a.group(0))
        out.append(("对调", mutated, a_start, b_start + shift + len(a.group(0))))
    return out


def report(name: str, tally: Tally, show: int) -> None:
    print(f"== {name}: {tally.reports} reports")
    print(
        f"   tokens: right {tally.right}, name {tally.names}, unknown {tally.unknown}, "
        f"wrong {tally.wrong}"
    )
    rate = 100 * len(tally.false_alarms) / tally.right if tally.right else 0.0
    print(f"   false alarms: {len(tally.false_alarms)} ({rate:.2f} per 100 right numbers)")
    print(f"   unknown numbers flagged: {tally.unknown_flagged}/{tally.unknown}")
    print(f"   real errors flagged: {tally.wrong_flagged}/{tally.wrong}")
    planted, caught = sum(tally.planted.values()), sum(tally.caught.values())
    recall = 100 * caught / planted if planted else 100.0
    print(f"   planted errors flagged: {caught}/{planted} = {recall:.2f}%")
    if tally.yoy:
        print(f"   同比，无上年数据 (A-NUM-YOY, not in the recall): {tally.yoy} mutants")
    for kind in tally.planted:
        print(f"     {kind:12s} {tally.caught[kind]:>5}/{tally.planted[kind]:<5}")
    for stem, code, text, message in tally.false_alarms[:show]:
        print(f"   false alarm [{stem}] {code} {text}: {message[:160]}")
    for stem, kind, text in tally.misses[:show]:
        print(f"   missed [{stem}] {kind}: …{text}…")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, action="append")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=20)
    args = parser.parse_args()
    folders = args.corpus or [HERE / "real", HERE / "real-heldout"]
    for folder in folders:
        rng = random.Random(args.seed)
        tally = Tally()
        for path in sorted(folder.glob("*.yaml")):
            evaluate(path, tally, rng)
        report(folder.name, tally, args.show)


if __name__ == "__main__":
    main()
