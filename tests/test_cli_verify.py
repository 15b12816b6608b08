"""`drafter verify`: exit statuses, JSON, and findings written back into Word as comments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from conftest import CONTACT, EXTRA_NOTES, PUBLICATION, SAMPLE, base_data, dump_yaml
from docx import Document
from docx_edits import insert_tracked
from typer.testing import CliRunner

from drafter.cli import app
from drafter.drafting.draft import draft_report
from drafter.render.docx import render_docx
from drafter.statistics.load import load_stats

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def sample_draft(tmp_path: Path) -> Path:
    path = tmp_path / "report.docx"
    path.write_bytes(render_docx(draft_report(load_stats(SAMPLE))))
    return path


def test_exit_0_for_a_clean_document(tmp_path: Path):
    data = base_data()
    data["notes"] = {
        k: "按要求开展相关工作"
        for k in ("overall.management", "overall.platforms", "overall.supervision", "problems")
    } | EXTRA_NOTES
    data["publication"] = PUBLICATION
    data["contact"] = CONTACT
    stats = tmp_path / "stats.yaml"
    stats.write_text(dump_yaml(data), encoding="utf-8")
    out = tmp_path / "r.docx"
    assert run("draft", stats, "-o", out).exit_code == 0
    result = run("verify", out, "--stats", stats)
    assert result.exit_code == 0, result.output
    assert "未发现问题" in result.output


def test_exit_1_reports_the_seed_contradiction(sample_draft: Path):
    result = run("verify", sample_draft, "--stats", SAMPLE, "--json")
    assert result.exit_code == 1
    payload = json.loads(result.stdout)
    assert payload["errors"] == 1 and payload["warnings"] == 0
    [finding] = payload["findings"]
    assert finding["code"] == "E-NUM-MISMATCH"
    location = finding["location"]
    assert location["section"] == "（三）政府信息管理方面" and location["paragraph"] == 1
    assert location["text"] == "11份" and "现行有效规范性文件11份" in location["sentence"]


def test_exit_2_for_unreadable_input(tmp_path: Path, sample_draft: Path):
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    result = run("verify", bad, "--stats", SAMPLE)
    assert result.exit_code == 2 and "不是有效的 .docx" in result.output
    assert "Traceback" not in result.output
    assert run("verify", sample_draft, "--stats", tmp_path / "missing.yaml").exit_code == 2


def test_a_wrong_number_in_a_tracked_insertion_is_caught_and_annotated(
    tmp_path: Path, sample_draft: Path
):
    edited = tmp_path / "edited.docx"
    edited.write_bytes(
        insert_tracked(sample_draft.read_bytes(), "全年办结1件", "另收到政府信息公开申请5件。")
    )
    before = edited.read_bytes()
    annotated = tmp_path / "annotated.docx"
    result = run("verify", edited, "--stats", SAMPLE, "--annotate", annotated, "--json")
    assert result.exit_code == 1
    found = {(f["code"], f["location"].get("text")) for f in json.loads(result.stdout)["findings"]}
    assert ("E-NUM-MISMATCH", "5件") in found
    assert edited.read_bytes() == before  # the original is untouched
    document = Document(str(annotated))
    comments = {c.text for c in document.comments}
    assert any(c.startswith("[E-NUM-MISMATCH] “5件”") for c in comments)
    assert any(c.startswith("[E-NUM-MISMATCH] “11份”") for c in comments)
    # each comment is anchored on exactly the offending text
    import re

    xml = document.element.xml
    anchored = set()
    for segment in re.findall(r"commentRangeStart.*?commentRangeEnd", xml, re.S):
        anchored.add("".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", segment)))
    assert {"5件", "11份"} <= anchored


def test_annotate_never_overwrites(tmp_path: Path, sample_draft: Path):
    target = tmp_path / "annotated.docx"
    target.write_bytes(b"keep")
    result = run("verify", sample_draft, "--stats", SAMPLE, "--annotate", target)
    assert result.exit_code == 2 and target.read_bytes() == b"keep"
    assert (
        run(
            "verify", sample_draft, "--stats", SAMPLE, "--annotate", sample_draft, "--force"
        ).exit_code
        == 2
    )  # never the file being verified
    assert (
        run("verify", sample_draft, "--stats", SAMPLE, "--annotate", target, "--force").exit_code
        == 1
    )
    assert target.read_bytes().startswith(b"PK")


def test_annotate_needs_a_docx(tmp_path: Path):
    page = tmp_path / "r.html"
    page.write_text("<html><body><p>x</p></body></html>", encoding="utf-8")
    result = run("verify", page, "--stats", SAMPLE, "--annotate", tmp_path / "a.docx")
    assert result.exit_code == 2 and "只适用于 .docx" in result.output


def test_verify_reads_html_md_and_txt(tmp_path: Path):
    stats = load_stats(SAMPLE)
    report = draft_report(stats)
    from drafter.render.html import render_html
    from drafter.render.markdown import render_markdown

    for suffix, render in ((".html", render_html), (".md", render_markdown)):
        path = tmp_path / f"r{suffix}"
        path.write_bytes(render(report))
        result = run("verify", path, "--stats", SAMPLE, "--json")
        assert result.exit_code == 1
        assert [f["code"] for f in json.loads(result.stdout)["findings"]] == ["E-NUM-MISMATCH"]


def test_draft_prints_the_verification_of_what_it_wrote(tmp_path: Path):
    result = run("draft", SAMPLE, "-o", tmp_path / "r.docx", "--allow-errors")
    assert result.exit_code == 0
    assert "核对起草的正文" in result.output and "11份" in result.output


def test_draft_stops_when_its_own_text_fails_verification(tmp_path: Path, monkeypatch):
    data = base_data()
    stats = tmp_path / "stats.yaml"
    stats.write_text(dump_yaml(data), encoding="utf-8")
    prompts = tmp_path / "prompts" / "offline"
    prompts.mkdir(parents=True)
    # A user template that types a number by hand instead of using a placeholder.
    (prompts / "overall.j2").write_text("本年度共收到政府信息公开申请4件。\n", encoding="utf-8")
    monkeypatch.setenv("DRAFTER_PROMPTS_DIR", str(tmp_path / "prompts"))
    out = tmp_path / "r.docx"
    result = run("draft", stats, "-o", out)
    assert result.exit_code == 1 and not out.exists()
    assert "E-NUM-MISMATCH" in result.output


def test_a_reviewer_reads_errors_first_with_the_sentence_and_a_line_per_part(
    sample_draft: Path,
):
    result = runner.invoke(
        app, ["verify", str(sample_draft), "--stats", str(SAMPLE)], env={"COLUMNS": "160"}
    )
    assert result.exit_code == 1
    output = result.output
    flat = "".join(line.strip(" │┃") for line in output.splitlines())  # the table unwrapped
    # the error names the table cell in a reviewer's words and quotes its sentence
    assert "与表二“行政规范性文件 · 现行有效件数”不符（表中为 14件）" in flat
    assert "原句：" in flat and "现行有效规范性文件11份" in flat
    # one line per part, the part with the error marked
    assert "各部分：" in output
    assert "（三）政府信息管理方面：核对" in output and "错误 1 项" in output
    assert "（一）主动公开方面：核对" in output
    assert output.index("各部分：") > output.index("原句：")


def test_json_carries_the_summary_of_each_part(sample_draft: Path):
    payload = json.loads(run("verify", sample_draft, "--stats", SAMPLE, "--json").stdout)
    parts = {p["part"]: p for p in payload["parts"]}
    assert parts["（三）政府信息管理方面"]["errors"] == 1
    assert parts["（一）主动公开方面"]["numbers"] > 10
    assert parts["（一）主动公开方面"]["errors"] == 0
    assert sum(p["errors"] for p in payload["parts"]) == payload["errors"]


def test_annotate_comments_speak_a_reviewers_language(tmp_path: Path, sample_draft: Path):
    annotated = tmp_path / "annotated.docx"
    run("verify", sample_draft, "--stats", SAMPLE, "--annotate", annotated)
    comments = [c.text for c in Document(str(annotated)).comments]
    assert comments == [
        "[E-NUM-MISMATCH] “11份”与表二“行政规范性文件 · 现行有效件数”不符（表中为 14件）"
    ]


def test_a_document_with_thousands_of_findings_lists_the_first_and_counts_the_rest(
    tmp_path: Path,
):
    """A reviewer reads no more than a few hundred rows; the rest are counted, and --json
    still has every one."""
    from drafter.cli import SHOWN_FINDINGS

    page = tmp_path / "report.txt"
    wrong = "".join(
        f"本年度新收政府信息公开申请{n}件。" for n in range(100, 100 + SHOWN_FINDINGS + 40)
    )
    page.write_text(
        f"某某局2023年政府信息公开工作年度报告\n一、总体情况\n{wrong}\n", encoding="utf-8"
    )
    result = run("verify", page, "--stats", SAMPLE)
    assert result.exit_code == 1
    assert "项未列出（--json 输出全部" in result.output
    listed = result.output.count("E-NUM-MISMATCH")
    assert 0 < listed <= SHOWN_FINDINGS + 1
    as_json = json.loads(run("verify", page, "--stats", SAMPLE, "--json").stdout)
    assert sum(f["code"] == "E-NUM-MISMATCH" for f in as_json["findings"]) >= SHOWN_FINDINGS + 40


def test_another_bodys_statistics_give_one_clear_finding(tmp_path: Path, sample_draft: Path):
    """The sample (泉州市科学技术局) against 厦门市科学技术局's statistics: one finding that
    says so, not a mismatch for every number."""
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    data["agency"] = "厦门市科学技术局"
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run("verify", sample_draft, "--stats", other, "--json")
    assert result.exit_code == 1
    found = json.loads(result.stdout)["findings"]
    assert [f["code"] for f in found] == ["E-DOC-AGENCY"]
    assert "泉州市科学技术局" in found[0]["message"] and "厦门市科学技术局" in found[0]["message"]
    data["agency"] = "泉州市科技局"  # the same body, abbreviated: verified as usual
    other.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    same = json.loads(run("verify", sample_draft, "--stats", other, "--json").stdout)
    assert "E-DOC-AGENCY" not in [f["code"] for f in same["findings"]]


def test_an_annotated_copy_of_a_file_with_a_doctype_entity_is_well_formed(
    tmp_path: Path, sample_draft: Path
):
    """A hostile file declares an external entity and uses it in the text: the reader never
    resolves it, and the annotated copy must not keep a reference to an entity whose DOCTYPE
    is gone (Word refuses a part that is not well-formed XML)."""
    import io
    import zipfile

    from lxml import etree

    source = zipfile.ZipFile(sample_draft)
    document = source.read("word/document.xml")
    end = document.index(b"?>") + 2
    document = (
        document[:end]
        + b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + document[end:]
    )
    cut = document.index(b"<w:body>") + len(b"<w:body>")
    document = document[:cut] + b"<w:p><w:r><w:t>A&xxe;B</w:t></w:r></w:p>" + document[cut:]
    hostile = tmp_path / "hostile.docx"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = document if info.filename == "word/document.xml" else source.read(info)
            out.writestr(info, data)
    hostile.write_bytes(buffer.getvalue())

    annotated = tmp_path / "annotated.docx"
    result = run("verify", hostile, "--stats", SAMPLE, "--annotate", annotated)
    assert result.exit_code == 1, result.output  # the sample's published errors
    strict = etree.XMLParser(resolve_entities=False, no_network=True, recover=False)
    with zipfile.ZipFile(annotated) as copy:
        assert "word/comments.xml" in copy.namelist()
        for name in copy.namelist():
            if name.endswith((".xml", ".rels")):
                content = copy.read(name)
                assert b"&xxe;" not in content and b"root:" not in content, name
                etree.fromstring(content, strict)  # raises if not well-formed
    text = "\n".join(p.text for p in Document(str(annotated)).paragraphs)
    assert "AB" in text
