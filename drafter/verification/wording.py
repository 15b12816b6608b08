"""How published prose words its numbers.

The words around a number (its sentence, its clause, the words after it) and the ways a report
arranges several numbers: enumerations by "、" or "，", breakdowns under 其中, a number stated
of each of several things (各) or respectively (分别), the rest of a total (其余), a change whose
two years the text states ("比2022年（31起）下降29%"), a percentage of numbers the text states,
and the rounding a percentage shows. `drafter.verification.verify` asks these questions of every
number; what the words *mean* (which table cell, which fact) is decided there.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, localcontext
from functools import cache, lru_cache
from typing import Any

from drafter.checking.findings import Finding, Location
from drafter.resources import structured_dir
from drafter.statistics.quantities import format_number
from drafter.verification.numbers import Mention
from drafter.yamlsource import read_trusted_yaml

CLAUSE_BREAKS = "，,、；;：:（）()\n"
SENTENCE_BREAKS = "。！？!?；;\n"
ENUMERATION_BREAKS = "、，,"  # marks between the numbers of one enumeration
# How far from a number its words are read, on each side, within its sentence. A sentence of
# a published report is under 700 characters; a hostile paragraph may be one sentence of
# 100,000 with 10,000 numbers, and each number's words must cost the same there (issue 11).
WINDOW = 1000


@cache
def reference() -> dict[str, Any]:
    """structured/reference/concepts.yaml: the words of the tables and of report prose."""
    return read_trusted_yaml(structured_dir() / "reference" / "concepts.yaml")


# ---- the words around a number -------------------------------------------------------------------


class Preceding:
    """The paragraph up to a number, and the rest of its sentence: what `word in` asks of
    it is answered from where the word first stands in the paragraph, without copying it
    for each number."""

    def __init__(self, text: str, at: int, tail: str) -> None:
        self.text, self.at, self.tail = text, at, tail

    def __contains__(self, word: str) -> bool:
        first = _first(self.text, word)
        if first >= 0 and first + len(word) <= self.at:
            return True
        # in the rest of the sentence, or across the number (the paragraph is the words
        # before it and the words after it, joined)
        return word in self.text[max(0, self.at - len(word) + 1) : self.at] + self.tail

    def __bool__(self) -> bool:
        return self.at > 0 or bool(self.tail)

    def __str__(self) -> str:
        return self.text[: self.at] + self.tail

    def __repr__(self) -> str:
        return f"Preceding({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, Preceding | str) else other)

    def __hash__(self) -> int:
        return hash(str(self))


@lru_cache(maxsize=4096)
def _first(text: str, word: str) -> int:
    return text.find(word)


@dataclass(frozen=True)
class Context:
    sentence: str  # the whole sentence (at most WINDOW characters on each side of the number)
    before: str  # the sentence up to the number
    clause: str  # the clause before the number (since the last ，、；：…)
    after: str  # the clause after the number
    rest: str = ""  # the sentence after the number, up to the next number
    scope: str = ""  # where the words a concept needs (`all`) must stand
    subject: str = ""  # inside parentheses: the clause the parenthesis belongs to
    paragraph: str | Preceding = ""  # the paragraph up to the number, and the rest of its sentence
    scope_at: int = 0  # where the number stands in `scope`


_SUBORDINATE = ("因", "由于", "系", "于")


CARRIED_INCLUDED = re.compile(r"\s*[（(](?:其中)?(?:含|包含|包括)[^）)]{0,6}(?:上年|上一年|去年)")


_OWN_WORDS_AFTER = re.compile(r"\s*[\u4e00-\u9fff]{2}")


_EMPTY_WORDS = ("计", "共", "共有", "共计", "达", "达到", "为", "约为", "总数为", "数量为")


_TRAILING_REMARK = re.compile(r"[（(][^（）()]*[）)]\s*$")

_BREAKS = frozenset(CLAUSE_BREAKS + SENTENCE_BREAKS)


@lru_cache(maxsize=512)  # every number of a paragraph asks for the same sentences
def sentences(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) of each sentence, the end including its closing mark."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch in SENTENCE_BREAKS:
            out.append((start, i + 1))
            start = i + 1
    if start < len(text):
        out.append((start, len(text)))
    return tuple(out)


@lru_cache(maxsize=512)
def _sentence_starts(text: str) -> tuple[int, ...]:
    return tuple(start for start, _ in sentences(text))


def sentence_index(text: str, position: int) -> int | None:
    """The index in `sentences(text)` of the sentence holding `position` (by bisection)."""
    index = bisect_right(_sentence_starts(text), position) - 1
    if index >= 0 and position < sentences(text)[index][1]:
        return index
    return None


def sentence_window(text: str, mention: Mention) -> tuple[int, int]:
    """(start, end) of a number's sentence, cut at WINDOW characters on each side of it."""
    index = sentence_index(text, mention.start)
    start, end = sentences(text)[index] if index is not None else (0, len(text))
    return max(start, mention.start - WINDOW), min(end, mention.end + WINDOW)


