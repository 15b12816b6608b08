"""Word documents back into blocks: paragraphs as the editor really wrote them, and tables.

python-docx's `paragraph.text` leaves out text inside tracked insertions (w:ins); editors
revise with tracked changes, so the text is read from the XML: runs inside w:ins and
w:moveTo count, deleted text (w:del, w:delText, w:moveFrom) does not, field instructions do
not. The file is a zip of XML from an untrusted source: its parts are decompressed within
drafter.limits (real sizes, CRCs checked) before lxml or python-docx parses them, entities are
never resolved, and tables and text are counted as they are read (`TextBudget`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from drafter import report as rp
from drafter.errors import InputError, Problem
from drafter.limits import (
    DOCX_LIMITS,
    MAX_DOCX_XML_PART,
    SafeZip,
    TextBudget,
    check_table,
    open_zip,
    read_member,
)
from drafter.read.document import Block
from drafter.read.tables import Grid

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_SKIP = {W + "del", W + "moveFrom", W + "instrText", W + "delText", W + "delInstrText"}


def _open_zip(data: bytes, name: str) -> SafeZip:
    """The .docx as a `SafeZip`, refused (E-FILE-TYPE) when it holds no Word document."""
    archive = open_zip(data, name, DOCX_LIMITS, ".docx")
    if "word/document.xml" not in archive:
        raise InputError(
            Problem("不是 Word 文档（缺少 word/document.xml）", file=name, code="E-FILE-TYPE")
        )
    return archive


def _part(archive: SafeZip, path: str) -> bytes | None:
    """An XML part's bytes (None when absent), within MAX_DOCX_XML_PART."""
    return read_member(archive, path, MAX_DOCX_XML_PART)


def _corrupt(name: str, detail: str) -> InputError:
    return InputError(Problem(f"无法读取 Word 文档（{detail}）", file=name, code="E-FILE-CORRUPT"))


def _document(data: bytes, name: str):  # type: ignore[no-untyped-def]
    from docx import Document

    archive = _open_zip(data, name)
    # python-docx reads every part by itself, unbounded: read each to its end first (CRC
    # checked, real sizes counted), so that what it reads is known to be whole and small.
    for info in archive.infos:
        if not info.is_dir():
            xml = info.filename.lower().endswith((".xml", ".rels"))
            archive.read(info, MAX_DOCX_XML_PART if xml else None)
    try:
        return Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on malformed parts
        raise _corrupt(name, type(exc).__name__) from None


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


def docx_blocks(
    data: bytes, name: str = "document.docx", budget: TextBudget | None = None
) -> list[Block]:
    """Paragraphs and tables of the body, in order. Read-only, so the XML parts are parsed
    directly (python-docx would parse every part of the package: several times slower when
    auditing hundreds of reports); `document_blocks` does the same for a python-docx
    document that is to be changed."""
    from lxml import etree

    archive = _open_zip(data, name)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

    def part(path: str):  # type: ignore[no-untyped-def]
        content = _part(archive, path)
        if content is None:
            return None
        try:
            return etree.fromstring(content, parser)
        except etree.XMLSyntaxError as exc:
            raise _corrupt(name, f"{path} 不是有效的 XML：{exc}") from None

    document = part("word/document.xml")
    body = document.find(W + "body") if document is not None else None
    if body is None:
        raise InputError(
            Problem("不是 Word 文档（word/document.xml 中没有正文）", file=name, code="E-FILE-TYPE")
        )
    styles = _style_names(archive, body)
    custom = _part(archive, "docProps/custom.xml") or b""
    drafted = _drafted(custom.decode("utf-8", "replace"))
    return list(_body_blocks(body, styles, drafted, budget or TextBudget(name)))


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


def docx_provenance(data: bytes, name: str = "document.docx") -> rp.Provenance | None:
    """What drafter recorded in a document it wrote (None for any other document)."""
    from drafter.docprops import provenance, read_properties

    custom = _part(open_zip(data, name, DOCX_LIMITS, ".docx"), "docProps/custom.xml")
    if custom is None:
        return None
    return provenance(read_properties(custom.decode("utf-8", "replace")))


def _style_names(archive: SafeZip, body) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """styleId → name of the paragraph styles the body uses. styles.xml is large (hundreds of
    latent styles) and only a few names are needed (Title, heading 1, heading 2), so the
    names are looked up in its text rather than by parsing it."""
    import re

    used = {e.get(W + "val") for e in body.iter(W + "pStyle")} - {None}
    content = _part(archive, "word/styles.xml") if used else None
    if content is None:
        return {}
    xml = content.decode("utf-8", "replace")
    names: dict[str, str] = {}
    for start in re.finditer(r'<w:style\b[^>]{0,1000}?\bw:styleId="([^"]*)"', xml):
        if start.group(1) not in used:
            continue
        end = xml.find("</w:style>", start.end())
        name = re.search(r'<w:name\b[^>]{0,1000}?\bw:val="([^"]*)"', xml[start.end() : end])
        if name:
            names[start.group(1)] = name.group(1)
    return names


