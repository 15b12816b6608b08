"""Drafting a report: the official tables from the statistics, the narrative from a drafter.

`draft_report` assembles the one `Report` every renderer reads. The narrative comes from a
drafter object (the offline drafter here; the LLM drafter later has the same methods), the
tables never do: they are filled deterministically from the statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from drafter.drafting.offline import OfflineDrafter
from drafter.drafting.tables import fill_table
from drafter.errors import InputError
from drafter.formats import Layout, load_layout
from drafter.report import CoverLetter, Paragraph, Report, Section
from drafter.statistics.quantities import Quantity, quantities, with_table_values, year_on_year
from drafter.statistics.stats import Stats


class Drafter(Protocol):
    id: str

    def preamble(self) -> list[Paragraph]: ...

    def section(self, section_id: str, *, fee_statement: bool = False) -> list[Paragraph]: ...

    def cover_letter_body(self) -> list[str]: ...


def narrative_parts(layout: Layout) -> list[tuple[str, str, bool]]:
    """(id, heading, needs a 信息处理费 statement) of every part the narrative drafter writes."""
    parts = []
    for spec in layout.sections:
        if spec.table is None:
            parts.append((spec.id, spec.heading, spec.fee_statement))
        for sub in spec.subsections:
            parts.append((sub.id, sub.heading, False))
    return parts


def draft_report(
    stats: Stats,
    layout: Layout | None = None,
    *,
    cover_letter: bool = False,
    prompts: Path | None = None,
    drafter: Drafter | None = None,
) -> Report:
    """The report for `stats` in `layout` (default: the one the statistics name), its
    narrative written by `drafter` (default: the offline drafter)."""
    layout = layout or load_layout(stats.format)
    if drafter is None:
        drafter = OfflineDrafter(stats, layout, quantities(stats, layout), prompts)
    prepare = getattr(drafter, "prepare", None)
    if prepare is not None:  # drafters that work on all parts at once (concurrently)
        prepare(narrative_parts(layout))
    sections = []
    for spec in layout.sections:
        section = Section(spec.id, spec.heading, level=1)
        if spec.table is not None:
            section.blocks.append(fill_table(layout.tables[spec.table], stats))
        else:
            section.blocks.extend(drafter.section(spec.id, fee_statement=spec.fee_statement))
        for sub in spec.subsections:
            section.subsections.append(
                Section(sub.id, sub.heading, level=2, blocks=list(drafter.section(sub.id)))
            )
        sections.append(section)
    title = layout.title.format(agency=stats.agency, year=stats.year)
    return Report(
        title=title,
        agency=stats.agency,
        year=stats.year,
        layout=layout.id,
        preamble=drafter.preamble(),
        sections=sections,
        cover_letter=_cover_letter(stats, title, drafter) if cover_letter else None,
    )


MISSING_DATE = "【待补充：成文日期】"  # GB/T 9704 §7.3.5: a letter carries its date


def _cover_letter(stats: Stats, title: str, drafter: Drafter) -> CoverLetter:
    letter = stats.cover_letter
    if letter is None or not letter.recipient:
        raise InputError(
            "要生成报送函，统计文件需要 cover_letter 部分（至少写明 recipient 主送机关）",
            code="E-STATS-VALUE",
        )
    contact = None
    if letter.contact_person or letter.contact_phone:
        items = []
        if letter.contact_person:
            items.append(f"联系人：{letter.contact_person}")
        if letter.contact_phone:
            items.append(f"联系电话：{letter.contact_phone}")
        contact = f"（{'，'.join(items)}）"
    return CoverLetter(
        agency=stats.agency,
        doc_number=letter.doc_number,
        title=f"{stats.agency}关于报送{stats.year}年政府信息公开工作年度报告的函",
        recipient=letter.recipient,
        body=drafter.cover_letter_body(),
        attachment=title,
        date=letter.date or MISSING_DATE,
        contact=contact,
    )


def drafting_quantities(
    stats: Stats, layout: Layout, previous: Stats | None = None
) -> tuple[dict[str, Quantity], list[tuple[Quantity, Quantity]]]:
    """The quantities a model drafts with, and the facts changed for it (as given, as
    drafted): a fact that contradicts its table cell is offered with the table's value; with
    last year's statistics, the changes since last year are offered too."""
    found, corrected = with_table_values(stats, quantities(stats, layout))
    if previous is not None:
        found.update(year_on_year(found, quantities(previous, layout)))
    return found, corrected


def correction_notices(corrected: list[tuple[Quantity, Quantity]]) -> list[str]:
    """What the user should know about facts drafted with the table's value."""
    return [
        f"事实 {given.name}（{given.label}，{given.text()}）与表格不符，起草时按表格写作"
        f"{drafted.text()}"
        for given, drafted in corrected
    ]


def choose_drafter(
    stats: Stats,
    layout: Layout,
    *,
    model_id: str | None = None,
    offline: bool = False,
    use_cache: bool = True,
    workers: int = 4,
    style: dict[str, str] | None = None,
    instructions: str | None = None,
    progress: Callable[[str, str], None] | None = None,
    previous: Stats | None = None,
    again: bool = False,
) -> tuple[Drafter, str]:
    """The drafter to use and a line saying which: a configured model (`drafter.drafting.models`)
    or, with none configured or `offline`, the offline drafter."""
    from drafter.drafting.models import resolve_model

    # The offline drafter states the facts as the statistics file gives them (a fact that
    # contradicts its table cell stays visible, and verification reports it); a model is
    # given the table's value, since it cannot resolve a contradiction in the statistics.
    as_given = quantities(stats, layout)
    if previous is not None:
        as_given.update(year_on_year(as_given, quantities(previous, layout)))
    offline_drafter = OfflineDrafter(stats, layout, as_given)
    known, corrected = drafting_quantities(stats, layout, previous)
    spec = resolve_model(model_id, offline=offline)
    if spec is None:
        why = "（--offline）" if offline else "：未配置模型（见 drafter models）"
        return offline_drafter, f"正文由离线起草器按模板起草{why}"
    from drafter.audit import AuditLog, report_key
    from drafter.drafting.llm import openai_chat_model
    from drafter.drafting.llmdraft import LLMDrafter

    audit = AuditLog(report=report_key(stats.agency, stats.year))
    chat = openai_chat_model(spec, audit, use_cache=use_cache)
    drafter = LLMDrafter(
        stats,
        layout,
        known,
        chat,
        offline_drafter,
        workers=workers,
        style=style,
        instructions=instructions,
        progress=progress,
        corrected=corrected,
        previous=previous,
        again=again,
    )
    return drafter, f"正文由模型 {spec.id}（{spec.model}）起草，每个数都经核对"


def style_from(document: Path, layout: Layout) -> dict[str, str]:
    """Last year's text of each narrative part, read from last year's report, as a style
    reference for the model (never copied: the prompt says so)."""
    from drafter.read.document import read_document
    from drafter.verification.docrules import match_sections

    report, _ = read_document(document)
    matched = match_sections(report, layout)
    out: dict[str, str] = {}
    for spec in layout.sections:
        section = matched.get(spec.id)
        if section is None:
            continue
        own = "\n".join(b.text for b in section.blocks if isinstance(b, Paragraph))
        if own:
            out[spec.id] = own
        for sub_spec, sub in zip(spec.subsections, section.subsections, strict=False):
            text = "\n".join(b.text for b in sub.blocks if isinstance(b, Paragraph))
            if text:
                out[sub_spec.id] = text
    return out
