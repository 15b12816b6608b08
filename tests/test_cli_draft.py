"""`drafter draft`: checks first, writes all outputs or none, never overwrites by accident."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLE, base_data, dump_yaml
from docx import Document
from typer.testing import CliRunner

from drafter.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def stats_file(tmp_path: Path, data=None) -> Path:
    path = tmp_path / "stats.yaml"
    path.write_text(dump_yaml(data or base_data()), encoding="utf-8")
    return path


def test_clean_statistics_give_all_three_files(tmp_path: Path):
    stats = stats_file(tmp_path)
    out = tmp_path / "report.docx"
    result = run(
        "draft", stats, "-o", out, "--md", tmp_path / "r.md", "--html", tmp_path / "r.html"
    )
    assert result.exit_code == 0, result.output
    assert Document(str(out)).paragraphs[0].text.startswith("某某市某某区科学技术局2023年")
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# 某某市某某区科学技术局")
    assert '<html lang="zh-CN">' in (tmp_path / "r.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "r.html",
        "r.md",
        "report.docx",
        "stats.yaml",
    ]


def test_errors_stop_the_draft(tmp_path: Path):
    out = tmp_path / "report.docx"
    result = run("draft", SAMPLE, "-o", out)
    assert result.exit_code == 1
    assert "E-FACT-CELL" in result.output and "--allow-errors" in result.output
    assert not out.exists()


def test_allow_errors_drafts_the_sample_anyway(tmp_path: Path):
    out = tmp_path / "report.docx"
    result = run("draft", SAMPLE, "-o", out, "--allow-errors")
    assert result.exit_code == 0, result.output
    assert "E-CELL-BLANK" in result.output  # the errors are still shown
    headings = [p.text for p in Document(str(out)).paragraphs if p.style.name == "Heading 1"]
    assert headings[4] == "五、信息处理费收取情况" and len(headings) == 7


def test_layout_option_overrides_the_statistics_format(tmp_path: Path):
    out = tmp_path / "report.docx"
    result = run(
        "draft", SAMPLE, "-o", out, "--allow-errors", "--layout", "gov-info-disclosure-2021"
    )
    assert result.exit_code == 0, result.output
    headings = [p.text for p in Document(str(out)).paragraphs if p.style.name == "Heading 1"]
    assert len(headings) == 6 and headings[-1] == "六、其他需要报告的事项"


def test_cover_letter(tmp_path: Path):
    """The sample's letter has no date: the gap is written where the date belongs and said."""
    out = tmp_path / "report.docx"
    result = run("draft", SAMPLE, "-o", out, "--allow-errors", "--cover-letter")
    assert result.exit_code == 0
    texts = [p.text for p in Document(str(out)).paragraphs]
    assert texts[0] == "泉州市科学技术局"
    assert "【待补充：成文日期】" in texts[: texts.index("附件")]
    assert "报送函没有成文日期" in result.output


def test_a_cover_letters_date_is_printed_the_official_way(tmp_path: Path):
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    data["cover_letter"]["date"] = "2024-01-15"
    stats = tmp_path / "stats.yaml"
    stats.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "report.docx"
    result = run("draft", stats, "-o", out, "--allow-errors", "--cover-letter")
    assert result.exit_code == 0 and "报送函没有成文日期" not in result.output
    texts = [p.text for p in Document(str(out)).paragraphs]
    assert "2024年1月15日" in texts[: texts.index("附件")]
    assert not any("2024-01-15" in t for t in texts)


def test_cover_letter_needs_its_details(tmp_path: Path):
    out = tmp_path / "report.docx"
    result = run("draft", stats_file(tmp_path), "-o", out, "--cover-letter")
    assert result.exit_code == 2 and "cover_letter" in result.output
    assert not out.exists()


def test_refuses_to_overwrite_and_keeps_the_file_byte_identical(tmp_path: Path):
    out = tmp_path / "report.docx"
    out.write_bytes(b"the editor's work")
    html = tmp_path / "r.html"
    result = run("draft", stats_file(tmp_path), "-o", out, "--html", html)
    assert result.exit_code == 2 and "--force" in result.output
    assert out.read_bytes() == b"the editor's work"
    assert not html.exists()  # nothing written when one target is refused


def test_force_overwrites(tmp_path: Path):
    out = tmp_path / "report.docx"
    out.write_bytes(b"old")
    assert run("draft", stats_file(tmp_path), "-o", out, "--force").exit_code == 0
    assert out.read_bytes().startswith(b"PK")


