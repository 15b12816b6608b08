"""The rendered files read back: values at their official places, merges, fonts, page."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import SAMPLE, distinct_data, load_data
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING
from docx.oxml.ns import qn

from drafter.drafting.draft import MISSING_DATE, draft_report
from drafter.formats import load_layout
from drafter.read.docx import docx_blocks, docx_tables
from drafter.read.html import html_blocks, html_tables
from drafter.read.markdown import markdown_blocks
from drafter.read.tables import read_values
from drafter.render import GAP, gap_spans
from drafter.render.docx import render_docx
from drafter.render.html import render_html
from drafter.render.markdown import render_markdown
from drafter.statistics.load import load_stats
from drafter.statistics.stats import Stats

LAYOUTS = ["gov-info-disclosure-2021", "gov-info-disclosure-2021-seven-part"]


def _stats(layout: str) -> Stats:
    return load_data(dict(distinct_data(), format=layout))


@pytest.fixture(scope="module", params=LAYOUTS)
def rendered(request):
    stats = _stats(request.param)
    report = draft_report(stats)
    return stats, report, render_docx(report), render_html(report)


def _expected(stats: Stats, key: str) -> str:
    from drafter.statistics.quantities import format_number

    value = stats.value(key)
    return "" if value is None else format_number(value)


def _printed_tables(layout_id: str) -> list[str]:
    layout = load_layout(layout_id)
    return [s.table for s in layout.sections if s.table]


# ---- docx ---------------------------------------------------------------------------------


def test_docx_table_values_are_at_their_official_places(rendered):
    stats, _, docx_bytes, _ = rendered
    layout = load_layout(stats.format)
    grids = docx_tables(docx_bytes)
    table_ids = _printed_tables(stats.format)
    assert len(grids) == len(table_ids)
    for grid, table_id in zip(grids, table_ids, strict=True):
        values = read_values(grid, layout.table(table_id))
        for key, text in values.items():
            assert text == _expected(stats, key), (table_id, key, text)


def _tc_positions(table) -> dict[object, set[tuple[int, int]]]:
    spans: dict[object, set[tuple[int, int]]] = {}
    columns = len(table.columns)
    for index, cell in enumerate(table._cells):
        spans.setdefault(cell._tc, set()).add(divmod(index, columns))
    return spans


def test_docx_merged_cells_span_what_the_format_says(rendered):
    _, report, docx_bytes, _ = rendered
    document = Document(io.BytesIO(docx_bytes))
    for docx_table, table in zip(document.tables, report.tables(), strict=True):
        positions = _tc_positions(docx_table)
        by_position = {p: tc for tc, ps in positions.items() for p in ps}
        for cell in table.cells:
            tc = by_position[(cell.row, cell.col)]
            expected = {
                (r, c)
                for r in range(cell.row, cell.row + cell.rowspan)
                for c in range(cell.col, cell.col + cell.colspan)
            }
            assert positions[tc] == expected, (table.id, cell.text, cell.row, cell.col)


def test_docx_table_three_has_the_official_merges(rendered):
    stats, _, docx_bytes, _ = rendered
    document = Document(io.BytesIO(docx_bytes))
    table_three = document.tables[_printed_tables(stats.format).index("applications")]
    positions = _tc_positions(table_three)

    def span(text: str) -> tuple[int, int]:
        [cells] = [
            p for tc, p in positions.items() if "".join(t.text for t in tc.iter(qn("w:t"))) == text
        ]
        rows = {r for r, _ in cells}
        cols = {c for _, c in cells}
        return len(rows), len(cols)

    assert span("三、本年度办理结果") == (22, 1)
    assert span("（三）不予公开") == (8, 1)
    assert span("（四）无法提供") == (3, 1)
    assert span("（五）不予处理") == (5, 1)
    assert span("（六）其他处理") == (3, 1)
    assert span("申请人情况") == (1, 7)
    assert span("法人或其他组织") == (1, 5)
    assert span("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）") == (3, 3)
    table_four = document.tables[_printed_tables(stats.format).index("review_litigation")]
    assert len(table_four.columns) == 15


def test_docx_page_size_and_margins(rendered):
    document = Document(io.BytesIO(rendered[2]))
    section = document.sections[0]
    mm = lambda length: round(length.mm, 1)  # noqa: E731
    assert (mm(section.page_width), mm(section.page_height)) == (210.0, 297.0)
    assert (mm(section.top_margin), mm(section.bottom_margin)) == (37.0, 35.0)
    assert (mm(section.left_margin), mm(section.right_margin)) == (28.0, 26.0)


def _east_asia(run) -> str | None:
    rpr = run._r.rPr
    fonts = None if rpr is None else rpr.rFonts
    return None if fonts is None else fonts.get(qn("w:eastAsia"))


def test_docx_every_run_names_its_east_asian_font(rendered):
    document = Document(io.BytesIO(rendered[2]))
    runs = [run for p in document.paragraphs for run in p.runs]
    runs += [
        run
        for t in document.tables
        for row in t.rows
        for cell in row.cells
        for p in cell.paragraphs
        for run in p.runs
    ]
    assert runs
    for run in runs:
        assert _east_asia(run), run.text
        assert run._r.rPr.rFonts.get(qn("w:ascii")) == "Times New Roman"


def test_docx_styles_and_defaults_name_chinese_fonts_not_theme_fonts(rendered):
    document = Document(io.BytesIO(rendered[2]))
    styles_xml = document.styles.element
    defaults = styles_xml.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    expected = {
        "Normal": "仿宋_GB2312",
        "Title": "方正小标宋简体",
        "Heading 1": "黑体",
        "Heading 2": "楷体_GB2312",
    }
    for name, font in expected.items():
        fonts = document.styles[name].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == font
        assert fonts.get(qn("w:eastAsiaTheme")) is None and fonts.get(qn("w:asciiTheme")) is None


def test_docx_title_headings_and_body_follow_gb_t_9704(rendered):
    _, report, docx_bytes, _ = rendered
    document = Document(io.BytesIO(docx_bytes))
    paragraphs = document.paragraphs
    title = paragraphs[0]
    assert title.style.name == "Title"
    assert "".join(r.text for r in title.runs).replace("\n", "") == report.title
    assert document.styles["Title"].font.size.pt == 22
    assert document.styles["Normal"].font.size.pt == 16
    body = document.styles["Normal"].paragraph_format
    assert body.line_spacing_rule == WD_LINE_SPACING.EXACTLY and body.line_spacing.pt == 28
    ind = document.styles["Normal"].element.pPr.find(qn("w:ind"))
    assert ind.get(qn("w:firstLineChars")) == "200"
    headings = {p.text: p.style.name for p in paragraphs if p.style.name.startswith("Heading")}
    assert headings["一、总体情况"] == "Heading 1"
    assert any(name == "Heading 2" and text.startswith("（一）") for text, name in headings.items())
    for table_style in ("drafter 表格文字", "drafter 表格文字（小）"):
        assert document.styles[table_style].font.size.pt < 16


def test_docx_tables_fit_the_text_width(rendered):
    document = Document(io.BytesIO(rendered[2]))
    for table in document.tables:
        width = sum(column.width.mm for column in table.columns)
        assert width <= 156.5, width


def test_docx_page_numbers_odd_right_even_left(rendered):
    document = Document(io.BytesIO(rendered[2]))
    assert document.settings.odd_and_even_pages_header_footer
    section = document.sections[0]
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert "PAGE" in xml and "— " in paragraph.text and " —" in paragraph.text
        assert str(paragraph.paragraph_format.alignment).lower().startswith(side)
        fonts = {r.get(qn("w:eastAsia")) for r in paragraph._p.iter(qn("w:rFonts"))}
        assert fonts == {"宋体"}


def test_docx_blank_cells_stay_blank_and_zeros_print_as_0():
    report = draft_report(load_stats(SAMPLE))
    grids = docx_tables(render_docx(report))
    layout = load_layout("gov-info-disclosure-2021-seven-part")
    values = read_values(grids[2], layout.table("review_litigation"))
    assert values["review_litigation.review.upheld"] == ""
    assert values["review_litigation.litigation_direct.upheld"] == "0"
    table_three = read_values(grids[1], layout.table("applications"))
    assert all(v != "" for v in table_three.values())


def test_docx_cover_letter_puts_the_report_behind_it():
    report = draft_report(load_stats(SAMPLE), cover_letter=True)
    document = Document(io.BytesIO(render_docx(report)))
    texts = [p.text for p in document.paragraphs if p.text]
    assert texts[0] == "泉州市科学技术局"
    assert texts[1] == "泉科函〔2024〕2号"
    assert "泉州市科学技术局关于报送2023年政府信息公开工作年度报告的函" in texts[2].replace(
        "\n", ""
    )
    assert texts[3] == "泉州市人民政府办公室："
    assert "附件：泉州市科学技术局2023年政府信息公开工作年度报告" in texts
    assert "（联系人：王燕双，联系电话：0595-22579326）" in texts
    attachment = texts.index("附件")
    assert texts[attachment + 1].replace("\n", "") == report.title
    assert document.core_properties.title == report.title


# ---- gaps left for the clerk -------------------------------------------------------------------


def _report_with_gaps():
    """The sample with its cover letter (no date: 【待补充：成文日期】), and a gap in its
    preamble, a part heading, a subsection heading and a body paragraph."""
    report = draft_report(load_stats(SAMPLE), cover_letter=True)
    assert report.cover_letter.date == MISSING_DATE
    report.preamble[0].text += "【待补充：联系方式（联系部门、地址）】"
    report.sections[0].heading += "【请核实：标题】"
    report.sections[0].subsections[0].heading = "（一）【待补充：小标题】"
    body = report.sections[0].blocks[0]
    body.text = "【待补充：总体情况，如主要举措】" + body.text + "【请核实：上述数字】"
    assert not [p for p in report.paragraphs() if p.marks]  # highlights are the gaps' only
    return report


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and out[-1][1] == start:
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _highlighted(paragraph) -> list[tuple[int, int]]:
    spans, at = [], 0
    for run in paragraph.runs:
        if run.font.highlight_color is not None:
            assert run.font.highlight_color == WD_COLOR_INDEX.YELLOW
            assert _east_asia(run), run.text  # the run keeps its fonts
            spans.append((at, at + len(run.text)))
        at += len(run.text)
    return _merged(spans)


def test_docx_highlights_exactly_the_gaps_in_every_kind_of_paragraph():
    report = _report_with_gaps()
    document = Document(io.BytesIO(render_docx(report)))
    seen = set()
    for paragraph in document.paragraphs:
        text = paragraph.text
        assert _highlighted(paragraph) == _merged(gap_spans(text)), text
        seen.update(m.group() for m in GAP.finditer(text))
    assert seen == {
        "【待补充：成文日期】",  # cover letter
        "【待补充：联系方式（联系部门、地址）】",  # preamble
        "【请核实：标题】",  # part heading
        "【待补充：小标题】",  # subsection heading
        "【待补充：总体情况，如主要举措】",  # body
        "【请核实：上述数字】",
    }
    # Highlighting is formatting only: the document reads back as drafted.
    blocks = [b.text for b in docx_blocks(render_docx(report)) if b.table is None]
    for paragraph in report.paragraphs():
        assert paragraph.text in blocks


def test_html_marks_every_gap_and_reads_back_the_same_text():
    report = _report_with_gaps()
    html = render_html(report).decode("utf-8")
    assert "mark.gap {" in html
    marked = re.findall(r'<mark class="gap">([^<]*)</mark>', html)
    unmarked = re.sub(r'<mark class="gap">[^<]*</mark>', "", html)
    assert len(marked) == 5 and all(GAP.fullmatch(m) for m in marked)
    assert not GAP.search(unmarked)
    ET.fromstring(html.split("\n", 1)[1])  # still well-formed
    blocks = [b.text for b in html_blocks(html)]
    for paragraph in report.paragraphs():
        assert paragraph.text in blocks
    assert report.sections[0].heading in blocks


def test_markdown_marks_every_gap_and_reads_back_the_same_text():
    report = _report_with_gaps()
    markdown = render_markdown(report).decode("utf-8")
    marked = re.findall(r'<mark class="gap">([^<]*)</mark>', markdown)
    unmarked = re.sub(r'<mark class="gap">[^<]*</mark>', "", markdown)
    assert len(marked) == 5 and all(GAP.fullmatch(m) for m in marked)
    assert not GAP.search(unmarked)
    blocks = [b.text for b in markdown_blocks(markdown)]
    for paragraph in report.paragraphs():
        assert paragraph.text in blocks
    assert f"### {report.sections[0].subsections[0].heading}" not in markdown  # marked
    assert report.sections[0].subsections[0].heading in blocks


# ---- layout -------------------------------------------------------------------------------------


def _body_children(document):
    return list(document.element.body.iterchildren())


def test_docx_no_page_break_before_a_part_and_headings_keep_with_next(rendered):
    _, report, docx_bytes, _ = rendered
    document = Document(io.BytesIO(docx_bytes))
    assert not document.element.body.findall(".//" + qn("w:pageBreakBefore"))
    assert not [
        br for br in document.element.body.iter(qn("w:br")) if br.get(qn("w:type")) == "page"
    ]
    headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert len(headings) >= len(report.sections)
    for heading in headings:
        style = heading.style.paragraph_format
        assert heading.paragraph_format.page_break_before is not True
        assert style.page_break_before is not True
        assert heading.paragraph_format.keep_with_next is not False
        assert style.keep_with_next is True, heading.text


def test_docx_cover_letter_breaks_the_page_once_before_the_attachment():
    document = Document(
        io.BytesIO(render_docx(draft_report(load_stats(SAMPLE), cover_letter=True)))
    )
    breaks = [br for br in document.element.body.iter(qn("w:br")) if br.get(qn("w:type")) == "page"]
    assert len(breaks) == 1
    texts = [p.text for p in document.paragraphs]
    at = next(
        i for i, p in enumerate(document.paragraphs) if p._p is breaks[0].getparent().getparent()
    )
    assert next(t for t in texts[at + 1 :] if t) == "附件"


def _row_keeps(row) -> bool:
    return any(p.paragraph_format.keep_with_next for cell in row.cells for p in cell.paragraphs)


def test_docx_short_tables_move_whole_and_long_ones_split_under_repeated_headers(rendered):
    _, report, docx_bytes, _ = rendered
    document = Document(io.BytesIO(docx_bytes))
    for docx_table, table in zip(document.tables, report.tables(), strict=True):
        rows = docx_table.rows
        for index, row in enumerate(rows):
            tr_pr = row._tr.trPr
            assert tr_pr.find(qn("w:cantSplit")) is not None
            assert (tr_pr.find(qn("w:tblHeader")) is not None) == (index < table.header_rows)
        keeps = [_row_keeps(row) for row in rows]
        assert not keeps[-1]
        if table.rows <= 16:
            assert all(keeps[:-1]), table.id  # moves to the next page whole
        else:
            assert table.id == "applications"
            # the header rows stay with the first two rows under them, the last two together
            assert all(keeps[: table.header_rows + 1]) and keeps[-2]
            assert not all(keeps[:-1])  # and it may break between the rows in between
            assert not keeps[table.header_rows + 2]


def test_docx_keeps_telephone_numbers_whole_and_sets_their_paragraph_flush_left():
    report = draft_report(load_stats(SAMPLE), cover_letter=True)
    docx_bytes = render_docx(report)
    document = Document(io.BytesIO(docx_bytes))
    with_numbers = [p for p in document.paragraphs if re.search(r"\d-\d", p.text)]
    assert {"0595-22579359", "0595-22579326"} <= {
        m for p in with_numbers for m in re.findall(r"\d+-\d+", p.text)
    }
    for paragraph in with_numbers:
        # no hyphen between digits is a breakable "-" in the text itself
        for t in paragraph._p.iter(qn("w:t")):
            assert not re.search(r"\d-|-\d|^-|-$", t.text or ""), t.text
        hyphens = paragraph._p.findall(".//" + qn("w:noBreakHyphen"))
        assert len(hyphens) == len(re.findall(r"\d-\d", paragraph.text))
        assert paragraph.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.LEFT, paragraph.text
    # … and reads back as written: "-" (drafter.read.docx, as `verify` reads it)
    blocks = [b.text for b in docx_blocks(docx_bytes) if b.table is None]
    assert report.preamble[0].text in blocks
    assert report.cover_letter.contact in blocks
    # paragraphs without such a number stay justified
    justified = [p for p in document.paragraphs if p.style.name == "Normal" and p.text]
    assert any(p.paragraph_format.alignment is None for p in justified)
    assert document.styles["Normal"].paragraph_format.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY


def test_docx_cover_letter_attachment_name_wraps_under_its_first_character():
    document = Document(
        io.BytesIO(render_docx(draft_report(load_stats(SAMPLE), cover_letter=True)))
    )
    [attachment] = [p for p in document.paragraphs if p.text.startswith("附件：")]
    ind = attachment._p.pPr.find(qn("w:ind"))
    label = 3 * 16 * 20  # "附件：" at 三号 (16 pt), in twips
    assert ind.get(qn("w:hanging")) == str(label) and ind.get(qn("w:hangingChars")) == "300"
    assert ind.get(qn("w:left")) == str(label + 2 * 16 * 20)  # two characters in, then the label
    assert ind.get(qn("w:leftChars")) == "500"
    assert ind.get(qn("w:firstLine")) is None and ind.get(qn("w:firstLineChars")) is None
    assert attachment.style.name == "drafter 不缩进"


# ---- fonts --------------------------------------------------------------------------------------

W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def test_docx_font_table_declares_the_fonts_in_use_with_their_stand_ins():
    import zipfile

    archive = zipfile.ZipFile(
        io.BytesIO(render_docx(draft_report(load_stats(SAMPLE), cover_letter=True)))
    )
    fonts = ET.fromstring(archive.read("word/fontTable.xml"))
    declared = {
        font.get(W_NS + "name"): {child.tag[len(W_NS) :]: child for child in font}
        for font in fonts.iter(W_NS + "font")
    }
    assert not [name for name in declared if "ＭＳ" in name or "明朝" in name or "ゴシック" in name]
    stand_ins = {
        "仿宋_GB2312": "仿宋",
        "楷体_GB2312": "楷体",
        "方正小标宋简体": "宋体",
        "黑体": "SimHei",
        "宋体": "SimSun",
    }
    for name, alt in stand_ins.items():
        assert declared[name]["altName"].get(W_NS + "val") == alt, name
        assert declared[name]["charset"].get(W_NS + "val") == "86", name  # GB2312
        assert len(declared[name]["panose1"].get(W_NS + "val")) == 20
    assert "Times New Roman" in declared
    # Every font a run, a style or a list names is declared; no style names a theme font.
    used = set()
    for part in archive.namelist():
        if not (part.startswith("word/") and part.endswith(".xml")) or part == "word/fontTable.xml":
            continue
        root = ET.fromstring(archive.read(part))
        for rfonts in root.iter(W_NS + "rFonts"):
            used |= {rfonts.get(W_NS + a) for a in ("ascii", "hAnsi", "eastAsia", "cs")} - {None}
            if part == "word/styles.xml":
                assert not [a for a in rfonts.attrib if a.endswith("Theme") or a.endswith("theme")]
    assert {"仿宋_GB2312", "楷体_GB2312", "方正小标宋简体", "黑体", "宋体"} <= used
    assert used <= set(declared), used - set(declared)
    assert "word/stylesWithEffects.xml" not in archive.namelist()
    settings = ET.fromstring(archive.read("word/settings.xml"))
    assert settings.find(W_NS + "themeFontLang").get(W_NS + "eastAsia") == "zh-CN"


# ---- html and markdown -------------------------------------------------------------------------


def test_html_is_well_formed_and_self_contained(rendered):
    html = rendered[3].decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    root = ET.fromstring(html.split("\n", 1)[1])
    assert root.get("lang") == "zh-CN"
    assert not re.search(r'(src|href)="', html)  # nothing to fetch
    assert root.find("head/meta").get("charset") == "utf-8"


def test_html_tables_parse_to_the_same_grid(rendered):
    stats, report, _, html = rendered
    layout = load_layout(stats.format)
    grids = html_tables(html.decode("utf-8"))
    for grid, table in zip(grids, report.tables(), strict=True):
        assert grid == [[cell.text for cell in row] for row in table.grid()]
        for key, text in read_values(grid, layout.table(table.id)).items():
            assert text == _expected(stats, key)


def test_markdown_carries_the_same_content(rendered):
    _, report, _, _ = rendered
    markdown = render_markdown(report).decode("utf-8")
    assert markdown.startswith(f"# {report.title}\n")
    for section in report.sections:
        assert f"## {section.heading}" in markdown
    grids = html_tables(markdown)
    assert len(grids) == len(list(report.tables()))
    for paragraph in report.paragraphs():
        assert paragraph.text[:20] in markdown.replace("\\", "")


# ECMA-376 child order of the property elements drafter writes. Word refuses ("unreadable
# content") a document whose children are out of this order; LibreOffice does not mind, so
# rendering alone would not catch it.
SCHEMA_ORDER = {
    "rPr": "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss "
    "imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs "
    "highlight u effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish "
    "oMath rPrChange",
    "pPr": "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr "
    "suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct "
    "topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind "
    "contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment "
    "textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange",
    "tblPr": "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize "
    "tblW jc tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook tblCaption "
    "tblDescription tblPrChange",
    "tcPr": "cnfStyle tcW gridSpan hMerge vMerge tcBorders shd noWrap tcMar textDirection "
    "tcFitText vAlign hideMark headers cellIns cellDel cellMerge tcPrChange",
}


def test_docx_xml_children_are_in_schema_order():
    import zipfile

    report = draft_report(load_stats(SAMPLE), cover_letter=True)
    archive = zipfile.ZipFile(io.BytesIO(render_docx(report)))
    parts = [n for n in archive.namelist() if n.startswith("word/") and n.endswith(".xml")]
    checked = 0
    for part in parts:
        root = ET.fromstring(archive.read(part))
        for tag, order in SCHEMA_ORDER.items():
            rank = {name: i for i, name in enumerate(order.split())}
            for element in root.iter(qn(f"w:{tag}")):
                names = [child.tag.split("}")[1] for child in element]
                ranks = [rank[n] for n in names if n in rank]
                assert ranks == sorted(ranks), (part, tag, names)
                checked += 1
    assert checked > 500
