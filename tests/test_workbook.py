"""The Excel workbook as a second form of the statistics file (drafter.statistics.workbook)."""

from __future__ import annotations

import copy
import io
import json
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import SAMPLE, base_data, distinct_data, load_data, set_in
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from typer.testing import CliRunner

from drafter.checking.checks import check
from drafter.checking.findings import Location
from drafter.cli import app
from drafter.errors import InputError
from drafter.formats import load_layout
from drafter.statistics.load import load_stats, stats_from_data
from drafter.statistics.stats import Stats
from drafter.statistics.workbook import TOP, read_workbook, sheet_name, workbook_bytes

runner = CliRunner()
LAYOUTS = ["gov-info-disclosure-2021", "gov-info-disclosure-2021-seven-part"]


def run(*args: Any):
    return runner.invoke(app, [str(a) for a in args])


def write(tmp_path: Path, stats: Stats, name: str = "stats.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(workbook_bytes(load_layout(stats.format), stats))
    return path


def edit(path: Path, change: Any) -> Path:
    """Open the workbook with openpyxl, let `change(wb)` edit it, save it in place (as a
    script would: no formula keeps a cached result)."""
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)
    return path


def cell_values(stats: Stats) -> dict[str, Any]:
    """Every table cell's value, totals derived where they were not given."""
    layout = load_layout(stats.format)
    return {key: stats.value(key) for t in layout.tables.values() for key in t.cells}


def other_fields(stats: Stats) -> dict[str, Any]:
    tables = {"proactive", "applications", "review_litigation", "processing_fees"}
    return stats.model_dump(exclude=tables)


def where(stats: Stats, key: str) -> tuple[str, int, int]:
    """(sheet, row, column) of a key in the workbook written for `stats`."""
    table = next(t for t in load_layout(stats.format).tables.values() if key in t.cells)
    placed = next(p for p in table.placed if p.cell.key == key)
    return sheet_name(table), TOP + placed.row + 1, placed.col + 1


def ref(stats: Stats, key: str) -> str:
    sheet, row, col = where(stats, key)
    return f"{sheet}!{get_column_letter(col)}{row}"


def problems(path: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        load_stats(path)
    return caught.value.lines()


# ---- round trips --------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_distinct_cells_round_trip_exactly(tmp_path: Path, layout: str):
    stats = load_data(set_in(distinct_data(), "format", layout))
    back = load_stats(write(tmp_path, stats))
    assert back.model_dump() == stats.model_dump()
    assert back.proactive.admin_fees_10k_yuan == Decimal("5949.088667")
    assert back.processing_fees.notified_yuan == Decimal("1230.50")
    assert back.format == layout


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sample_round_trips_exactly(tmp_path: Path, layout: str):
    stats = load_stats(SAMPLE).model_copy(update={"format": layout})
    path = write(tmp_path, stats)
    back = load_stats(path)
    assert back.model_dump() == stats.model_dump()
    assert back.facts and back.notes and back.cover_letter is not None
    assert back.contact.postal_code == "350000"
    assert back.review_litigation.review.upheld is None  # the sample's blank cells stay blank
    # Parts are written by the layout's Chinese names, never by their codes.
    wb = openpyxl.load_workbook(path)
    facts, notes = wb["事实"], wb["素材"]
    col = column(facts, "section")
    written = [facts[f"{col}{5 + i}"].value for i in range(len(stats.facts))]
    assert set(written) <= set(PARTS[layout]) and PARTS[layout][3] in written
    written = [notes[f"A{r}"].value for r in range(5, notes.max_row + 1) if notes[f"B{r}"].value]
    assert set(written) <= set(PARTS[layout]) and "存在的主要问题及改进情况" in written


@pytest.mark.parametrize("layout", LAYOUTS)
def test_derived_totals_come_back_as_the_workbook_shows_them(tmp_path: Path, layout: str):
    data = set_in(base_data(), "format", layout)
    del data["applications"]["results"]["total"]  # （七）总计 derived
    stats = load_data(data)
    assert stats.applications.results.total is None
    back = load_stats(write(tmp_path, stats))
    assert cell_values(back) == cell_values(stats)
    assert other_fields(back) == other_fields(stats)
    # A workbook states its totals: they come back given, with the values the formulas show.
    assert back.applications.results.total is not None
    assert back.applications.results.total.natural_person == 2
    assert back.review_litigation.litigation_after_review.total_given
    assert check(back) == []


def test_blank_cells_stay_blank_and_zero_is_written(tmp_path: Path):
    data = base_data()
    data = set_in(data, "applications.new_received.research", None)
    data = set_in(data, "review_litigation.review.pending", None)
    data = set_in(data, "proactive.licensing", None)
    data = set_in(data, "processing_fees.collected_yuan", None)
    stats = load_data(data)
    path = write(tmp_path, stats)
    wb = openpyxl.load_workbook(path)
    for key in (
        "applications.new_received.research",
        "review_litigation.review.pending",
        "proactive.licensing",
        "processing_fees.collected_yuan",
    ):
        sheet, row, col = where(stats, key)
        assert wb[sheet].cell(row, col).value is None, key
    sheet, row, col = where(stats, "applications.new_received.other")
    assert wb[sheet].cell(row, col).value == 0
    back = load_stats(path)
    assert back.applications.new_received.research is None
    assert back.review_litigation.review.pending is None
    assert back.proactive.licensing is None
    assert back.processing_fees.collected_yuan is None
    assert cell_values(back) == cell_values(stats)


def test_cells_map_every_key_to_its_cell(tmp_path: Path):
    stats = load_data(distinct_data())
    data, cells = read_workbook(write(tmp_path, stats), "stats.xlsx")
    key = "applications.results.withheld.third_party_rights.natural_person"
    assert cells[tuple(key.split("."))] == ref(stats, key) == "三!D13"
    assert cells[("agency",)].startswith("基本信息!")
    assert stats_from_data(data, {}, "stats.xlsx").model_dump() == stats.model_dump()
    every = [k for t in load_layout(stats.format).tables.values() for k in t.cells]
    assert all(tuple(k.split(".")) in cells for k in every)
    assert len({cells[tuple(k.split("."))] for k in every}) == len(every)


# ---- the written sheets -------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_labels_and_merges_are_the_layouts(tmp_path: Path, layout: str):
    lay = load_layout(layout)
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(lay, agency="某局", year=2024)))
    assert wb.sheetnames[:5] == ["基本信息", "二", "三", "四", "信息处理费"]
    assert {"事实", "素材", "说明"} <= set(wb.sheetnames)
    for table in lay.tables.values():
        ws = wb[sheet_name(table)]
        merged = {str(r) for r in ws.merged_cells.ranges}
        for p in table.placed:
            row, col = TOP + p.row + 1, p.col + 1
            if p.cell.text is not None:
                assert (ws.cell(row, col).value or "") == p.cell.text  # character-exact
            if p.cell.rowspan > 1 or p.cell.colspan > 1:
                end = f"{get_column_letter(col + p.cell.colspan - 1)}{row + p.cell.rowspan - 1}"
                assert f"{get_column_letter(col)}{row}:{end}" in merged
    three = wb["三"]
    assert three["A14"].value is None  # inside the merged 三、本年度办理结果
    assert "A8:A29" in {str(r) for r in three.merged_cells.ranges}  # rowspan 22


