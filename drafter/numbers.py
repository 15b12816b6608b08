"""Numbers as Chinese official prose states them.

For now: what an approximate form ("800多条", "5500余条", "近百件", "约30人") admits. The
number finder for running text builds on this (see the verification issue).
"""

from __future__ import annotations

from decimal import Decimal

# "800多" is more than 800, less than the next step of its last significant digit (900);
# "近100" is at most 100 and at least 90; "约30" is within half a step (25–35).
OVER = ("多", "余", "超过", "逾")
AT_LEAST = ("以上",)
UNDER = ("近",)
ABOUT = ("约",)


def step(value: int | Decimal) -> Decimal:
    """The place value of the last non-zero digit: 800 → 100, 5500 → 100, 30 → 10, 7 → 1."""
    number = Decimal(value)
    if number == 0:
        return Decimal(1)
    if number != number.to_integral_value():
        exponent = number.normalize().as_tuple().exponent
        return Decimal(1).scaleb(int(exponent))
    n = int(number)
    place = 1
    while n % 10 == 0:
        n //= 10
        place *= 10
    return Decimal(place)


def approx_contains(stated: int | Decimal, word: str, actual: int | Decimal) -> bool:
    """Whether an approximate statement (`stated` qualified by `word`) admits `actual`."""
    stated_d, actual_d, unit = Decimal(stated), Decimal(actual), step(stated)
    if word in OVER:
        return stated_d < actual_d < stated_d + unit
    if word in AT_LEAST:
        return stated_d <= actual_d < stated_d + unit
    if word in UNDER:
        # "近百" is 90–100, not anything up to 100: at most a tenth below, never a step below.
        return max(stated_d - unit, stated_d * Decimal("0.9")) <= actual_d <= stated_d
    if word in ABOUT:
        return abs(actual_d - stated_d) <= unit / 2
    raise ValueError(f"unknown approximate word {word!r}")
