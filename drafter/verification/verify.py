"""Every number of the prose checked against the statistics: the product's core promise.

For each number that `drafter.verification.numbers` finds in a paragraph, the verifier looks for a
source in the provenance set (`drafter.statistics.quantities`: facts, table cells, derived values)
that has this value *and fits its context*: the unit agrees, and the words around the number point
to that source (data in `structured/reference/concepts.yaml` for table quantities, the fact's own
label for facts). The outcomes:

- a source fits and has the value: the number is verified (no finding);
- the context names a source whose value differs: error (`E-NUM-MISMATCH`, or
  `E-NUM-APPROX` for an approximate form that excludes the value);
- the value equals a source but nothing in the context names it: warning (`W-NUM-UNSURE`),
  since the same value may belong to another concept;
- the value equals a source only in another unit: error (`E-NUM-UNIT`);
- no source has the value: error (`E-NUM-UNKNOWN`).

Percentages of a stated part (`E-NUM-PERCENT`), year-on-year changes (`A-NUM-YOY`), and claims
without numbers ("均获维持" with cases pending, "未收到申请" with applications received:
`E-CLAIM-UPHELD`, `E-CLAIM-NONE`) are checked as well.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING

from drafter import report as rp
from drafter.checking.findings import Finding, Location
from drafter.formats import Layout
from drafter.report import Span
from drafter.statistics.quantities import Quantity, format_number
from drafter.statistics.stats import Stats
from drafter.verification.numbers import Mention, approx_contains, approx_range, find_numbers
from drafter.verification.wording import (
    CARRIED_INCLUDED,
    CLAUSE_BREAKS,
    ENUMERATION_BREAKS,
    LAST_YEARS_VALUE,
    REMAINDER,
    STOP_BIGRAMS,
    UNKNOWN_MEASURE,
    WINDOW,
    Breakdown,
    Context,
    at_digits,
    bigrams,
    breakdown_wholes,
    context_of,
    decimals_of,
    each_item,
    ends_with_number,
    first_from,
    item_words,
    no_source_of_its_own,
    number_at_end,
    own_subject_before_share,
    reference,
    respective_item,
    rounds_to,
    sentences,
    stated_change,
    stated_share,
    with_sentence,
)

if TYPE_CHECKING:
    from drafter.drafting.grounding import Material

STRONG = 0.6  # a fact's label overlaps its context this much: the context names it
AUTHORITATIVE = 4  # a table concept named this specifically outranks any fact …
EXACT = 0.9  # … unless a fact's label stands (nearly) word for word before the number
TIE = 0.3  # concepts named within this score of the best are equally likely
WEAK = 0.3  # … this much: the context is compatible with it

# Table quantities are counted in 件 in the tables; prose counts the same things in these.
COUNT_UNITS = {"件", "份", "个", "项", "宗", "起", "次"}


@dataclass(frozen=True)
class Concept:
    quantity: str
    near: tuple[str, ...]
    all: tuple[str, ...] = ()  # in the sentence
    not_: tuple[str, ...] = ()  # not in the clause
    topic: tuple[str, ...] = ()  # in the paragraph up to the number


@cache
def concepts() -> tuple[Concept, ...]:
    return tuple(
        Concept(
            quantity=c["quantity"],
            near=tuple(c.get("near", ())),
            all=tuple(c.get("all", ())),
            not_=tuple(c.get("not", ())),
            topic=tuple(c.get("topic", ())),
        )
        for c in reference()["concepts"]
    )


@dataclass(frozen=True)
class Rate:
    name: str
    near: tuple[str, ...]
    not_: tuple[str, ...]
    topic: tuple[str, ...]
    parts: tuple[str, ...]
    bases: tuple[str, ...]


@cache
def rates() -> tuple[Rate, ...]:
    return tuple(
        Rate(
            r["name"],
            tuple(r["near"]),
            tuple(r.get("not", ())),
            tuple(r.get("topic", ())),
            tuple(r["part"]),
            tuple(r["base"]),
        )
        for r in reference().get("rates", ())
    )


# ---- the words that name a fact or a table quantity ---------------------------------------------


def label_scores(
    label: str, context: Context, weights: dict[str, float] | None = None
) -> tuple[float, float]:
    """How much of a fact's label (0 … 1) the clause of the number repeats, and how much the
    sentence up to the number does. Character pairs that many labels and table words share
    (规范性文件, 信息) count for less than the distinctive ones (清理, 访谈)."""
    words = bigrams(label) - STOP_BIGRAMS or bigrams(label)
    if not words:
        return 0.0, 0.0
    weight = (lambda w: weights.get(w, 1.0)) if weights else (lambda w: 1.0)
    total = sum(weight(w) for w in words)
    local = sum(weight(w) for w in words & bigrams(context.clause + context.after)) / total
    wide = sum(weight(w) for w in words & bigrams(context.before + context.after)) / total
    return local, wide


def _shares_words(label: str, whole: str) -> bool:
    """Whether a fact's label repeats most of the words of a whole's label."""
    words = bigrams(whole) - STOP_BIGRAMS
    return bool(words) and len(words & bigrams(label)) >= len(words) / 2


def _ends_alike(label: str, context: Context) -> bool:
    """Whether the thing a fact's label counts (its last word: 行政复议 in "因政府信息公开引起
    行政复议") stands in the number's clause: near-exact labels differ before it, not in it."""
    core = _label_core(label)
    return len(core) >= 2 and core[-2:] in context.clause + context.after


# a remark in parentheses, and what is not a Chinese word
_LABEL_NOISE = re.compile(r"[（(][^）)]*[）)]|[\s\W\d_a-zA-Z]+")
_NOT_WORDS = re.compile(r"[\s\W\d_a-zA-Z]+")


def _label_core(label: str) -> str:
    """A label's Chinese words, its remarks in parentheses left out. After the last closing
    parenthesis no remark can close, so only what is no Chinese word goes there: an opening
    parenthesis would scan to the end of the label, each of many again."""
    close = max(label.rfind("）"), label.rfind(")")) + 1
    return _LABEL_NOISE.sub("", label[:close]) + _NOT_WORDS.sub("", label[close:])


OTHER_WORDS = 2  # a clause with this many character pairs of its own speaks of something else


def _other_words(label: str, context: Context) -> bool:
    """Whether the number's own clause says much that the fact's label does not: then the
    number is about something else, and the fact, however close, does not contradict it."""
    words = _GENERIC_WORDS.sub(" ", context.clause + " " + context.after)
    pieces = re.split(r"[^\u4e00-\u9fff]+", words)  # no pair across a gap or a number
    own = set().union(*(bigrams(p) for p in pieces)) - bigrams(label) - STOP_BIGRAMS
    return len(own) >= OTHER_WORDS


# words any count may carry, left out when asking what a clause itself speaks of
_GENERIC_WORDS = re.compile(
    r"全年|本年度?|年度|今年|其中|共计|合计|各类|发布|开展|完成|组织|进行|通过|共|达到?|为|了|的|在|对|及时"
)


def label_score(label: str, context: Context, weights: dict[str, float] | None = None) -> float:
    local, wide = label_scores(label, context, weights)
    return max(local, 0.75 * wide)


@dataclass(frozen=True)
class Match:
    rank: float  # how well the words point to the concept: nearness first, then length
    specific: float  # how specific the words are (their length): see AUTHORITATIVE
    before: bool  # named by the words that govern the number (not only further on)


_NO_MATCH = Match(0.0, 0.0, False)


