"""Redrafting one narrative part of an already edited Word document.

Only the paragraphs of the chosen part (between its heading and the next heading or table)
are replaced; every other element of the document stays exactly as the editor left it, down
to the XML. The new paragraphs take the paragraph and run formatting of the first paragraph
they replace, so the part keeps the document's look.
"""

from __future__ import annotations

import copy
import io
import json
from dataclasses import dataclass

from drafter.draft import Drafter, narrative_parts
from drafter.errors import InputError
from drafter.formats import Layout
from drafter.read.document import heading_level, structure
from drafter.read.docx import W, document_blocks, element_text, model_paragraphs, open_docx
from drafter.read.tables import normalise
from drafter.report import Paragraph
from drafter.stats import Stats


@dataclass
class Redrafted:
    data: bytes  # the new document
    old: list[str]  # the paragraphs replaced
    new: list[Paragraph]  # the paragraphs written


def part_heading(layout: Layout, part: str) -> tuple[str, int]:
    """(official heading, level) of a narrative part id."""
    for section in layout.sections:
        if section.id == part:
            return section.heading, 1
        for sub in section.subsections:
            if sub.id == part:
                return sub.heading, 2
    ids = "、".join(p for p, _, _ in narrative_parts(layout))
    raise InputError(f"没有编号为 {part!r} 的叙述部分；可用：{ids}")


def _find_heading(document, layout: Layout, part: str):  # type: ignore[no-untyped-def]
    """The heading paragraph of the part as printed in this document."""
    from drafter.docrules import match_sections

    heading, level = part_heading(layout, part)
    report, _ = structure(document_blocks(document))
    printed = None
    matched = match_sections(report, layout)
    for section in layout.sections:
        found = matched.get(section.id)
        if found is None:
            continue
        if section.id == part:
            printed = found.heading
        for sub_spec, sub in zip(section.subsections, found.subsections, strict=False):
            if sub_spec.id == part:
                printed = sub.heading
    wanted = normalise(printed or heading)
    for element in document.element.body.iterchildren(W + "p"):
        if normalise(element_text(element)) == wanted:
            return element, level
    raise InputError(f"文档中找不到“{heading}”这一部分的标题")


def _is_boundary(element, level: int) -> bool:  # type: ignore[no-untyped-def]
    if element.tag == W + "tbl" or element.tag == W + "sectPr":
        return True
    if element.tag != W + "p":
        return False
    text = element_text(element).strip()
    found = heading_level(text)
    return found is not None and found <= max(level, 2)


def redraft(
    data: bytes, name: str, stats: Stats, layout: Layout, part: str, drafter: Drafter
) -> Redrafted:
    from docx.text.paragraph import Paragraph as DocxParagraph

    from drafter.render.docx import write_marked
    from drafter.report import paragraph_fingerprint

    document = open_docx(data, name)
    heading, level = _find_heading(document, layout, part)
    old: list = []
    sibling = heading.getnext()
    while sibling is not None and not _is_boundary(sibling, level):
        old.append(sibling)
        sibling = sibling.getnext()
    old_paragraphs = [e for e in old if e.tag == W + "p"]
    old_texts = [element_text(e) for e in old_paragraphs]
    fee_statement = next((f for p, _, f in narrative_parts(layout) if p == part), False)
    new = drafter.section(part, fee_statement=fee_statement)

    template = next((e for e in old_paragraphs if element_text(e).strip()), None)
    anchor = heading
    for paragraph in new:
        element = copy.deepcopy(template) if template is not None else None
        if element is not None:
            for child in list(element):
                if child.tag != W + "pPr":
                    element.remove(child)
            run_style = template.find(f"{W}r/{W}rPr")
        else:
            run_style = None
            element = document.add_paragraph(style="Normal")._p
        anchor.addnext(element)
        anchor = element
        written = DocxParagraph(element, document._body)
        write_marked(document, written, paragraph)
        if run_style is not None:
            for run in element.iter(W + "r"):
                existing = run.find(W + "rPr")
                highlight = existing.find(W + "highlight") if existing is not None else None
                if existing is not None:
                    run.remove(existing)
                style = copy.deepcopy(run_style)
                if highlight is not None:
                    style.append(highlight)
                run.insert(0, style)
    for element in old_paragraphs:
        element.getparent().remove(element)
    _update_model_record(document, old_texts, new, paragraph_fingerprint)
    out = io.BytesIO()
    document.save(out)
    return Redrafted(out.getvalue(), old_texts, new)


def _update_model_record(document, old: list[str], new: list[Paragraph], fingerprint) -> None:  # type: ignore[no-untyped-def]
    """Keep the record of model-written paragraphs (a custom property) true after the swap."""
    from docx.opc.constants import RELATIONSHIP_TYPE

    record = model_paragraphs(document)
    for text in old:
        record.pop(fingerprint(text.strip()), None)
    for paragraph in new:
        if paragraph.author not in ("offline", "editor", "document"):
            record[fingerprint(paragraph.text)] = paragraph.author
    by_model: dict[str, list[str]] = {}
    for print_, model in record.items():
        by_model.setdefault(model, []).append(print_)
    for relationship in document.part.package.rels.values():
        if relationship.reltype == RELATIONSHIP_TYPE.CUSTOM_PROPERTIES:
            part = relationship.target_part
            value = json.dumps(by_model, ensure_ascii=False, separators=(",", ":"))
            blob = part.blob.decode("utf-8")
            start = blob.find("<vt:lpwstr>", blob.find('name="drafter-ai-paragraphs"'))
            end = blob.find("</vt:lpwstr>", start)
            if start >= 0 and end > start:
                escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                # python-docx keeps a generic part's XML as bytes and has no setter for it.
                part._blob = (blob[: start + len("<vt:lpwstr>")] + escaped + blob[end:]).encode()
            return
    if by_model:
        from drafter.render.docx import add_model_property

        add_model_property(document, by_model)
