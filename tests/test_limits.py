"""Hostile and absurd input is refused with one line and a stable code, never a traceback, a
hang or gigabytes of memory (drafter.limits). Every hostile file is built here, small."""

from __future__ import annotations

import io
import os
import re
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import SAMPLE, base_data, dump_yaml
from typer.testing import CliRunner

from drafter import limits
from drafter.cli import app
from drafter.errors import InputError
from drafter.formats import load_layout
from drafter.limits import (
    DOCX_LIMITS,
    MAX_DOCX_XML_PART,
    MAX_PARAGRAPHS,
    MAX_TABLE_CELLS,
    MAX_TEXT_CHARS,
    read_bytes_limited,
)
from drafter.read.document import read_document
from drafter.read.docx import docx_blocks, open_docx
from drafter.read.html import html_tables
from drafter.statistics.load import load_stats
from drafter.statistics.workbook import workbook_bytes

runner = CliRunner()


def run(*args: Any):
    return runner.invoke(app, [str(a) for a in args])


def refused(call: Any, *args: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        call(*args)
    return caught.value


def one_line_exit_2(result: Any, code: str) -> str:
    """The CLI's answer to bad input: exit status 2, one line `错误 CODE：…`, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"错误 {code}："), lines
    return lines[0]


# ---- hostile zips, built from valid files ---------------------------------------------------


def small_docx() -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("某某局2023年政府信息公开工作年度报告")
    document.add_paragraph("一、总体情况")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "甲"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, change: dict[str, Any], *, stored: str | None = None) -> bytes:
    """`data` with members replaced (`change`: name → bytes, or a function of the old bytes);
    `stored` is written without compression, so that a flipped byte reaches the CRC check."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            new = change.get(info.filename, content)
            content = new(content) if callable(new) else new
            method = zipfile.ZIP_STORED if info.filename == stored else zipfile.ZIP_DEFLATED
            target.writestr(info.filename, content, compress_type=method)
    return out.getvalue()


def _headers(data: bytes, member: str) -> tuple[int, int]:
    """Offsets of a member's central directory entry and local header."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    name = member.encode()
    central = data.index(b"PK\x01\x02")
    while data[central + 46 : central + 46 + len(name) + 0] != name or data[
        central + 28 : central + 30
    ] != struct.pack("<H", len(name)):
        central = data.index(b"PK\x01\x02", central + 4)
    return central, info.header_offset


def patch_header(data: bytes, member: str, central_at: int, local_at: int, value: int) -> bytes:
    """Set a 2-byte field of a member in both its central directory entry and local header."""
    central, local = _headers(data, member)
    out = bytearray(data)
    out[central + central_at : central + central_at + 2] = struct.pack("<H", value)
    if local_at >= 0:
        out[local + local_at : local + local_at + 2] = struct.pack("<H", value)
    return bytes(out)


def flip_byte(data: bytes, member: str) -> bytes:
    """One byte in the middle of a member's data changed (its CRC no longer matches)."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(member)
    local = info.header_offset
    name_length, extra_length = struct.unpack("<HH", data[local + 26 : local + 30])
    at = local + 30 + name_length + extra_length + info.compress_size // 2
    out = bytearray(data)
    out[at] ^= 0x01
    return bytes(out)


def corruptions(data: bytes, member: str) -> dict[str, bytes]:
    """The ways a zip was found to break the readers: a bad CRC (stored member, so it is found
    only when the member is read to its end), a damaged deflate stream, an unknown compression
    method, an encrypted member, a zip version zipfile refuses, a truncated file."""
    return {
        "bad CRC": flip_byte(rezip(data, {}, stored=member), member),
        "damaged deflate": flip_byte(data, member),
        "compression 99": patch_header(data, member, 10, 8, 99),
        "encrypted": patch_header(data, member, 8, 6, 0x1),
        "zip version 9.9": patch_header(data, member, 6, 4, 99),
        "truncated": data[: len(data) * 2 // 3],
    }


DOCX_CORRUPTIONS = corruptions(small_docx(), "word/document.xml")


@pytest.mark.parametrize("kind", sorted(DOCX_CORRUPTIONS))
def test_a_corrupt_docx_is_one_line(tmp_path: Path, kind: str):
    data = DOCX_CORRUPTIONS[kind]
    path = tmp_path / "report.docx"
    path.write_bytes(data)
    assert refused(read_document, path).code == "E-FILE-CORRUPT"
    assert refused(open_docx, data, "report.docx").code == "E-FILE-CORRUPT"  # python-docx path
    result = run("verify", path, "--stats", SAMPLE)
    line = one_line_exit_2(result, "E-FILE-CORRUPT")
    assert str(path) in line


def test_a_corrupt_part_python_docx_reads_is_caught_before_it_does():
    """python-docx reads every part (styles, settings …): a bad CRC in any of them is found by
    drafter first, not as a zipfile traceback."""
    data = small_docx()
    data = flip_byte(rezip(data, {}, stored="word/styles.xml"), "word/styles.xml")
    assert refused(open_docx, data, "r.docx").code == "E-FILE-CORRUPT"


WORKBOOK_CORRUPTIONS = corruptions(workbook_bytes(load_layout()), "xl/worksheets/sheet3.xml")


@pytest.mark.parametrize("kind", sorted(WORKBOOK_CORRUPTIONS))
def test_a_corrupt_workbook_is_one_line(tmp_path: Path, kind: str):
    path = tmp_path / "stats.xlsx"
    path.write_bytes(WORKBOOK_CORRUPTIONS[kind])
    assert refused(load_stats, path).code == "E-FILE-CORRUPT"
    line = one_line_exit_2(run("check", path), "E-FILE-CORRUPT")
    assert str(path) in line


def test_the_unpacked_size_is_counted_not_read_from_headers():
    """A member whose header claims a few bytes is refused by what it really inflates to."""
    data = rezip(small_docx(), {"word/document.xml": b" " * (MAX_DOCX_XML_PART + 1)})
    error = refused(docx_blocks, data, "r.docx")
    assert error.code == "E-LIMIT-UNPACKED" and "解压后过大" in str(error)
    archive = limits.open_zip(data, "r.docx", DOCX_LIMITS, ".docx")
    info = archive.archive.getinfo("word/document.xml")
    info.file_size = 10  # a lying header: zipfile stops at it, and the CRC then fails
    with pytest.raises(InputError) as caught:
        archive.read(info)
    assert caught.value.code == "E-FILE-CORRUPT"


# ---- files that are not regular files --------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
@pytest.mark.parametrize("name", ["stats.yaml", "stats.xlsx", "report.txt", "report.docx"])
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path, name: str):
    path = tmp_path / name
    os.mkfifo(path)  # nobody writes to it: opening it for reading would block forever
    reader = read_document if name.startswith("report") else load_stats
    error = refused(reader, path)
    assert error.code == "E-FILE-TYPE" and "不是普通文件" in str(error)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
@pytest.mark.parametrize("name", ["stats.yaml", "stats.xlsx", "report.md", "report.docx"])
def test_a_link_to_a_device_is_refused(tmp_path: Path, name: str):
    path = tmp_path / name
    path.symlink_to("/dev/zero")  # st_size 0, and endless
    reader = read_document if name.startswith("report") else load_stats
    assert refused(reader, path).code == "E-FILE-TYPE"
    command = ("verify", path, "--stats", SAMPLE) if name.startswith("report") else ("check", path)
    one_line_exit_2(run(*command), "E-FILE-TYPE")


def test_missing_files_and_directories(tmp_path: Path):
    assert refused(load_stats, tmp_path / "none.yaml").code == "E-FILE-MISSING"
    assert refused(load_stats, tmp_path / "none.xlsx").code == "E-FILE-MISSING"
    assert refused(read_document, tmp_path / "none.docx").code == "E-FILE-MISSING"
    assert refused(read_document, tmp_path / "none.pdf").code == "E-FILE-MISSING"
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    assert refused(load_stats, folder).code == "E-FILE-TYPE"


def test_a_file_is_read_up_to_its_limit_plus_one_byte(tmp_path: Path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"x" * 100)
    assert read_bytes_limited(path, 100, "测试文件") == b"x" * 100
    error = refused(read_bytes_limited, path, 99, "测试文件")
    assert error.code == "E-LIMIT-SIZE" and "测试文件不应超过" in str(error)


def test_a_large_text_report_is_refused_by_size(tmp_path: Path):
    path = tmp_path / "report.md"
    with path.open("wb") as handle:
        handle.truncate(limits.MAX_TEXT_DOCUMENT_BYTES + 1)  # sparse: nothing is written
    assert refused(read_document, path).code == "E-LIMIT-SIZE"


# ---- tables that declare huge spans --------------------------------------------------------


SPAN_BOMB = "<table>" + '<tr><td rowspan="1000" colspan="1000">x</td></tr>' * 10 + "</table>"


def test_an_html_span_bomb_is_refused(tmp_path: Path):
    """Ten cells of rowspan=1000 colspan=1000 (some 500 bytes) were 10^7 grid cells."""
    path = tmp_path / "report.html"
    path.write_text(f"<html><body><p>报告</p>{SPAN_BOMB}</body></html>", encoding="utf-8")
    error = refused(read_document, path)
    assert error.code == "E-LIMIT-TABLE" and str(path) in str(error)
    markdown = tmp_path / "report.md"
    markdown.write_text(f"# 报告\n\n{SPAN_BOMB}\n", encoding="utf-8")
    assert refused(read_document, markdown).code == "E-LIMIT-TABLE"


def test_a_rowspan_never_reaches_past_the_last_row():
    [grid] = html_tables(
        '<table><tr><td rowspan="1000">a</td><td>b</td></tr><tr><td>c</td></tr></table>'
    )
    assert grid == [["a", "b"], ["a", "c"]]
    [wide] = html_tables('<table><tr><td colspan="99999999999999">a</td></tr></table>')
    assert len(wide) == 1 and len(wide[0]) == limits.MAX_HTML_SPAN  # as browsers clamp it


def _docx_with_table_xml(change: Any) -> bytes:
    """A python-docx document whose one table's XML `change(tbl)` edits."""
    from docx import Document
    from docx.oxml.ns import qn

    document = Document()
    document.add_paragraph("报告")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"{r}{c}"
    change(table._tbl, qn)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_word_spans_are_clamped_to_the_table_grid():
    def spans(tbl: Any, qn: Any) -> None:
        from lxml import etree

        first = tbl.findall(qn("w:tr"))[0]
        tc = first.findall(qn("w:tc"))[0]
        span = etree.SubElement(tc.get_or_add_tcPr(), qn("w:gridSpan"))
        span.set(qn("w:val"), "1000000")
        second = tbl.findall(qn("w:tr"))[1]
        tr_pr = second.get_or_add_trPr()
        before = etree.SubElement(tr_pr, qn("w:gridBefore"))
        before.set(qn("w:val"), "1000000")

    blocks = docx_blocks(_docx_with_table_xml(spans), "r.docx")
    [table] = [b.table for b in blocks if b.table is not None]
    assert table.columns <= 6 and len(table.grid()) == 3  # not a million columns


def test_a_wide_cell_continued_by_two_cells_spans_one_more_row_not_two():
    """Two vMerge continuations under one wide cell stretched it twice, past the last row
    (an IndexError in every command that read the table)."""

    def merge(tbl: Any, qn: Any) -> None:
        from lxml import etree

        _, first, second = tbl.findall(qn("w:tr"))
        wide, narrow, _ = first.findall(qn("w:tc"))
        etree.SubElement(wide.get_or_add_tcPr(), qn("w:gridSpan")).set(qn("w:val"), "2")
        etree.SubElement(wide.get_or_add_tcPr(), qn("w:vMerge")).set(qn("w:val"), "restart")
        first.remove(narrow)
        for tc in second.findall(qn("w:tc"))[:2]:
            etree.SubElement(tc.get_or_add_tcPr(), qn("w:vMerge"))

    blocks = docx_blocks(_docx_with_table_xml(merge), "r.docx")
    [table] = [b.table for b in blocks if b.table is not None]
    grid = [[c.text for c in row] for row in table.grid()]
    assert grid[1][:2] == grid[2][:2] == ["10", "10"] and len(grid) == 3


def test_a_word_table_beyond_the_cell_limit_is_refused():
    def wide_grid(tbl: Any, qn: Any) -> None:
        from lxml import etree

        grid = tbl.find(qn("w:tblGrid"))
        for _ in range(MAX_TABLE_CELLS):
            etree.SubElement(grid, qn("w:gridCol")).set(qn("w:w"), "1")

    error = refused(docx_blocks, _docx_with_table_xml(wide_grid), "r.docx")
    assert error.code == "E-LIMIT-TABLE" and "r.docx" in str(error)


def test_a_tab_table_of_plain_text_is_bounded(tmp_path: Path):
    path = tmp_path / "report.txt"
    path.write_text("报告\n" + ("a" + "\tb" * MAX_TABLE_CELLS + "\n") * 2, encoding="utf-8")
    assert refused(read_document, path).code == "E-LIMIT-TABLE"


BOMBS_UNDER_1_GIB = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from drafter.errors import InputError
from drafter.read.document import read_document
for path in sys.argv[1:]:
    try:
        read_document(path)
        print("read", path)
    except InputError as exc:
        print(exc.code, path)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux")
def test_span_bombs_stay_within_a_gigabyte(tmp_path: Path):
    """The bombs of the fuzzing report (1.4 GB and 9 GB before), read with the address space
    capped at 1 GiB: a refusal, not a MemoryError."""
    html = tmp_path / "bomb.html"
    cells = '<td rowspan="1000" colspan="1000">x</td>' * 10
    html.write_text(f"<table>{f'<tr>{cells}</tr>' * 10}</table>", encoding="utf-8")
    markdown = tmp_path / "bomb.md"
    markdown.write_text(f"<table>{f'<tr>{cells}</tr>' * 10}</table>\n", encoding="utf-8")

    def vmerge(tbl: Any, qn: Any) -> None:
        from lxml import etree

        for tr in tbl.findall(qn("w:tr")):
            for tc in tr.findall(qn("w:tc")):
                etree.SubElement(tc.get_or_add_tcPr(), qn("w:gridSpan")).set(qn("w:val"), "9999999")
        for _ in range(2000):
            tr = etree.SubElement(tbl, qn("w:tr"))
            tc = etree.SubElement(tr, qn("w:tc"))
            pr = etree.SubElement(tc, qn("w:tcPr"))
            etree.SubElement(pr, qn("w:gridSpan")).set(qn("w:val"), "9999999")
            etree.SubElement(pr, qn("w:vMerge"))
            etree.SubElement(tc, qn("w:p"))

    docx = tmp_path / "bomb.docx"
    docx.write_bytes(_docx_with_table_xml(vmerge))
    result = subprocess.run(
        [sys.executable, "-c", BOMBS_UNDER_1_GIB, str(html), str(markdown), str(docx)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    codes = [line.split()[0] for line in result.stdout.splitlines()]
    assert codes == ["E-LIMIT-TABLE"] * 3, result.stdout


# ---- too much text ------------------------------------------------------------------------------


def test_too_many_paragraphs_are_refused(tmp_path: Path):
    text = tmp_path / "report.txt"
    text.write_text("报告\n" + "好\n" * MAX_PARAGRAPHS, encoding="utf-8")
    assert refused(read_document, text).code == "E-LIMIT-TEXT"
    html = tmp_path / "report.html"
    html.write_text("<p>好</p>" * (MAX_PARAGRAPHS + 1), encoding="utf-8")
    assert refused(read_document, html).code == "E-LIMIT-TEXT"
    empty = "".join("<w:p/>" for _ in range(MAX_PARAGRAPHS + 1))

    def many(document: bytes) -> bytes:
        return document.replace(b"<w:body>", b"<w:body>" + empty.encode(), 1)

    docx = tmp_path / "report.docx"
    docx.write_bytes(rezip(small_docx(), {"word/document.xml": many}))
    error = refused(read_document, docx)
    assert error.code == "E-LIMIT-TEXT" and str(docx) in str(error)
    one_line_exit_2(run("verify", docx, "--stats", SAMPLE), "E-LIMIT-TEXT")


def test_too_many_characters_are_refused(tmp_path: Path):
    markdown = tmp_path / "report.md"
    markdown.write_text("# 报告\n\n" + "好" * (MAX_TEXT_CHARS + 1) + "\n", encoding="utf-8")
    assert refused(read_document, markdown).code == "E-LIMIT-TEXT"
    lines = tmp_path / "lines.md"  # one paragraph of many lines: stopped line by line
    lines.write_text("# 报告\n\n" + "好好好好\n" * (MAX_TEXT_CHARS // 4 + 1), encoding="utf-8")
    assert refused(read_document, lines).code == "E-LIMIT-TEXT"


def test_a_real_report_is_far_below_the_limits(tmp_path: Path):
    from drafter.drafting.draft import draft_report
    from drafter.render.docx import render_docx

    path = tmp_path / "report.docx"
    path.write_bytes(render_docx(draft_report(load_stats(SAMPLE), cover_letter=True)))
    budget = limits.TextBudget(str(path))
    docx_blocks(path.read_bytes(), str(path), budget)
    assert budget.paragraphs * 20 < MAX_PARAGRAPHS
    assert budget.chars * 20 < MAX_TEXT_CHARS
    assert budget.cells * 10 < limits.MAX_DOCUMENT_CELLS


# ---- workbooks ----------------------------------------------------------------------------------


def write_workbook(tmp_path: Path, change: Any = None) -> Path:
    """The blank statistics workbook, edited with openpyxl as a script would (so formulas
    keep no cached result and drafter's evaluator computes them)."""
    path = tmp_path / "stats.xlsx"
    path.write_bytes(workbook_bytes(load_layout(), agency="某某局", year=2023))
    if change is not None:
        wb = openpyxl.load_workbook(path)
        change(wb)
        wb.save(path)
    return path


def test_a_formula_with_a_huge_exponent_is_refused_not_computed(tmp_path: Path):
    path = write_workbook(tmp_path, lambda wb: wb["三"].__setitem__("D7", "=1E+999999999"))
    line = one_line_exit_2(run("check", path), "E-LIMIT-FORMULA")
    assert "三!D7" in line and "1E+999999999" in line


def test_a_sum_past_the_range_of_a_count_is_refused(tmp_path: Path):
    def big(wb: Any) -> None:
        wb["三"]["Z1"] = 999_999_999_999_999
        wb["三"]["D7"] = "=Z1+Z1"

    line = one_line_exit_2(run("check", write_workbook(tmp_path, big)), "E-LIMIT-FORMULA")
    assert "三!D7" in line


def test_a_chain_of_3000_formulas_is_no_recursion_error(tmp_path: Path):
    def chain(wb: Any) -> None:
        ws = wb["三"]
        ws["D7"] = "=Z1"
        for row in range(1, 3000):
            ws[f"Z{row}"] = f"=Z{row + 1}+0"
        ws["Z3000"] = 1

    line = one_line_exit_2(run("check", write_workbook(tmp_path, chain)), "E-LIMIT-FORMULA")
    assert "三!D7" in line and "过深" in line


@pytest.mark.parametrize("formula", ["=" + "(" * 3000 + "1" + ")" * 3000, "=" + "-" * 8000 + "1"])
def test_deeply_nested_formulas_are_refused(tmp_path: Path, formula: str):
    path = write_workbook(tmp_path, lambda wb: wb["三"].__setitem__("D7", formula))
    line = one_line_exit_2(run("check", path), "E-LIMIT-FORMULA")
    assert "三!D7" in line and len(line) < 300  # the formula is quoted cut short


def _with_sheet_xml(tmp_path: Path, member: str, change: Any) -> Path:
    path = write_workbook(tmp_path)
    path.write_bytes(rezip(path.read_bytes(), {member: change}))
    return path


def test_a_million_rows_are_refused_before_openpyxl_parses_them(tmp_path: Path):
    rows = b"".join(
        b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(100, 1_000_100)
    )
    path = _with_sheet_xml(
        tmp_path,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>", 1),
    )
    line = one_line_exit_2(run("check", path), "E-LIMIT-TABLE")
    assert "基本信息" in line  # the sheet, by its name


def test_every_xml_element_counts_not_only_cells(tmp_path: Path):
    """2,000,000 shared strings took openpyxl a minute and 400 MB: any element counts, in any
    part (this one is not even referenced: refused all the same)."""
    strings = b"".join(b"<si><t>%d</t></si>" % i for i in range(limits.MAX_WORKBOOK_ELEMENTS))
    part = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    path = write_workbook(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", part + strings + b"</sst>")
    line = one_line_exit_2(run("check", path), "E-LIMIT-TABLE")
    assert "xl/sharedStrings.xml" in line


def test_a_merged_range_over_a_whole_sheet_is_refused(tmp_path: Path):
    """openpyxl makes a MergedCell for every cell of a merged range: A1:XFD1048576 would be
    17 billion of them."""
    merge = b'<mergeCell ref="A1:XFD1048576"/>'
    path = _with_sheet_xml(
        tmp_path,
        "xl/worksheets/sheet3.xml",
        lambda xml: xml.replace(b"<mergeCell ", merge + b"<mergeCell ", 1),
    )
    assert refused(load_stats, path).code == "E-LIMIT-TABLE"


def test_a_4301_digit_number_in_a_workbook_cell(tmp_path: Path):
    digits = "1" * 4301
    typed = write_workbook(tmp_path, lambda wb: wb["三"].__setitem__("D7", digits))
    line = one_line_exit_2(run("check", typed), "E-STATS-VALUE")
    assert "三!D7" in line and "数值过大" in line and len(line) < 300
    stored = _with_sheet_xml(  # a number cell (t="n"), which openpyxl's int() cannot convert
        tmp_path,
        "xl/worksheets/sheet3.xml",
        lambda xml: xml.replace(
            b'<c r="D7"', b'<c r="D7"><v>' + digits.encode() + b'</v></c><c r="XX1"', 1
        ),
    )
    line = one_line_exit_2(run("check", stored), "E-STATS-VALUE")
    assert "三!D7" in line and "数值过大" in line


def test_control_characters_in_a_workbook_are_refused(tmp_path: Path):
    def note(wb: Any) -> None:
        wb["素材"]["A5"] = "problems"
        wb["素材"]["B5"] = "改进\x7f措施"

    line = one_line_exit_2(run("check", write_workbook(tmp_path, note)), "E-STATS-VALUE")
    assert "素材!B5" in line and "\\x7f" in line


# ---- statistics values --------------------------------------------------------------------------


def write_yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "stats.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_4301_digit_integer_names_line_and_key(tmp_path: Path):
    text = dump_yaml(base_data()).replace("licensing: 5", "licensing: " + "9" * 4301)
    path = write_yaml(tmp_path, text)
    [problem] = refused(load_stats, path).problems
    assert problem.code == "E-STATS-VALUE" and problem.path == "proactive.licensing"
    assert problem.line == text.splitlines().index("  licensing: " + "9" * 4301) + 1
    line = one_line_exit_2(run("check", path), "E-STATS-VALUE")
    assert f"{path}:{problem.line} proactive.licensing: 数值过大" in line and len(line) < 300


@pytest.mark.parametrize(
    "value", ["10000000000000", "1.0e+999999999", "1.0e+13", "99999999999999999999999999"]
)
def test_a_count_beyond_a_trillion_is_refused_at_once(tmp_path: Path, value: str):
    path = write_yaml(
        tmp_path, dump_yaml(base_data()).replace("licensing: 5", f"licensing: {value}")
    )
    [problem] = refused(load_stats, path).problems
    assert problem.code == "E-STATS-VALUE" and "数值过大" in problem.message


def test_an_amount_with_absurd_places_is_refused(tmp_path: Path):
    text = dump_yaml(base_data()).replace(
        "admin_fees_10k_yuan: 0", "admin_fees_10k_yuan: 1.0e-999999999"
    )
    [problem] = refused(load_stats, write_yaml(tmp_path, text)).problems
    assert problem.code == "E-STATS-VALUE" and "小数位数过多" in problem.message


@pytest.mark.parametrize(
    ("key", "escape"),
    [("notes", "\\x0b"), ("agency", "\\x00"), ("facts", "\\x1b"), ("contact", "\\x85")],
)
def test_control_characters_are_refused_at_load_time(tmp_path: Path, key: str, escape: str):
    """Written as YAML escapes they passed `check` and then crashed python-docx in `draft`."""
    data = base_data()
    data["notes"] = {"problems": "材料"}
    data["facts"] = [
        {"id": "a.b", "label": "公开信息", "value": 1, "unit": "条", "section": "overall"}
    ]
    data["contact"] = {"office": "办公室"}
    text = dump_yaml(data)
    target = {
        "notes": "problems: 材料",
        "agency": "agency: 某某市某某区科学技术局",
        "facts": "label: 公开信息",
        "contact": "office: 办公室",
    }[key]
    head, value = target.split(": ")
    text = text.replace(target, f'{head}: "{value[:1]}{escape}{value[1:]}"')
    path = write_yaml(tmp_path, text)
    [problem] = refused(load_stats, path).problems
    assert problem.code == "E-STATS-VALUE" and escape in str(problem) and problem.line
    line = one_line_exit_2(run("check", path), "E-STATS-VALUE")
    assert escape in line
    assert one_line_exit_2(run("draft", path, "-o", tmp_path / "r.docx"), "E-STATS-VALUE")


def test_yaml_syntax_errors_are_one_line_with_line_and_column(tmp_path: Path):
    path = write_yaml(tmp_path, "agency: 某局\nyear: [2023\n")
    [problem] = refused(load_stats, path).problems
    assert problem.code == "E-YAML-SYNTAX"
    assert str(problem).startswith(f"{path}:3:1: YAML 格式错误：") and "\n" not in str(problem)
    raw = write_yaml(tmp_path, "agency: 某局\x0b\n")  # not an escape: the character itself
    line = one_line_exit_2(run("check", raw), "E-YAML-SYNTAX")
    assert f"{raw}:1:11:" in line and "\\x0b" in line


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("stats.txt", b"agency: x", "E-FILE-TYPE"),
        ("stats.xls", b"\xd0\xcf\x11\xe0", "E-FILE-TYPE"),
        ("stats.yaml", "agency: 某局".encode("gb18030"), "E-FILE-ENCODING"),
        ("stats.yaml", dump_yaml({**base_data(), "format": "no-such-layout"}).encode(), "E-LAYOUT"),
        ("stats.yaml", b"- 1\n", "E-STATS-VALUE"),
    ],
)
def test_every_statistics_problem_has_its_code(
    tmp_path: Path, name: str, content: bytes, code: str
):
    path = tmp_path / name
    path.write_bytes(content)
    assert refused(load_stats, path).code == code


def test_report_read_problems_have_their_codes(tmp_path: Path):
    for name, content, code in [
        ("r.doc", b"\xd0\xcf\x11\xe0", "E-FILE-TYPE"),
        ("r.odt", b"x", "E-FILE-TYPE"),
        ("r.docx", b"not a zip", "E-FILE-CORRUPT"),
        ("r.txt", b"\xff\xfe\x00\xd8" * 3 + b"\x81", "E-FILE-ENCODING"),
    ]:
        path = tmp_path / name
        path.write_bytes(content)
        error = refused(read_document, path)
        assert error.code == code, (name, error.lines())


def test_no_limit_is_defined_twice():
    """drafter.limits is the one place: the readers import their limits from it."""
    sources = Path(limits.__file__).parent
    for module in ("statistics/workbook.py", "yamlsource.py", "read/document.py", "read/docx.py"):
        text = (sources / module).read_text(encoding="utf-8")
        assert not re.search(r"^MAX_\w+ =", text, re.MULTILINE), module


def test_prose_with_more_numbers_than_any_report_is_refused_before_verifying(tmp_path):
    """5,000 numbers verify in seconds; 140,000 would take 40 s and 750 MB: refused first."""
    from conftest import SAMPLE

    from drafter.errors import InputError
    from drafter.limits import MAX_NUMBERS
    from drafter.read.document import read_document
    from drafter.statistics.load import load_stats
    from drafter.verification.verify import verify_report

    stats = load_stats(SAMPLE)
    head = "某某局2023年政府信息公开工作年度报告\n一、总体情况\n"
    under = tmp_path / "under.txt"
    under.write_text(head + "受理申请5件、" * (MAX_NUMBERS - 10) + "\n", encoding="utf-8")
    report, _ = read_document(under)
    assert verify_report(report, stats)  # verified (and found wanting), not refused
    over = tmp_path / "over.txt"
    over.write_text(head + "受理申请5件、" * (MAX_NUMBERS + 10) + "\n", encoding="utf-8")
    report, _ = read_document(over)
    with pytest.raises(InputError) as caught:
        verify_report(report, stats, file=str(over))
    assert caught.value.code == "E-LIMIT-TEXT" and "正文中的数过多" in str(caught.value)