def concept_match(concept: Concept, context: Context) -> Match:
    """Whether and how well the words around a number name a table quantity.

    The nearest word wins ("直接起诉案件中法院判决维持3件" is about 维持, not about 直接起诉),
    then the longest (予以公开及部分公开 over 部分公开). In "X等Y5件" only Y counts. Words
    after the number count when none stand before it, or first when the number follows 有
    ("其中有1件被判决纠正"); words further on in the sentence ("另有5件……结转至下年度") only
    confirm a value, they never contradict one."""
    if not any(
        (b := w.lstrip("|")) in context.clause or b in context.after or b in context.rest
        for w in concept.near
    ):
        return _NO_MATCH  # every match below is made by one of the concept's words
    clause = context.clause
    if "等" in clause:
        clause = clause[clause.rfind("等") + 1 :]
    after = "|" + context.after  # "|申请" matches 申请 right after the number
    if any(w in clause or w in context.after or w in context.subject for w in concept.not_):
        return _NO_MATCH
    scope = context.scope or (context.before + context.after)
    bonus = 0.0
    for word in concept.all:
        distance = _nearest(scope, context.scope_at, word, concept.not_)
        if distance is None:
            return _NO_MATCH
        # the most recent word that places the number (复议 or 诉讼) decides
        bonus += len(word) / 10 - min(distance, 60) / 10
    if not all(word in (context.paragraph or scope) for word in concept.topic):
        return _NO_MATCH

    def best(hits: list[tuple[str, int]], weight: float) -> Match:
        word, distance = min(hits, key=lambda h: (h[1], -len(h[0])))
        rank = (20 - min(distance, 19) + len(word) / 10 + bonus) * weight
        return Match(rank, len(word.strip("|")) + bonus, weight == 1.0)

    before = [(w, len(clause) - clause.rfind(w) - len(w)) for w in concept.near if w in clause]
    following = [(w, after.find(w)) for w in concept.near if w in after]
    existential = clause.rstrip().endswith("有")
    if existential and following:
        return best(following, 1.0)
    if before:
        return best(before, 1.0)
    if following:
        return best(following, 1.0)
    later = [(w, context.rest.find(w)) for w in concept.near if w in context.rest]
    if later and not any(word in context.rest for word in concept.not_):
        return best(later, 0.5)
    return _NO_MATCH


def _nearest(text: str, at: int, word: str, exclude: tuple[str, ...]) -> int | None:
    """Distance from position `at` to the nearest occurrence of `word` in `text` that is not
    part of a longer excluded word (复议 inside 复议后起诉); None when there is none. Words
    after `at` count as a little farther away than words before it."""
    blocked = set()
    for longer in exclude:
        if word in longer and longer != word:
            start = text.find(longer)
            while start >= 0:
                blocked.update(range(start, start + len(longer)))
                start = text.find(longer, start + 1)
    best: int | None = None
    start = text.find(word)
    while start >= 0:
        if start not in blocked:
            end = start + len(word)
            distance = at - end if end <= at else start - at + 2
            best = distance if best is None else min(best, distance)
        start = text.find(word, start + 1)
    return best


def concept_score(concept: Concept, context: Context) -> float:
    return concept_match(concept, context).rank


# the rows whose applicant columns a breakdown under 其中 may go on to (收办 → 新收 + 结转)
# a number whose lead-in may confirm it but never contradict it (an unknown measure word)
NO_LEAD_IN = Breakdown((), "")

_APPLICANT_ROWS = frozenset(("@applications.new_received", "@applications.carried_over"))


# ---- sources -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    quantity: Quantity
    score: float  # how strongly the context names it (0: not at all)
    table: bool  # a table quantity (authoritative) rather than a fact
    local: float = 0.0  # a fact: how much of its label the number's own clause repeats;
    # a table quantity: 1 when named by the words governing the number, 0 when only further on
    specific: float = 0.0  # a table quantity: how specific the words naming it are


@cache
def _synonyms() -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for group in reference().get("unit_synonyms", []):
        for unit in group:
            out[unit] = frozenset(group)
    return out


def _unit_fits(quantity: Quantity, unit: str | None) -> bool:
    if unit is None:
        return True
    if quantity.unit == unit or unit in _synonyms().get(quantity.unit, ()):
        return True
    return quantity.kind != "fact" and quantity.unit == "件" and unit in COUNT_UNITS


def _value_fits(mention: Mention, quantity: Quantity, value: Decimal) -> bool:
    if quantity.approx:
        # Both approximate: the text's form must admit everything the fact's form admits
        # ("800余条" and "超过800条" say what "800多条" says; "近800条" does not).
        if not mention.approx:
            return False
        low, high, low_in, high_in = approx_range(quantity.value, quantity.approx)
        stated_low, stated_high, stated_low_in, stated_high_in = approx_range(value, mention.approx)
        above = stated_low < low or (stated_low == low and (stated_low_in or not low_in))
        below = high < stated_high or (high == stated_high and (stated_high_in or not high_in))
        return above and below
    if mention.approx:
        return approx_contains(value, mention.approx, quantity.value)
    return Decimal(quantity.value) == value


