"""Finding the numbers that Chinese official prose states, and what each one admits.

`find_numbers(text)` returns every numeric mention with its character span, its value as a
`Decimal` (never a float), its unit and its form: Arabic digits (also full-width, with
thousands separators and decimals), Chinese numerals (十五, 两, 一百四十三, 二〇二三), mixed
forms (1.5万, 3千余), percentages (36%, 36.5％, 百分之三十六), money (万元, 元) and approximate
forms (800多条, 5500余条, 近百件, 超过/逾/以上/约) as ranges. Numbers that are not statistics
(years and dates, legal citations, document numbers, contact details, section numbers,
enumerations, fixed phrases such as 三审) are skipped; what counts as such is data, in
`structured/reference/numbers.yaml`.

No whole-text converter is used: each span is parsed on its own, so "两三个" is never glued
into 23.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from drafter.resources import structured_dir
from drafter.yamlsource import read_trusted_yaml

# ---- approximate forms ------------------------------------------------------------------------

# "800多" is more than 800, less than the next step of its last significant digit (900);
# "近100" is at most 100 and at least 90; "约30" is within half a step (25–35).
OVER = ("多", "余", "超过", "逾", "超", "突破")
AT_LEAST = ("以上", "不少于", "达")
UNDER = ("近", "将近", "接近")
ABOUT = ("约", "大约", "左右")
APPROX_BEFORE = ("超过", "不少于", "将近", "接近", "大约", "突破", "近", "约", "逾", "超")
APPROX_AFTER = ("以上", "左右")
APPROX_BETWEEN = ("多", "余")


def step(value: int | Decimal) -> Decimal:
    """The place value of the last non-zero digit: 800 → 100, 5500 → 100, 30 → 10, 7 → 1."""
    number = Decimal(value)
    if number == 0:
        return Decimal(1)
    if number != number.to_integral_value():
        exponent = number.normalize().as_tuple().exponent
        return Decimal(1).scaleb(int(exponent))
    # the trailing zeros of the digits as written (not a loop of divisions: a hostile
    # "1000…0" of 100,000 digits is read in linear time)
    _, digits, exponent = number.as_tuple()
    zeros = len(digits) - len(bytes(digits).rstrip(b"\0"))
    place = int(exponent) + zeros
    return Decimal((0, (1,) + (0,) * place, 0))  # 10 ** place, written out as Decimal(100)


def approx_range(stated: int | Decimal, word: str | None) -> tuple[Decimal, Decimal, bool, bool]:
    """(low, high, low inclusive, high inclusive) that an approximate statement admits."""
    value, unit = Decimal(stated), step(stated)
    if word is None:
        return value, value, True, True
    if word in OVER:
        return value, value + unit, False, False
    if word in AT_LEAST:
        return value, value + unit, True, False
    if word in UNDER:
        # "近百" is 90–100, not anything up to 100: at most a tenth below, never a step below.
        return max(value - unit, value * Decimal("0.9")), value, True, True
    if word in ABOUT:
        return value - unit / 2, value + unit / 2, True, True
    raise ValueError(f"unknown approximate word {word!r}")


def approx_contains(stated: int | Decimal, word: str | None, actual: int | Decimal) -> bool:
    """Whether an approximate statement (`stated` qualified by `word`) admits `actual`."""
    low, high, low_in, high_in = approx_range(stated, word)
    value = Decimal(actual)
    above = value >= low if low_in else value > low
    below = value <= high if high_in else value < high
    return above and below


# ---- Chinese numerals -------------------------------------------------------------------------

_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_SMALL = {"十": 10, "百": 100, "千": 1000}
_BIG = {"万": 10**4, "亿": 10**8}
CHINESE_NUMERAL_CHARS = "".join(_DIGITS) + "".join(_SMALL) + "".join(_BIG)
# No numeral below 10**16 is written with more characters (九千九百九十九万…亿… has 31); a
# longer run of numerals in hostile text is not a number, and is not parsed (its 万 nested
# in 万 would recurse without bound).
MAX_NUMERAL = 64


def parse_chinese(text: str) -> int:
    """一百四十三 → 143, 十五 → 15, 两万零五 → 20005, 二〇二三 → 2023, 三万五 → 35000.
    Raises ValueError for text that is not a Chinese numeral."""
    if not text or len(text) > MAX_NUMERAL or any(ch not in CHINESE_NUMERAL_CHARS for ch in text):
        raise ValueError(text[:MAX_NUMERAL])
    positional = len(text) >= 3 or any(ch in "〇○" for ch in text)
    if len(text) > 1 and positional and all(ch in _DIGITS for ch in text) and "两" not in text:
        return int("".join(str(_DIGITS[ch]) for ch in text))  # 二〇二三: digit by digit
    return _parse_below(text, 10**16)


def _parse_below(text: str, limit: int) -> int:
    for big in ("亿", "万"):
        if big in text:
            head, tail = text.split(big, 1)
            if not head:
                raise ValueError(text)
            value = _parse_below(head, _BIG[big]) * _BIG[big]
            if tail:
                # 三万五 is 35000 (a trailing digit counts in the next place down)
                if len(tail) == 1 and tail in _DIGITS and tail not in "零〇○":
                    value += _DIGITS[tail] * _BIG[big] // 10
                else:
                    value += _parse_below(tail.lstrip("零〇○"), _BIG[big])
            return value
    total, current, last_unit = 0, None, None
    for ch in text:
        if ch in _DIGITS:
            if current is not None and _DIGITS[ch] != 0:
                raise ValueError(text)  # two digits in a row: 三五 is not a number here
            current = _DIGITS[ch] if _DIGITS[ch] else None
            if _DIGITS[ch] == 0:
                last_unit = None
        elif ch in _SMALL:
            unit = _SMALL[ch]
            if last_unit is not None and unit >= last_unit:
                raise ValueError(text)
            total += (current if current is not None else 1) * unit
            current, last_unit = None, unit
        else:
            raise ValueError(text)
    if current is not None:
        # 两千三 is 2300: a trailing digit right after a unit counts in the next place down
        if last_unit is not None and text[-2] in _SMALL and last_unit >= 100:
            total += current * last_unit // 10
        else:
            total += current
    if total >= limit:
        raise ValueError(text)
    return total


def to_chinese(n: int) -> str:
    """143 → 一百四十三, 15 → 十五, 20005 → 二万零五 (the standard written form)."""
    if n < 0:
        raise ValueError(n)
    if n == 0:
        return "零"
    digits = "零一二三四五六七八九"
    if n >= 10**8:
        high, low = divmod(n, 10**8)
        rest = "" if low == 0 else ("零" if low < 10**7 else "") + _wan(low, digits, True)
        return _wan(high, digits, False) + "亿" + rest
    return _wan(n, digits, False)


def _wan(n: int, digits: str, inner: bool) -> str:
    if n >= 10**4:
        high, low = divmod(n, 10**4)
        rest = "" if low == 0 else ("零" if low < 1000 else "") + _below(low, digits, True)
        return _below(high, digits, inner) + "万" + rest
    return _below(n, digits, inner)


def _below(n: int, digits: str, inner: bool) -> str:
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, unit)
        if d:
            if zero:
                out += "零"
            zero = False
            if not (unit == 10 and d == 1 and not out and not inner):  # 十五, not 一十五
                out += digits[d]
            out += name
        elif out:
            zero = True
    return out


# ---- the finder ---------------------------------------------------------------------------------

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")


@dataclass(frozen=True)
class Mention:
    """One number as the text states it."""

    start: int  # span of the whole mention in the text, approximate words and unit included
    end: int
    text: str
    value: Decimal  # the stated value (for "1.5万人次": 15000)
    unit: str | None  # 人次, 万元, %, 件 … (None when no unit follows)
    approx: str | None = None  # 多, 余, 近, 约, 超过, 以上, 逾 …
    form: str = "arabic"  # arabic | chinese | mixed
    scaled_value: Decimal | None = None  # "5949.08万元" as written before scaling: 5949.08
    scaled_unit: str | None = None  # … with its unit: 万元

    @property
    def percent(self) -> bool:
        return self.unit in ("%", "个百分点")

    def admits(self, actual: int | Decimal) -> bool:
        return approx_contains(self.value, self.approx, actual)

    def readings(self) -> list[tuple[Decimal, str | None]]:
        """(value, unit) pairs this mention may mean: 1.5万人次 is 15000 人次 or 1.5 万人次."""
        out = [(self.value, self.unit)]
        if self.scaled_value is not None:
            out.append((self.scaled_value, self.scaled_unit))
        return out


@cache
def _reference() -> dict[str, Any]:
    return read_trusted_yaml(structured_dir() / "reference" / "numbers.yaml")


@cache
def _skip_regex() -> re.Pattern[str]:
    return skip_regex_of(_reference())


def skip_regex_of(data: dict[str, Any]) -> re.Pattern[str]:
    """One alternation of the `not_statistics` patterns and the phrases of a numbers.yaml."""
    parts = [f"(?:{entry['regex']})" for entry in data["not_statistics"]]
    numeral = "[零〇一二两三四五六七八九十百千万亿0-9０-９]"
    for phrase in sorted(data["phrases"], key=len, reverse=True):
        parts.append(f"(?<!{numeral}){re.escape(phrase)}")
    return re.compile("|".join(parts), re.M)


@cache
def units() -> tuple[str, ...]:
    """The measure words and units a number may carry (structured/reference/numbers.yaml)."""
    return tuple(_reference()["units"])


@cache
def _number_regex() -> re.Pattern[str]:
    units = sorted(_reference()["units"], key=len, reverse=True)
    unit = "|".join(re.escape(u) for u in units)
    before = "|".join(re.escape(w) for w in APPROX_BEFORE)
    between = "|".join(re.escape(w) for w in APPROX_BETWEEN)
    after = "|".join(re.escape(w) for w in APPROX_AFTER)
    arabic = r"[0-9０-９]+(?:[,，][0-9０-９]{3})*(?:[.．][0-9０-９]+)?"
    chinese = f"[{CHINESE_NUMERAL_CHARS}]+"
    # The spaces after an approximate word belong to it: a number is never looked for after
    # every space of a long run of them (that would be quadratic).
    return re.compile(
        rf"(?:(?P<before>{before})\s*+)?"
        rf"(?:(?P<percent_of>百分之)(?P<pct_cn>{chinese}(?:点[{''.join(_DIGITS)}]+)?)"
        rf"|(?P<arabic>{arabic})\s*(?:(?P<pre_between>{between})(?=[万亿千]))?(?P<scale>[万亿千百])?"
        rf"|(?P<chinese>{chinese}))"
        rf"(?P<between>{between})?\s*(?P<unit>{unit})?(?P<after>{after})?"
    )


def skipped_spans(text: str) -> list[tuple[int, int]]:
    """The spans of the text that are no statistics (in order, never overlapping)."""
    return [(m.start(), m.end()) for m in _skip_regex().finditer(text) if m.end() > m.start()]


class _Skipped:
    """Whether a position falls in one of the spans `skipped_spans` found: the one span
    that may hold it is found by bisection (the spans are sorted and disjoint), so a text
    of many numbers and many names is read in linear time."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.starts = [s for s, _ in spans]
        self.ends = [e for _, e in spans]

    def holds(self, position: int) -> bool:
        """Whether a span holds the character at `position` (start <= position < end)."""
        index = bisect_right(self.starts, position) - 1
        return index >= 0 and position < self.ends[index]

    def ends_in(self, position: int) -> bool:
        """Whether a span holds the character before `position` (start < position <= end)."""
        index = bisect_left(self.starts, position) - 1
        return index >= 0 and position <= self.ends[index]


