"""Word documents back into blocks: paragraphs as the editor really wrote them, and tables.

python-docx's `paragraph.text` leaves out text inside tracked insertions (w:ins); editors
revise with tracked changes, so the text is read from the XML: runs inside w:ins and
w:moveTo count, deleted text (w:del, w:delText, w:moveFrom) does not, field instructions do
not. The file is a zip of XML: a huge or hostile file is refused before python-docx parses it.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

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


_SPECIAL = (*_SKIP, W + "tab", W + "br", W + "cr", W + "noBreakHyphen")


def element_text(element) -> str:  # type: ignore[no-untyped-def]
    """The text of a paragraph or cell element as it reads with all changes accepted."""
    if next(element.iter(*_SPECIAL), None) is None:
        # Most elements have no revisions, tabs or breaks: their w:t in order (lxml's
        # iteration runs in C), with a line break between the paragraphs of a cell.
        if element.tag == W + "p":
            return "".join(t.text or "" for t in element.iter(W + "t"))
        paragraphs = list(element.iter(W + "p"))
        if len(paragraphs) <= 1:
            return "".join(t.text or "" for t in element.iter(W + "t"))
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
    """Paragraphs and tables of the body, in order. Read-only, so the XML parts are parsed
    directly (python-docx would parse every part of the package: several times slower when
    auditing hundreds of reports); `document_blocks` does the same for a python-docx
    document that is to be changed."""
    from lxml import etree

    _check_zip(data, name)
    archive = zipfile.ZipFile(io.BytesIO(data))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

    def part(path: str):  # type: ignore[no-untyped-def]
        try:
            return etree.fromstring(archive.read(path), parser)
        except KeyError:
            return None
        except etree.XMLSyntaxError as exc:
            raise InputError(
                f"{name}: 无法读取 Word 文档（{path} 不是有效的 XML：{exc}）"
            ) from None

    document = part("word/document.xml")
    body = document.find(W + "body") if document is not None else None
    if body is None:
        raise InputError(f"{name}: 不是 Word 文档（word/document.xml 中没有正文）")
    styles = _style_names(archive, body)
    custom = (
        archive.read("docProps/custom.xml") if "docProps/custom.xml" in archive.namelist() else b""
    )
    return list(_body_blocks(body, styles, _drafted(custom.decode("utf-8", "replace"))))


def model_paragraphs(document) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Fingerprint → model id of the paragraphs a model drafted, as `drafter draft` records
    them in a custom document property (see drafter.docprops)."""
    from drafter.docprops import model_paragraphs as recorded

    return recorded(custom_properties(document))


def custom_properties(document) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """drafter's custom document properties of a python-docx document."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    from drafter.docprops import read_properties

    for relationship in document.part.package.rels.values():
        if relationship.reltype == RELATIONSHIP_TYPE.CUSTOM_PROPERTIES:
            return read_properties(relationship.target_part.blob.decode("utf-8", "replace"))
    return {}


def docx_provenance(data: bytes) -> rp.Provenance | None:
    """What drafter recorded in a document it wrote (None for any other document)."""
    from drafter.docprops import provenance, read_properties

    archive = zipfile.ZipFile(io.BytesIO(data))
    if "docProps/custom.xml" not in archive.namelist():
        return None
    info = archive.getinfo("docProps/custom.xml")
    if info.file_size > 8 * 1024 * 1024:
        return None
    return provenance(read_properties(archive.read(info).decode("utf-8", "replace")))


def _style_names(archive: zipfile.ZipFile, body) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """styleId → name of the paragraph styles the body uses. styles.xml is large (hundreds of
    latent styles) and only a few names are needed (Title, heading 1, heading 2), so the
    names are looked up in its text rather than by parsing it."""
    import re

    used = {e.get(W + "val") for e in body.iter(W + "pStyle")} - {None}
    if not used or "word/styles.xml" not in archive.namelist():
        return {}
    xml = archive.read("word/styles.xml").decode("utf-8", "replace")
    names: dict[str, str] = {}
    for start in re.finditer(r'<w:style\b[^>]*?\bw:styleId="([^"]*)"', xml):
        if start.group(1) not in used:
            continue
        end = xml.find("</w:style>", start.end())
        name = re.search(r'<w:name\b[^>]*?\bw:val="([^"]*)"', xml[start.end() : end])
        if name:
            names[start.group(1)] = name.group(1)
    return names


def _drafted(xml: str) -> dict[str, str]:
    """Fingerprint → model id, from the custom properties part's XML."""
    from drafter.docprops import model_paragraphs as recorded
    from drafter.docprops import read_properties

    return recorded(read_properties(xml))