class Verifier:
    """Checks the numbers of prose against one report's statistics."""

    def __init__(
        self,
        stats: Stats,
        layout: Layout,
        quantities: dict[str, Quantity],
        previous: Stats | None = None,
    ) -> None:
        self.stats = stats
        self.layout = layout
        self.previous = previous
        # Numbers that came from a placeholder are checked against the quantity they name,
        # whatever its kind (a fact linked to a cell, a change since last year).
        # (A fact restating a table cell is that cell: drafted with the table's value.)
        from drafter.statistics.quantities import with_table_values

        self.provenance = with_table_values(stats, quantities)[0]
        if previous is not None:
            from drafter.statistics.quantities import quantities as all_quantities
            from drafter.statistics.quantities import year_on_year

            self.provenance.update(year_on_year(quantities, all_quantities(previous, layout)))
        # A fact that restates a table cell is that cell: its own value is not a source.
        linked = {f.id for f in stats.facts if f.cell is not None}
        self.quantities = {n: q for n, q in quantities.items() if n not in linked}
        self.concepts = [c for c in concepts() if c.quantity in self.quantities]
        # each concept with its naming words, without the "|" that ties a word to the number
        self._concept_words = [(c, tuple(w.lstrip("|") for w in c.near)) for c in self.concepts]
        self.weights = _distinctiveness(
            [q.label for q in self.quantities.values() if q.kind == "fact"]
            + [w for c in self.concepts for w in (*c.near, *c.all)]
        )

        self._by_unit: dict[str | None, list[tuple[str, Quantity]]] = {}
        self._by_value: dict[str | None, dict[Decimal, list[tuple[str, Quantity]]]] = {}
        self._names_by_unit: dict[str | None, set[str]] = {}
        self._order = {name: i for i, name in enumerate(self.quantities)}
        self._fact_names = {n for n, q in self.quantities.items() if q.kind == "fact"}
        # table 二's words: what is done with documents (制发, 有效) and their kinds (规章)
        proactive = [c for c in self.concepts if c.quantity.startswith("@proactive.")]
        self._document_actions = {w for c in proactive for w in c.near}
        self._document_kinds = sorted({w for c in proactive for w in c.all}, key=len, reverse=True)
        # what confirmed each number of the paragraph being verified, when `confirmations`
        # asks (None: not recorded)
        self._confirmed: dict[tuple[int, int], Quantity | str] | None = None

    def confirmations(
        self, text: str, where: Location, trusted: Sequence[Span] = ()
    ) -> tuple[list[Finding], dict[tuple[int, int], Quantity | str]]:
        """`paragraph`'s findings, and what confirmed the numbers it found right: by each
        number's span, the quantity it was verified as, or (a sum or share of the text's own
        numbers, a rate or change worked out from the tables) a description. A number with a
        finding may be recorded too (confirmed in one reading, wrong in another): its
        finding is what counts. Recording changes no finding."""
        self._confirmed = {}
        try:
            findings = self.paragraph(text, where, trusted)
            return findings, self._confirmed
        finally:
            self._confirmed = None

    def _confirm(self, mention: Mention, what: Quantity | str) -> None:
        """Record what confirmed `mention` (when `confirmations` asks); always None, the
        verdict of `_judge` for a number found right."""
        if self._confirmed is not None:
            self._confirmed.setdefault((mention.start, mention.end), what)

    def _fitting(self, unit: str | None) -> list[tuple[str, Quantity]]:
        """The quantities a number with this unit may state (worked out once per unit)."""
        if unit not in self._by_unit:
            self._by_unit[unit] = [
                (n, q) for n, q in self.quantities.items() if _unit_fits(q, unit)
            ]
        return self._by_unit[unit]

    def _fitting_names(self, unit: str | None) -> set[str]:
        if unit not in self._names_by_unit:
            self._names_by_unit[unit] = {n for n, _ in self._fitting(unit)}
        return self._names_by_unit[unit]

    def _with_value(self, unit: str | None) -> dict[Decimal, list[tuple[str, Quantity]]]:
        """The quantities a number with this unit may state, by their value."""
        if unit not in self._by_value:
            index: dict[Decimal, list[tuple[str, Quantity]]] = {}
            for name, quantity in self._fitting(unit):
                if quantity.value is not None:
                    index.setdefault(Decimal(quantity.value), []).append((name, quantity))
            self._by_value[unit] = index
        return self._by_value[unit]

    # ---- one paragraph --------------------------------------------------------------------------

    def paragraph(self, text: str, where: Location, trusted: Sequence[Span] = ()) -> list[Finding]:
        """Findings about the numbers and claims of one paragraph. `trusted` are the spans
        whose numbers came from a placeholder: each is checked against the quantity it
        names (right by construction, unless the statistics changed since), never judged
        by its context."""
        findings: list[Finding] = []
        mentions = [m for m in find_numbers(text) if not _category_count(m, text)]
        wholes: dict[int, tuple[str, ...]] = {}  # what each whole of a breakdown was verified as
        sources = _Placeholders(trusted)
        # the first count of the paragraph: a total stated in the text leads it
        lead = next((i for i, m in enumerate(mentions) if not m.percent), len(mentions))
        for index, mention in enumerate(mentions):
            located = _at(where, text, mention)
            source = sources.of(mention)
            if source is not None:
                findings.extend(self._provenance(mention, source, text, located))
                continue
            following = mentions[index + 1].start if index + 1 < len(mentions) else None
            preceding = mentions[index - 1].end if index else None
            context = self._shared_action(context_of(text, mention, following, preceding))
            # the numbers before this one in its sentence (as far as its words are read)
            sentence_start = mention.start - len(context.before)
            earlier = mentions[first_from(mentions, sentence_start, index) : index]
            if _states_a_sum(mention, context, earlier, text):
                self._confirm(mention, "文中前面几个数之和")
                continue
            if LAST_YEARS_VALUE.search(text, max(0, mention.start - WINDOW), mention.start):
                # "比2022年（31起）": last year's number, for the change stated next
                findings.append(
                    Finding(
                        "A-NUM-YOY",
                        f"“{mention.text}”是上年的数，本年的统计数据无法核对",
                        with_sentence(located, context),
                    )
                )
                continue
            stated = stated_change(text, mentions, index, context, located)
            if stated is not None:
                # "共收到申请22起，比2022年（31起）下降29%": both years' numbers are in the text
                if not stated:
                    self._confirm(mention, "文中两年的数算出的变化")
                findings.extend(stated)
                continue
            if any(w in context.clause for w in reference()["change_words"]):
                findings.extend(self._change(mention, context, located))
                continue
            if mention.percent and mention.value > 100 and _rate_words(context):
                findings.append(
                    Finding(
                        "E-NUM-PERCENT",
                        f"“{mention.text}”是一个比率，不能超过100%",
                        with_sentence(located, context),
                    )
                )
                continue
            if (
                mention.percent
                and not self._named_percent(mention, context)
                and stated_share(mention, context, earlier)
            ):
                # "受理2021件，办结2021件，办结率100%": the text's own numbers
                self._confirm(mention, "文中的数算出的比例")
                continue
            if mention.percent and not self._named_percent(mention, context):
                rate = self._rate(mention, context, located)
                if rate is not None:
                    findings.extend(rate)
                    continue
                # "予以公开和部分公开合计占办结总数的39.9%", "自然人申请占99.5%": the words
                # right before 占 name the part, whatever number stands earlier in the sentence.
                named = self._named_share(mention, context, located)
                if named is not None:
                    findings.extend(named)
                    continue
                same_sentence = [m for m in earlier if not m.percent]
                # "占办结数86件的57.0%": a number after 占 is the base, written out
                share_at = mention.start - len(context.before) + context.before.rfind("占")
                base = None
                if "占" in context.before and same_sentence and same_sentence[-1].start > share_at:
                    base = same_sentence.pop()
                part = same_sentence[-1] if same_sentence else None
                if part is not None and own_subject_before_share(context, part, mention):
                    part = None  # "…28.9%，其他情况占5.2%": 其他情况 is no earlier number
                if part is not None:
                    first = mentions[lead] if lead < index else None
                    findings.extend(
                        self._percentage(mention, part, earlier, first, text, located, base)
                    )
                    continue
            breakdown = None
            candidates = breakdown_wholes(text, mentions, index)
            if candidates:
                for whole in candidates:
                    if whole.start not in wholes:
                        wholes[whole.start] = self._identify(whole, context_of(text, whole))
                names = tuple(dict.fromkeys(n for w in candidates for n in wholes[w.start]))
                breakdown = Breakdown(names, item_words(context))
            respective = respective_item(text, mentions, index, context)
            if respective is not None:
                context = respective
            each = each_item(context)
            if each:
                # "行政复议和行政诉讼各2件": the number is stated of each of them
                seen = set()
                for item in each:
                    for finding in self._number(mention, item, located, breakdown):
                        if finding.message not in seen:
                            seen.add(finding.message)
                            findings.append(finding)
                continue
            found = self._number(mention, context, located, breakdown)
            if any(w in context.clause for w in REMAINDER) and found:
                # "其余4件已予以答复": the rest of a total, not the total; no source of its own
                found = [no_source_of_its_own(f, mention) for f in found]
            findings.extend(found)
        findings.extend(self._claims(text, where))
        return findings

    def _shared_action(self, context: Context) -> Context:
        """ "制发的省政府规章5件、省政府办公厅行政规范性文件5件", "有效规范性文件60份，规章2份":
        an item of an enumeration that only names a kind of document (no word of its own
        saying what was done with it) shares the words of the item before it."""
        clause = context.clause
        head = context.before[: len(context.before) - len(clause)]
        if not clause.strip() or not head or head[-1] not in ENUMERATION_BREAKS:
            return context
        previous = head[:-1]
        if not ends_with_number(previous):
            return context
        if not any(w in previous for w in self._document_actions):
            return context  # the item before says nothing done with documents to share
        kinds = self._document_kinds
        if not any(w in clause for w in kinds) or any(
            w in clause for _, words in self._concept_words for w in words
        ):
            return context
        words = number_at_end().sub("", previous)
        words = words[max((words.rfind(ch) for ch in CLAUSE_BREAKS), default=-1) + 1 :]
        for kind in kinds:  # the verb, not the other kind (longest first)
            words = words.replace(kind, "")
        return replace(context, clause=words + "、" + clause)

    # ---- a number of known provenance --------------------------------------------------------

    def _provenance(
        self, mention: Mention, source: Span, text: str, where: Location
    ) -> list[Finding]:
        quantity = self.provenance.get(source.name)
        context = context_of(text, mention)
        fact = self.stats.fact(source.name)
        if fact is not None and fact.cell is not None:
            # A fact that restates a table cell is checked against the cell: a contradiction
            # in the statistics file shows in the document that states it.
            cell = self.quantities.get("@" + fact.cell)
            if cell is not None and not any(
                _value_fits(mention, cell, value) and _unit_fits(cell, unit)
                for value, unit in mention.readings()
            ):
                return [self._mismatch(mention, cell, with_sentence(where, context))]
        if quantity is None:
            if source.name.startswith(("yoy.", "yoy_pct.")):
                return self._change(mention, context, where)
            return self._number(mention, context, where)  # its source is gone: judge it
        if any(
            _value_fits(mention, quantity, value) and _unit_fits(quantity, unit)
            for value, unit in mention.readings()
        ):
            self._confirm(mention, quantity)
            return []
        return [
            Finding(
                "E-NUM-MISMATCH",
                f"“{mention.text}”由{_describe(quantity)}填入，但统计数据现在为 {quantity.text()}",
                replace(with_sentence(where, context), quantity=quantity.name),
            )
        ]

    def fit_hints(self, text: str, trusted: Sequence[Span]) -> list[str]:
        """Placeholders whose words the sentence around them does not echo: hints for a
        model's repair round (a poor fit is a warning, never an error: the number is right)."""
        hints = []
        mentions = find_numbers(text)
        for span in trusted:
            quantity = self.provenance.get(span.name)
            # the first number that overlaps the placeholder's span (numbers are in order)
            near = mentions[bisect_right(mentions, span.start, key=_end_of) :][:1]
            mention = next((m for m in near if _source_of(m, [span]) is not None), None)
            if quantity is None or mention is None or quantity.kind == "change":
                continue
            context = context_of(text, mention)
            if quantity.kind == "fact":
                fits = label_score(quantity.label, context, self.weights) >= WEAK
            else:
                fits = (
                    any(
                        concept_score(c, context) > 0 for c in concepts() if c.quantity == span.name
                    )
                    or label_score(quantity.label, context, self.weights) >= WEAK
                )
            if not fits:
                hints.append(
                    f"“{context.sentence.strip()}”中的占位符 {{{span.name}}}"
                    f"（{quantity.label}）与这句话说的似乎不是同一件事"
                )
        return hints

    # ---- a number against the provenance set ---------------------------------------------------

    def _sources(
        self, mention: Mention, context: Context, value: Decimal, unit: str | None
    ) -> list[Source]:
        out: list[Source] = []
        matches: dict[str, Match] = {}
        window = f"{context.clause}\x00{context.after}\x00{context.rest}"
        for concept, words in self._concept_words:
            if not any(word in window for word in words):
                continue  # none of its words is there (what concept_match checks first)
            match = concept_match(concept, context)
            if match.rank and match.rank > matches.get(concept.quantity, _NO_MATCH).rank:
                matches[concept.quantity] = match
        # "受理申请2025件（包含上年结转71件）": what was received, carried over included,
        # is what was handled this year
        if "@applications.new_received" in matches and CARRIED_INCLUDED.match(context.rest):
            matches["@applications.handled"] = matches.pop("@applications.new_received")
        # Only what the words name or what has the value can decide (see _judge): other
        # table quantities are left out, which keeps a long report fast.
        if mention.approx:
            candidates = self._fitting(unit)
        else:
            fitting = self._fitting_names(unit)
            chosen = {n for n, _ in self._with_value(unit).get(value, ())}
            chosen |= {n for n in matches if n in fitting}
            chosen |= self._fact_names & fitting
            candidates = [(n, self.quantities[n]) for n in sorted(chosen, key=self._order.get)]
        for name, quantity in candidates:
            if quantity.kind == "fact":
                local, wide = label_scores(quantity.label, context, self.weights)
                out.append(Source(quantity, max(local, 0.75 * wide), False, local))
            else:
                match = matches.get(name, _NO_MATCH)
                out.append(
                    Source(quantity, match.rank, True, 1.0 if match.before else 0.0, match.specific)
                )
        return out

    def _identify(self, mention: Mention, context: Context) -> tuple[str, ...]:
        """The quantities a number is verified as: equal in value and named by its words."""
        names: list[str] = []
        for value, unit in mention.readings():
            for source in self._sources(mention, context, value, unit):
                if not _value_fits(mention, source.quantity, value):
                    continue
                if (source.table and source.score > 0) or source.score >= WEAK:
                    names.append(source.quantity.name)
        return tuple(dict.fromkeys(names))

    def _parts(
        self, breakdown: Breakdown, context: Context, sources: list[Source], unit: str | None
    ) -> tuple[list[Quantity], list[Quantity]]:
        """The parts of a breakdown's whole an item may be (the parts of a fact; the same
        column of a table row: 收办 218件，其中自然人 217件 is 新收 + 结转 of 自然人), and
        those the item's own words name."""
        parts: list[Quantity] = []
        named: list[Quantity] = []
        item = breakdown.item
        for name in breakdown.whole:
            fact = self.stats.fact(name)
            if fact is not None:
                for part in fact.parts:
                    quantity = self.quantities.get(part)
                    if quantity is not None and _unit_fits(quantity, unit):
                        parts.append(quantity)
                        local, _ = label_scores(quantity.label, context, self.weights)
                        if (len(item) >= 2 and item in quantity.label) or local >= STRONG:
                            named.append(quantity)
                continue
            for source in sources:
                row, _, column = source.quantity.name.rpartition(".")
                if not (source.table and source.local and row in _APPLICANT_ROWS):
                    continue
                quantity = self.quantities.get(f"{name}.{column}")
                if quantity is not None and quantity.name != source.quantity.name:
                    # the item's own applicant column of the whole's row, or of its own row
                    # ("共需办理236件，其中自然人提出201件，占新收申请的85.17%")
                    parts += [quantity, source.quantity]
                    named += [quantity, source.quantity]
        # facts that share the item's name and the whole's words ("政策问答 市本级" for the
        # item 市本级 of 开展政策问答)
        wholes = [self.quantities[n] for n in breakdown.whole if n in self._fact_names]
        if len(item) >= 2 and wholes:
            for _, quantity in self._fitting(unit):
                if (
                    quantity.kind == "fact"
                    and item in quantity.label
                    and quantity not in parts
                    and any(_shares_words(quantity.label, w.label) for w in wholes)
                ):
                    parts.append(quantity)
                    named.append(quantity)
        return parts, named

    def _number(
        self,
        mention: Mention,
        context: Context,
        where: Location,
        breakdown: Breakdown | None = None,
    ) -> list[Finding]:
        """No finding when any reading of the mention (1.5万人次: 15000 人次 or 1.5 万人次)
        is verified; else the finding of its first reading."""
        where = with_sentence(where, context)
        if mention.unit is None and UNKNOWN_MEASURE.match(context.rest):
            # "共刊登50期、200版": a measure word we do not know; nothing can contradict it
            breakdown = breakdown or NO_LEAD_IN
        verdicts = []
        readings = mention.readings()
        if mention.value == 0 and mention.unit in ("元", "万元"):
            readings.append((Decimal(0), "万元" if mention.unit == "元" else "元"))  # 0元 is 0万元
        for value, unit in readings:
            verdict = self._judge(mention, context, value, unit, where, breakdown)
            if verdict is None:
                return []
            verdicts.append(verdict)
        # the reading that says most: a value found in another sense before "no source"
        known = [v for v in verdicts if v.code != "E-NUM-UNKNOWN"]
        return (known or verdicts)[:1]

    def _judge(
        self,
        mention: Mention,
        context: Context,
        value: Decimal,
        unit: str | None,
        where: Location,
        breakdown: Breakdown | None = None,
    ) -> Finding | None:
        sources = self._sources(mention, context, value, unit)
        if breakdown is not None:
            # An item of a breakdown is a part: its own parts first, never the whole.
            parts, named_parts = self._parts(breakdown, context, sources, unit)
            part = next((q for q in named_parts or parts if _value_fits(mention, q, value)), None)
            if part is not None:
                self._confirm(mention, part)
                return None
            if named_parts:
                return self._mismatch(mention, named_parts[0], where)
            # …unless the item's own words name it best ("共受理33件，其中本年新收33件"; but
            # "行政诉讼9件，其中直接起诉6件": 直接起诉 names the part better than 起诉 the whole)
            best = max((s.score for s in sources if s.table and s.local), default=0.0)
            sources = [
                s
                for s in sources
                if s.quantity.name not in breakdown.whole
                or (s.table and s.local and s.score > 0 and s.score >= best)
                or (not s.table and s.local >= STRONG)
            ]
        named = [s for s in sources if s.table and s.score > 0]
        governing = sorted((s for s in named if s.local), key=lambda s: -s.score)
        further = sorted((s for s in named if not s.local), key=lambda s: -s.score)
        facts = sorted(
            (s for s in sources if not s.table and s.score >= STRONG), key=lambda s: -s.score
        )
        equal = {id(s) for s in sources if _value_fits(mention, s.quantity, value)}

        def fits(candidates: list[Source], margin: float) -> Source | None:
            """The candidate the number is verified as, if any."""
            if candidates and value and candidates[0].quantity.value == 0:
                # a block that is 0 has no outcomes to state: "行政诉讼案件0件，结果维持2件"
                # speaks of the 行政复议 named before it, if any named quantity has the value
                return next((s for s in candidates if id(s) in equal), None)
            if not candidates:
                return None
            return next(
                (
                    s
                    for s in candidates
                    if id(s) in equal and s.score >= candidates[0].score - margin
                ),
                None,
            )

        declined: Quantity | None = None  # a fact the words recall but do not name

        # A fact whose label the text repeats word for word is what the text states, even
        # where a table word stands in it ("备案审查行政复议案件56件" is not 表四's 行政复议).
        # Of several, the longest label: "承办人大代表建议和政协委员提案58件" is the whole,
        # not its part 政协委员提案.
        exact = sorted(
            (
                s
                for s in facts
                if s.local >= EXACT
                and len(bigrams(s.quantity.label)) >= 3  # not "文件" inside 行政规范性文件
                and _ends_alike(s.quantity.label, context)
                and not _other_words(s.quantity.label, context)  # not 历年累计…
            ),
            key=lambda s: (-s.local, -len(bigrams(s.quantity.label))),
        )
        if exact:
            top = len(bigrams(exact[0].quantity.label))
            hit = next(
                (
                    s
                    for s in exact
                    if id(s) in equal
                    and s.local >= exact[0].local - 0.05
                    and (
                        len(bigrams(s.quantity.label)) >= top - 1
                        or s.quantity.label not in exact[0].quantity.label  # a sibling
                    )
                ),
                None,
            )
            if hit is not None:
                self._confirm(mention, hit.quantity)
                return None
            return self._mismatch(mention, exact[0].quantity, where)
        # A specific table concept (现行有效 + 规范性文件) is authoritative: the tables are the
        # official figures, and a fact saying otherwise is a contradiction, not a source.
        if governing and governing[0].specific >= AUTHORITATIVE:
            if hit := fits(governing, TIE):
                self._confirm(mention, hit.quantity)
                return None
            return self._mismatch(mention, governing[0].quantity, where)
        if facts:
            hit = next((s for s in governing if id(s) in equal), None)
            if hit is not None:
                self._confirm(mention, hit.quantity)  # the table names it too
                return None
            # A fact named in the number's own clause outranks one named earlier in the
            # sentence: in "政策24条，政策解读25条" the 25 is the 政策解读.
            own = sorted((s for s in facts if s.local >= STRONG), key=lambda s: -s.local)
            if own:
                near = own[0].local - 0.1
                hit = next((s for s in own if id(s) in equal and s.local >= near), None)
                if hit is not None:
                    self._confirm(mention, hit.quantity)
                    return None
                if not _other_words(own[0].quantity.label, context):
                    return self._mismatch(mention, own[0].quantity, where)
                declined = own[0].quantity
            else:
                # Named only earlier in the sentence: the fact is this number's only if the
                # number's own words add nothing ("发布各类信息145期，752条"); a number whose
                # own words speak of something else is not the fact's, nor is an item named
                # only by the lead-in of its breakdown.
                lead = [s for s in facts if not _other_words(s.quantity.label, context)]
                hit = fits(lead, 0.25) or next((s for s in further if id(s) in equal), None)
                if hit is not None:
                    self._confirm(mention, hit.quantity)
                    return None
                if lead and breakdown is None:
                    return self._mismatch(mention, lead[0].quantity, where)
                declined = facts[0].quantity
        if governing:
            if hit := fits(governing, TIE):
                self._confirm(mention, hit.quantity)
                return None
            return self._mismatch(mention, governing[0].quantity, where)
        if hit := fits(further, TIE):
            # words further on confirm the value; they never contradict it
            self._confirm(mention, hit.quantity)
            return None
        matching = [s for s in sources if id(s) in equal]
        hit = next(
            (
                s
                for s in matching
                if s.score >= WEAK
                and (s.table or s.local >= WEAK or not _other_words(s.quantity.label, context))
            ),
            None,
        )
        if hit is not None:
            self._confirm(mention, hit.quantity)
            return None
        if matching:
            # a row's 总计 cell and the row itself are one number: name it once
            listed = {s.quantity.name for s in matching}
            matching = [
                s
                for s in matching
                if s.quantity.name.removesuffix(".total") == s.quantity.name
                or s.quantity.name.removesuffix(".total") not in listed
            ]
            names = "、".join(_describe(s.quantity) for s in matching[:2])
            if len(matching) > 2:
                names += f"等 {len(matching)} 个数"
            return Finding(
                "W-NUM-UNSURE",
                f"“{mention.text}”与{names}数值相同，但上下文看不出说的是同一个数；"
                "请确认（同一数值可能属于不同概念，如政策性文件与行政规范性文件）",
                # the one quantity it may be, for a model to use its placeholder
                replace(where, quantity=matching[0].quantity.name if len(matching) == 1 else None),
            )
        # the same value in another unit, where the words name that quantity ("收到申请3条")
        other_unit = [
            q
            for _, q in self._with_value(None).get(value, ())
            if not _unit_fits(q, unit) and self._named(q, context)
        ]
        if other_unit:
            return Finding(
                "E-NUM-UNIT",
                f"“{mention.text}”的数值与{_describe(other_unit[0])}相同，但单位应为"
                f"“{other_unit[0].unit}”",
                where,
            )
        if declined is not None:
            return Finding(
                "E-NUM-UNKNOWN",
                f"“{mention.text}”在统计数据中找不到来源；句中提到的{_describe(declined)}"
                f"为 {declined.text()}，但这个数说的似乎不是同一件事",
                replace(where, quantity=declined.name),
            )
        return Finding(
            "E-NUM-UNKNOWN",
            f"“{mention.text}”在统计数据中找不到来源：既不是表格中的数，"
            "也不是统计文件 facts 中的事实",
            where,
        )

    def _named(self, quantity: Quantity, context: Context) -> bool:
        """Whether the words around a number name this quantity at all."""
        if quantity.kind == "fact":
            return label_score(quantity.label, context, self.weights) >= WEAK
        return any(
            concept_score(c, context) > 0 for c in self.concepts if c.quantity == quantity.name
        )

    def _mismatch(self, mention: Mention, quantity: Quantity, where: Location) -> Finding:
        code = "E-NUM-APPROX" if mention.approx else "E-NUM-MISMATCH"
        held = "统计文件中为" if quantity.kind == "fact" else "表中为"
        return Finding(
            code,
            f"“{mention.text}”与{_describe(quantity)}不符（{held} {quantity.text()}）",
            replace(where, quantity=quantity.name),
        )

    # ---- percentages, changes, claims -----------------------------------------------------------

    def _named_percent(self, mention: Mention, context: Context) -> bool:
        """A percentage that is itself a fact (办结率100%) rather than a share of a part."""
        return any(
            q.unit == "%" and label_score(q.label, context, self.weights) >= STRONG
            for q in self.quantities.values()
        )

    def _rate(
        self,
        mention: Mention,
        context: Context,
        where: Location,
    ) -> list[Finding] | None:
        """ "政府信息公开率为45.9%": a rate of table 三 named by its words, computed from the
        tables ((予以公开 + 部分公开) ÷ 办结, or one of its usual variants) and compared at the
        rounding the text shows. None when the words name no such rate."""
        clause = context.clause
        rate = next(
            (
                r
                for r in rates()
                if any(w in clause for w in r.near)
                and not any(w in clause for w in r.not_)
                and all(
                    w in (context.paragraph or context.sentence) or w in (where.section or "")
                    for w in r.topic
                )
            ),
            None,
        )
        if rate is None:
            return None
        pairs = [(part, base) for part in rate.parts for base in rate.bases]
        expected = self._shares(mention, pairs)
        if expected is None:
            self._confirm(mention, f"表三算出的{rate.name}")
            return []
        if not expected:
            return None  # the tables are blank or zero: nothing to compare with
        return [
            Finding(
                "E-NUM-PERCENT",
                f"“{mention.text}”与表三算出的{rate.name}不符：" + "；或 ".join(expected[:2]),
                with_sentence(where, context),
            )
        ]

    def _share_of_a_fact(self, mention: Mention, part: Mention) -> bool:
        """Whether the percentage is the part over a total of the facts (one with `parts`,
        of the same unit), at the digits the text writes."""
        for name in self._fact_names:
            quantity = self.quantities[name]
            fact = self.stats.fact(name)
            if fact is None or not fact.parts:  # a total the statistics break down
                continue
            if quantity.unit != part.unit or quantity.approx or not quantity.value:
                continue
            if Decimal(quantity.value) <= part.value:
                continue
            exact = part.value / Decimal(quantity.value) * 100
            if rounds_to(exact, mention):
                return True
        return False

    def _shares(self, mention: Mention, pairs: list[tuple[str, str]]) -> list[str] | None:
        """None when the percentage is part ÷ base × 100 for one of the (part, base) pairs,
        at the digits the text writes; else each computation, for the message."""
        step = Decimal(1).scaleb(-decimals_of(mention))
        shown = []
        for part_name, base_name in pairs:
            part, base = self.quantities.get(part_name), self.quantities.get(base_name)
            if part is None or base is None or not base.value:
                continue
            exact = Decimal(part.value) / Decimal(base.value) * 100
            if rounds_to(exact, mention):
                return None
            shown.append(
                f"{_short(part)}（{part.text()}）÷ {_short(base)}（{base.text()}）"
                f"= {at_digits(exact, step)}%"
            )
        return shown

    def _named_share(
        self, mention: Mention, context: Context, where: Location
    ) -> list[Finding] | None:
        """ "予以公开和部分公开占办结数的43.9%": no number for the part, but words naming a
        table quantity before 占 and a named base after it. None when the words name nothing."""
        if "占" not in context.before:
            return None
        named_base = _named_base(context.clause)
        subject = context.before[: context.before.rfind("占")]
        if named_base is not None and named_base not in self.quantities:
            return None
        # the words right before 占 name the part ("自然人申请占99.5%")
        head = max((subject.rfind(ch) for ch in CLAUSE_BREAKS), default=-1)
        if not subject[head + 1 :].strip():
            return None
        subject = subject[head + 1 :]  # "无法提供占28.9%，其他情况占5.2%": only 其他情况
        words = Context(subject, subject, subject, "", scope=subject, scope_at=len(subject))
        parts = [
            c.quantity
            for c in self.concepts
            if c.quantity in self.quantities
            and c.quantity != named_base
            and concept_score(c, words) > 0
        ]
        if not parts:
            return None
        # the base the text names, else the usual bases of the part (its row's total; for an
        # applicant column also 新收 + 结转 of that column over their sum)
        pairs = [
            (part, base)
            for name in parts
            for part, base in _share_bases(name, self.quantities)
            if named_base is None or base == named_base
        ]
        if named_base is not None:
            pairs += [(name, named_base) for name in parts]
        shares = self._shares(mention, list(dict.fromkeys(pairs)))
        if shares is None:
            self._confirm(mention, "统计数据算出的比例")
            return []
        if not shares and named_base is None:
            return None  # the tables are blank or zero: nothing to compare with
        if not shares:
            base_name = _short(self.quantities[named_base])
            return [
                Finding(
                    "E-NUM-PERCENT",
                    f"“{mention.text}”的分母{base_name}为 0，无法计算比例",
                    with_sentence(where, context),
                )
            ]
        return [
            Finding(
                "E-NUM-PERCENT",
                f"“{mention.text}”与统计数据算出的比例不符：" + "；或 ".join(shares[:2]),
                with_sentence(where, context),
            )
        ]

    def _percentage(
        self,
        mention: Mention,
        part: Mention,
        earlier: Sequence[Mention],
        first: Mention | None,
        text: str,
        where: Location,
        written_base: Mention | None = None,
    ) -> list[Finding]:
        """A percentage of a part stated before it. `earlier` are the numbers before it in
        its sentence, `first` the first count of its paragraph (if before it)."""
        decimals = decimals_of(mention)
        if written_base is not None:
            # "共49件，占办结数86件的57.0%": the base is written out (and checked on its own)
            unit = Decimal(1).scaleb(-decimals)
            exact = part.value / written_base.value * 100 if written_base.value else None
            if exact is not None and rounds_to(exact, mention):
                self._confirm(mention, f"文中“{part.text}”占“{written_base.text}”的比例")
                return []
            shown = "无法计算" if exact is None else f"{at_digits(exact, unit)}%"
            return [
                Finding(
                    "E-NUM-PERCENT",
                    f"“{part.text}”占“{written_base.text}”的比例应为 {shown}，"
                    f"文中为“{mention.text}”",
                    with_sentence(where, context_of(text, mention)),
                )
            ]
        named_base = _named_base(context_of(text, mention).clause)
        if named_base is not None and named_base in self.quantities:
            # "占新收申请的73%": the text names its base; no other base will do
            base = self.quantities[named_base]
            exact = part.value / Decimal(base.value) * 100 if base.value else None
            unit = Decimal(1).scaleb(-decimals)
            if exact is not None and rounds_to(exact, mention):
                self._confirm(mention, f"文中“{part.text}”占{base.label}（{base.text()}）的比例")
                return []
            located = with_sentence(where, context_of(text, mention))
            shown = "无法计算" if exact is None else f"{at_digits(exact, unit)}%"
            return [
                Finding(
                    "E-NUM-PERCENT",
                    f"“{part.text}”占{base.label}（{base.text()}）的比例应为 {shown}，"
                    f"文中为“{mention.text}”",
                    located,
                )
            ]
        denominators: dict[str, Decimal] = {}
        table_part = any(
            q.kind != "fact"
            and q.value is not None
            and Decimal(q.value) == part.value
            and _unit_fits(q, part.unit)
            for q in self.quantities.values()
        )
        # the bases of table 三, for a part that is a table number ("解读23篇，解读率16%"
        # is no share of the applications, whatever 23 ÷ 142 comes to)
        for name in ("@applications.results.total", "@applications.new_received"):
            if table_part and name in self.quantities:
                denominators[self.quantities[name].label] = Decimal(self.quantities[name].value)
        handled = self.quantities.get("@applications.handled")
        if table_part and handled is not None:
            denominators["本年新收与上年结转合计"] = Decimal(handled.value)
        # A total stated in the text leads its sentence or its paragraph ("共办结185件，……
        # 占XX%"); numbers in the middle are parts, not bases.
        sentence_start = mention.start - len(context_of(text, mention).before)
        leads = ([first] if first is not None else []) + [
            m for m in earlier if not m.percent and m.start >= sentence_start
        ][:1]
        for other in leads:
            if other is not part:
                denominators[f"文中的“{other.text}”"] = other.value
        shares = {}
        unit = Decimal(1).scaleb(-decimals)
        for label, denominator in denominators.items():
            if denominator:
                exact = part.value / denominator * 100
                shares[label] = at_digits(exact, unit)
                if rounds_to(exact, mention):  # rounded or cut at the digits written
                    self._confirm(mention, f"文中“{part.text}”占{label}的比例")
                    return []
        in_sentence = [m for m in earlier if m.start >= sentence_start and not m.percent]
        if not table_part and in_sentence == [part] and self._share_of_a_fact(mention, part):
            # "新增信息3条，占37.5%": no base in the sentence, a share of a total of the facts
            # (主动公开信息8条); where the sentence states its base, that base decides
            self._confirm(mention, f"文中“{part.text}”占统计文件中总数的比例")
            return []
        if not table_part:
            # The part is no table number ("公开18件……满意率100%"): the percentage is not a
            # share of the tables; it needs a source of its own like any other number.
            return self._number(mention, context_of(text, mention), where)
        located = with_sentence(where, context_of(text, mention))
        main = next(iter(shares.items()), None)
        expected = f"以{main[0]}为分母应为 {main[1]}%" if main else "找不到可作分母的总数"
        return [
            Finding(
                "E-NUM-PERCENT",
                f"“{part.text}”占“{mention.text}”算不出来：{expected}",
                located,
            )
        ]

    def _change(self, mention: Mention, context: Context, where: Location) -> list[Finding]:
        located = with_sentence(where, context)
        if self.previous is None:
            return [
                Finding(
                    "A-NUM-YOY",
                    f"“{mention.text}”是与上年相比的变化，没有上年数据无法核对"
                    "（可用 --previous 提供）",
                    located,
                )
            ]
        from drafter.statistics.quantities import quantities as all_quantities

        last = all_quantities(self.previous, self.layout)
        candidates = []
        # What changed is named earlier in the sentence: 收到申请3件，同比增长50%.
        widened = Context(context.sentence, context.before, context.before, context.after)
        for concept in self.concepts:
            if concept_score(concept, widened) and concept.quantity in last:
                now, then = self.quantities[concept.quantity].value, last[concept.quantity].value
                candidates.append((concept.quantity, Decimal(now), Decimal(then)))
        # … or a fact both years state (重点领域信息较上年增加128条).
        for name, quantity in self.quantities.items():
            if quantity.kind != "fact" or name not in last or last[name].unit != quantity.unit:
                continue
            if label_score(quantity.label, widened, self.weights) >= STRONG:
                candidates.append((name, Decimal(quantity.value), Decimal(last[name].value)))
        for name, now, then in candidates:
            diff = abs(now - then)
            if (mention.percent and then and rounds_to(diff / then * 100, mention)) or (
                not mention.percent and diff == mention.value
            ):
                self._confirm(
                    mention,
                    f"与上年相比的变化：{_describe(self.quantities[name])}"
                    f"本年 {format_number(now)}、上年 {format_number(then)}",
                )
                return []
        if not candidates:
            return [
                Finding(
                    "A-NUM-YOY",
                    f"“{mention.text}”是与上年相比的变化，但看不出比较的是哪一个数，请人工核对",
                    located,
                )
            ]
        name, now, then = candidates[0]
        return [
            Finding(
                "A-NUM-YOY",
                f"“{mention.text}”与上年数据算出的变化不符：{_describe(self.quantities[name])}"
                f"本年 {format_number(now)}、上年 {format_number(then)}",
                located,
            )
        ]

    def _claims(self, text: str, where: Location) -> list[Finding]:
        out = []
        review = dict(self.stats.review_blocks())
        for start, end in sentences(text):
            sentence = text[start:end]
            located = Location(
                section=where.section,
                paragraph=where.paragraph,
                sentence=sentence.strip(),
                file=where.file,
            )
            for claim in reference()["upheld_claims"]:
                if claim not in sentence:
                    continue
                blocks = [
                    p
                    for p in review
                    if ("复议" in sentence and p.endswith(".review"))
                    or ("诉讼" in sentence and ".litigation" in p)
                ] or list(review)
                # docs/format.md N-3: true only when 结果纠正 and 尚未审结 are both 0.
                bad = [
                    (p, b)
                    for p, b in ((p, review[p]) for p in blocks)
                    if (b.corrected or 0) + (b.pending or 0) > 0
                ]
                if bad:
                    details = "；".join(
                        f"{self.layout.group_label(p)[1]}结果纠正 {b.corrected}、"
                        f"尚未审结 {b.pending}"
                        for p, b in bad
                    )
                    out.append(
                        Finding(
                            "E-CLAIM-UPHELD",
                            f"“{claim}”与表四不符：{details}",
                            Location(**{**located.__dict__, "text": claim}),
                        )
                    )
                break
            for pattern, quantity in _none_claims():
                match = pattern.search(sentence)
                if match is None:
                    continue
                clause_end = re.search(r"[，。；]|$", sentence[match.end() :])
                outcome = sentence[
                    match.end() : match.end() + (clause_end.start() if clause_end else 0)
                ]
                if any(w in outcome for w in ("纠错", "纠正", "败诉", "撤销", "违法")):
                    continue  # "未发生……被纠错的情况" is about outcomes, not about counts
                if quantity == "@applications.new_received":
                    # "未收到法人或其他组织的申请" is about one kind of applicant
                    quantity = next(
                        (q for word, q in _APPLICANT_WORDS if word in match.group(0)), quantity
                    )
                if quantity in self.quantities and self.quantities[quantity].value:
                    out.append(
                        Finding(
                            "E-CLAIM-NONE",
                            f"“{match.group(0)}”与统计数据不符：{_describe(self.quantities[quantity])}"
                            f"为 {self.quantities[quantity].text()}",
                            Location(**{**located.__dict__, "text": match.group(0)}),
                        )
                    )
        return out

    def paragraphs(self, items: Iterator[tuple[Location, str]]) -> list[Finding]:
        return [f for where, text in items for f in self.paragraph(text, where)]