def _start_of(mention: Mention) -> int:
    return mention.start


def first_from(mentions: Sequence[Mention], position: int, hi: int | None = None) -> int:
    """The index of the first of `mentions` (in the order of the text) that starts at or
    after `position`, before index `hi`."""
    return bisect_left(mentions, position, 0, len(mentions) if hi is None else hi, key=_start_of)


def context_of(
    text: str, mention: Mention, following: int | None = None, preceding: int | None = None
) -> Context:
    """The words around a number. `following` is where the next number starts, `preceding`
    where the number before it ends."""
    start, end = sentence_window(text, mention)
    before = text[start : mention.start]
    # A remark in parentheses right before the number ("部分公开（区分处理的……）71件")
    # belongs to the words before it.
    bare = _TRAILING_REMARK.sub("", before)
    for phrase in reference().get("neutral_phrases", ()):
        # "收到公民、法人和其他组织的申请": no applicant in particular, and no clause break
        bare = bare.replace(phrase, "众" * len(phrase))
    cut = max((bare.rfind(ch) for ch in CLAUSE_BREAKS), default=-1)
    clause = bare[cut + 1 :]
    if (
        clause.strip() in _EMPTY_WORDS
        and cut > 0
        and bare[cut] in "，,"
        and not ends_with_number(bare[:cut])
    ):
        # "以信访举报投诉类申请为主，计20件", "申请人以自然人为主，共47件": a clause of no
        # words of its own counts what the clause before it names.
        head = bare[:cut]
        previous = max((head.rfind(ch) for ch in CLAUSE_BREAKS), default=-1)
        clause = head[previous + 1 :] + clause
    elif (
        not clause.strip()
        and cut > 0
        and bare[cut] in ENUMERATION_BREAKS
        and ends_with_number(bare[:cut])
        and not _OWN_WORDS_AFTER.match(text, mention.end)
    ):
        # "发布信息145期、752条" or "145期，752条": the second number shares the words of
        # the first (its clause is empty), whichever mark separates them; not when it has
        # words of its own after it ("其中17件结果维持，4件尚未审结").
        head = bare[:cut]
        previous = max((head.rfind(ch) for ch in CLAUSE_BREAKS), default=-1)
        clause = head[previous + 1 :]
    elif preceding is not None and start + cut + 1 < preceding <= start + len(bare):
        # "调整完善32个领域和16个街道": the words before the number before it are that
        # number's; this one has only what follows it ("领域和"), unless that is nothing
        # but a joining word ("145期和752条" shares its lead-in).
        own = text[preceding : start + len(bare)]
        if own.strip(" 和及与并且、"):
            clause = own
    tail = text[mention.end : end]
    stop = next((i for i, ch in enumerate(tail) if ch in _BREAKS), len(tail))
    if following is not None:
        stop = min(stop, max(0, following - mention.end))  # the next number has its own words
    joined = min((i for w in "和及与" if (i := tail.find(w, 0, stop)) >= 0), default=stop)
    stop = min(stop, joined)  # "行政复议2件和复议后提起行政诉讼1件": the 诉讼 is the 1件's
    if tail[:stop].startswith(_SUBORDINATE):
        # "另有5件因收到时间临近年底，结转至下年度": a reason or time phrase after the number
        # is not what the number counts; the predicate comes later in the sentence.
        stop = 0
    rest = text[mention.end : min(end, following) if following is not None else end]
    # Inside parentheses, the words before the opening parenthesis are the subject:
    # "直接起诉8件（结果维持4件、…）" is about 直接起诉, not about the whole sentence.
    opened = before.rfind("（"), before.rfind("(")
    closed = before.rfind("）"), before.rfind(")")
    subject = ""
    if max(opened) > max(closed):
        inner = before[: max(opened)]
        head = max((inner.rfind(ch) for ch in CLAUSE_BREAKS), default=-1)
        subject = inner[head + 1 :]
        if not clause.strip():
            clause = subject  # "保护第三方合法权益（5件）": the label before the parenthesis
        scope = subject + before[max(opened) :] + tail[:stop]
        scope_at = len(subject) + len(before) - max(opened)
    else:
        # the rest of the sentence up to the next number, whose words are its own
        scope = before + _own_rest(text, mention.end, end, following)
        scope_at = len(before)
    paragraph = Preceding(text, mention.start, tail)
    return Context(
        text[start:end], before, clause, tail[:stop], rest, scope, subject, paragraph, scope_at
    )