def test_input_cells_are_unlocked_and_validated_labels_locked(tmp_path: Path):
    stats = load_data(distinct_data())
    wb = openpyxl.load_workbook(write(tmp_path, stats))
    layout = load_layout(stats.format)
    for table in layout.tables.values():
        ws = wb[sheet_name(table)]
        assert ws.protection.sheet and not ws.protection.password
        assert ws.protection.insertRows is False and ws.protection.insertColumns is False
        kinds = {
            dv.type: {str(c) for rng in dv.sqref.ranges for c in _cells(rng.coord)}
            for dv in ws.data_validations.dataValidation
        }
        for p in table.placed:
            cell = ws.cell(TOP + p.row + 1, p.col + 1)
            if p.cell.key is None:
                assert cell.protection.locked, (table.id, p.cell.text)
                continue
            assert not cell.protection.locked, p.cell.key
            kind = "decimal" if p.cell.key.endswith(("_yuan", "10k_yuan")) else "whole"
            assert cell.coordinate in kinds[kind], p.cell.key
    dv = next(iter(wb["三"].data_validations.dataValidation))
    assert dv.operator == "greaterThanOrEqual" and dv.formula1 == "0"
    assert wb["三"]["D6"].font.name == "宋体"
    assert wb["三"].column_dimensions["C"].width > 30  # the long row labels stay readable


def _cells(coord: str) -> list[str]:
    if ":" not in coord:
        return [coord]
    first, last = coord.split(":")
    (c1, r1), (c2, r2) = (_split(first), _split(last))
    return [f"{get_column_letter(c)}{r}" for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)]


def _split(coord: str) -> tuple[int, int]:
    match = re.fullmatch(r"([A-Z]+)(\d+)", coord)
    assert match
    return column_index_from_string(match.group(1)), int(match.group(2))


def test_totals_are_formulas(tmp_path: Path):
    stats = load_data(base_data())
    wb = openpyxl.load_workbook(write(tmp_path, stats))
    three = wb["三"]
    assert three["J6"].value == "=SUM(D6:I6)"  # 一、本年新收 · 总计
    assert three["D29"].value == "=SUM(D8:D28)"  # （七）总计 · 自然人
    assert three["J29"].value == "=SUM(D29:I29)"
    assert three["J30"].value == "=SUM(D30:I30)"  # 四、结转下年度继续办理 · 总计
    assert wb["四"]["E6"].value == "=SUM(A6:D6)"
    assert wb["四"]["O6"].value == "=SUM(K6:N6)"


def test_a_given_total_that_disagrees_is_written_as_the_number(tmp_path: Path):
    stats = load_data(set_in(base_data(), "applications.new_received.total", 9))
    wb = openpyxl.load_workbook(write(tmp_path, stats))
    assert wb["三"]["J6"].value == 9
    found = check(load_stats(tmp_path / "stats.xlsx"))
    assert [f.code for f in found if f.code == "E-SUM-ROW"] == ["E-SUM-ROW"]


def test_text_in_data_is_never_a_formula(tmp_path: Path):
    data = base_data()
    data["notes"] = {"problems": "=SUM(1,2) 不是公式"}
    data["agency"] = "=某局"
    back = load_stats(write(tmp_path, load_data(data)))
    assert back.note("problems") == "=SUM(1,2) 不是公式"
    assert back.agency == "=某局"