def find_numbers(text: str) -> list[Mention]:
    """Every statistic-like number in `text`, in order."""
    skipped = _Skipped(skipped_spans(text))
    out: list[Mention] = []
    for match in _number_regex().finditer(text):
        core_start = (
            match.start("arabic")
            if match.group("arabic")
            else (match.start("chinese") if match.group("chinese") else match.start("percent_of"))
        )
        core_end = _core_end(match)
        if skipped.holds(core_start) or skipped.ends_in(core_end):
            continue
        mention = _mention(text, match)
        if mention is not None:
            out.append(mention)
    return out


def _core_end(match: re.Match[str]) -> int:
    for group in ("scale", "arabic", "chinese", "pct_cn"):
        if match.group(group):
            return match.end(group)
    return match.end()


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.translate(_FULLWIDTH).replace(",", ""))
    except InvalidOperation:
        return None


def _mention(text: str, match: re.Match[str]) -> Mention | None:
    unit = match.group("unit")
    if unit == "％":
        unit = "%"
    approx = (
        match.group("before")
        or match.group("pre_between")  # 20余万条
        or match.group("between")
        or match.group("after")
    )
    scaled_value = scaled_unit = None
    if match.group("percent_of"):
        try:
            value = _chinese_decimal(match.group("pct_cn"))
        except ValueError:
            return None
        unit, form = "%", "chinese"
    elif match.group("arabic"):
        value = _decimal(match.group("arabic"))
        if value is None:
            return None
        form = "arabic"
        scale = match.group("scale")
        if scale:
            if scale in "万亿" and unit is not None and not unit.startswith(("万", "亿")):
                scaled_value, scaled_unit = value, scale + unit  # 5949.08万元 as 万元
            elif scale in "万亿" and unit is None:
                scaled_value, scaled_unit = value, scale  # 粉丝量124.8万 as 124.8 万
            value = value * {"万": 10**4, "亿": 10**8, "千": 1000, "百": 100}[scale]
            form = "mixed"
    else:
        chinese = match.group("chinese")
        try:
            value = Decimal(parse_chinese(chinese))
        except ValueError:
            return None
        form = "chinese"
        # A Chinese numeral is a number only when a unit, an approximate word or a
        # percentage says so: 一是, 统一, 进一步, 三审 are words.
        if unit is None and approx is None:
            return None
        if match.group("before") and not unit:
            return None
    if unit is None and approx is None and form == "arabic" and match.group("before") is None:
        # a bare Arabic number is still a number (a table cell value, "共143，其中…")
        pass
    start = (
        match.start("before")
        if match.group("before")
        else (
            match.start("percent_of")
            if match.group("percent_of")
            else match.start("arabic")
            if match.group("arabic")
            else match.start("chinese")
        )
    )
    end = match.end()
    if unit == "余元":  # "100余元" is 100 余 元
        unit, approx = "元", approx or "余"
    return Mention(
        start=start,
        end=end,
        text=text[start:end],
        value=value,
        unit=unit,
        approx=approx,
        form=form,
        scaled_value=scaled_value,
        scaled_unit=scaled_unit,
    )


def _chinese_decimal(text: str) -> Decimal:
    """三十六 → 36, 三十六点五 → 36.5 (for 百分之…)."""
    if "点" in text:
        whole, fraction = text.split("点", 1)
        digits = "".join(str(_DIGITS[ch]) for ch in fraction)
        return Decimal(f"{parse_chinese(whole) if whole else 0}.{digits}")
    return Decimal(parse_chinese(text))