_RATE_WORDS = ("率", "占", "比例", "比重", "覆盖")
_GROWTH_WORDS = ("增长", "增加", "提高", "上升", "提升", "增幅")


def _rate_words(context: Context) -> bool:
    """A percentage said to be a rate or a share (not a growth, which may exceed 100%)."""
    if any(w in context.clause for w in (*reference()["change_words"], *_GROWTH_WORDS)):
        return False
    return any(w in context.clause for w in _RATE_WORDS)


def _source_of(mention: Mention, trusted: Sequence[Span]) -> Span | None:
    """The placeholder a number came from: a span that contains its digits."""
    for span in trusted:
        if span.start <= mention.start and mention.end <= span.end:
            return span
        if span.start < mention.end and mention.start < span.end:
            return span
    return None


def _end_of(item: Mention | Span) -> int:
    return item.end


class _Placeholders:
    """The placeholders of a paragraph, for `_source_of` on each of its numbers: when they
    are in order and do not overlap (as the drafter fills them), the one a number may come
    from is found by bisection, not by a walk through all of them for each number."""

    def __init__(self, trusted: Sequence[Span]) -> None:
        self.trusted = trusted
        self.ordered = all(a.end <= b.start for a, b in pairwise(trusted))

    def of(self, mention: Mention) -> Span | None:
        if not self.ordered:
            return _source_of(mention, self.trusted)
        index = bisect_right(self.trusted, mention.start, key=_end_of)
        return _source_of(mention, self.trusted[index : index + 1])