# ---- reading by label ---------------------------------------------------------------------

_REF = re.compile(r"(\$?)([A-Z]{1,3})(\$?)(\d+)")


def _shift(formula: str, *, row_at: int | None = None, col_at: int | None = None) -> str:
    def moved(match: re.Match[str]) -> str:
        col, row = column_index_from_string(match.group(2)), int(match.group(4))
        if row_at is not None and row >= row_at:
            row += 1
        if col_at is not None and col >= col_at:
            col += 1
        return f"{match.group(1)}{get_column_letter(col)}{match.group(3)}{row}"

    return _REF.sub(moved, formula)


def insert(ws: Worksheet, *, row: int | None = None, col: int | None = None) -> None:
    """Insert a blank row or column as Excel does: merges and formulas move or grow with it
    (openpyxl's insert_rows moves cell values only)."""
    ranges = [copy.copy(r) for r in ws.merged_cells.ranges]
    for r in ranges:
        ws.unmerge_cells(r.coord)
    if row is not None:
        ws.insert_rows(row)
    else:
        assert col is not None
        ws.insert_cols(col)
    for cells in ws.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.value = _shift(cell.value, row_at=row, col_at=col)
    for r in ranges:
        top, left, bottom, right = r.min_row, r.min_col, r.max_row, r.max_col
        if row is not None:
            top, bottom = top + (top >= row), bottom + (bottom >= row)
        if col is not None:
            left, right = left + (left >= col), right + (right >= col)
        ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)


@pytest.mark.parametrize("data", [distinct_data(), base_data()], ids=["distinct", "base"])
def test_inserted_blank_row_and_column_in_table_three(tmp_path: Path, data: dict[str, Any]):
    stats = load_data(data)
    path = write(tmp_path, stats)

    def change(wb: openpyxl.Workbook) -> None:
        insert(wb["三"], row=14)  # between 4.保护第三方合法权益 and 5.属于三类内部事务信息
        insert(wb["三"], col=6)  # between 商业企业 and 科研机构, inside the merged headers

    edit(path, change)
    wb = openpyxl.load_workbook(path)
    assert wb["三"]["F4"].value is None and wb["三"]["G5"].value == "科研机构"
    if wb["三"]["K7"].data_type == "f":  # the total's range grew over the new column
        assert wb["三"]["K7"].value == "=SUM(D7:J7)"
    back = load_stats(path)
    assert cell_values(back) == cell_values(stats)
    key = "applications.results.withheld.internal_affairs.research"
    assert back.cell_of(key) == "三!G15"  # one row down, one column right of 三!F14
    assert back.value(key) == stats.value(key)


def test_inserted_rows_in_tables_two_and_four(tmp_path: Path):
    stats = load_data(distinct_data())
    path = write(tmp_path, stats)

    def change(wb: openpyxl.Workbook) -> None:
        insert(wb["四"], row=6)  # a blank row between the headers and the values
        insert(wb["二"], row=3)  # a blank row above the first caption
        wb["二"]["A3"] = None

    edit(path, change)
    back = load_stats(path)
    assert cell_values(back) == cell_values(stats)
    assert back.cell_of("review_litigation.review.upheld") == "四!A7"
    assert back.cell_of("proactive.licensing") == "二!B10"


def test_a_renamed_sheet_is_found_by_its_labels(tmp_path: Path):
    stats = load_data(distinct_data())
    path = edit(write(tmp_path, stats), lambda wb: setattr(wb["三"], "title", "表3"))
    back = load_stats(path)
    assert cell_values(back) == cell_values(stats)
    assert back.cell_of("applications.new_received.total") == "表3!J6"


def test_an_edited_row_label_is_reported_by_sheet(tmp_path: Path):
    stats = load_data(base_data())

    def change(wb: openpyxl.Workbook) -> None:
        wb["三"]["C11"] = "备注"  # 2.其他法律行政法规禁止公开 overwritten

    [line] = problems(edit(write(tmp_path, stats), change))
    assert "stats.xlsx 三" in line and "2.其他法律行政法规禁止公开" in line and "找不到" in line


# ---- formulas -----------------------------------------------------------------------------


def test_a_never_calculated_formula_is_recomputed(tmp_path: Path):
    stats = load_data(base_data())

    def change(wb: openpyxl.Workbook) -> None:
        wb["三"]["D6"] = 7  # 一、本年新收 · 自然人 (the file has no cached results at all)
        wb["三"]["D22"] = 4  # （五）不予处理 · 2.重复申请 · 自然人
        wb["三"]["J22"] = "=D22+E22-(F22-G22)+SUM(H22:I22,3)"  # any +, -, SUM, numbers

    back = load_stats(edit(write(tmp_path, stats), change))
    assert back.applications.new_received.total == 8  # =SUM(D6:I6) with D6 = 7, E6 = 1
    assert back.applications.new_received.total_given
    assert back.applications.results.not_processed.duplicate.total == 7
    assert back.applications.results.total is not None
    assert back.applications.results.total.natural_person == 6  # （七）总计: 2 + 4
    assert back.applications.results.total.total == 7  # =SUM(D29:I29) over formulas


