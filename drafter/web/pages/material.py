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

The rest of the statistics file a clerk fills in outside the tables is edited here too, each
save a statistics version made as a part's notes are (the checked head's parsed data copied,
changed, dumped, checked again through `Checked`, saved on the version the page was loaded
from, refused with 409 when stale): the 机关信息 card (`publication`, `contact`, `profile`,
`cover_letter`, docs/statistics-file.md §10) and, in each part's card, the facts of that part
(`facts`, §8) as a table, a new row given the id the workbook gives a fact written without
one (`<part>.f<6 hex of its label's hash>`). Errors of the statistics contract and the check's
findings are shown at the field or row they name; nothing is checked here.
"""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, get_args

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from drafter.errors import InputError, Problem
from drafter.limits import MAX_DOCX_BYTES, MAX_FACTS, MAX_NOTE_CHARS, MAX_TEXT_DOCUMENT_BYTES
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


# ---- 机关信息: publication, contact, profile, cover letter (§10) -----------------------------

# The card's groups: (block, legend, hint, ((key, label, placeholder), …)). The keys are the
# statistics model's (drafter.statistics.stats: Publication, Contact, Profile, CoverLetter).
AGENCY_GROUPS: tuple[tuple[str, str, str, tuple[tuple[str, str, str], ...]], ...] = (
    (
        "publication",
        "发布网站",
        "前言“本报告电子版可在……查阅”一句用到；缺少时离线起草的稿子留下【待补充】。",
        (
            ("site", "网站名称", "如 泉州市科技信息网站"),
            ("url", "网址", "如 http://kj.quanzhou.gov.cn/"),
            ("column", "栏目", "如 政府信息公开年度报告"),
        ),
    ),
    (
        "contact",
        "联系方式",
        "写进前言；缺少时离线起草的稿子留下【待补充】。",
        (
            ("office", "联系部门", "如 某某局办公室"),
            ("address", "通讯地址", ""),
            ("postal_code", "邮政编码", "6 位数字"),
            ("phone", "联系电话", ""),
            ("fax", "传真", ""),
            ("email", "电子邮箱", ""),
        ),
    ),
    (
        "profile",
        "机关性质",
        "不填的按机关名称推断。",
        (
            ("self_name", "报告中的自称", "如 我局、我区、我委"),
            ("rulemaking_power", "规章制定权", ""),
            ("level", "机关层级", "如 市直部门、县级人民政府"),
        ),
    ),
    (
        "cover_letter",
        "报送函",
        "以函报送、报告作为附件时填写，至少写主送机关。",
        (
            ("doc_number", "发文字号", "如 泉科函〔2024〕2号"),
            ("recipient", "主送机关", "如 泉州市人民政府办公室"),
            ("contact_person", "联系人", ""),
            ("contact_phone", "联系电话", ""),
            ("date", "成文日期", "如 2024年1月15日 或 2024-01-15"),
        ),
    ),
)
AGENCY_PATHS = tuple(
    f"{block}.{key}" for block, _, _, fields in AGENCY_GROUPS for key, _, _ in fields
)
AGENCY_LABELS = {
    f"{block}.{key}": f"{legend} · {label}"
    for block, legend, _, fields in AGENCY_GROUPS
    for key, label, _ in fields
}
POWER = "profile.rulemaking_power"
POWER_CHOICES = (("", "按名称推断"), ("true", "有"), ("false", "没有"))
# Findings about the 规章 row that a stated rulemaking power answers: shown at that field too.
POWER_CODES = ("W-RULES-NO-POWER", "W-RULES-NO-POWER-PREV")


def _shown_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def agency_values(stats: Any) -> dict[str, str]:
    """Each field of the card as the page shows it (the model's value: a date normalised)."""
    values = {}
    for path in AGENCY_PATHS:
        block, key = path.split(".")
        node = getattr(stats, block)
        values[path] = _shown_text(getattr(node, key, None) if node is not None else None)
    return values


def _agency_value(path: str, text: str) -> Any:
    """A typed field as the statistics file writes it: blank → left out, the rulemaking power
    → true/false, any other → the text as typed (the model reads and normalises it)."""
    text = text.strip()
    if not text:
        return None
    if path == POWER:
        choices = {"true": True, "false": False}
        if text not in choices:
            raise HTTPException(400, "规章制定权只能选“有”“没有”或“按名称推断”")
        return choices[text]
    return text


def _ordered_put(data: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """`data` with top-level `key` set to `value`: in place when it is there, else inserted
    where the statistics model lists it, so that the file reads in its usual order."""
    if key in data:
        data[key] = value
        return data
    from drafter.statistics.stats import Stats

    order = list(Stats.model_fields)
    rank = order.index(key)
    out: dict[str, Any] = {}
    for name, item in data.items():
        if key not in out and name in order and order.index(name) > rank:
            out[key] = value
        out[name] = item
    out.setdefault(key, value)
    return out


def with_agency(data: Any, typed: dict[str, str], shown: dict[str, str]) -> tuple[Any, bool]:
    """A copy of parsed statistics `data` with the card's fields as `typed` (a field not in
    `typed`, or typed as `shown`, is left as the file has it); whether anything changed. A
    block left with no field is removed (the model's defaults: nothing written)."""
    data = copy.deepcopy(data)
    changed = False
    for path, text in typed.items():
        if text.strip() == shown[path]:
            continue
        block, key = path.split(".")
        node = data.get(block)
        node = dict(node) if isinstance(node, dict) else {}
        value = _agency_value(path, text)
        if value is None:
            if key not in node:
                continue
            node.pop(key)
        else:
            node[key] = value
        changed = True
        if node:
            data = _ordered_put(data, block, node)
        else:
            data.pop(block, None)
    return data, changed


def their_agency(content: bytes, typed: dict[str, str]) -> list[tuple[str, str]] | None:
    """(label, value) of the card's fields in the other person's version that differ from
    what was typed, for the conflict message; None when that version cannot be read."""
    from drafter.workflows import parse_statistics_text

    try:
        data, _ = parse_statistics_text(content, "统计数据")
    except InputError:
        return None
    if not isinstance(data, dict):
        return None
    out = []
    for path in AGENCY_PATHS:
        block, key = path.split(".")
        node = data.get(block)
        value = node.get(key) if isinstance(node, dict) else None
        theirs = _shown_text(value) if isinstance(value, str | int | bool | Decimal) else ""
        if path in typed and theirs != typed[path].strip():
            if path == POWER:
                theirs = dict(POWER_CHOICES)[theirs] if theirs in ("", "true", "false") else theirs
            out.append((AGENCY_LABELS[path], theirs or "（未填）"))
    return out


# ---- facts (§8): each part's, as a table ----------------------------------------------------

FACT_FIELDS = ("label", "value", "approx", "unit", "cell", "parts")
# A form of a part's facts: these fields, the row's number and id, a delete box per row.
MAX_FACT_FORM_FIELDS = (len(FACT_FIELDS) + 3) * (MAX_FACTS + 10) + 10
_FACT_PATH = re.compile(r"facts\[(\d+)\](?:\((.*)\))?(?:\.([a-z_]+))?")
_LIST_SEPARATORS = re.compile(r"[,，、;；\s]+")


@cache
def approx_choices() -> tuple[str, ...]:
    """The approximate words a fact may carry, as the statistics model lists them."""
    from drafter.statistics.stats import Fact

    for arg in get_args(Fact.model_fields["approx"].annotation):
        if get_args(arg):
            return tuple(get_args(arg))
    return ()  # pragma: no cover - the model's approx is a Literal


def fact_value(text: str) -> Any:
    """A typed value: blank → left out, a (signed) number → its value, anything else as it is
    (the statistics contract then says what is wrong with it)."""
    text = text.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    if re.fullmatch(r"-?\d{1,30}", text):
        return int(text)
    if re.fullmatch(r"-?\d{1,30}\.\d{1,20}", text):
        return Decimal(text)
    return text


def fact_parts(text: str) -> list[str]:
    return [p for p in _LIST_SEPARATORS.split(text.strip()) if p]


def typed_fact_rows(form: Any) -> list[dict[str, Any]]:
    """The rows of a part's facts form, in the page's order: number, id (blank for a new
    row), each field as typed, and whether its delete box is ticked. 400 for a form that
    is not the page's."""
    numbers = form.getlist("row")
    if len(numbers) > MAX_FACTS + 10:
        raise HTTPException(400, f"事实过多（一个统计文件最多 {MAX_FACTS} 条）")
    deleted = set(form.getlist("delete"))
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number in numbers:
        if not isinstance(number, str) or not re.fullmatch(r"\d{1,6}", number) or number in seen:
            raise HTTPException(400, "事实表格的行号有误")
        seen.add(number)
        row: dict[str, Any] = {"index": int(number), "delete": number in deleted}
        for name in ("id", *FACT_FIELDS):
            value = form.get(f"{name}:{number}", "")
            if not isinstance(value, str):
                raise HTTPException(400, "事实表格的内容有误")
            row[name] = value
        rows.append(row)
    return rows


def _put(fact: dict[str, Any], key: str, value: Any) -> None:
    """Set an optional key of a fact, or leave it out when blank (as the file had it, if it
    had it blank too)."""
    if value in (None, "", []):
        if fact.get(key) not in (None, "", []):
            fact.pop(key)
    else:
        fact[key] = value


def _typed_fact(fact: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """`fact` (a copy) with the fields of `row` as typed."""
    fact = dict(fact)
    fact["label"] = row["label"].strip()
    value = fact_value(row["value"])
    if value is None:
        fact.pop("value", None)  # required: the contract says so at the field
    elif _shown_text(value) != _shown_text(fact.get("value")):
        fact["value"] = value
    fact["unit"] = row["unit"].strip()
    _put(fact, "approx", row["approx"].strip() or None)
    _put(fact, "cell", row["cell"].strip() or None)
    parts = fact_parts(row["parts"])
    if parts != fact.get("parts", []):
        _put(fact, "parts", parts)
    return fact


def _blank(row: dict[str, Any]) -> bool:
    return not any(row[name].strip() for name in FACT_FIELDS)


def with_facts(
    data: Any, part_id: str, rows: list[dict[str, Any]]
) -> tuple[Any, dict[int, int], bool]:
    """A copy of parsed statistics `data` whose facts of `part_id` are the typed `rows`:
    a row with an id changes that fact (or removes it, its delete box ticked), a row without
    one that is not blank is a new fact after the part's last, its id derived as the workbook
    derives it (drafter.statistics.workbook). Facts of other parts stay where they were.
    Returns the data, the row number of each fact's position in the new list and whether
    anything changed. 400 for an id that is not one of the part's facts."""
    from drafter.statistics.workbook import _fact_id

    data = copy.deepcopy(data)
    facts = data.get("facts")
    facts = facts if isinstance(facts, list) else []
    ours = {
        f["id"]: f
        for f in facts
        if isinstance(f, dict) and f.get("section") == part_id and isinstance(f.get("id"), str)
    }
    edited: dict[str, tuple[dict[str, Any] | None, int]] = {}
    new_rows = []
    for row in rows:
        fact_id = row["id"].strip()
        if fact_id:
            if fact_id not in ours or fact_id in edited:
                raise HTTPException(400, "表格中的事实不在这一部分")
            edited[fact_id] = (
                None if row["delete"] else _typed_fact(ours[fact_id], row),
                row["index"],
            )
        elif not row["delete"] and not _blank(row):
            new_rows.append(row)
    taken = {f["id"] for f in facts if isinstance(f, dict) and isinstance(f.get("id"), str)}
    added = []
    for row in new_rows:
        fact = {"id": _fact_id({"section": part_id, "label": row["label"].strip()}, taken)}
        fact.update(_typed_fact({}, row))
        fact["section"] = part_id
        added.append((fact, row["index"]))
    last = max(
        (i for i, f in enumerate(facts) if isinstance(f, dict) and f.get("id") in ours),
        default=None,
    )
    result: list[Any] = []
    rows_at: dict[int, int] = {}

    def append_new() -> None:
        for fact, number in added:
            rows_at[len(result)] = number
            result.append(fact)

    for i, fact in enumerate(facts):
        fact_id = fact.get("id") if isinstance(fact, dict) else None
        if fact_id in ours and fact_id in edited:
            new, number = edited[fact_id]
            if new is not None:
                rows_at[len(result)] = number
                result.append(new)
        else:
            result.append(fact)
        if i == last:
            append_new()
    if last is None:
        append_new()
    changed = yaml_text(result) != yaml_text(facts)
    if changed:
        data = _ordered_put(data, "facts", result) if result or "facts" in data else data
    return data, rows_at, changed


def fact_problem_at(path: str | None, rows_at: dict[int, int]) -> tuple[int, str] | None:
    """The row number and field of a problem located at `facts[3](id).value`."""
    match = _FACT_PATH.fullmatch(path or "")
    if match is None or int(match[1]) not in rows_at:
        return None
    return rows_at[int(match[1])], match[3] or "label"


def finding_field(finding: Any) -> str:
    """The field of a fact a finding points at (E-FACT-CELL: value, E-FACT-REF: parts…)."""
    match = _FACT_PATH.fullmatch(finding.location.path or "")
    return (match[3] if match else None) or "label"


def _their_facts(content: bytes, part_id: str) -> list[dict[str, str]] | None:
    """The facts of `part_id` in the other person's version, for the conflict message."""
    from drafter.workflows import parse_statistics_text

    try:
        data, _ = parse_statistics_text(content, "统计数据")
    except InputError:
        return None
    facts = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(facts, list):
        return []
    return [
        {k: _shown_text(f.get(k)) for k in ("id", "label", "value", "approx", "unit")}
        for f in facts
        if isinstance(f, dict) and f.get("section") == part_id
    ]


# ---- the pages -----------------------------------------------------------------------------


def register(app: FastAPI, site: Site) -> None:
    def parts_of(checked: Checked) -> list[tuple[str, str, bool]]:
        from drafter.drafting.draft import narrative_parts

        assert checked.result is not None  # what is stored was read before it was stored
        return narrative_parts(checked.result.layout)

    def card(
        checked: Checked,
        part: tuple[str, str, bool],
        known: dict[str, Any],
        *,
        preserve: bool = False,
        **more: Any,
    ) -> dict[str, Any]:
        """One part's card: its notes, the check's findings about them, its example and the
        facts of the statistics file that belong to it, as a table to edit (which notes may
        cite; `known`: the statistics' quantities, drafter.statistics.quantities, for their
        values as the report says them). `preserve`: the card replaces the one on the page
        after its notes were saved, and the facts table there, which may hold unsaved
        edits, is kept (htmx's hx-preserve)."""
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
            "facts": facts_block(checked, part_id, heading, known=known, preserve=preserve),
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

    def notes_findings(checked: Checked, part_id: str) -> list[Any]:
        assert checked.result is not None
        return [
            f
            for f in checked.result.findings
            if f.location.table == "素材" and f.location.row == part_id
        ]

    # ---- the facts of a part, as a table ---------------------------------------------------

    def facts_block(
        checked: Checked,
        part_id: str,
        heading: str,
        *,
        rows: list[dict[str, Any]] | None = None,
        rows_at: dict[int, int] | None = None,
        problems: list[Problem] | tuple[Problem, ...] = (),
        more_rows: int = 0,
        known: dict[str, Any] | None = None,
        **more: Any,
    ) -> dict[str, Any]:
        """The facts table of a part: the stored facts (and a blank row for a new one), or
        the `rows` as typed, with the check's findings at the row of the fact they name and
        the problems that refused a save at the row and field they name (`rows_at`: the row
        number of each position in the list that was checked)."""
        from drafter.checking.findings import sort_findings
        from drafter.statistics.quantities import quantities

        result = checked.result
        assert result is not None
        if rows is None:
            rows = [
                {
                    "index": i,
                    "id": f.id,
                    "label": f.label,
                    "value": _shown_text(f.value),
                    "approx": f.approx or "",
                    "unit": f.unit,
                    "cell": f.cell or "",
                    "parts": ", ".join(f.parts),
                    "delete": False,
                }
                for i, f in enumerate(f for f in result.stats.facts if f.section == part_id)
            ]
            more_rows += 1  # a blank row to add a fact in
        if known is None:
            known = quantities(result.stats, result.layout)
        findings: dict[str, list[Any]] = {}
        for finding in sort_findings(list(result.findings)):
            if finding.location.table == "事实" and finding.location.row:
                findings.setdefault(finding.location.row, []).append(finding)
        errors: dict[int, list[tuple[str, Problem]]] = {}
        unplaced = []
        for problem in problems:
            at = fact_problem_at(problem.path, rows_at or {})
            if at is None:
                unplaced.append(problem)
            else:
                errors.setdefault(at[0], []).append((at[1], problem))
        shown = []
        for row in rows:
            row_findings = findings.get(row["id"], []) if row["id"] else []
            row_errors = errors.get(row["index"], [])
            marks = {field: "error" for field, _ in row_errors}
            for finding in row_findings:
                marks.setdefault(finding_field(finding), finding.severity.value)
            quantity = known.get(row["id"]) if row["id"] else None
            shown.append(
                {
                    **row,
                    "findings": [(finding_field(f), f) for f in row_findings],
                    "errors": row_errors,
                    "marks": marks,
                    "says": quantity.text() if quantity is not None else "",
                }
            )
        next_index = max((row["index"] for row in rows), default=-1) + 1
        for n in range(more_rows):
            blank = dict.fromkeys(("id", *FACT_FIELDS), "")
            shown.append(
                {**blank, "index": next_index + n, "delete": False, "findings": [],
                 "errors": [], "marks": {}, "says": ""}
            )  # fmt: skip
        return {
            "part_id": part_id,
            "anchor": part_id.replace(".", "-"),
            "heading": heading,
            "rows": shown,
            "approx": approx_choices(),
            "problems": unplaced,
            "refused": bool(problems),
            "saved": None,
            "unchanged": False,
            "conflict": None,
            "theirs": None,
            "preserve": False,
            **more,
        }

    # ---- the 机关信息 card --------------------------------------------------------------------

    def agency_card(
        checked: Checked,
        typed: dict[str, str] | None = None,
        problems: list[Problem] | tuple[Problem, ...] = (),
        **more: Any,
    ) -> dict[str, Any]:
        """The card's fields (as stored, or as `typed`), each with the check's findings that
        point at it and the problems that refused a save there."""
        from drafter.checking.findings import sort_findings

        result = checked.result
        assert result is not None
        values = {**agency_values(result.stats), **(typed or {})}
        findings: dict[str, list[Any]] = {path: [] for path in AGENCY_PATHS}
        for finding in sort_findings(list(result.findings)):
            path = finding.location.path or ""
            if path in findings:
                findings[path].append(finding)
            elif finding.code in POWER_CODES:
                findings[POWER].append(finding)
        errors: dict[str, list[Problem]] = {path: [] for path in AGENCY_PATHS}
        unplaced = []
        for problem in problems:
            if problem.path in errors:
                errors[problem.path].append(problem)
            else:
                unplaced.append(problem)
        groups = [
            {
                "block": block,
                "legend": legend,
                "hint": hint,
                "fields": [
                    {
                        "path": f"{block}.{key}",
                        "id": f"agency-{block}-{key}",
                        "label": label,
                        "placeholder": placeholder,
                        "value": values[f"{block}.{key}"],
                        "choices": POWER_CHOICES if f"{block}.{key}" == POWER else None,
                        "findings": findings[f"{block}.{key}"],
                        "errors": errors[f"{block}.{key}"],
                    }
                    for key, label, placeholder in fields
                ],
            }
            for block, legend, hint, fields in AGENCY_GROUPS
        ]
        return {
            "groups": groups,
            "problems": unplaced,
            "refused": bool(problems),
            "saved": None,
            "unchanged": False,
            "conflict": None,
            "theirs": None,
            **more,
        }

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
            "agency": agency_card(checked),
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
            part = card_of(checked, part_id, text=text, preserve=True, **more)
            return site.page(
                request, "_material_part.html", status=status, report=report, head=head, part=part
            )

        size = sum(len(line) for line in lines)
        if size > MAX_NOTE_CHARS:  # refused before a YAML of that size is made and parsed
            message = f"素材过长（{size} 字，一个部分最多 {MAX_NOTE_CHARS} 字）"
            return refused(400, problems=[Problem(message, code="E-STATS-VALUE")])
        if lines == note_lines(checked.result.stats.notes.get(part_id)):  # type: ignore[union-attr]
            part = card_of(checked, part_id, unchanged=True, preserve=True)
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
        part = card_of(edited, part_id, saved=version.number, preserve=True)
        return site.page(
            request, "_material_part.html", report=report, head=version, part=part, bases=True
        )

    # ---- 机关信息 ----------------------------------------------------------------------------

    @app.post("/reports/{report_id}/material/agency", response_class=HTMLResponse)
    async def save_agency(request: Request, report_id: int) -> HTMLResponse:
        form = await request.form()
        return await run_in_threadpool(save_agency_with, request, report_id, form)

    def save_agency_with(request: Request, report_id: int, form: Any) -> HTMLResponse:
        report, head, checked = site.current(request, report_id)
        assert checked.result is not None
        typed: dict[str, str] = {}
        for path in AGENCY_PATHS:
            value = form.get(path)
            if value is None:
                continue  # not on the form: left as it is
            if not isinstance(value, str):
                raise HTTPException(400, "机关信息的内容有误")
            typed[path] = value
        data, changed = with_agency(checked.data, typed, agency_values(checked.result.stats))

        def shown(status: int = 200, **more: Any) -> HTMLResponse:
            return site.page(
                request, "_material_agency.html", status=status, report=report, head=head,
                agency=agency_card(checked, **more),
            )  # fmt: skip

        if not changed:
            return shown(unchanged=True)
        content = yaml_text(data).encode()
        edited = site.check_content(report_id, content, checked.previous_head)
        if edited.problems:
            return shown(400, typed=typed, problems=edited.problems)
        try:
            version = site.save(
                report_id, "stats", STATS_DOC, content,
                base_version=base_version(form.get("base_version")),
                author=site.author(request), message="修改机关信息",
            )  # fmt: skip
        except StaleVersion as exc:
            return shown(409, typed=typed, conflict=exc, theirs=their_agency(exc.theirs, typed))
        except NotFound as exc:  # a base version that never existed
            raise HTTPException(409, str(exc)) from None
        site.caches["stats"].put(site.checked_key(report_id, version, edited.previous_head), edited)
        return site.page(
            request, "_material_agency.html", report=report, head=version,
            agency=agency_card(edited, saved=version.number), bases=True,
        )  # fmt: skip

    # ---- one part's facts ------------------------------------------------------------------

    @app.post("/reports/{report_id}/material/facts/{part_id}", response_class=HTMLResponse)
    async def save_facts(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        form = await request.form(max_fields=MAX_FACT_FORM_FIELDS)
        return await run_in_threadpool(save_facts_with, request, report_id, part_id, form)

    def save_facts_with(request: Request, report_id: int, part_id: str, form: Any) -> HTMLResponse:
        report, head, checked = site.current(request, report_id)
        heading = heading_of(checked, part_id)  # 404 for a part the layout has no notes for
        rows = typed_fact_rows(form)
        data, rows_at, changed = with_facts(checked.data, part_id, rows)

        def refused(status: int, **more: Any) -> HTMLResponse:
            block = facts_block(checked, part_id, heading, rows=rows, rows_at=rows_at, **more)
            return site.page(
                request, "_material_facts.html", status=status, report=report, head=head,
                facts=block,
            )  # fmt: skip

        if not changed:
            block = facts_block(checked, part_id, heading, unchanged=True)
            return site.page(request, "_material_facts.html", report=report, head=head, facts=block)
        content = yaml_text(data).encode()
        edited = site.check_content(report_id, content, checked.previous_head)
        if edited.problems:
            return refused(400, problems=edited.problems)
        try:
            version = site.save(
                report_id, "stats", STATS_DOC, content,
                base_version=base_version(form.get("base_version")),
                author=site.author(request), message=f"修改“{heading}”的事实",
            )  # fmt: skip
        except StaleVersion as exc:
            return refused(409, conflict=exc, theirs=_their_facts(exc.theirs, part_id))
        except NotFound as exc:  # a base version that never existed
            raise HTTPException(409, str(exc)) from None
        site.caches["stats"].put(site.checked_key(report_id, version, edited.previous_head), edited)
        block = facts_block(edited, part_id, heading, saved=version.number)
        notes = {"anchor": block["anchor"], "findings": notes_findings(edited, part_id)}
        return site.page(
            request, "_material_facts.html", report=report, head=version, facts=block,
            bases=True, notes_part=notes,
        )  # fmt: skip

    @app.post("/reports/{report_id}/material/facts/{part_id}/rows", response_class=HTMLResponse)
    async def add_fact_row(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        """The part's facts table as typed, with one more blank row: nothing is saved."""
        form = await request.form(max_fields=MAX_FACT_FORM_FIELDS)
        return await run_in_threadpool(add_fact_row_with, request, report_id, part_id, form)

    def add_fact_row_with(
        request: Request, report_id: int, part_id: str, form: Any
    ) -> HTMLResponse:
        report, _, checked = site.current(request, report_id)
        heading = heading_of(checked, part_id)
        rows = typed_fact_rows(form)
        block = facts_block(checked, part_id, heading, rows=rows, more_rows=1)
        return site.page(request, "_material_facts.html", report=report, facts=block)

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
