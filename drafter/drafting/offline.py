"""The offline drafter: narrative paragraphs from templates, with no model and no network.

The sentences live in `prompts/offline/*.j2` (Jinja2, run in a sandbox), one file per
narrative part, so that users can change the wording without touching code. Templates write
numbers only through placeholders (`{proactive.items}`, `{@applications.new_received}`), which
`drafter.statistics.quantities.fill` substitutes; each paragraph records the quantities it states.
Staff notes are inserted as text, never evaluated as template code.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from drafter.errors import InputError
from drafter.formats import Layout
from drafter.report import OFFLINE, Paragraph
from drafter.resources import prompts_dir
from drafter.statistics.quantities import CELL_PREFIX, PLACEHOLDER, Quantity, fill
from drafter.statistics.stats import Fact, Stats

PROMPTS_ENV = "DRAFTER_PROMPTS_DIR"
_CN_DIGITS = "零一二三四五六七八九十"
_ORDINAL = re.compile(r"^(（[一二三四五六七八九十]+）|[一二三四五六七八九十]+、|\d+\.)")
_END = "。！？；：…”』」）)"
_REMARK = re.compile(r"（[^（）]*）$")  # 部分公开（区分处理的……）: the remark stays in the table


def chinese_count(n: int) -> str:
    """1 → 一 … 10 → 十, 11 → 十一, 20 → 二十 (enough for part counts and enumerations)."""
    if n <= 10:
        return _CN_DIGITS[n]
    if n < 20:
        return "十" + _CN_DIGITS[n - 10]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _CN_DIGITS[tens] + "十" + (_CN_DIGITS[ones] if ones else "")
    return str(n)


def self_name(stats: Stats) -> str:
    """How the agency refers to itself in its own report: as `profile.self_name` says, or
    from the ending of its name (我局, 我委, 我办, 我区 …), else 本机关."""
    if stats.profile.self_name:
        return stats.profile.self_name
    # 黔东南州人民政府（州政府办公室）: the remark in parentheses does not name the body
    name = re.sub(r"[（(][^（）()]*[）)]$", "", stats.agency.strip()).strip()
    for ending, short in (
        ("街道办事处", "我街道"),
        ("人民政府办公室", "我办"),
        ("办公室", "我办"),
        ("委员会", "我委"),
        ("管理局", "我局"),
        ("局", "我局"),
        ("厅", "我厅"),
        ("委", "我委"),
        ("办", "我办"),
        ("中心", "我中心"),
        ("院", "我院"),
        ("署", "我署"),
        ("总队", "我总队"),
        ("支队", "我支队"),
        ("大队", "我大队"),
        ("联合会", "我会"),
        ("所", "我所"),
        ("站", "我站"),
        ("馆", "我馆"),
        ("社", "我社"),
        ("公司", "我公司"),
    ):
        if name.endswith(ending):
            return short
    government = re.search(r"(省|市|州|盟|县|区|旗|镇|乡)人民政府$", name)
    if government:
        return "我" + government.group(1)
    return "本机关"


_SPACE_IN_CHINESE = re.compile(
    r"(?<=[^\x00-\x7f])[ \t\r\n]+|(?<![ \t\r\n])[ \t\r\n]++(?=[^\x00-\x7f])"
)  # possessive, and starting only where a run of spaces starts: linear on long runs


def tidy(text: str) -> str:
    """Remove the spaces a folded YAML string or a line break leaves between Chinese
    characters (中文不用空格); spaces between Latin words stay."""
    return _SPACE_IN_CHINESE.sub("", text.strip())


def sentence(text: str) -> str:
    """A note item as a sentence: trimmed, ending in a full stop."""
    text = text.strip()
    if not text:
        return ""
    if text[-1] in "，,;；、":
        text = text[:-1]
    return text if text[-1] in _END else text + "。"


def enumerate_cn(items: list[str]) -> str:
    """["严格审核", "落实集中公开"] → "一是严格审核。二是落实集中公开。" (one item: as is)."""
    items = [i for i in (sentence(i) for i in items) if i]
    if len(items) <= 1:
        return "".join(items)
    return "".join(f"{chinese_count(n)}是{item}" for n, item in enumerate(items, 1))


class OfflineDrafter:
    """Drafts every narrative part from the statistics, facts, notes and templates."""

    id = OFFLINE

    def __init__(
        self,
        stats: Stats,
        layout: Layout,
        quantities: dict[str, Quantity],
        prompts: Path | None = None,
    ) -> None:
        self.stats = stats
        self.layout = layout
        self.quantities = quantities
        self.prompts = prompts

    @cached_property
    def env(self) -> SandboxedEnvironment:
        builtin = prompts_dir() / "offline"
        search = [builtin]
        override = self.prompts or (
            Path(os.environ[PROMPTS_ENV]) if os.environ.get(PROMPTS_ENV) else None
        )
        if override is not None:
            search.insert(0, override / "offline")
        env = SandboxedEnvironment(
            loader=jinja2.FileSystemLoader([str(p) for p in search], encoding="utf-8"),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
            keep_trailing_newline=True,
        )
        env.filters["sentence"] = sentence
        env.filters["enumerate_cn"] = enumerate_cn
        env.globals.update(self._globals())
        return env

    def _globals(self) -> dict[str, Any]:
        s = self.stats
        titles = [section.title for section in self.layout.sections]
        return {
            "agency": s.agency,
            "self_name": self_name(s),
            "year": s.year,
            "basis": self.layout.basis,
            "parts": "、".join(titles),
            "part_count": chinese_count(len(titles)),
            "publication": s.publication,
            "contact": s.contact,
            "v": self._value,
            "name": self._name,
            "notes": self._notes,
            "facts": self._facts,
            "fact_sentence": self._fact_sentence,
        }

    # ---- what templates can ask -------------------------------------------------------------

    def _value(self, name: str) -> int | Decimal | None:
        quantity = self.quantities.get(name)
        return None if quantity is None else quantity.value

    def _name(self, key: str) -> str:
        """The official label of a row or cell without its ordinal: 无法提供, 行政许可."""
        key = key.removeprefix(CELL_PREFIX)
        info = self.layout.cell_info(key)
        if info is not None:
            label = info.row_label.split(" · ")[-1] if info.row_label else ""
            if not label or key.startswith("review_litigation."):
                label = info.column_header.split(" · ")[-1]
        else:
            # a group of rows: the label its first row carries at the group's level
            depth = len(key.split(".")) - 1  # applications.results.withheld → 2
            first = next((i for k, i in self._all_cells() if k.startswith(key + ".")), None)
            if first is None:
                raise InputError(f"模板引用了不存在的表格项 {key}", code="E-LAYOUT")
            parts = first.row_label.split(" · ")
            label = parts[min(depth - 1, len(parts) - 1)]
        return _REMARK.sub("", _ORDINAL.sub("", label))

    def _all_cells(self) -> list[tuple[str, Any]]:
        return [(k, i) for t in self.layout.tables.values() for k, i in t.cells.items()]

    def _notes(self, section: str) -> list[str]:
        value = self.stats.notes.get(section)  # type: ignore[call-overload]
        if not value:
            return []
        items = value if isinstance(value, list) else [value]
        return [tidy(str(i)) for i in items if str(i).strip()]

    @cached_property
    def _in_notes(self) -> set[str]:
        """Quantities the staff notes already state through placeholders."""
        names: set[str] = set()
        for section in self.stats.notes:
            for item in self._notes(section):
                names.update(m.group(1) for m in PLACEHOLDER.finditer(item))
        return names

    def _facts(self, section: str) -> list[Fact]:
        """The section's facts that neither a note states nor another fact contains."""
        own = [f for f in self.stats.facts if f.section == section]
        parts = {p for f in own for p in f.parts}
        return [f for f in own if f.id not in parts and f.id not in self._in_notes]

    def _fact_sentence(self, fact: Fact) -> str:
        """label{id}, with its parts: 公开政府信息{proactive.items}，其中……"""
        text = f"{fact.label}{{{fact.id}}}"
        parts = [p for p in (self.stats.fact(i) for i in fact.parts) if p is not None]
        if parts:
            text += "，其中" + "、".join(f"{p.label}{{{p.id}}}" for p in parts)
        return text

    # ---- drafting ---------------------------------------------------------------------------

    def render(self, template: str, **extra: Any) -> list[Paragraph]:
        """Render one template into paragraphs (blank lines separate them)."""
        try:
            text = self.env.get_template(f"{template}.j2").render(**extra)
        except jinja2.TemplateNotFound:
            raise InputError(f"找不到离线起草模板 {template}.j2", code="E-LAYOUT") from None
        except jinja2.TemplateError as exc:
            where = getattr(exc, "filename", None) or f"{template}.j2"
            line = getattr(exc, "lineno", None)
            raise InputError(
                f"{where}:{line or ''} 离线起草模板有误：{exc}", code="E-LAYOUT"
            ) from None
        return self._paragraphs(text, template)

    def _paragraphs(self, text: str, template: str) -> list[Paragraph]:
        out = []
        for block in re.split(r"\n\s*\n", text):
            joined = "".join(line.strip() for line in block.splitlines())
            if not joined:
                continue
            filled = fill(joined, self.quantities)
            if filled.unknown:
                names = "、".join("{" + n + "}" for n in filled.unknown)
                raise InputError(
                    f"{template}.j2 或其素材引用了统计数据中没有的数：{names}"
                    "（表格空白的数不能写入正文；事实编号请核对统计文件的 facts）",
                    code="E-STATS-VALUE",
                )
            out.append(Paragraph(filled.text, OFFLINE, filled.used, spans=filled.spans))
        return out

    def preamble(self) -> list[Paragraph]:
        return self.render("preamble")

    def section(self, section_id: str, *, fee_statement: bool = False) -> list[Paragraph]:
        return self.render(section_id, fee_statement=fee_statement)

    def cover_letter_body(self) -> list[str]:
        return [p.text for p in self.render("cover_letter")]