def test_a_failed_run_leaves_existing_files_untouched(tmp_path: Path, monkeypatch):
    out = tmp_path / "report.docx"
    out.write_bytes(b"old")
    prompts = tmp_path / "prompts" / "offline"
    prompts.mkdir(parents=True)
    (prompts / "overall.j2").write_text("{% if %}", encoding="utf-8")
    monkeypatch.setenv("DRAFTER_PROMPTS_DIR", str(tmp_path / "prompts"))
    result = run("draft", stats_file(tmp_path), "-o", out, "--force")
    assert result.exit_code == 2 and "overall.j2" in result.output
    assert "Traceback" not in result.output
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prompts", "report.docx", "stats.yaml"]


def test_a_failure_while_renaming_rolls_back_every_file(tmp_path: Path, monkeypatch):
    out, md = tmp_path / "report.docx", tmp_path / "r.md"
    out.write_bytes(b"old docx")
    md.write_bytes(b"old md")
    real_replace = os.replace
    calls = []

    def flaky_replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", flaky_replace)
    with pytest.raises(OSError):
        from drafter.files import write_all_atomic

        write_all_atomic([(out, b"new docx"), (md, b"new md")], force=True)
    monkeypatch.setattr(os, "replace", real_replace)
    assert out.read_bytes() == b"old docx" and md.read_bytes() == b"old md"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.md", "report.docx"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "report.pdf"], "扩展名应为 .docx"),
        ([], "请用 -o"),
        (["-o", "report.docx", "--layout", "nope"], "未知的版式"),
    ],
)
def test_usage_errors(tmp_path: Path, args, message):
    stats = stats_file(tmp_path)
    result = run(
        "draft", stats, *[str(tmp_path / a) if a.endswith((".pdf", ".docx")) else a for a in args]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stats.yaml"]


def test_temporary_files_left_by_a_killed_write_are_removed_by_the_next(tmp_path):
    """A run killed between writing and renaming leaves a hidden temporary file; the next
    write beside the same target removes it, unless its process still runs."""
    import os

    target = tmp_path / "report.docx"
    dead = tmp_path / ".report.docx.drafter-999999999.abc.tmp"
    alive = tmp_path / f".report.docx.drafter-{os.getppid()}.def.tmp"
    other = tmp_path / ".notes.docx.drafter-999999999.abc.tmp"
    for path in (dead, alive, other):
        path.write_bytes(b"half a file")
    from drafter.files import write_atomic

    write_atomic(target, b"new", force=False)
    assert target.read_bytes() == b"new"
    assert not dead.exists() and alive.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")) == sorted(
        [alive.name, other.name]
    )


def test_the_gaps_left_for_the_clerk_are_listed_after_drafting(tmp_path: Path):
    """Without notes the parts that need the clerk's words carry 【待补充…】, and draft lists
    each with its part; the sample, with notes for those parts, has none to list."""
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    data.pop("notes", None)
    data.pop("facts", None)
    stats = tmp_path / "stats.yaml"
    stats.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "report.docx"
    result = run("draft", stats, "-o", out, "--allow-errors")
    assert result.exit_code == 0, result.output
    texts = [p.text for p in Document(str(out)).paragraphs]
    gaps = sum(t.count("【待补充") for t in texts)
    assert gaps >= 4
    assert f"还有 {gaps} 处待补充" in result.output
    assert "（三）政府信息管理方面：【待补充：" in result.output
    sample = run("draft", SAMPLE, "-o", tmp_path / "sample.docx", "--allow-errors")
    assert sample.exit_code == 0 and "处待补充" not in sample.output


def test_gaps_are_listed_once_not_reported_as_errors_of_the_draft(tmp_path: Path):
    """A statistics file without notes drafts without --allow-errors: its gaps are listed
    after writing, not shown as E-DOC-TEMPLATE errors; verify still reports them until the
    clerk fills them in."""
    stats = SAMPLE.parent.parent / "hongjiang-yuanjianglu-2023" / "stats.yaml"
    out = tmp_path / "report.docx"
    result = run("draft", stats, "-o", out)
    assert result.exit_code == 0, result.output
    assert "E-DOC-TEMPLATE" not in result.output
    assert "每个数都与统计数据一致" in result.output
    assert "还有 10 处待补充" in result.output
    verified = run("verify", out, "--stats", stats)
    assert verified.exit_code == 1 and "E-DOC-TEMPLATE" in verified.output