@pytest.mark.parametrize(
    ("cell", "value", "code", "key"),
    [
        ("J6", 5, "E-SUM-ROW", "applications.new_received.total"),  # a number over the formula
        ("J6", "=SUM(D6:H6)", "E-SUM-ROW", "applications.new_received.total"),  # wrong range
        ("D29", 4, "E-SUM-OUTCOME", "applications.results.total.natural_person"),
        ("四!E6", "=A6+B6", "E-SUM-REVIEW", "review_litigation.review.total"),
    ],
)
def test_an_edited_total_is_a_given_total_and_checked(
    tmp_path: Path, cell: str, value: Any, code: str, key: str
):
    data = set_in(base_data(), "applications.new_received.other", 1)
    data = set_in(data, "applications.new_received.total", 4)
    data = set_in(data, "applications.carried_forward.other", 1)
    data = set_in(data, "applications.carried_forward.total", 2)
    stats = load_data(data)
    assert check(stats) == []
    sheet, coordinate = cell.split("!") if "!" in cell else ("三", cell)
    path = edit(write(tmp_path, stats), lambda wb: wb[sheet].__setitem__(coordinate, value))
    result = run("check", path)
    assert result.exit_code == 1
    assert code in result.output
    found = [f for f in check(load_stats(path)) if f.code == code]
    assert found and found[0].location.cell == f"{sheet}!{coordinate}"
    assert found[0].location.path == key


def _with_cached(path: Path, sheet_xml: str, replace: dict[str, str]) -> None:
    """Rewrite one sheet's XML as a spreadsheet program would save it (with results)."""
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == sheet_xml:
                text = content.decode("utf-8")
                for old, new in replace.items():
                    assert old in text, old
                    text = text.replace(old, new)
                content = text.encode("utf-8")
            target.writestr(item, content)
    path.write_bytes(out.getvalue())


def test_cached_results_are_used_and_other_functions_need_them(tmp_path: Path):
    stats = load_data(base_data())
    path = edit(write(tmp_path, stats), lambda wb: wb["三"].__setitem__("J7", "=IF(1,1,0)"))
    [line] = problems(path)
    assert line.startswith(f"{path} 三!J7: 无法计算公式") and "IF" in line
    # Saved by Excel, the same formula carries its result, and the result is read.
    _with_cached(
        path, "xl/worksheets/sheet3.xml", {"<f>IF(1,1,0)</f><v></v>": "<f>IF(1,1,0)</f><v>1</v>"}
    )
    back = load_stats(path)
    assert back.applications.carried_over.total == 1