# 合计, 共计, 共: a total; not the 共 of 公共, 共享, 共同, 中共
_SUM_WORD = re.compile(r"合计|共计|总计|共需|累计|(?<![公中])共(?![享同建治青产性])")
_CATEGORY_UNITS = {"项", "类", "种", "级", "方面"}


def _category_count(mention: Mention, text: str) -> bool:
    """A small Chinese numeral counting kinds of things (两项合计, 三类, 五项措施), not a
    statistic ("结转下年度继续办理二项" is one)."""
    if mention.form != "chinese" or mention.value > 10 or mention.unit not in _CATEGORY_UNITS:
        return False
    if mention.unit != "项":
        return True
    return bool(_KINDS_AFTER.match(text, mention.end)) or text.endswith(
        ("等", "这", "以上", "上述", "下列"), 0, mention.start
    )


_KINDS_AFTER = re.compile(
    r"(?:合计|工作|措施|制度|任务|内容|举措|机制|要求|原则|重点|规定|指标|职能|重要|主要|基础|长期)"
)


def _states_a_sum(mention: Mention, context: Context, earlier: list[Mention], text: str) -> bool:
    """ "予以公开79件，部分公开22件，两项合计101件": a total of the numbers just stated in the
    same sentence (which are checked themselves) holds by arithmetic."""
    if not _SUM_WORD.search(context.clause) or mention.approx:
        return False
    sentence_start = mention.start - len(context.before)
    parts = [
        m for m in earlier if m.start >= sentence_start and m.unit == mention.unit and not m.approx
    ]
    total = Decimal(0)
    for count, part in enumerate(reversed(parts), 1):  # the last two, the last three, …
        total += part.value
        if count >= 2 and total == mention.value:
            return True
    return False


