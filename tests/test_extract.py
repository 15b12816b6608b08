"""`drafter extract`: statistics read back from published reports, in the shapes they come in."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SAMPLE, base_data, distinct_data, dump_yaml, load_data, set_in
from docx import Document
from typer.testing import CliRunner

from drafter.cli import app
from drafter.drafting.draft import draft_report
from drafter.errors import InputError
from drafter.formats import load_layout
from drafter.render.docx import render_docx
from drafter.render.html import render_html
from drafter.render.markdown import render_markdown
from drafter.statistics.extract import extract, extracted_stats
from drafter.statistics.load import load_stats

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "fixtures" / "real" / "quanzhou-kj-2023.txt"  # the published text
REAL = ROOT / "tests" / "fixtures" / "real"
runner = CliRunner()


def table_keys(layout_id: str) -> list[str]:
    layout = load_layout(layout_id)
    return [key for table in layout.tables.values() for key in table.cells]


def same_figures(a, b) -> list[tuple[str, object, object]]:
    """Every cell of every table (derived totals included) that differs."""
    return [
        (key, a.value(key), b.value(key))
        for key in table_keys(a.format)
        if a.value(key) != b.value(key)
    ]


def write_report(tmp_path: Path, stats, suffix: str) -> Path:
    layout = load_layout(stats.format)
    report = draft_report(stats, layout)
    path = tmp_path / f"report{suffix}"
    render = {".docx": render_docx, ".html": render_html, ".md": render_markdown}[suffix]
    data = render(report)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


def with_blanks():
    data = base_data()
    data["review_litigation"]["litigation_direct"] = {
        "upheld": None,
        "corrected": 0,
        "other": 0,
        "pending": 0,
        "total": None,
    }
    return set_in(data, "applications.results.not_processed.duplicate", {"natural_person": None})


@pytest.mark.parametrize("suffix", [".docx", ".html", ".md"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: load_data(base_data()),
        lambda: load_data(distinct_data()),  # every cell differs: a misplaced value shows
        lambda: load_data(with_blanks()),  # blank stays blank
        lambda: load_stats(SAMPLE),  # the seven-part layout, 信息处理费 as a table
        lambda: load_data(
            set_in(
                base_data(),
                "processing_fees",
                {"notices": 2, "notified_yuan": Decimal("300"), "collected_yuan": Decimal("200.5")},
            )
        ),  # six-part: the figures come back from the sentence
    ],
    ids=["base", "distinct", "blanks", "sample", "fees-sentence"],
)
def test_this_tools_reports_extract_to_the_same_statistics(tmp_path, suffix, make):
    stats = make()
    extracted = extract(write_report(tmp_path, stats, suffix))
    again = extracted_stats(extracted)
    assert (again.agency, again.year, again.format) == (stats.agency, stats.year, stats.format)
    assert same_figures(again, stats) == []


def test_an_edited_docx_still_extracts(tmp_path):
    from docx_edits import set_table_cell

    stats = load_data(base_data())
    path = write_report(tmp_path, stats, ".docx")
    data = path.read_bytes()
    # the editor retyped a cell of table 三 (一、本年新收 · 自然人: 2 → 5)
    table_three = 1
    data = set_table_cell(data, table_three, 3, 3, "5")
    path.write_bytes(data)
    again = extracted_stats(extract(path))
    assert again.value("applications.new_received.natural_person") == 5
    assert again.value("applications.new_received.commercial") == 1


def hand_made_docx(path: Path, *, header_variant: bool = True) -> None:
    """An official-layout report made by someone else: its own styles, no merged cells in
    table 三 (labels repeated), an empty spacer row, a label printed the 2019 way."""
    document = Document()
    document.add_paragraph("某某县教育局2022年度政府信息公开工作年度报告")
    document.add_paragraph("根据《中华人民共和国政府信息公开条例》……")
    document.add_paragraph("一、总体情况")
    document.add_paragraph("本年度共收到政府信息公开申请5件。")
    document.add_paragraph("二、主动公开政府信息情况")
    t2 = document.add_table(rows=0, cols=4)
    t2.style = "Table Grid"
    rows2 = [
        ["第二十条第（一）项", "第二十条第（一）项", "第二十条第（一）项", "第二十条第（一）项"],
        [
            "信息内容",
            "本年制发件数",
            "本年度止件数" if header_variant else "本年废止件数",
            "现行有效件数",
        ],
        ["规章", "0", "0", "0"],
        ["规范性文件", "3", "1", "12"],
        ["第二十条第（五）项"] * 4,
        ["信息内容", "本年处理决定数量", "本年处理决定数量", "本年处理决定数量"],
        ["行政许可", "27", "27", "27"],
        ["第二十条第（六）项"] * 4,
        ["信息内容", "本年处理决定数量", "本年处理决定数量", "本年处理决定数量"],
        ["行政处罚", "4", "4", "4"],
        ["行政强制", "0", "0", "0"],
        ["第二十条第（八）项"] * 4,
        [
            "信息内容",
            "本年收费金额（单位：万元）",
            "本年收费金额（单位：万元）",
            "本年收费金额（单位：万元）",
        ],
        ["行政事业性收费", "12.35", "12.35", "12.35"],
    ]
    for values in rows2:
        cells = t2.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    corner = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    head = [
        [corner] * 3 + ["申请人情况"] * 7,
        [corner] * 3 + ["自然人"] + ["法人或其他组织"] * 5 + ["总计"],
        [corner] * 3
        + ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"],
    ]
    layout = load_layout("gov-info-disclosure-2021")
    spec = layout.table("applications")
    body = []
    figures = {
        "L01": [4, 1, 0, 0, 0, 0, 5],
        "L02": [1, 0, 0, 0, 0, 0, 1],
        "L03": [2, 1, 0, 0, 0, 0, 3],
        "L13": [1, 0, 0, 0, 0, 0, 1],
        "L24": [3, 1, 0, 0, 0, 0, 4],
        "L25": [2, 0, 0, 0, 0, 0, 2],
    }
    for row, row_id in zip(
        spec.rows[spec.header_rows :], spec.row_ids[spec.header_rows :], strict=True
    ):
        info = spec.cells[f"{row[-1].key.rsplit('.', 1)[0]}.total"]
        labels = info.row_label.split(" · ")
        labels = (labels + [labels[-1]] * 3)[:3] if len(labels) < 3 else labels
        numbers = [str(n) for n in figures.get(row_id, [0] * 7)]
        body.append(labels + numbers)
        if row_id == "L02":
            body.append([""] * 10)  # a spacer row the author left in
    t3 = document.add_table(rows=0, cols=10)
    for values in head + body:
        cells = t3.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    document.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    t4 = document.add_table(rows=0, cols=15)
    four = [
        ["行政复议"] * 5 + ["行政诉讼"] * 10,
        ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
        + ["未经复议直接起诉"] * 5
        + ["复议后起诉"] * 5,
        ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
        + ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2,
        ["1", "0", "0", "0", "1", "0", "0", "0", "1", "1", "", "", "", "", ""],
    ]
    for values in four:
        cells = t4.add_row().cells
        for cell, text in zip(cells, values, strict=True):
            cell.text = text
    document.add_paragraph("五、存在的主要问题及改进情况")
    document.add_paragraph("六、其他需要报告的事项")
    document.add_paragraph("本年度共向1件申请发出收费通知，通知收取金额100元，实际收取100元。")
    document.save(str(path))


def test_a_hand_made_docx_in_the_official_layout_extracts(tmp_path):
    path = tmp_path / "hand.docx"
    hand_made_docx(path)
    extracted = extract(path)
    stats = extracted_stats(extracted)
    assert (stats.agency, stats.year) == ("某某县教育局", 2022)
    assert stats.value("proactive.normative_documents.in_force") == 12
    assert stats.value("proactive.normative_documents.issued") == 3
    assert stats.value("proactive.licensing") == 27
    assert stats.value("proactive.admin_fees_10k_yuan") == Decimal("12.35")
    assert stats.value("applications.new_received.total") == 5
    assert stats.value("applications.carried_over.natural_person") == 1
    assert stats.value("applications.results.unavailable.not_held.natural_person") == 1
    assert stats.value("applications.carried_forward.total") == 2
    assert stats.value("review_litigation.review.upheld") == 1
    assert stats.value("review_litigation.litigation_direct.total") == 1
    assert stats.value("review_litigation.litigation_after_review.upheld") is None  # blank
    assert stats.value("processing_fees.notices") == 1
    assert stats.value("processing_fees.collected_yuan") == Decimal(100)
    assert any("本年度止件数" in w for w in extracted.warnings)
    assert any("规范性文件" in w for w in extracted.warnings)


def html_page(body: str, title: str = "某某区统计局2023年政府信息公开工作年度报告") -> str:
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<h1>{title}</h1>{body}</body></html>"
    )


def text_table_paragraphs(stats, *, per_cell: bool) -> str:
    """The tables as many sites print them: one paragraph per row (cells separated by spaces)
    or one paragraph per cell."""
    layout = load_layout(stats.format)
    out = []
    for section in layout.sections:
        out.append(f"<p>{section.heading}</p>")
        if not section.table:
            out.append("<p>本年度未收取信息处理费。</p>" if section.id == "other" else "")
            continue
        spec = layout.table(section.table)
        grid: dict[int, list[str]] = {}
        for placed in spec.placed:
            text = placed.cell.text or ""
            if placed.cell.key:
                value = stats.value(placed.cell.key)
                text = "" if value is None else str(value)
            grid.setdefault(placed.row, []).append(text)
        for row in grid.values():
            cells = [c for c in row if c != ""] if not per_cell else row
            if per_cell:
                out += [f"<p>{c}</p>" for c in cells if c]
            else:
                out.append("<p>" + "&nbsp; ".join(cells) + "</p>")
    return "".join(out)


@pytest.mark.parametrize("per_cell", [False, True], ids=["row-per-paragraph", "cell-per-paragraph"])
def test_tables_printed_as_text_on_a_web_page(tmp_path, per_cell):
    stats = load_data(distinct_data())
    path = tmp_path / "page.html"
    path.write_text(html_page(text_table_paragraphs(stats, per_cell=per_cell)), encoding="utf-8")
    extracted = extract(path)
    again = extracted_stats(extracted)
    assert (again.agency, again.year) == ("某某区统计局", 2023)
    wrong = [(k, a, b) for k, a, b in same_figures(again, stats) if not k.startswith("processing")]
    assert wrong == []
    assert any("以文字排出" in w for w in extracted.warnings)
    assert again.value("processing_fees.notices") == 0  # "本年度未收取信息处理费"


def test_the_published_seed_text_extracts_as_transcribed():
    if not SEED.exists():
        pytest.skip("the shared seed is not present")
    extracted = extract(SEED)
    again = extracted_stats(extracted)
    transcribed = load_stats(REAL / "quanzhou-kj-2023.yaml")
    assert again.format == "gov-info-disclosure-2021-seven-part"
    assert same_figures(again, transcribed) == []
    assert again.value("review_litigation.review.upheld") is None  # printed blank
    assert again.value("proactive.rules.issued") is None  # no 规章 row printed


TABLE_2019 = """
<table>
<tr><td colspan="4">第二十条第（一）项</td></tr>
<tr><td>信息内容</td><td>本年新制作数量</td><td>本年新公开数量</td><td>对外公开总数量</td></tr>
<tr><td>规章</td><td>0</td><td>0</td><td>0</td></tr>
<tr><td>规范性文件</td><td>6</td><td>6</td><td>31</td></tr>
<tr><td colspan="4">第二十条第（五）项</td></tr>
<tr><td>信息内容</td><td>上一年项目数量</td><td>本年增/减</td><td>处理决定数量</td></tr>
<tr><td>行政许可</td><td>12</td><td>+1</td><td>230</td></tr>
<tr><td>其他对外管理服务事项</td><td>3</td><td>0</td><td>15</td></tr>
<tr><td colspan="4">第二十条第（六）项</td></tr>
<tr><td>信息内容</td><td>上一年项目数量</td><td>本年增/减</td><td>处理决定数量</td></tr>
<tr><td>行政处罚</td><td>20</td><td>-2</td><td>41</td></tr>
<tr><td>行政强制</td><td>2</td><td>0</td><td>3</td></tr>
<tr><td colspan="4">第二十条第（八）项</td></tr>
<tr><td>信息内容</td><td>上一年项目数量</td><td colspan="2">本年增/减</td></tr>
<tr><td>行政事业性收费</td><td>4</td><td colspan="2">0</td></tr>
<tr><td colspan="4">第二十条第（九）项</td></tr>
<tr><td>信息内容</td><td>采购项目数量</td><td colspan="2">采购总金额</td></tr>
<tr><td>政府集中采购</td><td>9</td><td colspan="2">356.2</td></tr>
</table>
"""


def table_three_2019(stats) -> str:
    """Table 三 of the 2019 format: （六）其他处理 is a single row."""
    from drafter.formats import reference_tables

    spec = reference_tables("tables-2019")["applications"]
    rows: dict[int, list[str]] = {}
    for placed in spec.placed:
        cell = placed.cell
        text = cell.text or ""
        if cell.key:
            value = stats.value(cell.key)
            text = "" if value is None else str(value)
        span = f' rowspan="{cell.rowspan}" colspan="{cell.colspan}"'
        rows.setdefault(placed.row, []).append(f"<td{span}>{text}</td>")
    return "<table>" + "".join(f"<tr>{''.join(r)}</tr>" for r in rows.values()) + "</table>"


def test_a_2019_format_report_is_recognised_and_mapped(tmp_path):
    data = set_in(base_data(), "applications.results.other.other", {"commercial": 1})
    data = set_in(data, "applications.results.disclosed", {"natural_person": 1})
    stats = load_data(data)
    body = (
        "<p>一、总体情况</p><p>……</p><p>二、主动公开政府信息情况</p>"
        + TABLE_2019
        + "<p>三、收到和处理政府信息公开申请情况</p>"
        + table_three_2019(stats)
        + "<p>四、政府信息公开行政复议、行政诉讼情况</p>"
        + "<table><tr><td colspan='5'>行政复议</td><td colspan='10'>行政诉讼</td></tr>"
        + "<tr>"
        + "".join(
            f"<td rowspan='2'>{h}</td>"
            for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")
        )
        + "<td colspan='5'>未经复议直接起诉</td><td colspan='5'>复议后起诉</td></tr><tr>"
        + "".join(
            f"<td>{h}</td>" for h in ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计") * 2
        )
        + "</tr><tr>"
        + "<td>0</td>" * 15
        + "</tr></table>"
        + "<p>六、其他需要报告的事项</p><p>本年度未收取信息处理费。</p>"
    )
    path = tmp_path / "2020.html"
    path.write_text(
        html_page(body, "某某市交通运输局2020年政府信息公开工作年度报告"), encoding="utf-8"
    )
    extracted = extract(path)
    again = extracted_stats(extracted)
    assert extracted.format_2019 and again.year == 2020
    assert again.value("proactive.normative_documents.issued") == 6  # 本年新制作数量
    assert again.value("proactive.normative_documents.in_force") == 31  # 对外公开总数量
    assert again.value("proactive.normative_documents.repealed") is None  # no counterpart
    assert again.value("proactive.licensing") == 230 and again.value("proactive.penalty") == 41
    assert again.value("proactive.admin_fees_10k_yuan") is None
    assert again.value("applications.results.other.other.commercial") == 1  # the one （六） row
    assert again.value("applications.results.other.no_correction.commercial") is None
    assert again.value("applications.carried_forward.natural_person") == 1
    notes = " ".join(extracted.warnings)
    assert "2019年试行格式" in notes and "（六）其他处理" in notes


def test_a_report_without_tables_or_title_is_a_clear_error(tmp_path):
    path = tmp_path / "news.html"
    path.write_text(html_page("<p>今天天气很好。</p>", "新闻"), encoding="utf-8")
    with pytest.raises(InputError, match="标题"):
        extract(path)
    with pytest.raises(InputError, match="找不到政府信息公开年报的统计表"):
        extract(path, agency="某局", year=2023)


def test_cli_extract_writes_a_statistics_file_that_loads(tmp_path):
    stats = load_stats(SAMPLE)
    report = write_report(tmp_path, stats, ".docx")
    out = tmp_path / "last.yaml"
    result = runner.invoke(app, ["extract", str(report), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert same_figures(load_stats(out), stats) == []
    again = runner.invoke(app, ["extract", str(report), "-o", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    as_json = runner.invoke(app, ["extract", str(report), "--json"])
    assert as_json.exit_code == 0 and '"agency": "泉州市科学技术局"' in as_json.stdout


def test_check_takes_last_years_report_and_finds_the_carry_over(tmp_path):
    last = load_data(set_in(base_data(), "year", 2022))  # carried forward: 1 (自然人)
    report = write_report(tmp_path, last, ".docx")
    this_year = set_in(base_data(), "applications.carried_over", {"natural_person": 2})
    this_year = set_in(
        this_year, "applications.new_received", {"natural_person": 1, "commercial": 1}
    )
    path = tmp_path / "stats.yaml"
    path.write_text(dump_yaml(this_year), encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), "--previous", str(report), "--json"])
    assert "E-CARRY-OVER" in result.stdout, result.output
    assert result.exit_code == 1
    html = write_report(tmp_path, last, ".html")
    verified = runner.invoke(
        app, ["verify", str(report), "--stats", str(path), "--previous", str(html)]
    )
    assert verified.exit_code in (0, 1) and "Traceback" not in verified.output


def test_a_workbook_checked_against_last_years_published_report(tmp_path):
    """What a clerk does in January: this year's figures in Excel, last year's report as
    published (.docx), and the carry-over that does not match."""
    from drafter.statistics.workbook import workbook_bytes

    last = load_data(set_in(base_data(), "year", 2022))  # 结转下年度: 1 (自然人)
    report = write_report(tmp_path, last, ".docx")
    this_year = set_in(base_data(), "applications.carried_over", {"natural_person": 2})
    this_year = set_in(
        this_year, "applications.new_received", {"natural_person": 1, "commercial": 1}
    )
    stats = load_data(this_year)
    workbook = tmp_path / "stats.xlsx"
    workbook.write_bytes(workbook_bytes(load_layout(stats.format), stats))
    result = runner.invoke(app, ["check", str(workbook), "--previous", str(report)])
    assert result.exit_code == 1, result.output
    assert "E-CARRY-OVER" in result.output and "上年数据由" in result.output


def test_extract_writes_amounts_as_plain_numbers(tmp_path):
    """0 and 12.5 as a clerk writes them, never `!!float '0'`; they load as the same amounts."""
    from decimal import Decimal

    from drafter.statistics.extract import to_yaml

    extracted = extract(write_report(tmp_path, load_stats(SAMPLE), ".docx"))
    extracted.data["processing_fees"]["notified_yuan"] = Decimal("12.50")
    text = to_yaml(extracted)
    assert "!!" not in text
    assert "notified_yuan: 12.50" in text and "collected_yuan: 0\n" in text
    out = tmp_path / "again.yaml"
    out.write_text(text, encoding="utf-8")
    assert load_stats(out).processing_fees.notified_yuan == Decimal("12.5")


def test_extract_to_the_screen_with_dash_as_init_does(tmp_path):
    report = write_report(tmp_path, load_stats(SAMPLE), ".docx")
    result = runner.invoke(app, ["extract", str(report), "-o", "-"])
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.startswith("# 由 drafter extract")
        and "agency: 泉州市科学技术局" in result.stdout
    )
    assert not (tmp_path / "-").exists() and not Path("-").exists()