_NUMERAL = "[0-9０-９零〇一二两三四五六七八九十百千万亿.]"


@cache
def number_at_end() -> re.Pattern[str]:
    from drafter.verification.numbers import units

    unit = "|".join(re.escape(u) for u in sorted(units(), key=len, reverse=True))
    digit = _NUMERAL
    # Only from the start of a run of numerals, and possessive: searched over a long run of
    # numerals or spaces, the pattern must not scan the run again from each position in it.
    # (The leftmost match starts a run anyway, and no unit begins with a space.)
    return re.compile(rf"(?<!{digit}){digit}++\s*+(?:多|余)?\s*+(?:{unit})?\s*+(?:以上)?\s*+$")


@cache
def _number_at_end_reversed() -> re.Pattern[str]:
    """`number_at_end` read backwards, to match at the start of the text reversed: whether
    the words before a number end with a number costs the length of that number, not of the
    words (a clause of a hostile sentence may be thousands of characters)."""
    from drafter.verification.numbers import units

    unit = "|".join(re.escape(u[::-1]) for u in sorted(units(), key=len, reverse=True))
    return re.compile(rf"\s*+(?:上以)?\s*+(?:{unit})?\s*+(?:多|余)?\s*+{_NUMERAL}")


def ends_with_number(text: str) -> bool:
    """Whether `text` ends with a number (and its unit): what `number_at_end` finds."""
    return _number_at_end_reversed().match(text[::-1]) is not None


def _own_rest(text: str, at: int, end: int, following: int | None) -> str:
    """The sentence after a number, up to the words of the next number ("现行有效规范性文件
    41份，规章9份": the 规章 is the 9份's, not the 41份's)."""
    if following is None or following >= end:
        return text[at:end]
    rest = text[at:following]
    cut = max((rest.rfind(ch) for ch in CLAUSE_BREAKS), default=-1)
    return rest[:cut] if cut >= 0 else rest


_NOT_CHINESE = re.compile(r"[\s\W\d_a-zA-Z]+")


@lru_cache(maxsize=4096)  # a number's words are compared with every fact's label
def bigrams(text: str) -> frozenset[str]:
    """The pairs of consecutive characters of a text's Chinese words."""
    text = _NOT_CHINESE.sub("", text)
    return frozenset(text[i : i + 2] for i in range(len(text) - 1))


STOP_BIGRAMS = {"全年", "本年", "年度", "其中", "共计", "累计", "发布", "开展", "各类", "完成"}


# ---- how several numbers are arranged -----------------------------------------------------------

BREAKDOWN_WORDS = ("其中", "包括")


@dataclass(frozen=True)
class Breakdown:
    """A number listed after 其中: one item of a whole stated before it ("开展政策问答36期，
    其中，市本级12期、甲区10期"). `whole` names the quantities the whole was verified as."""

    whole: tuple[str, ...]  # in the order the text states them
    item: str  # the item's own words (市本级), without the lead-in


