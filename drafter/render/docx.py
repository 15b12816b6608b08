"""A `Report` as a Word document in the official layout (GB/T 9704-2012 and common practice).

A4; margins 37/35/28/26 mm (top/bottom/left/right); title 方正小标宋简体 2号 centred;
一、 headings 黑体 3号; （一） headings 楷体_GB2312 3号; body 仿宋_GB2312 3号 with a two-character
first-line indent and a fixed 28 pt line; digits and Latin letters in Times New Roman; page
numbers "— N —" in 4号 宋体, right on odd pages and left on even pages. The East Asian font is
named explicitly (w:eastAsia) in the document defaults, every style and every run, and the
theme-font attributes are removed: otherwise Word falls back to the template's Japanese font.
Tables keep the official merged cells and are set smaller than the body (五号, 小五 for the
wide tables) at the full text width.

Nothing forces a page break but the one between a cover letter and its attachment: each part
heading keeps with what follows it, a short table moves to the next page whole, and a long
one (table 三) may continue on the next page, its header rows repeated there, rather than
leave a page mostly blank. The gaps left for the clerk (【待补充：…】, drafter.render.GAP) are
highlighted wherever they stand, and a number joined by hyphens ("0595-22579359") is written
with Word's non-breaking hyphen (w:noBreakHyphen, read back as "-"), so that Word and WPS
never break it across lines. The font table declares the fonts the text uses, each with the
stock Windows font that stands in for it (仿宋_GB2312 → 仿宋, 楷体_GB2312 → 楷体,
方正小标宋简体 → 宋体).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from itertools import pairwise

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run

from drafter import __version__
from drafter.docprops import (
    AI_PROPERTY,
    PROVENANCE_PROPERTY,
    model_paragraphs_json,
    properties_xml,
    provenance_json,
)
from drafter.render import gap_spans
from drafter.report import (
    CoverLetter,
    Paragraph,
    Provenance,
    Report,
    Section,
    Table,
    paragraph_fingerprint,
    record_provenance,
)

TITLE_FONT = "方正小标宋简体"
HEADING1_FONT = "黑体"
HEADING2_FONT = "楷体_GB2312"
BODY_FONT = "仿宋_GB2312"
TABLE_FONT = "宋体"
PAGE_NUMBER_FONT = "宋体"
LATIN_FONT = "Times New Roman"

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_5 = Pt(10.5)  # 五号
SIZE_SMALL_5 = Pt(9)  # 小五
LINE = Pt(28)  # fixed line pitch of the body

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TEXT_WIDTH_MM = 210 - 28 - 26  # 156 mm
FOOTER_DISTANCE = Mm(23)  # the page number sits about 7 mm below the text block
RED = RGBColor(0xC0, 0x00, 0x00)

STYLE_BODY = "Normal"
STYLE_TITLE = "Title"
STYLE_H1 = "Heading 1"
STYLE_H2 = "Heading 2"
STYLE_TABLE = "drafter 表格文字"
STYLE_TABLE_SMALL = "drafter 表格文字（小）"
STYLE_PLAIN = "drafter 不缩进"


def render_docx(report: Report) -> bytes:
    doc = Document()
    _page_setup(doc)
    _styles(doc)
    _declare_fonts(doc)
    _page_numbers(doc)
    if report.cover_letter is not None:
        _cover_letter(doc, report.cover_letter)
    _title(doc, report.title)
    for paragraph in report.preamble:
        _body(doc, paragraph)
    for section in report.sections:
        _section(doc, section)
    properties = doc.core_properties
    properties.title = report.title
    properties.subject = "政府信息公开工作年度报告"
    properties.author = report.agency
    properties.comments = f"drafter {__version__}；版式 {report.layout}"
    properties.language = "zh-CN"
    _mark_model_paragraphs(doc, report)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _mark_model_paragraphs(doc: DocumentObject, report: Report) -> None:
    """Record which paragraphs a model wrote, which numbers came from placeholders and who
    wrote each sentence (custom document properties, drafter.docprops)."""
    by_model: dict[str, list[str]] = {}
    for paragraph in report.paragraphs():
        if paragraph.author not in ("offline", "editor", "document"):
            by_model.setdefault(paragraph.author, []).append(paragraph_fingerprint(paragraph.text))
    set_custom_properties(doc, record_values(by_model, record_provenance(report.paragraphs())))


def record_values(by_model: dict[str, list[str]], provenance: Provenance) -> dict[str, str]:
    values = {}
    if by_model:
        values[AI_PROPERTY] = model_paragraphs_json(by_model)
    if provenance.numbers or provenance.sentences:
        values[PROVENANCE_PROPERTY] = provenance_json(provenance)
    return values


def set_custom_properties(doc: DocumentObject, values: dict[str, str]) -> None:
    """docProps/custom.xml with `values`, replacing the part if the document has one."""
    from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    package = doc.part.package
    for relationship in package.rels.values():
        if relationship.reltype == RELATIONSHIP_TYPE.CUSTOM_PROPERTIES:
            # python-docx keeps a generic part's XML as bytes and has no setter for it.
            relationship.target_part._blob = properties_xml(values)
            return
    if not values:
        return
    part = Part(
        PackURI("/docProps/custom.xml"),
        CONTENT_TYPE.OFC_CUSTOM_PROPERTIES,
        properties_xml(values),
        package,
    )
    package.relate_to(part, RELATIONSHIP_TYPE.CUSTOM_PROPERTIES)


# ---- fonts ---------------------------------------------------------------------------------


def _fonts(rpr: object, east_asia: str, size: Pt | None = None, *, bold: bool = False) -> None:
    """Name the East Asian and Latin fonts explicitly on an rPr element, and drop the theme
    fonts that would override them."""
    rfonts = rpr.get_or_add_rFonts()  # type: ignore[attr-defined]
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        rfonts.attrib.pop(qn(attr), None)
    rfonts.set(qn("w:ascii"), LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), LATIN_FONT)
    rfonts.set(qn("w:cs"), LATIN_FONT)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:hint"), "eastAsia")
    # Children are added through python-docx's schema-aware helpers: Word refuses a document
    # whose rPr children are out of the schema's order.
    rpr.get_or_add_b().set(qn("w:val"), "1" if bold else "0")  # type: ignore[attr-defined]
    rpr.get_or_add_bCs().set(qn("w:val"), "1" if bold else "0")  # type: ignore[attr-defined]
    if size is not None:
        half_points = str(int(size.pt * 2))
        sz = rpr.get_or_add_sz()  # type: ignore[attr-defined]
        sz.set(qn("w:val"), half_points)
        sz_cs = rpr.find(qn("w:szCs"))  # type: ignore[attr-defined]
        if sz_cs is None:
            sz_cs = OxmlElement("w:szCs")
            sz.addnext(sz_cs)  # szCs directly follows sz in the schema
        sz_cs.set(qn("w:val"), half_points)


def _style_fonts(style: BaseStyle, east_asia: str, size: Pt, *, bold: bool = False) -> None:
    _fonts(style.element.get_or_add_rPr(), east_asia, size, bold=bold)
    style.font.color.rgb = RGBColor(0, 0, 0)
    style.font.italic = False


def _indent_chars(paragraph_format_element: object, first_line_chars: int) -> None:
    """First-line indent in characters (w:firstLineChars), which Word and WPS honour exactly."""
    ind = paragraph_format_element.get_or_add_ind()  # type: ignore[attr-defined]
    if first_line_chars:
        ind.set(qn("w:firstLineChars"), str(first_line_chars * 100))
        ind.set(qn("w:firstLine"), str(int(first_line_chars * 16 * 20)))
    else:
        ind.set(qn("w:firstLineChars"), "0")
        ind.set(qn("w:firstLine"), "0")


# ---- page and styles -----------------------------------------------------------------------


def _page_setup(doc: DocumentObject) -> None:
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.footer_distance = FOOTER_DISTANCE
    section.header_distance = Mm(15)


def _styles(doc: DocumentObject) -> None:
    styles = doc.styles
    # Document defaults: Chinese language and fonts for anything not styled explicitly.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            _fonts(rpr, BODY_FONT, SIZE_3)
            lang = rpr.find(qn("w:lang"))
            if lang is None:
                lang = OxmlElement("w:lang")
                rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
            lang.set(qn("w:val"), "en-US")
            lang.set(qn("w:eastAsia"), "zh-CN")

    body = styles[STYLE_BODY]
    _style_fonts(body, BODY_FONT, SIZE_3)
    fmt = body.paragraph_format
    fmt.line_spacing, fmt.space_before, fmt.space_after = LINE, Pt(0), Pt(0)
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.widow_control = True
    _indent_chars(body.element.get_or_add_pPr(), 2)

    plain = styles.add_style(STYLE_PLAIN, 1)
    plain.base_style = body
    _style_fonts(plain, BODY_FONT, SIZE_3)
    _indent_chars(plain.element.get_or_add_pPr(), 0)

    title = styles[STYLE_TITLE]
    title.base_style = body
    _style_fonts(title, TITLE_FONT, SIZE_2)
    fmt = title.paragraph_format
    fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt.line_spacing = Pt(36)
    fmt.space_before, fmt.space_after = Pt(0), LINE
    title_ppr = title.element.get_or_add_pPr()
    for border in title_ppr.findall(qn("w:pBdr")):
        title_ppr.remove(border)
    _indent_chars(title_ppr, 0)

    for name, font in ((STYLE_H1, HEADING1_FONT), (STYLE_H2, HEADING2_FONT)):
        heading = styles[name]
        heading.base_style = body
        _style_fonts(heading, font, SIZE_3)
        fmt = heading.paragraph_format
        fmt.line_spacing, fmt.space_before, fmt.space_after = LINE, Pt(0), Pt(0)
        fmt.keep_with_next = True
        fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        _indent_chars(heading.element.get_or_add_pPr(), 2)

    for name, size in ((STYLE_TABLE, SIZE_5), (STYLE_TABLE_SMALL, SIZE_SMALL_5)):
        table_text = styles.add_style(name, 1)
        table_text.base_style = body
        _style_fonts(table_text, TABLE_FONT, size)
        fmt = table_text.paragraph_format
        fmt.line_spacing = 1.0
        fmt.space_before, fmt.space_after = Pt(0), Pt(0)
        fmt.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _indent_chars(table_text.element.get_or_add_pPr(), 0)


# ---- font table ----------------------------------------------------------------------------

# (name, the stock Windows font that stands in for it, PANOSE, charset, family, pitch,
# signature: usb0 usb1 usb2 usb3 csb0 csb1) of every font the document names, as Word writes
# them in word/fontTable.xml. Word and WPS look a missing font up there: its w:altName names
# the substitute, and PANOSE, charset (86: GB2312) and signature steer their own choice.
_GB2312_SIG = ("00000001", "080E0000", "00000010", "00000000", "00040000", "00000000")
FONTS: tuple[tuple[str, str | None, str, str, str, str, tuple[str, ...]], ...] = (
    (
        LATIN_FONT,
        None,
        "02020603050405020304",
        "00",
        "roman",
        "variable",
        ("E0002AFF", "C0007841", "00000009", "00000000", "000001FF", "00000000"),
    ),
    (
        "宋体",
        "SimSun",
        "02010600030101010101",
        "86",
        "auto",
        "variable",
        ("00000003", "288F0000", "00000016", "00000000", "00040001", "00000000"),
    ),
    (BODY_FONT, "仿宋", "02010609030101010101", "86", "modern", "fixed", _GB2312_SIG),
    (HEADING2_FONT, "楷体", "02010609030101010101", "86", "modern", "fixed", _GB2312_SIG),
    (
        HEADING1_FONT,
        "SimHei",
        "02010609060101010101",
        "86",
        "modern",
        "fixed",
        ("800002BF", "38CF7CFA", "00000016", "00000000", "00040001", "00000000"),
    ),
    # 方正小标宋简体 is not on a stock machine: 宋体 stands in, and the PANOSE of a 宋 face
    # keeps Word's own choice among the Song faces.
    (TITLE_FONT, "宋体", "02010600030101010101", "86", "auto", "variable", _GB2312_SIG),
    # The bullets of the template's list styles (word/numbering.xml).
    (
        "Symbol",
        None,
        "05050102010706020507",
        "02",
        "roman",
        "variable",
        ("00000000", "10000000", "00000000", "00000000", "80000000", "00000000"),
    ),
)
DECLARED_FONTS = frozenset(font[0] for font in FONTS)
_THEME_FONT_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def font_table_xml() -> bytes:
    """word/fontTable.xml declaring `FONTS` (python-docx's template declares Japanese fonts
    the document never uses, and none of the Chinese ones)."""
    from lxml import etree

    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    root = etree.Element(f"{{{w}}}fonts", nsmap={"w": w})
    for name, alt_name, panose, charset, family, pitch, sig in FONTS:
        font = etree.SubElement(root, f"{{{w}}}font", {f"{{{w}}}name": name})
        if alt_name:
            etree.SubElement(font, f"{{{w}}}altName", {f"{{{w}}}val": alt_name})
        for tag, value in (
            ("panose1", panose),
            ("charset", charset),
            ("family", family),
            ("pitch", pitch),
        ):
            etree.SubElement(font, f"{{{w}}}{tag}", {f"{{{w}}}val": value})
        names = ("usb0", "usb1", "usb2", "usb3", "csb0", "csb1")
        etree.SubElement(
            font, f"{{{w}}}sig", {f"{{{w}}}{k}": v for k, v in zip(names, sig, strict=True)}
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _declare_fonts(doc: DocumentObject) -> None:
    """The font table names the fonts in use; every style names declared fonts, not the theme
    fonts (whose East Asian face python-docx's template sets for Japanese) nor Courier; the
    theme's fonts resolve for Chinese; and the Word 2010 copy of the styles
    (stylesWithEffects.xml), which still names the template's fonts, is dropped."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    part = doc.part
    for r_id, relationship in list(part.rels.items()):
        if relationship.reltype == RELATIONSHIP_TYPE.FONT_TABLE:
            # python-docx keeps the font table as a generic part, its XML as bytes.
            relationship.target_part._blob = font_table_xml()
        elif relationship.reltype.endswith("/stylesWithEffects"):
            part.drop_rel(r_id)
    for rfonts in doc.styles.element.iter(qn("w:rFonts")):
        for attr in _THEME_FONT_ATTRS:
            rfonts.attrib.pop(qn(attr), None)
        for attr in ("w:ascii", "w:hAnsi", "w:cs"):
            if rfonts.get(qn(attr)) not in (None, *DECLARED_FONTS):
                rfonts.set(qn(attr), LATIN_FONT)
        if rfonts.get(qn("w:ascii")) is None:
            rfonts.set(qn("w:ascii"), LATIN_FONT)
            rfonts.set(qn("w:hAnsi"), LATIN_FONT)
        if rfonts.get(qn("w:eastAsia")) not in DECLARED_FONTS:
            rfonts.set(qn("w:eastAsia"), BODY_FONT)
    lang = doc.settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")


# ---- runs ----------------------------------------------------------------------------------

# Numbers joined by hyphens: telephone and fax numbers, ranges of years. Anchored at the start
# of a run of digits, so that the search stays linear in the text.
_JOINED_NUMBER = re.compile(r"(?<!\d)\d++(?:-\d++)+")

# What no line may break inside, long enough that moving it whole to the next line would
# leave the line before it visibly letter-spaced in justified text: a number joined by
# hyphens (a telephone number, kept whole by w:noBreakHyphen), or twelve or more Latin
# letters, digits and ASCII signs in a row (a web or e-mail address).
_UNBREAKABLE = re.compile(_JOINED_NUMBER.pattern + r"|(?<![!-~])[!-~]{12,}+")


def _flush_left_if_unbreakable(paragraph: DocxParagraph, text: str) -> None:
    """Set a paragraph holding something no line may break inside flush left instead of
    justified. In justified Chinese text, a line whose next word cannot be broken spreads
    what is left of its width over the gaps between its characters (LibreOffice and Word
    alike; no Word setting prevents it): the opening paragraph, with its contact
    details, printed "通 科 研 楼 909 ； 邮 政 编 码 ：…" when the telephone number had to move
    to the next line. Flush left, that line ends short instead; the other lines, of whole
    characters, end where they would."""
    if _UNBREAKABLE.search(text):
        paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT


def _set_text(run: Run, text: str) -> None:
    """The run's text; a hyphen between digits as w:noBreakHyphen, which Word and WPS never
    break a line after and which reads back as "-" (python-docx, drafter.read.docx)."""
    if not _JOINED_NUMBER.search(text):
        run.text = text
        return
    for index, part in enumerate(text.split("-")):
        if index:
            run._r.append(OxmlElement("w:noBreakHyphen"))
        if part:
            t = OxmlElement("w:t")
            t.text = part
            t.set(qn("xml:space"), "preserve")
            run._r.append(t)


def write_text(
    paragraph: DocxParagraph,
    text: str,
    east_asia: str,
    size: Pt | None = None,
    cuts: Iterable[int] = (),
) -> list[tuple[int, int, Run]]:
    """`text` as runs in the given fonts, (start, end, run) each: a run ends at every `cut`, a
    number joined by hyphens is a run of its own, and each gap left for the clerk
    (drafter.render.GAP) is its own runs, highlighted yellow."""
    gaps = gap_spans(text)
    points = {0, len(text), *(p for p in cuts if 0 <= p <= len(text))}
    for start, end in gaps + [m.span() for m in _JOINED_NUMBER.finditer(text)]:
        points.update((start, end))
    runs: list[tuple[int, int, Run]] = []
    for start, end in list(pairwise(sorted(points))) or [(0, 0)]:  # an empty text: one run
        run = paragraph.add_run()
        _fonts(run._r.get_or_add_rPr(), east_asia, size)
        _set_text(run, text[start:end])
        if any(s <= start and end <= e for s, e in gaps):
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW  # type: ignore[attr-defined]
        runs.append((start, end, run))
    return runs


def _run(paragraph: DocxParagraph, text: str, east_asia: str, size: Pt | None = None) -> None:
    write_text(paragraph, text, east_asia, size)


# ---- page numbers --------------------------------------------------------------------------


def _page_field(paragraph: DocxParagraph) -> None:
    """— N — with a PAGE field, in 4号 宋体 (digits in Times New Roman would be wrong here:
    GB/T 9704 asks for 半角宋体 digits)."""

    def run(element: OxmlElement | None = None, text: str | None = None) -> None:
        r = paragraph.add_run(text or "")
        rpr = r._r.get_or_add_rPr()
        _fonts(rpr, PAGE_NUMBER_FONT, SIZE_4)
        rfonts = rpr.get_or_add_rFonts()
        rfonts.set(qn("w:ascii"), PAGE_NUMBER_FONT)
        rfonts.set(qn("w:hAnsi"), PAGE_NUMBER_FONT)
        if element is not None:
            r._r.append(element)

    def fld(kind: str) -> OxmlElement:
        element = OxmlElement("w:fldChar")
        element.set(qn("w:fldCharType"), kind)
        return element

    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    run(text="— ")
    run(fld("begin"))
    run(instr)
    run(fld("separate"))
    run(text="1")
    run(fld("end"))
    run(text=" —")


def _page_numbers(doc: DocumentObject) -> None:
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),  # odd pages: right, one character in
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),  # even pages: left
    ):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = doc.styles[STYLE_PLAIN]
        fmt = paragraph.paragraph_format
        fmt.alignment = alignment
        fmt.line_spacing = 1.0
        if alignment == WD_ALIGN_PARAGRAPH.RIGHT:
            fmt.right_indent = SIZE_4
        else:
            fmt.left_indent = SIZE_4
        _page_field(paragraph)