def _drafted(xml: str) -> dict[str, str]:
    """Fingerprint → model id, from the custom properties part's XML."""
    from drafter.docprops import model_paragraphs as recorded
    from drafter.docprops import read_properties

    return recorded(read_properties(xml))


def document_blocks(document, name: str | None = None) -> list[Block]:  # type: ignore[no-untyped-def]
    """The blocks of a python-docx document, whose elements stay the origins (annotate and
    redraft change them)."""
    styles = {s.style_id: (s.name or "") for s in document.styles}
    body = document.element.body
    return list(_body_blocks(body, styles, model_paragraphs(document), TextBudget(name)))


_LEVELS = {"title": 0, "heading 1": 1, "heading 2": 2}  # style names, as Word stores them


def _body_blocks(  # type: ignore[no-untyped-def]
    body, styles: dict[str, str], drafted: dict[str, str], budget: TextBudget
) -> Iterator[Block]:
    """The body's blocks, each counted against `budget` as it is made."""
    from drafter.report import paragraph_fingerprint

    for child in body.iterchildren():
        if child.tag == W + "p":
            style_id = child.find(f"{W}pPr/{W}pStyle")
            style = styles.get(style_id.get(W + "val"), "") if style_id is not None else ""
            level = _LEVELS.get(style.lower())
            text = element_text(child)
            budget.paragraph(text)
            author = drafted.get(paragraph_fingerprint(text.strip())) if drafted else None
            yield Block(text, level, origin=child, author=author)
        elif child.tag == W + "tbl":
            yield Block(table=docx_table(child, budget))
        elif child.tag == W + "sdt":  # content controls: read their paragraphs
            for p in child.iter(W + "p"):
                text = element_text(p)
                budget.paragraph(text)
                yield Block(text, origin=p)


def docx_table(table, budget: TextBudget | None = None) -> rp.Table:  # type: ignore[no-untyped-def]
    """A python-docx table (or its w:tbl element) as a report table with its merges, cells
    read with changes accepted. The XML is read directly: horizontal merges are w:gridSpan,
    vertical ones w:vMerge (restart, then continue), w:gridBefore skips grid columns.

    Spans are clamped to the table's real width (its grid, or its widest row when the grid is
    narrower), as Word lays them out: a cell with gridSpan="1000000" in a 5-column table
    covers 5 columns, not a million. The grid is checked against MAX_TABLE_CELLS before each
    cell is laid out (E-LIMIT-TABLE), so no table can cost more than that."""
    element = getattr(table, "_tbl", table)
    budget = budget or TextBudget(None)
    rows_xml = list(element.iterchildren(W + "tr"))
    grid_columns = len(element.findall(f"{W}tblGrid/{W}gridCol"))
    real_width = max([grid_columns, 1] + [len(tr.findall(W + "tc")) for tr in rows_xml])
    cells: list[dict[str, int | str]] = []
    covering: dict[tuple[int, int], dict[str, int | str]] = {}  # (row, col) → its cell
    width = grid_columns
    for r, tr in enumerate(rows_xml):
        check_table(r + 1, max(width, 1), budget.name)
        before = _int_val(tr.find(f"{W}trPr/{W}gridBefore"), 0)
        c = max(0, min(before, real_width - len(tr.findall(W + "tc"))))
        for tc in tr.iterchildren(W + "tc"):
            span = _int_val(tc.find(f"{W}tcPr/{W}gridSpan"), 1)
            span = max(1, min(span, real_width - c))
            width = max(width, c + span)
            check_table(r + 1, width, budget.name)
            merge = tc.find(f"{W}tcPr/{W}vMerge")
            above = covering.get((r - 1, c))
            if merge is not None and merge.get(W + "val") in (None, "continue") and above:
                # Extended once per row: two continuing cells under one wide cell must not
                # stretch it twice (past the table's last row).
                if int(above["row"]) + int(above["rowspan"]) == r:
                    above["rowspan"] = int(above["rowspan"]) + 1
                cell = above
            else:
                text = element_text(tc).strip()
                budget.text(text)
                cell = {"text": text, "row": r, "col": c, "rowspan": 1, "colspan": span}
                cells.append(cell)
            for dc in range(span):
                covering[(r, c + dc)] = cell
            c += span
    rows = len(rows_xml)
    columns = width  # the grid, widened by cells that lie beyond it
    check_table(rows, columns, budget.name)
    budget.table(rows, columns)
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
