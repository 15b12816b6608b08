"""Markdown (as `drafter draft --md` writes it, or similar) back into blocks."""

from __future__ import annotations

import re

from drafter.read.document import Block
from drafter.read.html import _tables_with_spans

_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|])")


def markdown_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    table: list[str] | None = None
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block(_ESCAPED.sub(r"\1", "".join(p.strip() for p in paragraph))))
            paragraph.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if table is not None:
            table.append(line)
            if "</table>" in stripped:
                blocks.extend(Block(table=t) for t in _tables_with_spans("\n".join(table)))
                table = None
            continue
        if stripped.startswith("<table"):
            flush()
            table = [line]
            if "</table>" in stripped:
                blocks.extend(Block(table=t) for t in _tables_with_spans(line))
                table = None
            continue
        heading = re.match(r"^(#{1,4})\s+(.*)$", stripped)
        if heading:
            flush()
            level = min(len(heading.group(1)) - 1, 2)
            blocks.append(Block(_ESCAPED.sub(r"\1", heading.group(2).strip()), level))
        elif not stripped:
            flush()
        else:
            paragraph.append(stripped)
    flush()
    return blocks