# ---- text ----------------------------------------------------------------------------------


TITLE_CHARS_PER_LINE = 20  # 156 mm at 二号


def title_lines(text: str) -> list[str]:
    """GB/T 9704 wants a long title split at a meaningful point: after the year, so that
    "政府信息公开工作年度报告" stays whole on the second line."""
    if len(text) <= TITLE_CHARS_PER_LINE:
        return [text]
    match = re.search(r"\d{4}年", text)
    if match is None or match.end() >= len(text):
        return [text]
    return [text[: match.end()], text[match.end() :]]


def _title(doc: DocumentObject, text: str) -> None:
    paragraph = doc.add_paragraph(style=STYLE_TITLE)
    for index, line in enumerate(title_lines(text)):
        if index:
            brk = paragraph.add_run()
            _fonts(brk._r.get_or_add_rPr(), TITLE_FONT)
            brk.add_break()
        _run(paragraph, line, TITLE_FONT)


def _body(doc: DocumentObject, paragraph: Paragraph) -> DocxParagraph:
    out = doc.add_paragraph(style=STYLE_BODY)
    write_marked(doc, out, paragraph)
    _flush_left_if_unbreakable(out, paragraph.text)
    return out


def write_marked(doc: DocumentObject, out: DocxParagraph, paragraph: Paragraph) -> None:
    """The paragraph's text as runs; what a drafter could not make right is highlighted and
    carries a Word comment (author drafter), so the editor sees it and nothing is dropped."""
    text = paragraph.text
    cuts = {max(0, min(len(text), p)) for m in paragraph.marks if m.span for p in m.span}
    runs = write_text(out, text, BODY_FONT, cuts=cuts) if text else []
    for mark in paragraph.marks:
        span = mark.span or (0, len(text))
        covered = [r for s, e, r in runs if s >= span[0] and e <= span[1]] or [r for *_, r in runs]
        if not covered:
            continue
        for run in covered:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW  # type: ignore[attr-defined]
        doc.add_comment(covered, text=mark.message, author="drafter", initials="DR")