@pytest.mark.skipif(shutil.which("localc") is None, reason="LibreOffice Calc is not installed")
def test_a_workbook_saved_by_a_spreadsheet_program_reads_the_same(tmp_path: Path):
    """LibreOffice Calc opens the workbook, computes the formulas and saves their results."""
    stats = load_data(base_data())
    path = edit(
        write(tmp_path, stats, "in.xlsx"), lambda wb: wb["三"].__setitem__("J7", "=IF(1,1,0)")
    )
    out = tmp_path / "out"
    subprocess.run(
        [
            "libreoffice",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(path),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    saved = out / "in.xlsx"
    cached = openpyxl.load_workbook(saved, data_only=True)
    assert cached["三"]["J6"].value == 3  # results are in the file now
    back = load_stats(saved)
    assert cell_values(back) == cell_values(stats)
    assert back.applications.carried_over.total == 1  # IF(…) taken from its saved result
    assert check(back) == []


@pytest.mark.parametrize(
    ("formula", "reason"),
    [
        ("=J7", "循环引用"),
        ("=SUM(A1:XFD1048576)", "范围过大"),
        ("=D6*2", "只支持"),
        ("=SUM(D6:I6", "公式不完整"),
        ("=缺表!D6", "不存在的工作表"),
        ("=B9+1", "不是数"),  # （二）部分公开… is a label, not a number
    ],
)
def test_formulas_beyond_the_evaluator_are_refused_by_cell(
    tmp_path: Path, formula: str, reason: str
):
    stats = load_data(base_data())
    path = edit(write(tmp_path, stats), lambda wb: wb["三"].__setitem__("J7", formula))
    lines = problems(path)
    assert len(lines) == 1 and "三!J7" in lines[0] and reason in lines[0], lines


def test_a_formula_may_refer_to_another_sheet(tmp_path: Path):
    stats = load_data(base_data())
    path = edit(write(tmp_path, stats), lambda wb: wb["三"].__setitem__("D7", "='二'!B7+0"))
    back = load_stats(path)
    assert back.applications.carried_over.natural_person == back.proactive.rules.issued == 0


# ---- bad cells ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [("三", '"三"'), ("/", '"/"'), ("--", '"--"'), (-1, "-1"), (1.5, "1.5"), (True, "true")],
)
def test_a_bad_count_is_one_line_naming_sheet_and_cell(tmp_path: Path, value: Any, shown: str):
    stats = load_data(base_data())
    key = "applications.results.withheld.third_party_rights.natural_person"
    sheet, row, col = where(stats, key)
    path = edit(write(tmp_path, stats), lambda wb: wb[sheet].cell(row, col, value))
    result = run("check", path)
    assert result.exit_code == 2
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert lines == [f"错误 E-STATS-VALUE：{path} 三!D13: 需要非负整数, 得到 {shown}"]
    assert "Traceback" not in result.output


def test_digits_typed_as_text_are_numbers(tmp_path: Path):
    stats = load_data(base_data())
    path = edit(write(tmp_path, stats), lambda wb: wb["三"].__setitem__("D7", " 1 "))
    path = edit(path, lambda wb: wb["二"].__setitem__("B16", "12.345678"))
    back = load_stats(path)
    assert back.applications.carried_over.natural_person == 1
    assert back.proactive.admin_fees_10k_yuan == Decimal("12.345678")


def test_money_keeps_its_places_and_yuan_at_most_two(tmp_path: Path):
    stats = load_data(distinct_data())
    path = edit(write(tmp_path, stats), lambda wb: wb["信息处理费"].__setitem__("D4", 12.345))
    [line] = problems(path)
    assert line == f"{path} 信息处理费!D4: 金额（单位：元）最多2位小数, 得到 12.345"
    sums = edit(path, lambda wb: wb["信息处理费"].__setitem__("D4", "=0.1+0.2"))
    assert load_stats(sums).processing_fees.collected_yuan == Decimal("0.3")


def test_amounts_beyond_a_float_stay_exact(tmp_path: Path):
    amount = Decimal("123456789012.123456")  # 18 significant digits: no float holds it
    stats = load_data(set_in(base_data(), "proactive.admin_fees_10k_yuan", amount))
    back = load_stats(write(tmp_path, stats))
    assert str(back.proactive.admin_fees_10k_yuan) == "123456789012.123456"


def test_blank_cell_is_reported_at_its_cell(tmp_path: Path):
    stats = load_data(base_data())
    path = edit(write(tmp_path, stats), lambda wb: wb["三"].__setitem__("D7", None))
    result = run("check", path)
    assert result.exit_code == 1
    assert "E-CELL-BLANK" in result.output and "三!D7" in result.output
    assert "第" not in result.output.split("三!D7")[0].splitlines()[-1]
    as_json = run("check", path, "--json")
    payload = json.loads(as_json.stdout)
    [blank] = [f for f in payload["findings"] if f["code"] == "E-CELL-BLANK"]
    assert blank["location"]["cell"] == "三!D7"
    assert blank["location"]["path"] == "applications.carried_over.natural_person"


def test_location_source_names_the_cell():
    assert Location(file="stats.xlsx", cell="三!D7").source() == "stats.xlsx 三!D7"
    assert Location(file="stats.yaml", line=4).source() == "stats.yaml:4"


def test_problems_outside_the_tables_point_at_cells(tmp_path: Path):
    stats = load_stats(SAMPLE)
    path = write(tmp_path, stats)

    def change(wb: openpyxl.Workbook) -> None:
        wb["基本信息"]["C6"] = "二〇二三"  # 统计年度
        wb["事实"][f"{column(wb['事实'], 'section')}5"] = "主动公开之外"  # the first fact's part
        wb["事实"][f"{column(wb['事实'], 'value')}6"] = "四"

    lines = problems(edit(path, change))
    # All at once: the unknown part (found reading the sheet) and what the model finds.
    assert any(ln.startswith(f"{path} 基本信息!C6: 需要四位数的统计年度") for ln in lines), lines
    assert any(ln.startswith(f"{path} 事实!D5: 不认识的部分“主动公开之外”") for ln in lines), lines
    assert any(ln.startswith(f"{path} 事实!B6: ") for ln in lines), lines
    assert len(lines) == 3, lines


def test_sections_may_be_written_by_their_titles(tmp_path: Path):
    stats = load_stats(SAMPLE)

    def change(wb: openpyxl.Workbook) -> None:
        wb["事实"]["D5"] = "主动公开方面"  # the seven-part layout's title of overall.proactive
        wb["基本信息"]["C8"] = "否"

    back = load_stats(edit(write(tmp_path, stats), change))
    assert back.facts[0].section == "overall.proactive"
    assert back.profile.rulemaking_power is False


def test_findings_on_facts_and_notes_point_at_cells(tmp_path: Path):
    back = load_stats(write(tmp_path, load_stats(SAMPLE)))
    found = check(back)
    fact = next(f for f in found if f.code == "E-FACT-CELL")
    assert fact.location.cell is not None and fact.location.cell.startswith("事实!")
    blank = next(f for f in found if f.code == "E-CELL-BLANK")
    assert blank.location.cell == "四!A6"
    postcode = next(f for f in found if f.code == "W-CONTACT-POSTCODE")
    assert postcode.location.cell is not None and postcode.location.cell.startswith("基本信息!C")


# ---- 事实 and 素材: parts by their Chinese names, ids optional ------------------------------

PARTS = {
    "gov-info-disclosure-2021": [
        "总体情况",
        "（一）主动公开",
        "（二）依申请公开",
        "（三）政府信息管理",
        "（四）政府信息公开平台建设",
        "（五）监督保障",
        "存在的主要问题及改进情况",
        "其他需要报告的事项",
    ],
    "gov-info-disclosure-2021-seven-part": [
        "总体情况",
        "（一）主动公开方面",
        "（二）依申请公开方面",
        "（三）政府信息管理方面",
        "（四）政府信息公开平台建设",
        "（五）监督保障方面",
        "存在的主要问题及改进情况",
        "其他需要报告的事项",
    ],
}
FACT_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")  # the stats schema's


def column(ws: Worksheet, key: str) -> str:
    """The letter of the column whose key (the grey row under the headers) is `key`."""
    for cell in ws[TOP + 2]:
        if cell.value == key:
            return get_column_letter(cell.column)
    raise AssertionError(f"{ws.title} has no column {key}")


def with_fact_and_note(layout: str = LAYOUTS[0]) -> Stats:
    data = set_in(base_data(), "format", layout)
    data["facts"] = [
        {"id": "requests.received", "label": "收到申请", "value": 3, "unit": "件",
         "section": "overall.requests", "cell": "applications.new_received.total"},
    ]  # fmt: skip
    data["notes"] = {"other": "本年度无其他需要报告的事项。"}
    return load_data(data)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_part_column_offers_the_layouts_chinese_names(layout: str):
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(load_layout(layout), year=2024)))
    for title in ("事实", "素材"):
        ws = wb[title]
        col = column(ws, "section")
        [dv] = [
            dv
            for dv in ws.data_validations.dataValidation
            if {f"{col}5", f"{col}204"} <= {c for r in dv.sqref.ranges for c in _cells(r.coord)}
        ]
        assert dv.type == "list" and dv.showErrorMessage, title
        assert dv.formula1 == '"' + ",".join(PARTS[layout]) + '"', title
        assert ws.cell(TOP + 1, column_index_from_string(col)).value in ("所属部分", "部分")
    # The template lists every part in 素材, by its Chinese name, and loads with no notes.
    notes = wb["素材"]
    assert [notes.cell(r, 1).value for r in range(5, 13)] == PARTS[layout]
    assert "编号可以不填" in wb["事实"]["A2"].value


