"""素材: the staff's notes for each narrative part, and a work summary to take them from.

The notes are part of the statistics (`notes`, docs/statistics-file.md §9), so saving a part's
notes is saving a new statistics version, refused when stale, as on the 统计 page: the checked
head's parsed data is copied, its `notes` changed, dumped, checked again and saved on the
version the page was loaded from. A card shows the findings of the check that concern its
part (`E-NOTE-REF`: a placeholder naming nothing); numbers typed into notes are verified when
the report is drafted, as the page says.

A work summary (.docx read by the same bounded reader as `drafter verify`, or .txt in UTF-8
or GB18030) is stored as its own JSON document — the file name, its paragraphs and the part
each was added to (or null) — versioned like everything else. Adding a paragraph to a part
appends it to that part's notes (a statistics version) and records it in the summary (a
summary version). Each paragraph comes with a suggested part, from keywords
(`drafter/web/material_parts.yaml`, which also holds every part's example): a suggestion
pre-selected, never applied by itself.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from drafter.errors import InputError, Problem
from drafter.limits import MAX_DOCX_BYTES, MAX_NOTE_CHARS, MAX_TEXT_DOCUMENT_BYTES
from drafter.web.site import (
    HERE,
    STATS_DOC,
    Checked,
    Site,
    base_version,
    json_bytes,
    paragraph_texts,
    safe_name,
    yaml_text,
)
from drafter.workspace import NotFound, StaleVersion

# The work summary: its paragraphs and the part each was added to (JSON), one per report.
SUMMARY_KIND = "material"
SUMMARY_DOC = "工作总结"
SUMMARY_LIMITS = {".docx": MAX_DOCX_BYTES, ".txt": MAX_TEXT_DOCUMENT_BYTES}
# A work summary has some 20–200 paragraphs; each is listed with a selector of the parts.
MAX_SUMMARY_PARAGRAPHS = 1000
MIN_SUGGESTED_CHARS = 8  # a shorter paragraph (a title, a date line) is suggested no part
PARTS_FILE = HERE / "material_parts.yaml"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@cache
def material_parts() -> dict[str, dict[str, Any]]:
    """Part id → its example lines, hint and suggestion keywords (material_parts.yaml)."""
    from drafter.yamlsource import read_trusted_yaml

    return dict(read_trusted_yaml(PARTS_FILE)["parts"])


# ---- notes as lines ------------------------------------------------------------------------


def note_lines(value: str | list[str] | None) -> list[str]:
    """A part's notes as the textarea shows them: one note per line."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    return [line for item in items for line in paragraph_texts(item)]


def note_value(lines: list[str]) -> str | list[str] | None:
    """Lines as the statistics file writes a part's notes: none, one text, or a list."""
    if not lines:
        return None
    return lines[0] if len(lines) == 1 else lines


def with_notes(data: Any, part_id: str, lines: list[str]) -> Any:
    """A copy of parsed statistics `data` whose notes of `part_id` are `lines` (none: the key
    is removed); the cached parse is never changed."""
    data = copy.deepcopy(data)
    notes = data.get("notes")
    if not isinstance(notes, dict):
        notes = data["notes"] = {}
    value = note_value(lines)
    if value is None:
        notes.pop(part_id, None)
    else:
        notes[part_id] = value
    return data


# ---- the work summary ----------------------------------------------------------------------


def _decode(content: bytes, shown: str) -> str:
    """A clerk's .txt: UTF-8 (with or without BOM), UTF-16 with its BOM, else GB18030."""
    encodings = ("utf-16",) if content.startswith((b"\xff\xfe", b"\xfe\xff")) else ()
    for encoding in (*encodings, "utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise InputError(
        Problem(
            "无法识别的文字编码，或不是文本文件（请以 UTF-8 保存）",
            file=shown,
            code="E-FILE-ENCODING",
        )
    )


def summary_paragraphs(content: bytes, suffix: str, shown: str) -> list[str]:
    """The paragraphs of a work summary: a .docx's body paragraphs (tracked insertions in,
    deletions out, tables left out) read within drafter.limits, or a .txt's non-blank lines.
    A line break inside a paragraph starts another one: one note is one line. InputError for
    a file that cannot be read, is empty or is far longer than a work summary."""
    from drafter.limits import TextBudget

    budget = TextBudget(shown)
    if suffix == ".docx":
        from drafter.read.docx import docx_blocks

        texts = [b.text for b in docx_blocks(content, shown, budget) if b.table is None]
    else:
        texts = _decode(content, shown).splitlines()
        for text in texts:
            budget.paragraph(text)
    paragraphs = [
        line
        for text in texts
        for line in paragraph_texts(_CONTROL.sub("", text.replace("\t", " ")))
    ]
    if not paragraphs:
        raise InputError(Problem("文件中没有文字", file=shown, code="E-INPUT"))
    if len(paragraphs) > MAX_SUMMARY_PARAGRAPHS:
        raise InputError(
            Problem(
                f"段落过多（{len(paragraphs)} 段，上限 {MAX_SUMMARY_PARAGRAPHS} 段），"
                "不像一份工作总结",
                file=shown,
                code="E-LIMIT-TEXT",
            )
        )
    return paragraphs


