"""Markdown (as `drafter draft --md` writes it, or similar) back into blocks, each counted
against drafter.limits as it is made (`TextBudget`)."""

from __future__ import annotations

import re

from drafter.limits import TextBudget
from drafter.read.document import Block
from drafter.read.html import _tables_with_spans

# A backslash escape, or the inline tags drafter.render.markdown marks a gap left for the
# clerk with (<mark class="gap">【待补充：…】</mark>): the text reads as drafted.
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|])|<mark(?: class=\"gap\")?>|</mark>")


def _plain(text: str) -> str:
    return _ESCAPED.sub(lambda match: match.group(1) or "", text)


def markdown_blocks(text: str, budget: TextBudget | None = None) -> list[Block]:
    budget = budget or TextBudget(None)
    blocks: list[Block] = []
    table: list[str] | None = None
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            text = _plain("".join(p.strip() for p in paragraph))
            budget.paragraph("")  # its characters were counted line by line
            blocks.append(Block(text))
            paragraph.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if table is not None:
            table.append(line)
            if "</table>" in stripped:
                tables = _tables_with_spans("\n".join(table), budget)
                blocks.extend(Block(table=t) for t in tables)
                table = None
            continue
        if stripped.startswith("<table"):
            flush()
            table = [line]
            if "</table>" in stripped:
                blocks.extend(Block(table=t) for t in _tables_with_spans(line, budget))
                table = None
            continue
        heading = re.match(r"^(#{1,4})\s+(.*)$", stripped)
        if heading:
            flush()
            level = min(len(heading.group(1)) - 1, 2)
            text = _plain(heading.group(2).strip())
            budget.paragraph(text)
            blocks.append(Block(text, level))
        elif not stripped:
            flush()
        else:
            budget.text(stripped)  # a paragraph of a million lines stops here, not at its end
            paragraph.append(stripped)
    flush()
    return blocks
