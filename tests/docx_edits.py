"""Editing a .docx as an editor would in Word: typing over text, tracked insertions and
deletions (修订). Used by the tests of reading back and verifying edited drafts."""

from __future__ import annotations

import io

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn


def _save(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _paragraph_with(document, text: str):
    for paragraph in document.paragraphs:
        if text in paragraph.text:
            return paragraph
    raise AssertionError(f"no paragraph contains {text!r}")


def replace_text(data: bytes, old: str, new: str) -> bytes:
    """Type over text inside one run, or over a whole paragraph of several runs (a draft
    writes a highlighted gap or a telephone number as runs of their own), no tracking."""
    document = Document(io.BytesIO(data))
    for paragraph in document.paragraphs:
        for run in paragraph.runs:
            if old in run.text:
                run.text = run.text.replace(old, new, 1)
                return _save(document)
    for paragraph in document.paragraphs:
        runs = paragraph.runs
        if runs and paragraph.text == old:
            runs[0].text = new
            runs[0].font.highlight_color = None
            for run in runs[1:]:
                run._r.getparent().remove(run._r)
            return _save(document)
    raise AssertionError(f"no run contains {old!r}")


def _tracked(kind: str, text: str):
    change = OxmlElement(f"w:{kind}")
    change.set(qn("w:id"), "901" if kind == "ins" else "902")
    change.set(qn("w:author"), "编辑")
    change.set(qn("w:date"), "2024-01-10T09:00:00Z")
    run = OxmlElement("w:r")
    text_element = OxmlElement("w:t" if kind == "ins" else "w:delText")
    text_element.text = text
    text_element.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    run.append(text_element)
    change.append(run)
    return change


def insert_tracked(data: bytes, in_paragraph: str, text: str) -> bytes:
    """Append a tracked insertion (w:ins) to the paragraph containing `in_paragraph`."""
    document = Document(io.BytesIO(data))
    _paragraph_with(document, in_paragraph)._p.append(_tracked("ins", text))
    return _save(document)


def delete_tracked(data: bytes, in_paragraph: str, text: str) -> bytes:
    """Add a tracked deletion (w:del) of `text` to the paragraph containing `in_paragraph`."""
    document = Document(io.BytesIO(data))
    _paragraph_with(document, in_paragraph)._p.append(_tracked("del", text))
    return _save(document)


def set_table_cell(data: bytes, table_index: int, row: int, column: int, text: str) -> bytes:
    document = Document(io.BytesIO(data))
    cell = document.tables[table_index].cell(row, column)
    cell.paragraphs[0].runs[0].text = text
    return _save(document)
