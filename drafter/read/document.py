"""Reading a report back from a file (.docx, .md, .html, .txt) into a `Report`.

Each format reader yields a flat sequence of blocks (paragraph texts with an optional heading
level, and tables as grids with their merges); `structure` turns that sequence into the
report's parts: the title, the preamble, the 一、 sections and their （一） subsections. A
transmittal letter in front of the report (everything up to a line "附件") is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from drafter import report as rp
from drafter.errors import InputError, Problem
from drafter.limits import (
    MAX_DOCX_BYTES,
    MAX_TEXT_DOCUMENT_BYTES,
    TextBudget,
    check_table,
    read_bytes_limited,
)

_LEVEL1 = re.compile(r"^[一二三四五六七八九十]+、\S")
_LEVEL2 = re.compile(r"^[（(][一二三四五六七八九十]+[）)]\S")
_ATTACHMENT = re.compile(r"^附件\s*+\d*+\s*+$")


@dataclass
class Block:
    """One paragraph (text, heading level when the file says so) or one table."""

    text: str = ""
    level: int | None = None  # 0 title, 1, 2 when the file marks it as a heading
    table: rp.Table | None = None
    origin: object = None  # the file's own element, for writing comments back
    author: str | None = None  # a model, when the file records that one wrote this text


def read_document(path: str | Path) -> tuple[rp.Report, dict[int, tuple[object, int]]]:
    """The report in a file, and for each paragraph (by id) the file's element it came from
    with the offset of the paragraph's text within that element's text. The file is read
    within drafter.limits: its size, and as blocks are made, its paragraphs, characters and
    table cells (`TextBudget`)."""
    path = Path(path)
    name = str(path)
    suffix = path.suffix.lower()
    budget = TextBudget(name)
    if suffix == ".docx":
        from drafter.read.docx import docx_blocks, docx_provenance

        data = read_bytes_limited(path, MAX_DOCX_BYTES, "报告文件")
        report, origins = structure(docx_blocks(data, name, budget))
        report.provenance = docx_provenance(data, name)
        if report.provenance is not None:
            for paragraph in report.paragraphs():
                paragraph.spans = report.provenance.spans(paragraph.text)
        return report, origins
    if suffix in (".html", ".htm"):
        from drafter.read.html import html_blocks

        blocks = html_blocks(_text(path), budget)
    elif suffix in (".md", ".markdown"):
        from drafter.read.markdown import markdown_blocks

        blocks = markdown_blocks(_text(path), budget)
    elif suffix == ".txt":
        blocks = text_blocks(_text(path), budget)
    else:
        raise _unsupported(path, suffix)
    return structure(blocks)


def _unsupported(path: Path, suffix: str) -> InputError:
    """E-FILE-TYPE for a file drafter does not read back (E-FILE-MISSING when it is absent)."""
    if not path.exists():
        return InputError(Problem("文件不存在", file=str(path), code="E-FILE-MISSING"))
    if suffix in (".doc", ".wps"):
        message = f"不支持旧版 {suffix} 格式，请另存为 .docx"
    elif suffix == ".pdf":
        message = "不能读取 PDF，请使用 .docx、.html 或 .txt"
    else:
        message = f"不支持的文件类型 {suffix or '（无扩展名）'}"
    return InputError(Problem(message, file=str(path), code="E-FILE-TYPE"))


def _text(path: Path) -> str:
    raw = read_bytes_limited(path, MAX_TEXT_DOCUMENT_BYTES, "报告文件")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(
        Problem("无法识别的文字编码（请以 UTF-8 保存）", file=str(path), code="E-FILE-ENCODING")
    )


def text_blocks(text: str, budget: TextBudget | None = None) -> list[Block]:
    """Plain text: a line is a paragraph; consecutive lines with tabs are a table (as text
    copied from a web page or PDF prints them), whose merged cells cannot be known."""
    budget = budget or TextBudget(None)
    blocks: list[Block] = []
    rows: list[list[str]] = []
    width = 0

    def flush() -> None:
        nonlocal width
        if rows:
            cells = [
                rp.Cell(text, r, c)
                for r, row in enumerate(rows)
                for c, text in enumerate(row + [""] * (width - len(row)))
            ]
            budget.table(len(rows), width)
            blocks.append(Block(table=rp.Table("", "", width, len(rows), 0, cells, exact=False)))
            rows.clear()
            width = 0

    for line in text.splitlines():
        filled = len([c for c in line.split("\t") if c.strip()])
        if "\t" in line and (filled >= 2 or line.count("\t") >= 2 or (rows and filled >= 1)):
            row = [c.strip() for c in line.split("\t")]
            width = max(width, len(row))
            check_table(len(rows) + 1, width, budget.name)
            budget.text("".join(row))
            rows.append(row)
            continue
        if line.strip():
            flush()
            budget.paragraph(line.strip())
            blocks.append(Block(line.strip()))
    flush()
    return blocks


def heading_level(text: str) -> int | None:
    """一、总体情况 → 1; （一）主动公开 → 2; a long paragraph that starts like one is not."""
    if _LEVEL1.match(text) and len(text) <= 40 and "。" not in text[:-1]:
        return 1
    if _LEVEL2.match(text) and len(text) <= 30 and "。" not in text[:-1]:
        return 2
    return None


FRONT_MATTER_PARAGRAPHS = 30  # a 报送函 or 转发通知 is a page, not a report


def _front_matter(blocks: list[Block]) -> int:
    """How many blocks in front are a letter the report is attached to (报送函, 转发通知):
    those up to and including a line "附件", when nothing before that line looks like the
    report (no table, no 一、 heading, a letter's length) and what follows it starts like one
    (a title with 报告, or a heading). Otherwise 0: a "附件" line elsewhere hides nothing."""
    for index, block in enumerate(blocks[: FRONT_MATTER_PARAGRAPHS + 1]):
        if block.table is not None or heading_level(block.text.strip()) == 1:
            return 0
        if not _ATTACHMENT.match(block.text.strip()):
            continue
        following = [b for b in blocks[index + 1 : index + 4] if b.table is None]
        starts_report = any(
            "报告" in b.text or heading_level(b.text.strip()) == 1 for b in following
        )
        return index + 1 if starts_report else 0
    return 0


def structure(blocks: list[Block]) -> tuple[rp.Report, dict[int, tuple[object, int]]]:
    blocks = [b for b in blocks if b.table is not None or b.text.strip()]
    front = _front_matter(blocks)
    skipped = [b.text.strip() for b in blocks[:front]]
    blocks = blocks[front:]
    origins: dict[int, tuple[object, int]] = {}
    title_parts: list[str] = []
    position = 0
    while position < len(blocks) and position < 3:
        block = blocks[position]
        if (
            block.table is not None
            or heading_level(block.text)
            or (block.level not in (0, None) or (title_parts and len(block.text) > 40))
        ):
            break
        if block.level == 0 or len(block.text) <= 40:
            title_parts.append(block.text.replace("\n", ""))
            position += 1
            if "报告" in block.text:
                break
        else:
            break
    title = "".join(title_parts)
    agency_year = re.search(r"((?:19|20)\d{2})\s*年", title)
    report = rp.Report(
        title=title,
        agency=title[: agency_year.start()].strip() if agency_year else "",
        year=int(agency_year.group(1)) if agency_year else 0,
        layout="",
        preamble=[],
        sections=[],
    )
    report.front_matter = skipped
    current: rp.Section | None = None
    parent: rp.Section | None = None
    for block in blocks[position:]:
        if block.table is not None:
            target = current or parent
            if target is None:
                parent = current = rp.Section("", "", 1)
                report.sections.append(parent)
                target = parent
            target.blocks.append(block.table)
            continue
        text = block.text.strip()
        level = block.level if block.level in (1, 2) else heading_level(text)
        if level is None and _LEVEL2.match(text) and parent is not None:
            # "（一）主动公开情况。全年……": an inline heading with its paragraph
            head, _, rest = text.partition("。")
            if len(head) <= 30 and rest:
                current = rp.Section("", head, 2)
                parent.subsections.append(current)
                paragraph = rp.Paragraph(rest, rp.DOCUMENT)
                current.blocks.append(paragraph)
                origins[id(paragraph)] = (block.origin, block.text.find(rest))
                continue
        if level == 1:
            parent = current = rp.Section("", text, 1)
            report.sections.append(parent)
            continue
        if level == 2 and parent is not None:
            current = rp.Section("", text, 2)
            parent.subsections.append(current)
            continue
        paragraph = rp.Paragraph(text, block.author or rp.DOCUMENT)
        origins[id(paragraph)] = (block.origin, block.text.find(text))
        if current is None:
            report.preamble.append(paragraph)
        else:
            current.blocks.append(paragraph)
    return report, origins