@pytest.mark.parametrize(
    ("written", "section"),
    [
        ("（二）依申请公开", "overall.requests"),
        ("(二)依申请公开", "overall.requests"),
        ("  （二） 依申请公开\u3000", "overall.requests"),
        ("二、依申请公开", "overall.requests"),
        ("依申请公开", "overall.requests"),
        ("（二）依申请公开方面", "overall.requests"),  # the seven-part layout's name
        ("overall.requests", "overall.requests"),  # the code, as workbooks had it
        (" Overall.Requests ", "overall.requests"),
        ("（四）政府信息公开平台建设", "overall.platforms"),
        ("一、总体情况", "overall"),
        ("总体情况", "overall"),
        ("五、存在的主要问题及改进情况", "problems"),
        ("政府信息公开工作存在的主要问题及改进情况", "problems"),  # a layout's alias
        ("其他需要报告的事项", "other"),
    ],
)
def test_a_part_may_be_written_in_any_of_its_forms(tmp_path: Path, written: str, section: str):
    stats = with_fact_and_note()

    def change(wb: openpyxl.Workbook) -> None:
        wb["事实"][f"{column(wb['事实'], 'section')}5"] = written
        wb["素材"]["A5"] = written

    back = load_stats(edit(write(tmp_path, stats), change))
    assert back.facts[0].section == section
    assert back.notes == {section: "本年度无其他需要报告的事项。"}


@pytest.mark.parametrize(("sheet", "key"), [("事实", "section"), ("素材", "section")])
def test_an_unknown_part_is_one_line_naming_sheet_and_cell(tmp_path: Path, sheet: str, key: str):
    stats = with_fact_and_note()
    path = write(tmp_path, stats)
    cell = f"{column(openpyxl.load_workbook(path)[sheet], key)}5"
    edit(path, lambda wb: wb[sheet].__setitem__(cell, "（六）宣传培训"))
    with pytest.raises(InputError) as caught:
        load_stats(path)
    [problem] = caught.value.problems
    assert problem.code == "E-STATS-VALUE"
    assert str(problem) == (
        f"{path} {sheet}!{cell}: 不认识的部分“（六）宣传培训”，请从下拉列表中选择："
        + "、".join(PARTS[stats.format])
    )
    result = run("check", path)
    assert result.exit_code == 2
    assert f"{sheet}!{cell}: 不认识的部分" in result.output and "Traceback" not in result.output


def old_style(path: Path, stats: Stats) -> Path:
    """事实 and 素材 as drafter wrote them before parts had Chinese names: the columns in the
    model's order under its descriptions, every id filled, parts by their codes."""

    def change(wb: openpyxl.Workbook) -> None:
        wb.remove(wb["事实"])
        wb.remove(wb["素材"])
        facts = wb.create_sheet("事实")
        facts.append(["事实：正文中陈述的数"])
        facts.append(["每行一个数。id 用点分的英文名（如 proactive.items），在文件内唯一"])
        described = ["点分编号", "这个数是什么", "数值", "量词或单位", "所在的叙述部分"]
        facts.append([*described, "相加应等于本数的事实编号", "近似说法", "本数重述的表格单元格"])
        facts.append(["id", "label", "value", "unit", "section", "parts", "approx", "cell"])
        for f in stats.facts:
            parts = ", ".join(f.parts) or None
            facts.append([f.id, f.label, f.value, f.unit, f.section, parts, f.approx, f.cell])
        notes = wb.create_sheet("素材")
        notes.append(["素材：各部分要写的内容"])
        notes.append(["一行一段素材，section 填部分编号"])
        notes.append(["部分", "素材"])
        notes.append(["section", "text"])
        for section, value in stats.notes.items():
            for text in value if isinstance(value, list) else [value]:
                notes.append([section, text])

    return edit(path, change)


