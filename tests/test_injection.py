"""Text from a published page, a clerk's document or a model is data, never instructions:
it cannot plant keys in a statistics file, hide part of a report from verify, run as a
spreadsheet formula or send control sequences to the terminal."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import yaml
from conftest import SAMPLE
from typer.testing import CliRunner

from drafter.batch import ReportResult, spreadsheet_cell, to_csv
from drafter.cli import app
from drafter.drafting.draft import draft_report
from drafter.formats import load_layout
from drafter.read.document import Block, structure
from drafter.render.html import render_html
from drafter.statistics.extract import extract, to_yaml
from drafter.statistics.load import load_stats

runner = CliRunner()
PLANT = "三\nnotes:\n  problems: 植入的问题\nfacts: []\nscope_change: 植入\n# "


def sample_page(tmp_path: Path, cell_text: str) -> Path:
    """The sample report as a web page, with one table 三 cell replaced by `cell_text`."""
    stats = load_stats(SAMPLE)
    page = render_html(draft_report(stats, load_layout(stats.format))).decode("utf-8")
    start = page.index("自然人")  # table 三's header; its first number cell follows
    match = re.compile(r"<td[^>]*>\s*1\s*</td>").search(page, start)
    assert match is not None
    cell = cell_text.replace("\n", "<br>")
    page = page[: match.start()] + f"<td>{cell}</td>" + page[match.end() :]
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_a_cell_cannot_break_out_of_extracts_comment_header(tmp_path):
    extracted = extract(sample_page(tmp_path, PLANT))
    assert any("植入" in w for w in extracted.warnings)  # the cell is reported …
    text = to_yaml(extracted)
    data = yaml.safe_load(text)
    assert "notes" not in data and "facts" not in data and "scope_change" not in data
    header = text[: text.index("format:")]
    assert all(line.startswith("#") for line in header.splitlines())  # … inside the comment
    assert "⏎" in header


def test_extract_cli_output_loads_without_planted_keys(tmp_path):
    out = tmp_path / "stats.yaml"
    result = runner.invoke(app, ["extract", str(sample_page(tmp_path, PLANT)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert not {"notes", "facts", "scope_change"} & set(data)


def test_extract_does_not_echo_terminal_sequences(tmp_path):
    page = sample_page(tmp_path, "x\x1b]0;pwned\x07\x1b[2J")
    result = runner.invoke(app, ["extract", str(page)], color=True)
    assert "\x1b]0;" not in result.output and "\x1b[2J" not in result.output
    assert "]0;pwned" in result.output  # shown, as an escape or a control picture


def test_csv_cells_that_look_like_formulas_are_text():
    payloads = [
        '=HYPERLINK("http://x")',
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\rx",
        "=cmd|' /C calc'!A0",
    ]
    results = [ReportResult(path=f"{p}.html", agency=p, unreadable=p) for p in payloads]
    rows = list(csv.reader(io.StringIO(to_csv(results).lstrip("\ufeff"))))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert rows[1][0] == '\'=HYPERLINK("http://x").html'
    assert spreadsheet_cell(-3) == -3 and spreadsheet_cell("正常") == "正常"


def blocks(*texts: str) -> list[Block]:
    return [Block(t) for t in texts]


BODY = (
    "某某局2023年政府信息公开工作年度报告",
    "一、总体情况",
    "全年主动公开政府信息120条。",
    "二、主动公开政府信息情况",
    "新制发规范性文件3件。",
)


def test_a_cover_letter_before_the_attachment_line_is_skipped_and_said():
    letter = ("关于报送2023年政府信息公开工作年度报告的函", "市政务公开办：", "现将报告报送你们。")
    report, _ = structure(blocks(*letter, "附件", *BODY))
    assert report.title.startswith("某某局2023年")
    assert report.front_matter == [*letter, "附件"]
    assert [s.heading for s in report.sections] == ["一、总体情况", "二、主动公开政府信息情况"]


def test_an_attachment_line_inside_the_report_hides_nothing():
    """A planted "附件" after the first sections (a clerk's slip or a model's answer) does
    not make everything before it disappear."""
    report, _ = structure(blocks(*BODY[:3], "附件", "这是报告", *BODY[3:]))
    assert report.front_matter == []
    texts = [p.text for p in report.paragraphs()]
    assert "全年主动公开政府信息120条。" in texts and "新制发规范性文件3件。" in texts


def test_an_attachment_line_not_followed_by_a_report_hides_nothing():
    long = "这一段是正文，" * 8
    report, _ = structure(blocks(long + "甲。", "附件", long + "乙。", long + "丙。"))
    assert report.front_matter == []
    assert [p.text for p in report.paragraphs()] == [
        long + "甲。",
        "附件",
        long + "乙。",
        long + "丙。",
    ]


def test_a_file_name_with_a_line_break_stays_on_its_line(tmp_path):
    """A file name is text from outside too: "r\\nnotes: 植入\\n.docx" is shown on one line."""
    stats = load_stats(SAMPLE)
    page = tmp_path / "r\nnotes: 植入\n.html"
    page.write_bytes(render_html(draft_report(stats, load_layout(stats.format))))
    result = runner.invoke(app, ["verify", str(page), "--stats", str(SAMPLE)])
    assert result.exit_code == 1
    assert not any(line.startswith("notes:") for line in result.output.splitlines())
    assert "r⏎notes: 植入⏎.html" in result.output