def _distinctiveness(texts: list[str]) -> dict[str, float]:
    """Weight of each character pair: 1 for a pair one text uses, less for a shared one."""
    counts: dict[str, int] = {}
    for text in texts:
        for pair in bigrams(text):
            counts[pair] = counts.get(pair, 0) + 1
    return {pair: 1 / count for pair, count in counts.items()}


_BASES = (
    (("新收", "收到", "受理", "新增"), "@applications.new_received"),
    (("办结", "答复", "办理完毕"), "@applications.results.total"),
)


def _named_base(clause: str) -> str | None:
    """The base a percentage names: "占新收申请的", "占办结总数的"."""
    if "占" not in clause:
        return None
    tail = clause[clause.rfind("占") :]
    return next((name for words, name in _BASES if any(w in tail for w in words)), None)


_APPLICANT_WORDS = (
    ("法人或其他组织", "@applications.new_received.organisations"),
    ("法人和其他组织", "@applications.new_received.organisations"),
    ("商业企业", "@applications.new_received.commercial"),
    ("企业", "@applications.new_received.commercial"),
    ("科研机构", "@applications.new_received.research"),
    ("公益组织", "@applications.new_received.social_welfare"),
    ("法律服务机构", "@applications.new_received.legal_service"),
    ("自然人", "@applications.new_received.natural_person"),
    ("法人", "@applications.new_received.organisations"),
)


