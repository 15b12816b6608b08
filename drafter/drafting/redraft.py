"""Redrafting one narrative part of an already edited Word document.

Only the paragraphs of the chosen part (between its heading and the next heading or table)
are replaced; every other element of the document stays exactly as the editor left it, down
to the XML. The new paragraphs take the paragraph and run formatting of the first paragraph
they replace, so the part keeps the document's look.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass, field

from drafter.docprops import AI_PROPERTY, PROVENANCE_PROPERTY, provenance
from drafter.docprops import model_paragraphs as model_paragraphs_of
from drafter.drafting.draft import Drafter, narrative_parts
from drafter.errors import InputError
from drafter.formats import Layout
from drafter.read.document import heading_level, structure
from drafter.read.docx import W, document_blocks, element_text, open_docx
from drafter.read.tables import normalise
from drafter.report import (
    Paragraph,
    Provenance,
    bare_text,
    paragraph_fingerprint,
    record_provenance,
    sentence_fingerprint,
    sentence_spans,
)
from drafter.statistics.stats import Stats


@dataclass
class Redrafted:
    data: bytes  # the new document
    old: list[str]  # the paragraphs replaced
    new: list[Paragraph]  # the paragraphs written
    editor: list[str] = field(default_factory=list)  # the editor's sentences in the old text
    dropped: list[str] = field(default_factory=list)  # … that the new text does not keep


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
    from drafter.verification.docrules import match_sections

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
    """The document with one part redrafted. A drafter that can revise (a model) gets the
    part's current text with the editor's sentences (those no drafter wrote, by the record
    the document keeps) and keeps them unless told otherwise; the offline drafter writes the
    part from its template again."""
    from docx.text.paragraph import Paragraph as DocxParagraph

    from drafter.read.docx import custom_properties
    from drafter.render.docx import write_marked

    document = open_docx(data, name)
    heading, level = _find_heading(document, layout, part)
    old: list = []
    sibling = heading.getnext()
    while sibling is not None and not _is_boundary(sibling, level):
        old.append(sibling)
        sibling = sibling.getnext()
    old_paragraphs = [e for e in old if e.tag == W + "p"]
    old_texts = [element_text(e) for e in old_paragraphs]
    values = custom_properties(document)
    record = provenance(values) or Provenance()
    editor = [
        text[start:end].strip()
        for text in old_texts
        for start, end in sentence_spans(text)
        if record.author(text[start:end]) is None
    ]
    fee_statement = next((f for p, _, f in narrative_parts(layout) if p == part), False)
    revise = getattr(drafter, "redraft", None)
    if revise is not None:
        new = revise(part, [t for t in old_texts if t.strip()], editor, fee_statement=fee_statement)
    else:
        new = drafter.section(part, fee_statement=fee_statement)
    written = "".join(p.text for p in new)
    dropped = [s for s in editor if bare_text(s) not in bare_text(written)]

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
        write_marked(document, DocxParagraph(element, document._body), paragraph)
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
    _update_records(document, values, record, old_texts, new, editor)
    out = io.BytesIO()
    document.save(out)
    return Redrafted(out.getvalue(), old_texts, new, editor, dropped)


def _update_records(  # type: ignore[no-untyped-def]
    document,
    values: dict[str, str],
    record: Provenance,
    old: list[str],
    new: list[Paragraph],
    editor: list[str],
) -> None:
    """Keep what the document records true after the swap: which paragraphs a model wrote,
    the numbers filled from placeholders, who wrote each sentence."""
    from drafter.render.docx import record_values, set_custom_properties

    by_model: dict[str, list[str]] = {}
    for fingerprint_, model in model_paragraphs_of(values).items():
        by_model.setdefault(model, []).append(fingerprint_)
    stale = {paragraph_fingerprint(text.strip()) for text in old}
    by_model = {m: [f for f in prints if f not in stale] for m, prints in by_model.items()}
    for paragraph in new:
        if paragraph.author not in ("offline", "editor", "document"):
            by_model.setdefault(paragraph.author, []).append(paragraph_fingerprint(paragraph.text))
    fresh = record_provenance(new)
    for sentence in editor:  # kept in the new text, still the editor's
        fresh.sentences.pop(sentence_fingerprint(sentence), None)
    record.numbers += [n for n in fresh.numbers if n not in record.numbers]
    record.sentences.update(fresh.sentences)
    values = {k: v for k, v in values.items() if k not in (AI_PROPERTY, PROVENANCE_PROPERTY)}
    values.update(record_values({m: p for m, p in by_model.items() if p}, record))
    set_custom_properties(document, values)