def breakdown_wholes(text: str, mentions: Sequence[Mention], index: int) -> list[Mention]:
    """The number a breakdown item belongs to: the last of the same unit before 其中 in its
    sentence, or, when 其中 opens the sentence, the first of the sentence before, its
    subject ("新收236件，另有上年结转10件。其中，自然人申请212件": the 236)."""
    mention = mentions[index]
    here = sentence_index(text, mention.start)
    if here is None:
        return []
    bounds = sentences(text)
    start = bounds[here][0]
    near = max(start, mention.start - WINDOW)
    head = text[near : mention.start]
    opened = max(head.rfind(w) for w in BREAKDOWN_WORDS)
    if opened < 0:
        return []
    opened += near

    def counts(m: Mention) -> bool:
        return m.end <= opened and not m.percent and m.unit == mention.unit

    # the last such number between the start of the sentence (or of the window) and 其中
    for m in reversed(mentions[first_from(mentions, near, index) : index]):
        if counts(m):
            return [m]
    if here and near == start and not text[start:opened].strip(" \t，,：:"):
        previous = bounds[here - 1][0]
        stop = min(opened, previous + WINDOW)
        lo = first_from(mentions, previous, index)
        hi = first_from(mentions, stop, index)
        return next(([m] for m in mentions[lo:hi] if counts(m)), [])
    return []


UNKNOWN_MEASURE = re.compile(r"[\u4e00-\u9fff]")


REMAINDER = ("其余", "剩余", "余下", "其他的")


LAST_YEARS_VALUE = re.compile(
    r"(?:比|较|与)\s*(?:(?:19|20)[0-9]{2}\s*年度?|上年度?|去年)(?:同期)?\s*[（(]\s*$"
)


_YEAR_COMPARED = re.compile(r"(?:比|较|与)\s*(?:19|20)[0-9]{2}\s*年度?(?:相比)?")


_CHANGE_DIRECTION = {
    "增长": 1,
    "增加": 1,
    "上升": 1,
    "提高": 1,
    "提升": 1,
    "多": 1,
    "下降": -1,
    "减少": -1,
    "降低": -1,
    "回落": -1,
    "少": -1,
}


def own_subject_before_share(context: Context, part: Mention, mention: Mention) -> bool:
    """Whether the words right before 占 name something of their own, in a clause without
    the number that would otherwise be taken for the part."""
    if "占" not in context.clause:
        return False
    subject = context.clause[: context.clause.rfind("占")]
    clause_start = mention.start - len(context.clause)
    return part.start < clause_start and len(re.sub(r"[^\u4e00-\u9fff]", "", subject)) >= 2


def rounds_to(exact: Decimal, mention: Mention) -> bool:
    """Whether a percentage as written is `exact` rounded (half up, or half to even) or cut
    at the digits the text writes: 53.96 is "54%" or "53.9…", never "55%"."""
    step = Decimal(1).scaleb(-decimals_of(mention))
    return mention.value in (
        at_digits(exact, step, ROUND_HALF_UP),
        at_digits(exact, step, ROUND_HALF_EVEN),
        at_digits(exact, step, ROUND_DOWN),
    )