@cache
def _none_claims() -> tuple[tuple[re.Pattern[str], str], ...]:
    return (
        (
            re.compile(r"(?:未|没有)(?:收到|接到|受理)[^，。；]{0,12}申请"),
            "@applications.new_received",
        ),
        (
            re.compile(r"(?:未|没有)(?:发生|出现|涉及)[^，。；]{0,20}行政复议"),
            "@review_litigation.review",
        ),
        (
            re.compile(r"(?:未|没有)(?:发生|出现|涉及)[^，。；]{0,20}(?:行政)?诉讼"),
            "@review_litigation.litigation",
        ),
        (re.compile(r"未收取(?:任何)?信息处理费"), "@processing_fees.collected_yuan"),
    )


def _share_bases(name: str, found: dict[str, Quantity]) -> list[tuple[str, str]]:
    """(part, base) pairs a share of the quantity `name` is usually taken over."""
    cell = name.removeprefix("@")
    if cell.startswith("applications.new_received."):
        column = cell.rsplit(".", 1)[-1]
        return [
            (name, "@applications.new_received"),
            (f"@applications.handled.{column}", "@applications.handled"),
        ]
    if cell.startswith("applications.results.") and cell != "applications.results.total":
        bases = ("results.total", "handled", "new_received")
        return [(name, f"@applications.{b}") for b in bases]
    if cell.startswith("review_litigation.") and cell.count(".") == 2:
        return [(name, name.rsplit(".", 1)[0])]
    return []


def _short(quantity: Quantity) -> str:
    """A quantity's name inside a computation: 办结总数, 予以公开与部分公开合计, 事实“…”."""
    return reference().get("short_names", {}).get(quantity.name) or _describe(quantity)


