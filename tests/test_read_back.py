"""Reading drafts back: what the editor really wrote, in every format drafter reads."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLE, distinct_data, load_data
from docx_edits import delete_tracked, insert_tracked

from drafter.drafting.draft import draft_report
from drafter.errors import InputError
from drafter.formats import load_layout
from drafter.read.document import read_document
from drafter.read.tables import read_values
from drafter.render.docx import render_docx
from drafter.render.html import render_html
from drafter.render.markdown import render_markdown
from drafter.statistics.load import load_stats
from drafter.statistics.quantities import format_number


@pytest.fixture(scope="module")
def sample_docx() -> bytes:
    return render_docx(draft_report(load_stats(SAMPLE), cover_letter=True))


def _paragraphs(report) -> list[str]:
    return [p.text for p in report.paragraphs()]


def test_docx_reads_back_to_the_same_report(tmp_path: Path, sample_docx: bytes):
    original = draft_report(load_stats(SAMPLE))
    path = tmp_path / "r.docx"
    path.write_bytes(sample_docx)
    report, _ = read_document(path)
    assert report.title == original.title and report.year == 2023
    assert [s.heading for s in report.sections] == [s.heading for s in original.sections]
    assert [s.heading for s in report.sections[0].subsections] == [
        s.heading for s in original.sections[0].subsections
    ]
    assert _paragraphs(report) == _paragraphs(original)  # the cover letter is skipped


def test_tracked_insertions_are_read_and_deletions_are_not(tmp_path: Path, sample_docx: bytes):
    edited = insert_tracked(sample_docx, "全年办结1件", "另有2件正在补正。")
    edited = delete_tracked(edited, "全年办结1件", "此句已删除99件。")
    path = tmp_path / "edited.docx"
    path.write_bytes(edited)
    report, _ = read_document(path)
    text = "".join(_paragraphs(report))
    assert "另有2件正在补正。" in text
    assert "此句已删除" not in text and "99件" not in text


@pytest.mark.parametrize(
    "layout", ["gov-info-disclosure-2021", "gov-info-disclosure-2021-seven-part"]
)
@pytest.mark.parametrize("suffix", [".docx", ".html", ".md"])
def test_tables_read_back_by_label_in_every_format(tmp_path: Path, layout: str, suffix: str):
    stats = load_data(dict(distinct_data(), format=layout))
    report = draft_report(stats)
    render = {".docx": render_docx, ".html": render_html, ".md": render_markdown}[suffix]
    path = tmp_path / f"r{suffix}"
    path.write_bytes(render(report))
    read, _ = read_document(path)
    tables = list(read.tables())
    spec = load_layout(layout)
    printed = [s.table for s in spec.sections if s.table]
    assert len(tables) == len(printed)
    for table, table_id in zip(tables, printed, strict=True):
        grid = [[c.text for c in row] for row in table.grid()]
        for key, text in read_values(grid, spec.table(table_id)).items():
            value = stats.value(key)
            assert text == ("" if value is None else format_number(value)), (suffix, key)
        # merged cells are one cell, not one per position
        assert len(table.cells) == len(spec.table(table_id).placed)


def test_plain_text_reports_read_with_their_sections():
    report, _ = read_document(Path(__file__).parent / "fixtures" / "real" / "quanzhou-kj-2023.txt")
    assert report.agency == "泉州市科学技术局" and report.year == 2023
    assert [s.heading[:2] for s in report.sections] == [
        "一、",
        "二、",
        "三、",
        "四、",
        "五、",
        "六、",
        "七、",
    ]
    assert len(report.sections[0].subsections) == 5


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("r.docx", b"not a zip", "不是有效的 .docx"),
        ("r.doc", b"\xd0\xcf\x11\xe0", "另存为 .docx"),
        ("r.pdf", b"%PDF-1.4", "不能读取 PDF"),
        ("r.odt", b"x", "不支持的文件类型"),
    ],
)
def test_unreadable_documents(tmp_path: Path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_document(path)


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path):
    import zipfile

    path = tmp_path / "bomb.docx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(
            "word/document.xml", "<w:document>" + " " * (300 * 1024 * 1024) + "</w:document>"
        )
    with pytest.raises(InputError, match="解压后过大"):
        read_document(path)


def test_xml_entities_are_not_expanded(tmp_path: Path, sample_docx: bytes):
    import io
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(sample_docx))
    path = tmp_path / "entities.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(
                    b"<w:document",
                    b'<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><w:document',
                    1,
                ).replace(b"</w:body>", b"<w:p><w:r><w:t>&c;</w:t></w:r></w:p></w:body>", 1)
                data = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
            archive.writestr(item, data)
    try:
        report, _ = read_document(path)
    except InputError:
        return  # refused: fine
    assert "aaaaaaaaaa" not in "".join(p.text for p in report.paragraphs())


def test_the_skipped_cover_letter_is_said_by_verify(tmp_path: Path, sample_docx: bytes):
    """The 报送函 in front is not verified, and verify says so (A-DOC-FRONT-SKIPPED); the
    report without one gets no such finding."""
    from drafter.verification.verify import verify_report

    stats = load_stats(SAMPLE)
    path = tmp_path / "r.docx"
    path.write_bytes(sample_docx)
    report, _ = read_document(path)
    assert report.front_matter and report.front_matter[-1] == "附件"
    skipped = [
        f for f in verify_report(report, stats, file=str(path)) if f.code == "A-DOC-FRONT-SKIPPED"
    ]
    assert len(skipped) == 1
    assert f"之前的 {len(report.front_matter) - 1} 段" in skipped[0].message
    plain = tmp_path / "plain.docx"
    plain.write_bytes(render_docx(draft_report(stats)))
    report, _ = read_document(plain)
    assert report.front_matter == []
    assert not [f for f in verify_report(report, stats) if f.code == "A-DOC-FRONT-SKIPPED"]