def at_digits(exact: Decimal, step: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """`exact` rounded at the digits of `step` (1, 0.1 …), however many digits that takes:
    a number of dozens of digits in hostile text exceeds the 28 of the default context."""
    with localcontext() as context:
        context.prec = max(context.prec, exact.adjusted() - int(step.as_tuple().exponent) + 2)
        return exact.quantize(step, rounding)


def stated_share(mention: Mention, context: Context, earlier: Sequence[Mention]) -> bool:
    """Whether a percentage is the number just before it over a number of the same unit
    stated earlier in its sentence, at the digits it writes."""
    sentence_start = mention.start - len(context.before)
    stated = [m for m in earlier if m.start >= sentence_start and not m.percent and m.value]
    if len(stated) < 2:
        return False
    part = stated[-1]  # the number just before the percentage, over one stated before it
    return any(
        base.unit == part.unit
        and base.value >= part.value
        and rounds_to(part.value / base.value * 100, mention)
        for base in stated[:-1]
    )


def no_source_of_its_own(finding: Finding, mention: Mention) -> Finding:
    if finding.code not in ("E-NUM-MISMATCH", "E-NUM-APPROX"):
        return finding
    return Finding(
        "E-NUM-UNKNOWN",
        f"“{mention.text}”是其余部分的数，统计数据中没有它的来源（{finding.message}）",
        finding.location,
    )


def stated_change(
    text: str, mentions: Sequence[Mention], index: int, context: Context, where: Location
) -> list[Finding] | None:
    """A change whose two years the text states ("22起，比2022年（31起）下降29%"): checked by
    arithmetic. None when the text does not state both; [] when it holds."""
    mention = mentions[index]
    compared = None
    for match in _YEAR_COMPARED.finditer(context.before):
        compared = match
    if compared is None:
        return None
    direction = next((d for w, d in _CHANGE_DIRECTION.items() if w in context.clause), None)
    if direction is None:
        return None
    sentence_start = mention.start - len(context.before)
    at = sentence_start + compared.end()
    then = [m for m in mentions[first_from(mentions, at, index) : index] if not m.percent]
    now = mentions[
        first_from(mentions, sentence_start, index) : first_from(
            mentions, at - len(compared.group(0)), index
        )
    ]
    now = [m for m in now if not m.percent and then and m.unit == then[0].unit]
    if not then or not now:
        return None
    before, after = then[0].value, now[-1].value
    if (after - before) * direction < 0:
        shown = "增加" if after > before else "减少"
        return [
            Finding(
                "E-NUM-MISMATCH",
                f"“{mention.text}”说的变化方向与文中的数不符：{then[0].text} → {now[-1].text}"
                f"是{shown}",
                with_sentence(where, context),
            )
        ]
    if mention.percent:
        if not before:
            return None
        exact = abs(after - before) / before * 100
        step = Decimal(1).scaleb(-decimals_of(mention))
        if rounds_to(exact, mention):
            return []
        shown = f"{at_digits(exact, step)}%"
    else:
        if abs(after - before) == mention.value:
            return []
        shown = format_number(abs(after - before))
    return [
        Finding(
            "E-NUM-PERCENT" if mention.percent else "E-NUM-MISMATCH",
            f"“{mention.text}”与文中的数算出的变化不符：{then[0].text} → {now[-1].text}，"
            f"变化为 {shown}",
            with_sentence(where, context),
        )
    ]


_RESPECTIVE_ITEMS = re.compile(r"[、，,和及与]")


def respective_item(
    text: str, mentions: Sequence[Mention], index: int, context: Context
) -> Context | None:
    """ "A、B、C等领域信息分别22条、34条、29条": the k-th number after 分别 is the k-th thing
    named before it, with the words the things share (领域信息). None when the counts differ."""
    mention = mentions[index]
    sentence_start = mention.start - len(context.before)
    at = text.rfind("分别", sentence_start, mention.start)
    if at < 0:
        return None
    sentence_end = sentence_window(text, mention)[1]
    listed = mentions[first_from(mentions, at + 1) : first_from(mentions, sentence_end)]
    run = []
    for m in listed:  # the numbers right after 分别, separated by marks only
        gap = text[(run[-1].end if run else at + 2) : m.start]
        if gap.strip(" 为是：:、，,和及") and run:
            break
        if not run and gap.strip(" 为是：:"):
            break
        run.append(m)
    if mention not in run:
        return None
    head = text[sentence_start:at]
    head = head[max(head.rfind(ch) for ch in "，,；;：:（(") + 1 :]
    shared = ""
    if "等" in head:
        head, _, shared = head.rpartition("等")
    items = [i for i in _RESPECTIVE_ITEMS.split(head) if i.strip()]
    if len(items) != len(run):
        return None
    item = items[run.index(mention)] + shared
    return replace(context, clause=item, before=item, scope=item, scope_at=len(item), rest="")


_COORDINATION = re.compile(r"[和与、]|(?<![涉以普危])及")  # not the 及 of 涉及, 以及


def each_item(context: Context) -> list[Context]:
    """ "行政复议和行政诉讼各2件": one context per coordinated item before 各."""
    clause = context.clause.rstrip()
    if not clause.endswith("各"):
        return []
    items = [i for i in _COORDINATION.split(clause[:-1]) if len(i.strip()) >= 2]
    if len(items) < 2:
        return []
    out = []
    for item in items:
        out.append(
            replace(context, clause=item, before=item, scope=item, scope_at=len(item), rest="")
        )
    return out


def item_words(context: Context) -> str:
    words = context.clause
    for word in BREAKDOWN_WORDS:
        if word in words:
            words = words[words.rfind(word) + len(word) :]
    return words.strip(" \t，,：:、（）()")


def with_sentence(where: Location, context: Context) -> Location:
    return Location(**{**where.__dict__, "sentence": context.sentence.strip()})


def decimals_of(mention: Mention) -> int:
    """How many decimals the text writes ("57.0%" has one: 56.98 is not 57.0)."""
    exponent = mention.value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