def test_a_workbook_with_the_old_english_codes_still_loads(tmp_path: Path):
    stats = load_stats(SAMPLE)
    path = old_style(write(tmp_path, stats), stats)
    assert openpyxl.load_workbook(path)["事实"]["E5"].value == "overall.proactive"
    back = load_stats(path)
    assert back.model_dump() == stats.model_dump()


def test_the_row_of_keys_may_be_deleted(tmp_path: Path):
    """A clerk deletes the grey row of English keys: the Chinese headers are enough."""
    stats = load_stats(SAMPLE)
    path = edit(
        write(tmp_path, stats), lambda wb: [wb[t].delete_rows(TOP + 2) for t in ("事实", "素材")]
    )
    assert openpyxl.load_workbook(path)["事实"]["A4"].value == stats.facts[0].label
    assert load_stats(path).model_dump() == stats.model_dump()


def test_facts_without_ids_get_stable_unique_ids(tmp_path: Path):
    data = base_data()
    data["facts"] = [
        {"id": "proactive.items", "label": "公开政府信息", "value": 15, "unit": "条",
         "section": "overall.proactive", "parts": ["p.lead", "p.assist"]},
        {"id": "p.lead", "label": "主（独）办", "value": 4, "unit": "条",
         "section": "overall.proactive"},
        {"id": "p.assist", "label": "协办", "value": 11, "unit": "条",
         "section": "overall.proactive"},
        {"id": "x1", "label": "会办", "value": 3, "unit": "件", "section": "overall.proactive"},
        {"id": "x2", "label": "会办", "value": 2, "unit": "件", "section": "overall.proactive"},
        {"id": "x3", "label": "会办", "value": 2, "unit": "件", "section": "overall.requests"},
    ]  # fmt: skip
    data["notes"] = {"overall.proactive": "公开政府信息{proactive.items}。"}
    stats = load_data(data)
    path = write(tmp_path, stats)

    def clear_ids(wb: openpyxl.Workbook) -> None:
        ws = wb["事实"]
        for row in range(8, 11):  # keep the ids that parts and notes refer to
            ws[f"{column(ws, 'id')}{row}"] = None

    back = load_stats(edit(path, clear_ids))
    ids = [f.id for f in back.facts]
    assert ids[:3] == ["proactive.items", "p.lead", "p.assist"]  # explicit ids are kept
    assert re.fullmatch(r"proactive\.f[0-9a-f]{6}", ids[3]), ids
    assert ids[4] == ids[3] + "_2"  # the same part and label again
    assert ids[5] == "requests." + ids[3].removeprefix("proactive.")  # another part
    assert len(set(ids)) == len(ids) and all(FACT_ID.fullmatch(i) for i in ids)
    expected = [f.model_dump(exclude={"id"}) for f in stats.facts]
    assert [f.model_dump(exclude={"id"}) for f in back.facts] == expected
    assert other_fields(back) | {"facts": None} == other_fields(stats) | {"facts": None}
    assert check(back) == []
    # A finding on such a fact points at its name, the id cell being empty.
    assert back.cell_at(("facts", 3, "id")) == "事实!A8"

    def insert_a_fact_above(wb: openpyxl.Workbook) -> None:
        ws = wb["事实"]
        ws.insert_rows(5)
        for key, value in (("label", "新增"), ("value", 1), ("unit", "条")):
            ws[f"{column(ws, key)}5"] = value
        ws[f"{column(ws, 'section')}5"] = "（一）主动公开"

    again = load_stats(edit(path, insert_a_fact_above))
    assert [f.id for f in again.facts][1:] == ids  # moved rows keep their ids
    assert re.fullmatch(r"proactive\.f[0-9a-f]{6}", again.facts[0].id)


def test_fact_and_note_cells_look_like_the_tables_input_cells(tmp_path: Path):
    stats = load_stats(SAMPLE)
    wb = openpyxl.load_workbook(write(tmp_path, stats))
    table_input, table_header = wb["三"]["D6"], wb["基本信息"]["A3"]
    assert table_input.fill.fgColor.rgb.endswith("FFF8DC")
    for title, columns, filled in (("事实", 8, len(stats.facts)), ("素材", 2, 15)):
        ws = wb[title]
        assert ws.freeze_panes == "B5"
        for col in range(1, columns + 1):
            header = ws.cell(TOP + 1, col)
            assert header.font.b and header.fill.fgColor.rgb == table_header.fill.fgColor.rgb
            assert header.border.bottom.style == "thin"
            for row in (5, 4 + filled, 5 + filled, 204):  # filled rows, and blank rows to fill
                cell = ws.cell(row, col)
                where = f"{title}!{cell.coordinate}"
                assert cell.fill.fill_type == table_input.fill.fill_type == "solid", where
                assert cell.fill.fgColor.rgb == table_input.fill.fgColor.rgb, where
                sides = (cell.border.left, cell.border.right, cell.border.top, cell.border.bottom)
                assert all(side.style == "thin" for side in sides), where
                assert cell.font.name == table_input.font.name, where
                assert not cell.protection.locked, where
        assert ws.cell(205, 1).fill.fill_type is None  # no further than the prepared rows
    assert wb["事实"].column_dimensions["A"].width >= 30  # 名称
    assert wb["素材"].column_dimensions["B"].width >= 80


