"""`drafter serve` in a real browser (issue 13): headless Chromium (Debian's `chromium`) driven by
Playwright against the server started as `drafter serve`. The 统计 page: create a report, upload
a workbook with a planted error, see it at its cell, fix it on the page, watch a row total follow
the typing, download the YAML and load it. See browser_support.py for the fixtures (skipped when
no browser can start, failed instead under CI=true)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import browser_support
import openpyxl
from conftest import SAMPLE

from drafter.formats import load_layout
from drafter.statistics.load import load_stats
from drafter.statistics.workbook import workbook_bytes

expect = browser_support.require_playwright()
server = browser_support.server  # the fixtures: `drafter serve`, headless Chromium, a page
browser = browser_support.browser
page = browser_support.page

PLANTED = "applications.new_received.total"  # 1 in the sample; the workbook will say 7
ROW_CELL = "applications.new_received.natural_person"


def planted_workbook() -> bytes:
    """The sample as the repo's own workbook, with 表三's 新收申请 row total overwritten by 7
    (its cells sum to 1): E-SUM-ROW at that total. The total cell is found as the formula in the
    row of the natural-person cell, which is located by writing a sentinel value there."""
    stats = load_stats(SAMPLE)
    layout = load_layout(stats.format)
    content = workbook_bytes(layout, stats)
    probe = stats.model_copy(deep=True)
    probe.applications.new_received.natural_person = 987654
    marked = openpyxl.load_workbook(io.BytesIO(workbook_bytes(layout, probe)))
    book = openpyxl.load_workbook(io.BytesIO(content))
    [(sheet, row)] = [
        (ws.title, cell.row)
        for ws in marked.worksheets
        for line in ws.iter_rows()
        for cell in line
        if cell.value == 987654
    ]
    ws = book[sheet]
    [total] = [c for c in ws[row] if isinstance(c.value, str) and c.value.startswith("=")]
    total.value = 7
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def cell(page: Any, key: str) -> Any:
    return page.locator(f'#stats-form td.value[data-key="{key}"]')


def cell_input(page: Any, key: str) -> Any:
    return page.locator(f'#stats-form input[data-key="{key}"]')


def errors_pill(page: Any) -> Any:
    return page.locator("#findings .counts .pill.error")


def new_report(page: Any, agency: str, year: str = "2023") -> None:
    page.goto("/")
    page.get_by_label("发布机关全称").fill(agency)
    page.get_by_label("统计年度").fill(year)
    page.get_by_role("button", name="新建").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+/stats$"))
    expect(page.locator("h1")).to_contain_text(agency)
    expect(errors_pill(page)).to_have_text("错误 0")


def download_yaml(page: Any, tmp_path: Path, name: str) -> Any:
    with page.expect_download() as info:
        page.get_by_role("link", name="下载 YAML").click()
    path = tmp_path / name
    info.value.save_as(path)
    return load_stats(path)


def test_a_planted_error_is_marked_at_its_cell_and_fixed_on_the_page(page: Any, tmp_path: Path):
    new_report(page, "泉州市科学技术局")
    workbook = tmp_path / "统计.xlsx"
    workbook.write_bytes(planted_workbook())
    # the file input reads in Chinese whatever the browser's language
    picker = page.locator(".file-pick", has=page.get_by_label("统计文件"))
    expect(picker.locator(".button")).to_have_text("选择文件")
    expect(picker.locator(".file-pick-name")).to_have_text("未选择文件")
    page.get_by_label("统计文件").set_input_files(workbook)
    expect(picker.locator(".file-pick-name")).to_have_text("统计.xlsx")
    page.get_by_role("button", name="上传 Excel / YAML").click()
    expect(page.locator("#findings .version")).to_contain_text("版本 2")

    # the planted error: marked at its cell (class and tooltip) and listed with its code
    expect(cell(page, PLANTED)).to_have_class(re.compile(r"\bmark-error\b"))
    expect(cell(page, PLANTED)).to_have_attribute("title", re.compile("E-SUM-ROW"))
    finding = page.locator(f'#findings li.finding[data-key="{PLANTED}"][data-code="E-SUM-ROW"]')
    expect(finding).to_have_count(1)
    expect(finding.locator("code")).to_have_text("E-SUM-ROW")
    # the sample's 6 errors, and the planted total breaks 3 checks: E-SUM-ROW at the row,
    # E-SUM-TOTAL-COLUMN (表三's 总计 column) and E-FACT-CELL (a fact cites that cell)
    expect(errors_pill(page)).to_have_text("错误 9")
    expect(cell(page, ROW_CELL)).not_to_have_class(re.compile("mark-"))

    # clicking the finding takes you to the cell
    finding.click()
    expect(cell_input(page, PLANTED)).to_be_focused()

    # fix it on the page: type the right total and leave the cell
    cell_input(page, PLANTED).fill("1")
    cell_input(page, PLANTED).press("Tab")
    expect(page.locator("#findings .version")).to_contain_text("版本 3")
    expect(cell(page, PLANTED)).not_to_have_class(re.compile("mark-"))
    expect(page.locator('#findings li.finding[data-code="E-SUM-ROW"]')).to_have_count(0)
    expect(errors_pill(page)).to_have_text("错误 6")  # the sample's own, as uploaded

    # the saved statistics, downloaded through the link, carry the fix
    stats = download_yaml(page, tmp_path, "fixed.yaml")
    assert stats.applications.new_received.total == 1
    assert stats.applications.new_received.natural_person == 1
    assert stats.agency == load_stats(SAMPLE).agency

    shot = tmp_path / "stats.png"
    page.screenshot(path=str(shot), full_page=False)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_a_row_total_follows_the_typing_before_the_save(page: Any, tmp_path: Path):
    new_report(page, "某市某局")
    total = cell_input(page, PLANTED)
    expect(total).to_have_value("0")

    # keystrokes, not fill(): the total is recomputed on every input event, before any save
    cell_input(page, ROW_CELL).click()
    cell_input(page, ROW_CELL).press("Control+A")
    cell_input(page, ROW_CELL).press_sequentially("12")
    expect(total).to_have_value("12")
    expect(page.locator("#findings .version")).to_contain_text("版本 1")  # nothing saved yet
    commercial = cell_input(page, "applications.new_received.commercial")
    commercial.click()  # leaving the first cell saves it (with the total)
    expect(page.locator("#findings .version")).to_contain_text("版本 2")
    commercial.press("Control+A")
    commercial.press_sequentially("3")
    expect(total).to_have_value("15")
    commercial.press("Tab")
    expect(page.locator("#findings .version")).to_contain_text("版本 3")
    # the row adds up (received but not yet answered is another check's business)
    expect(cell(page, PLANTED)).not_to_have_class(re.compile("mark-"))
    expect(page.locator('#findings li.finding[data-code="E-SUM-ROW"]')).to_have_count(0)

    stats = download_yaml(page, tmp_path, "typed.yaml")
    received = stats.applications.new_received
    assert (received.natural_person, received.commercial, received.total) == (12, 3, 15)