def _section(doc: DocumentObject, section: Section) -> None:
    style, font = (STYLE_H1, HEADING1_FONT) if section.level == 1 else (STYLE_H2, HEADING2_FONT)
    heading = doc.add_paragraph(style=style)
    # No page break before a part: a forced break before table 三 left table 二 alone on a
    # page two-thirds blank. The heading keeps with what follows it (its style), and the tables
    # decide how they break (`_table`).
    _run(heading, section.heading, font)
    for block in section.blocks:
        if isinstance(block, Paragraph):
            _body(doc, block)
        else:
            _table(doc, block)
    for sub in section.subsections:
        _section(doc, sub)


# ---- tables --------------------------------------------------------------------------------


def _widths_mm(table: Table) -> list[float]:
    weights = list(table.widths) or [1.0] * table.columns
    total = sum(weights)
    return [TEXT_WIDTH_MM * w / total for w in weights]


def _table(doc: DocumentObject, table: Table) -> None:
    out = doc.add_table(rows=table.rows, cols=table.columns)
    out.style = doc.styles["Table Grid"]
    out.alignment = WD_TABLE_ALIGNMENT.CENTER
    out.autofit = False
    tbl_pr = out._tbl.tblPr
    tbl_pr.get_or_add_tblLayout().set(qn("w:type"), "fixed")
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), "57")  # 1 mm: ten columns must fit 156 mm
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    tbl_pr.insert_element_before(
        margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange"
    )
    widths = _widths_mm(table)
    for index, column in enumerate(out.columns):
        column.width = Mm(widths[index])
    # The grid before merging, read once: python-docx's table.cell() rebuilds the whole
    # cell list on every call. Merge regions are disjoint, so these cells stay valid.
    grid = out._cells
    for index, cell in enumerate(grid):
        cell.width = Mm(widths[index % table.columns])
    for row_index, row in enumerate(out.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if row_index < table.header_rows:
            tr_pr.append(OxmlElement("w:tblHeader"))
    style = STYLE_TABLE_SMALL if table.small else STYLE_TABLE
    style_id = doc.styles[style].style_id  # set by id: assigning a style object is slow
    for cell in table.cells:
        target = grid[cell.row * table.columns + cell.col]
        if cell.rowspan > 1 or cell.colspan > 1:
            last_row, last_col = cell.row + cell.rowspan - 1, cell.col + cell.colspan - 1
            target = target.merge(grid[last_row * table.columns + last_col])
        _cell_text(
            target, cell.text, style, style_id, left=cell.role == "label" and cell.rowspan == 1
        )
        if cell.row + cell.rowspan < table.rows and _keeps_with_next(table, cell.row):
            for paragraph in target.paragraphs:
                paragraph.paragraph_format.keep_with_next = True
    doc.add_paragraph(style=STYLE_PLAIN)  # a line of space after the table


KEEP_WHOLE_ROWS = 16  # a table of up to this many rows fits a page: it is never split
KEEP_ROWS = 2  # rows of a long table kept with its header, and at its end


def _keeps_with_next(table: Table, row: int) -> bool:
    """Whether a row keeps with the next one (its cells' paragraphs keep with next; rows never
    split inside, w:cantSplit). A short table keeps every row with the next: it moves to the
    next page whole, after its heading. A long one (table 三, 28 rows) may break between
    rows, except inside its header rows, the first rows under them and its last rows, so
    that it starts on the page of its heading instead of leaving that page mostly blank, and
    continues under its repeated header rows (w:tblHeader)."""
    if table.rows <= KEEP_WHOLE_ROWS:
        return True
    return row < table.header_rows + KEEP_ROWS - 1 or row >= table.rows - KEEP_ROWS


def _cell_text(cell: _Cell, text: str, style: str, style_id: str, *, left: bool) -> None:
    paragraphs = cell.paragraphs
    for extra in paragraphs[1:]:  # merging leaves the merged cells' empty paragraphs behind
        extra._p.getparent().remove(extra._p)
    paragraph = paragraphs[0]
    paragraph._p.style = style_id
    if left:
        paragraph.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    for run in list(paragraph.runs):
        run._r.getparent().remove(run._r)
    size = SIZE_SMALL_5 if style == STYLE_TABLE_SMALL else SIZE_5
    _run(paragraph, text, TABLE_FONT, size)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


# ---- cover letter --------------------------------------------------------------------------


def _plain(
    doc: DocumentObject,
    text: str = "",
    *,
    align: int | None = None,
    font: str = BODY_FONT,
    size: Pt | None = None,
    indent_chars: int = 0,
) -> DocxParagraph:
    paragraph = doc.add_paragraph(style=STYLE_PLAIN if not indent_chars else STYLE_BODY)
    if align is not None:
        paragraph.paragraph_format.alignment = align
    else:
        _flush_left_if_unbreakable(paragraph, text)
    if text:
        _run(paragraph, text, font, size)
    return paragraph


ATTACHMENT_LABEL = "附件："


def _hanging_indent(paragraph: DocxParagraph, first_chars: int, hanging_chars: int) -> None:
    """The first line `first_chars` characters in, the lines after it `hanging_chars` further
    (GB/T 9704 §7.3.4: a wrapped 附件 name aligns under its first character), in characters
    (w:leftChars, w:hangingChars, which Word and WPS honour) and in twips for the rest."""
    ind = paragraph._p.get_or_add_pPr().get_or_add_ind()
    left = first_chars + hanging_chars
    char = int(SIZE_3.pt * 20)  # one character of the body (三号), in twips
    ind.set(qn("w:left"), str(left * char))
    ind.set(qn("w:leftChars"), str(left * 100))
    ind.set(qn("w:hanging"), str(hanging_chars * char))
    ind.set(qn("w:hangingChars"), str(hanging_chars * 100))


def _cover_letter(doc: DocumentObject, letter: CoverLetter) -> None:
    mark = _plain(doc, align=WD_ALIGN_PARAGRAPH.CENTER)
    mark.paragraph_format.line_spacing = Pt(44)
    run = mark.add_run(letter.agency)
    _fonts(run._r.get_or_add_rPr(), TITLE_FONT, Pt(30))
    run.font.color.rgb = RED
    _red_rule(mark)
    if letter.doc_number:
        _plain(doc, letter.doc_number, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _plain(doc)
    _title(doc, letter.title)
    _plain(doc, f"{letter.recipient}：")
    for text in letter.body:
        _plain(doc, text, indent_chars=2)
    _plain(doc)
    attachment = _plain(doc, f"{ATTACHMENT_LABEL}{letter.attachment}")
    _hanging_indent(attachment, 2, len(ATTACHMENT_LABEL))
    _plain(doc)
    _plain(doc)
    signature = _plain(doc, letter.agency, align=WD_ALIGN_PARAGRAPH.RIGHT)
    signature.paragraph_format.right_indent = Pt(16 * 4)
    if letter.date:
        date = _plain(doc, letter.date, align=WD_ALIGN_PARAGRAPH.RIGHT)
        date.paragraph_format.right_indent = Pt(16 * 4)
    if letter.contact:
        _plain(doc, letter.contact, indent_chars=2)
    brk = doc.add_paragraph(style=STYLE_PLAIN)
    brk.add_run().add_break(WD_BREAK.PAGE)
    _plain(doc, "附件", font=HEADING1_FONT)
    _plain(doc)


# What may follow w:pBdr inside w:pPr (ECMA-376 CT_PPrBase order).
_AFTER_PBDR = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


def _red_rule(paragraph: DocxParagraph) -> None:
    """The red separator line under the 发文机关标志 of a letter."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "thickThinSmallGap")
    bottom.set(qn("w:sz"), "24")
    bottom.set(qn("w:space"), "4")
    bottom.set(qn("w:color"), "C00000")
    borders.append(bottom)
    ppr.insert_element_before(borders, *_AFTER_PBDR)


def paragraphs_text(doc_bytes: bytes) -> Iterable[str]:  # pragma: no cover - debugging aid
    document = Document(io.BytesIO(doc_bytes))
    return [p.text for p in document.paragraphs]