def suggest_part(text: str, part_ids: list[str]) -> str | None:
    """The part a paragraph most likely belongs to: the one with most of its keywords found
    in it, the first listed in material_parts.yaml on a tie; None for a heading, a short line
    or a paragraph no keyword fits. Deterministic, and only ever a suggestion."""
    from drafter.read.document import heading_level

    if len(text) < MIN_SUGGESTED_CHARS or heading_level(text) is not None:
        return None
    best, best_score = None, 0
    for part_id, spec in material_parts().items():
        if part_id not in part_ids:
            continue
        score = sum(1 for word in spec.get("keywords", ()) if word in text)
        if score > best_score:
            best, best_score = part_id, score
    return best


# ---- the pages -----------------------------------------------------------------------------


def register(app: FastAPI, site: Site) -> None:
    def parts_of(checked: Checked) -> list[tuple[str, str, bool]]:
        from drafter.drafting.draft import narrative_parts

        assert checked.result is not None  # what is stored was read before it was stored
        return narrative_parts(checked.result.layout)

    def card(
        checked: Checked, part: tuple[str, str, bool], known: dict[str, Any], **more: Any
    ) -> dict[str, Any]:
        """One part's card: its notes, the check's findings about them, its example and the
        facts of the statistics file that belong to it (which notes may cite; `known`: the
        statistics' quantities, drafter.statistics.quantities, for their values as the report says
        them)."""
        part_id, heading, fee = part
        result = checked.result
        assert result is not None
        spec = material_parts().get(part_id, {})
        return {
            "id": part_id,
            "anchor": part_id.replace(".", "-"),
            "heading": heading,
            "text": "\n".join(note_lines(result.stats.notes.get(part_id))),
            "findings": [
                f
                for f in result.findings
                if f.location.table == "素材" and f.location.row == part_id
            ],
            "example": list(spec.get("example", ())),
            "hint": spec.get("hint"),
            "fee_statement": fee,
            "facts": [
                {"id": f.id, "label": f.label, "value": known[f.id].text() if f.id in known else ""}
                for f in result.stats.facts
                if f.section == part_id
            ],
            "saved": None,
            "unchanged": False,
            "conflict": None,
            "theirs": None,
            "problems": [],
            **more,
        }

    def cards(checked: Checked) -> list[dict[str, Any]]:
        from drafter.statistics.quantities import quantities

        assert checked.result is not None
        known = quantities(checked.result.stats, checked.result.layout)
        return [card(checked, part, known) for part in parts_of(checked)]

    def heading_of(checked: Checked, part_id: str) -> str:
        """The heading of a part that has notes in the report's layout, else 404."""
        for pid, heading, _ in parts_of(checked):
            if pid == part_id:
                return heading
        raise HTTPException(404, "报告中没有这一部分")

    def card_of(checked: Checked, part_id: str, **more: Any) -> dict[str, Any]:
        from drafter.statistics.quantities import quantities

        assert checked.result is not None
        known = quantities(checked.result.stats, checked.result.layout)
        part = next(p for p in parts_of(checked) if p[0] == part_id)
        return card(checked, part, known, **more)

    def stored_summary(report_id: int) -> tuple[Any, dict[str, Any]] | None:
        head = site.workspace.head(report_id, SUMMARY_KIND, SUMMARY_DOC)
        if head is None:
            return None
        content = site.workspace.read(report_id, SUMMARY_KIND, SUMMARY_DOC, head.number)
        return head, json.loads(content)

    def summary_rows(
        checked: Checked, data: dict[str, Any], only: int | None = None
    ) -> list[dict[str, Any]]:
        """The summary's paragraphs as listed (`only`: just that one), each with the heading
        of the part it was added to, or the part suggested for it."""
        headings = {pid: heading for pid, heading, _ in parts_of(checked)}
        ids = list(headings)
        paragraphs = enumerate(data["paragraphs"])
        return [
            {
                "index": i,
                "text": p["text"],
                "part": p["part"],
                "part_heading": headings.get(p["part"], p["part"]) if p["part"] else None,
                "suggestion": None if p["part"] else suggest_part(p["text"], ids),
            }
            for i, p in paragraphs
            if only is None or i == only
        ]

    def page_context(report: Any, head: Any, checked: Checked, **more: Any) -> dict[str, Any]:
        stored = stored_summary(report.id)
        summary = None
        if stored is not None:
            summary_head, data = stored
            summary = {
                "head": summary_head,
                "file": data["file"],
                "rows": summary_rows(checked, data),
            }
        return {
            "report": report,
            "head": head,
            "cards": cards(checked),
            "choices": [(pid, heading) for pid, heading, _ in parts_of(checked)],
            "summary": summary,
            "summary_problems": [],
            "summary_conflict": None,
            **more,
        }

    @app.get("/reports/{report_id}/material", response_class=HTMLResponse)
    def material_page(request: Request, report_id: int) -> HTMLResponse:
        report, head, checked = site.current(request, report_id)
        return site.page(request, "material.html", **page_context(report, head, checked))

    # ---- one part's notes ------------------------------------------------------------------

    @app.post("/reports/{report_id}/material/parts/{part_id}", response_class=HTMLResponse)
    async def save_notes(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        form = await request.form()
        return await run_in_threadpool(save_notes_with, request, report_id, part_id, form)

    def save_notes_with(request: Request, report_id: int, part_id: str, form: Any) -> HTMLResponse:
        report, head, checked = site.current(request, report_id)
        heading = heading_of(checked, part_id)  # 404 for a part the layout has no notes for
        text = form.get("text")
        if not isinstance(text, str):
            raise HTTPException(400, "缺少这一部分的素材")
        lines = paragraph_texts(text)

        def refused(status: int, **more: Any) -> HTMLResponse:
            part = card_of(checked, part_id, text=text, **more)
            return site.page(
                request, "_material_part.html", status=status, report=report, head=head, part=part
            )

        size = sum(len(line) for line in lines)
        if size > MAX_NOTE_CHARS:  # refused before a YAML of that size is made and parsed
            message = f"素材过长（{size} 字，一个部分最多 {MAX_NOTE_CHARS} 字）"
            return refused(400, problems=[Problem(message, code="E-STATS-VALUE")])
        if lines == note_lines(checked.result.stats.notes.get(part_id)):  # type: ignore[union-attr]
            part = card_of(checked, part_id, unchanged=True)
            return site.page(request, "_material_part.html", report=report, head=head, part=part)
        content = yaml_text(with_notes(checked.data, part_id, lines)).encode()
        edited = Checked(content, ".yaml", "统计数据")
        if edited.problems:
            return refused(400, problems=edited.problems)
        try:
            version = site.save(
                report_id, "stats", STATS_DOC, content,
                base_version=base_version(form.get("base_version")),
                author=site.author(request), message=f"修改“{heading}”的素材",
            )  # fmt: skip
        except StaleVersion as exc:
            return refused(409, conflict=exc, theirs=_their_notes(exc.theirs, part_id))
        except NotFound as exc:  # a base version that never existed
            raise HTTPException(409, str(exc)) from None
        part = card_of(edited, part_id, saved=version.number)
        return site.page(
            request, "_material_part.html", report=report, head=version, part=part, bases=True
        )

    # ---- the work summary ------------------------------------------------------------------

    @app.post("/reports/{report_id}/material/summary")
    async def upload_summary(request: Request, report_id: int) -> Response:
        form = await request.form()
        return await run_in_threadpool(upload_summary_with, request, report_id, form)

    def upload_summary_with(request: Request, report_id: int, form: Any) -> Response:
        report, head, checked = site.current(request, report_id)
        upload = form.get("file")
        problems: list[Problem] = []
        if upload is None or isinstance(upload, str) or not upload.filename:
            problems = [Problem("请选择工作总结文件（.docx 或 .txt）", code="E-USAGE")]
        else:
            shown = safe_name(upload.filename)
            suffix = Path(shown).suffix.lower()
            limit = SUMMARY_LIMITS.get(suffix)
            if limit is None:
                message = "不支持的文件类型；工作总结应为 .docx 或 .txt"
                if suffix in (".doc", ".wps"):
                    message = f"不支持旧版 {suffix} 格式，请在 Word 或 WPS 中另存为 .docx"
                problems = [Problem(message, file=shown, code="E-FILE-TYPE")]
            else:
                upload.file.seek(0)
                content = upload.file.read(limit + 1)  # in the threadpool: a blocking read
                if len(content) > limit:
                    message = f"文件过大，上限 {limit // 2**20} MB"
                    problems = [Problem(message, file=shown, code="E-LIMIT-SIZE")]
                else:
                    try:
                        paragraphs = summary_paragraphs(content, suffix, shown)
                    except InputError as exc:
                        problems = exc.problems[:1]  # one line: the first reason
                    else:
                        data = {
                            "format": 1,
                            "file": shown,
                            "paragraphs": [{"text": t, "part": None} for t in paragraphs],
                        }
                        try:
                            site.save(
                                report_id, SUMMARY_KIND, SUMMARY_DOC, json_bytes(data),
                                base_version=base_version(form.get("summary_version")),
                                author=site.author(request), message=f"上传工作总结 {shown}",
                            )  # fmt: skip
                        except (StaleVersion, NotFound) as exc:
                            context = page_context(report, head, checked, summary_conflict=exc)
                            return site.page(request, "material.html", status=409, **context)
                        except InputError as exc:
                            problems = exc.problems[:1]
                        else:
                            return RedirectResponse(
                                f"/reports/{report_id}/material#summary", status_code=303
                            )
        context = page_context(report, head, checked, summary_problems=problems)
        return site.page(request, "material.html", status=400, **context)

    @app.post("/reports/{report_id}/material/summary/{index}", response_class=HTMLResponse)
    async def add_paragraph(request: Request, report_id: int, index: int) -> HTMLResponse:
        form = await request.form()
        return await run_in_threadpool(add_paragraph_with, request, report_id, index, form)

    def add_paragraph_with(request: Request, report_id: int, index: int, form: Any) -> HTMLResponse:
        """Append paragraph `index` of the summary to a part's notes (a statistics version,
        none when the notes have it already), then record where it went (a summary version).
        In that order: a failure between the two leaves the paragraph in the notes and not
        marked, and adding it again does not add it twice."""
        report, head, checked = site.current(request, report_id)
        stored = stored_summary(report_id)
        if stored is None:
            raise HTTPException(404, "这份报告还没有上传工作总结")
        summary_head, data = stored
        if not 0 <= index < len(data["paragraphs"]):
            raise HTTPException(404, "工作总结中没有这一段")
        part_id = form.get("part")
        choices = {pid: heading for pid, heading, _ in parts_of(checked)}
        if not isinstance(part_id, str) or (part_id and part_id not in choices):
            raise HTTPException(400, "未知的部分")
        paragraph = data["paragraphs"][index]

        def row(status: int = 200, **more: Any) -> HTMLResponse:
            [shown] = summary_rows(checked, data, only=index)
            if part_id and not shown["part"]:
                shown["suggestion"] = part_id  # the clerk's choice stays selected
            context = {"problems": [], "conflict": None, "part": None, "bases": False, **more}
            return site.page(
                request, "_material_paragraph.html", status=status, report=report,
                row=shown, choices=list(choices.items()), **context,
            )  # fmt: skip

        if paragraph["part"]:  # added already (on another page, or a second click)
            return row()
        if not part_id:
            return row(400, problems=[Problem("请选择要加入的部分", code="E-USAGE")])
        summary_base = base_version(form.get("summary_version"))
        if summary_base != summary_head.number:  # refused before the notes change
            return row(409, conflict=StaleVersion(summary_head, summary_base, None, b""))
        lines = note_lines(checked.result.stats.notes.get(part_id))  # type: ignore[union-attr]
        version = None
        if paragraph["text"] not in lines:
            content = yaml_text(with_notes(checked.data, part_id, [*lines, paragraph["text"]]))
            edited = Checked(content.encode(), ".yaml", "统计数据")
            if edited.problems:
                return row(400, problems=edited.problems)
            try:
                version = site.save(
                    report_id, "stats", STATS_DOC, content.encode(),
                    base_version=base_version(form.get("base_version")),
                    author=site.author(request),
                    message=f"从工作总结加入“{choices[part_id]}”的素材",
                )  # fmt: skip
            except StaleVersion as exc:
                return row(409, conflict=exc)
            except NotFound as exc:
                raise HTTPException(409, str(exc)) from None
            checked, head = edited, version
        recorded = copy.deepcopy(data)
        recorded["paragraphs"][index]["part"] = part_id
        try:
            summary_head = site.save(
                report_id, SUMMARY_KIND, SUMMARY_DOC, json_bytes(recorded),
                base_version=summary_base, author=site.author(request),
                message=f"第 {index + 1} 段加入“{choices[part_id]}”",
            )  # fmt: skip
        except (StaleVersion, NotFound) as exc:
            return row(409, conflict=exc)
        data = recorded
        return row(
            part=card_of(checked, part_id, saved=version.number if version else None),
            head=head,
            summary_head=summary_head,
            bases=True,
        )


def _their_notes(content: bytes, part_id: str) -> list[str] | None:
    """The notes of `part_id` in the other person's version, for the conflict message."""
    from drafter.workflows import parse_statistics_text

    try:
        data, _ = parse_statistics_text(content, "统计数据")
    except InputError:
        return None
    notes = data.get("notes") if isinstance(data, dict) else None
    value = notes.get(part_id) if isinstance(notes, dict) else None
    if value is not None and not isinstance(value, str | list):
        return None
    return note_lines([str(v) for v in value] if isinstance(value, list) else value)