def _describe(quantity: Quantity) -> str:
    """A quantity as a reviewer names it: 表三“办结总数”, 表二“行政规范性文件 · 现行有效件数”,
    统计文件中的事实“在网站发布各类信息”（platforms.website_items）."""
    if quantity.kind == "fact":
        return f"统计文件中的事实“{quantity.label}”（{quantity.name}）"
    table, _, rest = quantity.label.partition(" · ")
    short = reference().get("short_names", {}).get(quantity.name)
    if not rest:
        return quantity.label
    return f"{table}“{short or rest}”"


def _at(where: Location, text: str, mention: Mention) -> Location:
    return Location(
        section=where.section,
        paragraph=where.paragraph,
        text=mention.text,
        span=(mention.start, mention.end),
        file=where.file,
    )


# ---- a whole document -------------------------------------------------------------------


def verify_report(
    report: rp.Report,
    stats: Stats,
    layout: Layout | None = None,
    previous: Stats | None = None,
    *,
    file: str | None = None,
    confirmed: dict[tuple[str | None, int], dict[tuple[int, int], Quantity | str]] | None = None,
) -> list[Finding]:
    """Every finding about a report (drafted here or read back from a file): the numbers of
    its prose, its claims, its structure and its tables against the statistics; for what a
    model wrote (and nobody has changed since), also debris and claims without a source.
    `confirmed`, when given, receives for each paragraph (section heading, number) what
    confirmed each of its numbers (`Verifier.confirmations`); the findings are the same."""
    from drafter.checking.findings import sort_findings
    from drafter.drafting.grounding import Material
    from drafter.formats import load_layout
    from drafter.statistics.quantities import quantities
    from drafter.verification.docrules import document_rules, table_rules

    layout = layout or load_layout(stats.format)
    other = _another_agency(report.agency, stats.agency)
    if other:
        # Checked against another body's statistics, every number would be "wrong": one
        # clear finding instead of fifty.
        return [
            Finding(
                "E-DOC-AGENCY",
                f"文档的发布机关“{report.agency}”与统计文件的“{stats.agency}”不是同一个机关："
                "是否用错了统计文件？其余内容未核对",
                Location(section="标题", text=report.agency, file=file),
            )
        ]
    _check_number_count(report, file)
    verifier = Verifier(stats, layout, quantities(stats, layout), previous)
    drafters = (rp.OFFLINE, rp.EDITOR, rp.DOCUMENT)
    by_model = (
        any(a not in drafters for a in report.provenance.sentences.values())
        if report.provenance is not None
        else any(p.author not in drafters for p in report.paragraphs())
    )
    # what a model wrote is checked against the notes (built only when there is any)
    material = Material(stats, verifier.provenance, layout) if by_model else None
    findings: list[Finding] = []
    for heading, number, paragraph in report.located_paragraphs():
        where = Location(section=heading, paragraph=number, file=file)
        if confirmed is None:
            numbers = verifier.paragraph(paragraph.text, where, paragraph.spans)
        else:
            numbers, found = verifier.confirmations(paragraph.text, where, paragraph.spans)
            confirmed[(heading, number)] = found
        findings += numbers
        if report.provenance is not None:
            author = report.provenance.author
        else:
            own = paragraph.author
            author = lambda _sentence, own=own: own  # noqa: E731
        if material is not None:
            findings += drafted_findings(
                paragraph.text, where, paragraph.spans, author, material, numbers, verifier
            )
        if paragraph.author not in ("offline", "editor", "document"):
            findings.append(
                Finding(
                    "A-AI-UNEDITED",
                    f"本段由模型 {paragraph.author} 起草，尚未经编辑修改，请审阅",
                    where,
                )
            )
    findings += list(document_rules(report, stats, layout, file))
    findings += list(table_rules(report, stats, layout, file))
    if report.front_matter:
        findings.append(_front_matter_skipped(report.front_matter, file))
    return sort_findings(findings)


_PLACE = re.compile(r"^.{2,8}?(?:自治区|自治州|省|市|州|盟|地区|县|区|旗|镇|乡|街道)")


def _another_agency(written: str, stated: str) -> bool:
    """Whether a report's title names another body than its statistics: their place names
    differ (泉州市… and 厦门市…; 福建省泉州市… names 泉州市 too), or, without place names,
    they share under half their characters. An abbreviation (科技局 for 科学技术局) is the
    same body."""
    written, stated = written.strip(), stated.strip()
    if not written or not stated or written in stated or stated in written:
        return False
    places = _PLACE.match(written), _PLACE.match(stated)
    if places[0] and places[1]:
        return places[0].group() not in stated and places[1].group() not in written
    shared = len(set(written) & set(stated)) / min(len(set(written)), len(set(stated)))
    return shared < 0.5


def _check_number_count(report: rp.Report, file: str | None) -> None:
    """Refuse prose with more numbers than any report has (limits.MAX_NUMBERS) before
    verifying one: finding them is cheap, verifying each is not."""
    from drafter.errors import InputError
    from drafter.limits import MAX_NUMBERS

    total = 0
    for paragraph in report.paragraphs():
        total += len(find_numbers(paragraph.text))
        if total > MAX_NUMBERS:
            raise InputError(
                f"正文中的数过多（超过 {MAX_NUMBERS:,} 个；一份报告通常只有几百个），拒绝核对",
                file=file,
                code="E-LIMIT-TEXT",
            )


def _front_matter_skipped(front: list[str], file: str | None) -> Finding:
    """What was not verified is said: the letter in front of the report's "附件" line."""
    opening = front[0] if len(front[0]) <= 30 else front[0][:29] + "…"
    return Finding(
        "A-DOC-FRONT-SKIPPED",
        f"“附件”一行之前的 {len(front) - 1} 段（报送函或转发通知，首段“{opening}”）不属于报告，"
        "其中的数没有核对",
        Location(section="附件之前", file=file),
    )


def drafted_findings(
    text: str,
    where: Location,
    spans: Sequence[Span],
    author: Callable[[str], str | None],
    material: Material,
    numbers: list[Finding],
    verifier: Verifier,
) -> list[Finding]:
    """What a model wrote that an editor must not have to clean up or distrust: debris
    (E-TEXT-DEBRIS) and claims that neither the notes nor the statistics support
    (W-CLAIM-UNSOURCED). Only sentences a model wrote are looked at (`author` tells, by the
    sentence's text: an edited sentence is the editor's). The drafter marks exactly these in
    the document it writes, and `drafter verify` finds them again there."""
    from drafter.drafting.cleaning import debris_in

    drafted = [
        (start, end)
        for start, end in rp.sentence_spans(text)
        if author(text[start:end].strip()) not in (None, rp.OFFLINE, rp.EDITOR, rp.DOCUMENT)
    ]
    if not drafted:
        return []
    out: list[Finding] = []

    def located(start: int, end: int, sentence: str) -> Location:
        return replace(where, text=text[start:end], span=(start, end), sentence=sentence.strip())

    ends = [end for _, end in drafted]
    for debris in debris_in(text):
        # the first sentence a model wrote that holds the debris or starts inside it
        # (sentences are in order: the first that ends after the debris starts)
        index = bisect_right(ends, debris.start)
        if index < len(drafted):
            start, end = drafted[index]
            if start <= debris.start < end or debris.start <= start < debris.end:
                out.append(
                    Finding(
                        "E-TEXT-DEBRIS",
                        debris.problem,
                        located(debris.start, debris.end, text[start:end]),
                    )
                )
    placeholders = sorted(spans, key=lambda s: s.start)
    starts = [s.start for s in placeholders]
    flagged = {f.location.span[0] for f in numbers if f.location.span}
    for start, end in drafted:
        sentence = text[start:end]
        own = [
            rp.Span(s.start - start, s.end - start, s.name)
            for s in placeholders[bisect_left(starts, start) : bisect_left(starts, end)]
        ]
        # the numbers of the sentence the verifier confirmed (no finding at all about them)
        confirmed = [
            (m.start, m.end) for m in find_numbers(sentence) if start + m.start not in flagged
        ]
        part = material.part_of(where.section)
        for claim in material.check(sentence, own, confirmed=confirmed, part=part):
            words = "”“".join(claim.words)
            out.append(
                Finding(
                    "W-CLAIM-UNSOURCED",
                    f"素材和统计数据中都没有“{words}”（{claim.what}）的依据，请核实或删去",
                    located(start + claim.start, start + claim.end, sentence),
                )
            )
    return out
