"""Renderers: each turns a `Report` into the bytes of one file format, and nothing else.

What every renderer shares: the gaps a draft leaves for the clerk ("【待补充：成文日期】",
"【待补充：…】", "【请核实：…】") are marked in every format, so that none goes out unseen:
highlighted in Word, <mark class="gap"> in HTML and Markdown. The marking is formatting only:
a file read back (drafter.read) gives the same text.
"""

from __future__ import annotations

import re

GAP = re.compile(r"【(?:待补充|请核实)[^【】]*+】")


def gap_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every gap left for the clerk in `text`, brackets included."""
    return [match.span() for match in GAP.finditer(text)]
