"""Word documents back into blocks: paragraphs as the editor really wrote them, and tables.

python-docx's `paragraph.text` leaves out text inside tracked insertions (w:ins); editors
revise with tracked changes, so the text is read from the XML: runs inside w:ins and
w:moveTo count, deleted text (w:del, w:delText, w:moveFrom) does not, field instructions do
not. The file is a zip of XML: a huge or hostile file is refused before python-docx parses it.
"""

from __future__ import annotations

import io
import zipfile

from drafter import report as rp
from drafter.errors import InputError
from drafter.read.document import Block
from drafter.read.tables import Grid

MAX_UNPACKED = 200 * 1024 * 1024  # a zip bomb expands far beyond this
MAX_RATIO = 200

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_SKIP = {W + "del", W + "moveFrom", W + "instrText", W + "delText", W + "delInstrText"}


def _check_zip(data: bytes, name: str) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InputError(f"{name}: 不是有效的 .docx 文件（无法作为 zip 打开）") from None
    total = sum(info.file_size for info in archive.infolist())
    packed = max(1, sum(info.compress_size for info in archive.infolist()))
    if total > MAX_UNPACKED or (total / packed > MAX_RATIO and total > 10 * 1024 * 1024):
        raise InputError(f"{name}: 解压后过大（{total // 1024 // 1024} MB），拒绝读取")
    if "word/document.xml" not in archive.namelist():
        raise InputError(f"{name}: 不是 Word 文档（缺少 word/document.xml）")


def _document(data: bytes, name: str):  # type: ignore[no-untyped-def]
    from docx import Document

    _check_zip(data, name)
    try:
        return Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on malformed parts
        raise InputError(f"{name}: 无法读取 Word 文档：{type(exc).__name__}") from None


def element_text(element) -> str:  # type: ignore[no-untyped-def]
    """The text of a paragraph or cell element as it reads with all changes accepted."""
    out: list[str] = []

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        for child in node:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == W + "t":
                out.append(child.text or "")
            elif tag == W + "tab":
                out.append("\t")
            elif tag in (W + "br", W + "cr"):
                out.append("\n")
            elif tag == W + "noBreakHyphen":
                out.append("-")
            elif tag == W + "p" and out and node.tag != W + "body":
                out.append("\n")
                walk(child)
            else:
                walk(child)

    walk(element)
    return "".join(out)


def open_docx(data: bytes, name: str = "document.docx"):  # type: ignore[no-untyped-def]
    """A python-docx Document, after checking the file is a sane Word document."""
    return _document(data, name)


def docx_blocks(data: bytes, name: str = "document.docx") -> list[Block]:
    """Paragraphs and tables of the body, in order."""
    return document_blocks(_document(data, name))


def model_paragraphs(document) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Fingerprint → model id of the paragraphs a model drafted, as `drafter draft` records
    them in a custom document property (see drafter.render.docx)."""
    import json
    import re

    from docx.opc.constants import RELATIONSHIP_TYPE

    for relationship in document.part.package.rels.values():
        if relationship.reltype != RELATIONSHIP_TYPE.CUSTOM_PROPERTIES:
            continue
        xml = relationship.target_part.blob.decode("utf-8", "replace")
        match = re.search(
            r'name="drafter-ai-paragraphs"[^>]*>\s*<vt:lpwstr>([^<]*)</vt:lpwstr>', xml
        )
        if not match:
            return {}
        try:
            data = json.loads(
                match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            )
        except ValueError:
            return {}
        return {fingerprint: model for model, prints in data.items() for fingerprint in prints}
    return {}


def document_blocks(document) -> list[Block]:  # type: ignore[no-untyped-def]
    from drafter.render.docx import paragraph_fingerprint

    drafted = model_paragraphs(document)
    styles = {s.style_id: (s.name or "") for s in document.styles}
    blocks: list[Block] = []
    tables = {id(t._tbl): t for t in document.tables}
    for child in document.element.body.iterchildren():
        if child.tag == W + "p":
            style_id = child.find(f"{W}pPr/{W}pStyle")
            style = styles.get(style_id.get(W + "val"), "") if style_id is not None else ""
            level = {"Title": 0, "Heading 1": 1, "Heading 2": 2}.get(style)
            text = element_text(child)
            author = drafted.get(paragraph_fingerprint(text.strip())) if drafted else None
            blocks.append(Block(text, level, origin=child, author=author))
        elif child.tag == W + "tbl" and id(child) in tables:
            blocks.append(Block(table=docx_table(tables[id(child)])))
        elif child.tag == W + "sdt":  # content controls: read their paragraphs
            for p in child.iter(W + "p"):
                blocks.append(Block(element_text(p), origin=p))
    return blocks


def docx_table(table) -> rp.Table:  # type: ignore[no-untyped-def]
    """A python-docx table as a report table with its merges (cells read with changes)."""
    columns = len(table.columns)
    cells = table._cells  # once: table.cell(r, c) rebuilds this list on every call
    positions: dict[int, list[tuple[int, int]]] = {}
    elements = {}
    for index, cell in enumerate(cells):
        positions.setdefault(id(cell._tc), []).append(divmod(index, columns))
        elements[id(cell._tc)] = cell._tc
    out = []
    for key, spots in positions.items():
        rows = [r for r, _ in spots]
        cols = [c for _, c in spots]
        out.append(
            rp.Cell(
                text=element_text(elements[key]).strip(),
                row=min(rows),
                col=min(cols),
                rowspan=max(rows) - min(rows) + 1,
                colspan=max(cols) - min(cols) + 1,
            )
        )
    rows = len(cells) // columns if columns else 0
    return rp.Table("", "", columns, rows, 0, out)


def docx_tables(data: bytes) -> list[Grid]:
    """Every table of a .docx as a grid; merged cells repeat at every position they cover."""
    return [
        [[c.text for c in row] for row in block.table.grid()]
        for block in docx_blocks(data)
        if block.table is not None
    ]