# ---- init, check, draft -------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_init_xlsx_checks_clean(tmp_path: Path, layout: str):
    out = tmp_path / "stats.xlsx"
    result = run(
        "init",
        "--xlsx",
        "-o",
        out,
        "--agency",
        "某某县人民政府",
        "--year",
        2024,
        "--format",
        layout,
    )
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(out)
    stats = load_stats(out)
    assert (stats.agency, stats.year, stats.format) == ("某某县人民政府", 2024, layout)
    checked = run("check", out)
    assert checked.exit_code == 0, checked.output  # all zeros: a warning only
    assert "W-STATS-EMPTY" in checked.output and "错误 0 项，警告 1 项" in checked.output


def test_init_xlsx_never_overwrites_without_force(tmp_path: Path):
    out = tmp_path / "stats.xlsx"
    out.write_bytes(b"keep")
    result = run("init", "--xlsx", "-o", out)
    assert result.exit_code == 2 and "已存在" in result.output
    assert out.read_bytes() == b"keep"
    assert run("init", "--xlsx", "-o", out, "--force").exit_code == 0
    assert zipfile.is_zipfile(out)
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def test_init_xlsx_refuses_stdout_and_other_suffixes(tmp_path: Path):
    assert run("init", "--xlsx", "-o", "-").exit_code == 2
    result = run("init", "--xlsx", "-o", tmp_path / "stats.yaml")
    assert result.exit_code == 2 and ".xlsx" in result.output
    assert list(tmp_path.iterdir()) == []
    # An .xlsx output is a workbook even without --xlsx.
    assert run("init", "-o", tmp_path / "s.xlsx").exit_code == 0
    assert zipfile.is_zipfile(tmp_path / "s.xlsx")


def test_draft_from_a_workbook(tmp_path: Path):
    from docx import Document

    stats = load_data(base_data())
    path = write(tmp_path, stats)
    out = tmp_path / "r.docx"
    result = run("draft", path, "-o", out, "--offline")
    assert result.exit_code == 0, result.output
    document = Document(str(out))
    assert stats.agency in document.paragraphs[0].text + document.paragraphs[1].text
    texts = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert "行政规范性文件" in texts and "10" in texts


# ---- hostile and wrong files --------------------------------------------------------------


def _one_line_exit_2(path: Path, expected: str) -> None:
    result = run("check", path)
    assert result.exit_code == 2, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and expected in lines[0], lines
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("stats.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "另存为 .xlsx"),
        ("stats.et", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "另存为 .xlsx"),
        ("stats.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "另存为不加密的 .xlsx"),
        ("stats.xlsx", b"this is not a workbook", "不是有效的 .xlsx 文件"),
        ("stats.xlsx", b"", "不是有效的 .xlsx 文件"),
    ],
)
def test_wrong_files_are_one_line(tmp_path: Path, name: str, content: bytes, expected: str):
    path = tmp_path / name
    path.write_bytes(content)
    _one_line_exit_2(path, expected)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def test_a_zip_that_is_no_workbook(tmp_path: Path):
    _one_line_exit_2(
        _zip(tmp_path / "stats.xlsx", {"word/document.xml": b"<w/>"}), "不是 Excel 工作簿"
    )


def test_a_zip_bomb_is_refused_before_parsing(tmp_path: Path):
    valid = zipfile.ZipFile(io.BytesIO(workbook_bytes(load_layout())))
    members = {n: valid.read(n) for n in valid.namelist()}
    members["xl/media/padding.bin"] = bytes(5 * 1024 * 1024)  # compresses a thousandfold
    path = _zip(tmp_path / "stats.xlsx", members)
    assert path.stat().st_size < 100 * 1024
    _one_line_exit_2(path, "解压后过大")


def test_too_many_members_are_refused(tmp_path: Path):
    members = {f"xl/m{i}.bin": b"" for i in range(1500)}
    members["xl/workbook.xml"] = b"<workbook/>"
    _one_line_exit_2(_zip(tmp_path / "stats.xlsx", members), "部件过多")


def _with_entity(tmp_path: Path) -> Path:
    """A real workbook whose sheet XML declares an entity and uses it (billion laughs)."""
    path = write(tmp_path, load_data(base_data()))
    doctype = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE worksheet ['
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    )
    source = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet3.xml":
                text = content.decode("utf-8")
                text = re.sub(r"^<\?xml[^>]*\?>", "", text)
                text = text.replace("<v>1</v>", "<v>&b;</v>", 1)
                content = (doctype + text).encode("utf-8")
            target.writestr(item, content)
    path.write_bytes(out.getvalue())
    return path


def test_xml_entities_are_refused(tmp_path: Path):
    _one_line_exit_2(_with_entity(tmp_path), "XML 实体")


def test_defusedxml_refuses_entities_that_pass_the_scan(tmp_path: Path, monkeypatch):
    """Without drafter's own scan, openpyxl (through defusedxml) still refuses the entity."""
    import drafter.statistics.workbook as workbook

    path = _with_entity(tmp_path)
    monkeypatch.setattr(workbook, "check_workbook_zip", lambda data, name: None)
    [line] = problems(path)
    assert "XML 实体" in line


def test_a_missing_workbook(tmp_path: Path):
    _one_line_exit_2(tmp_path / "none.xlsx", "文件不存在")