def document_blocks(document) -> list[Block]:  # type: ignore[no-untyped-def]
    """The blocks of a python-docx document, whose elements stay the origins (annotate and
    redraft change them)."""
    styles = {s.style_id: (s.name or "") for s in document.styles}
    return list(_body_blocks(document.element.body, styles, model_paragraphs(document)))


_LEVELS = {"title": 0, "heading 1": 1, "heading 2": 2}  # style names, as Word stores them


def _body_blocks(body, styles: dict[str, str], drafted: dict[str, str]) -> Iterator[Block]:  # type: ignore[no-untyped-def]
    from drafter.report import paragraph_fingerprint

    for child in body.iterchildren():
        if child.tag == W + "p":
            style_id = child.find(f"{W}pPr/{W}pStyle")
            style = styles.get(style_id.get(W + "val"), "") if style_id is not None else ""
            level = _LEVELS.get(style.lower())
            text = element_text(child)
            author = drafted.get(paragraph_fingerprint(text.strip())) if drafted else None
            yield Block(text, level, origin=child, author=author)
        elif child.tag == W + "tbl":
            yield Block(table=docx_table(child))
        elif child.tag == W + "sdt":  # content controls: read their paragraphs
            for p in child.iter(W + "p"):
                yield Block(element_text(p), origin=p)


def docx_table(table) -> rp.Table:  # type: ignore[no-untyped-def]
    """A python-docx table (or its w:tbl element) as a report table with its merges, cells
    read with changes accepted. The XML is read directly: horizontal merges are w:gridSpan,
    vertical ones w:vMerge (restart, then continue), w:gridBefore skips grid columns."""
    element = getattr(table, "_tbl", table)
    grid_columns = len(element.findall(f"{W}tblGrid/{W}gridCol"))
    cells: list[dict[str, int | str]] = []
    covering: dict[tuple[int, int], dict[str, int | str]] = {}  # (row, col) → its cell
    rows = 0
    for r, tr in enumerate(element.iterchildren(W + "tr")):
        rows = r + 1
        c = _int_val(tr.find(f"{W}trPr/{W}gridBefore"), 0)
        for tc in tr.iterchildren(W + "tc"):
            span = max(1, _int_val(tc.find(f"{W}tcPr/{W}gridSpan"), 1))
            merge = tc.find(f"{W}tcPr/{W}vMerge")
            above = covering.get((r - 1, c))
            if merge is not None and merge.get(W + "val") in (None, "continue") and above:
                above["rowspan"] = int(above["rowspan"]) + 1
                cell = above
            else:
                cell = {
                    "text": element_text(tc).strip(),
                    "row": r,
                    "col": c,
                    "rowspan": 1,
                    "colspan": span,
                }
                cells.append(cell)
            for dc in range(span):
                covering[(r, c + dc)] = cell
            c += span
    columns = max([grid_columns] + [col + 1 for (_, col) in covering])
    out = [
        rp.Cell(str(x["text"]), int(x["row"]), int(x["col"]), int(x["rowspan"]), int(x["colspan"]))
        for x in cells
    ]
    return rp.Table("", "", columns, rows, 0, out)


def _int_val(element, default: int) -> int:  # type: ignore[no-untyped-def]
    if element is None:
        return default
    try:
        return int(element.get(W + "val", default))
    except ValueError:
        return default


def docx_tables(data: bytes) -> list[Grid]:
    """Every table of a .docx as a grid; merged cells repeat at every position they cover."""
    return [
        [[c.text for c in row] for row in block.table.grid()]
        for block in docx_blocks(data)
        if block.table is not None
    ]
