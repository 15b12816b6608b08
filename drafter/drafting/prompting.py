"""The messages sent to a model for one narrative part, built from the files in prompts/.

`prompts/system.md` holds the shared rules of official prose; `prompts/sections/<id>.md` what
each part should cover; `prompts/user.j2` the request around them: the numbers the part may
state, as `{placeholders}` with the words a report uses for them (never the tables'
headings), the numbers that are zero in one line, blank table cells, and the staff notes,
numbered (`[素材1]` …) so that the model can say which one a sentence comes from, and
clearly delimited as material (never instructions). `prompts/repair.j2` asks for a revision;
the same request with the part's current text rewrites a part an editor has changed. Users
may edit every one of these files (`DRAFTER_PROMPTS_DIR` points at an edited copy); the hash
of the files in use is the prompt version, part of the cache key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from drafter.drafting.offline import PROMPTS_ENV, self_name, tidy
from drafter.errors import InputError
from drafter.formats import Layout
from drafter.resources import prompts_dir
from drafter.statistics.quantities import (
    YOY_PERCENT_PREFIX,
    YOY_PREFIX,
    Quantity,
    plain_label,
    prompt_words,
)
from drafter.statistics.stats import Stats

# Which table quantities each part may state (facts of the part are always offered).
TABLE_QUANTITIES = {
    "overall.proactive": ("@proactive.",),
    "overall.requests": ("@applications.", "@review_litigation"),
    "other": ("@processing_fees.",),
    "fees": ("@processing_fees.",),
    "overall": ("@applications.new_received", "@applications.results.total"),
}
# Table cells whose blanks a part must not write about (and says so).
BLANK_CELLS = {
    "overall.proactive": ("proactive.",),
    "overall.requests": ("applications.", "review_litigation."),
    "other": ("processing_fees.",),
    "fees": ("processing_fees.",),
}


def _worth_offering(name: str) -> bool:
    """Table 三 is offered by rows and groups (their totals) and by applicant type for the new
    applications; offering all 175 cells would drown the prompt."""
    if not name.startswith("@applications."):
        return True
    parts = name[1:].split(".")
    if parts[1] == "new_received":
        return parts[-1] != "total"
    if parts[1] == "results":
        if len(parts) == 3:  # a row or a group: results.disclosed, results.withheld
            return True
        # a row of a group (results.withheld.state_secret), not a column of a row
        return len(parts) == 4 and parts[2] not in ("disclosed", "partially_disclosed", "total")
    return len(parts) == 2


def _headline(name: str) -> bool:
    """Whether a zero is worth saying (a row or a group, not every column of a block)."""
    if name.startswith("@review_litigation"):
        return name.count(".") <= 1
    if name.startswith("@applications.new_received."):
        return name.endswith(".organisations")
    return name.count(".") <= 2


@dataclass(frozen=True)
class Offered:
    name: str
    label: str  # the words a report uses for it
    text: str  # the value as it will stand in the text


@dataclass
class Material:
    """What one part may state: numbers (by placeholder), zeros, blanks, notes."""

    offered: list[Offered] = field(default_factory=list)
    zeros: list[str] = field(default_factory=list)  # words for the quantities that are 0
    blanks: list[str] = field(default_factory=list)  # table rows or blocks left blank
    corrected: list[str] = field(default_factory=list)  # facts drafted with the table's value
    notes: list[str] = field(default_factory=list)  # the staff notes, tidied, numbered from 1


class Prompts:
    """The prompt files in use (an edited copy first, the package's own after)."""

    def __init__(self, directory: Path | None = None) -> None:
        override = directory or (
            Path(os.environ[PROMPTS_ENV]) if os.environ.get(PROMPTS_ENV) else None
        )
        self.search = [d for d in (override, prompts_dir()) if d is not None]

    def read(self, name: str) -> str:
        for directory in self.search:
            path = directory / name
            if path.is_file():
                return path.read_text(encoding="utf-8")
        raise InputError(f"找不到提示词文件 prompts/{name}")

    @cached_property
    def env(self) -> SandboxedEnvironment:
        return SandboxedEnvironment(
            loader=jinja2.FileSystemLoader([str(d) for d in self.search], encoding="utf-8"),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=False,
        )

    def render(self, template: str, **values: Any) -> str:
        try:
            return self.env.get_template(template).render(**values).strip()
        except jinja2.TemplateError as exc:
            raise InputError(f"prompts/{template} 有误：{exc}") from None

    def version(self, section: str) -> str:
        text = "".join(
            self.read(name)
            for name in ("system.md", "user.j2", "repair.j2", f"sections/{section}.md")
        )
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def notes_of(stats: Stats, section: str) -> list[str]:
    """The staff notes of a part, each item tidied (no spaces left by YAML folding)."""
    value = stats.notes.get(section)  # type: ignore[call-overload]
    items = [] if not value else (value if isinstance(value, list) else [value])
    return [tidy(str(i)) for i in items if str(i).strip()]


def material(
    section: str,
    stats: Stats,
    layout: Layout,
    quantities: dict[str, Quantity],
    corrected: list[tuple[Quantity, Quantity]] = (),  # type: ignore[assignment]
) -> Material:
    """The facts of the part and the table quantities it may state, split into numbers to
    offer and zeros to say in words; blank cells; the notes."""
    prefixes = () if _fee_elsewhere(layout, section) else TABLE_QUANTITIES.get(section, ())
    out = Material(notes=notes_of(stats, section))
    changes: list[str] = []
    for name, quantity in quantities.items():
        if quantity.kind == "change":
            continue
        if quantity.kind == "fact":
            fact = stats.fact(name)
            if fact is None or fact.section != section:
                continue
        elif (
            not name.startswith(prefixes)
            or (section == "overall" and name not in prefixes)
            or not _worth_offering(name)
        ):
            continue
        if quantity.kind != "fact" and not quantity.value:
            if _headline(name):
                out.zeros.append(plain_label(quantity))
            continue
        out.offered.append(Offered(name, plain_label(quantity), quantity.text()))
        changes.append(name)
    for prefix in (YOY_PREFIX, YOY_PERCENT_PREFIX):
        for name in changes:
            change = quantities.get(prefix + name.removeprefix("@"))
            if change is not None:
                out.offered.append(Offered(change.name, change.label, change.text()))
    for given, drafted in corrected:
        fact = stats.fact(given.name)
        if fact is not None and fact.section == section:
            out.corrected.append(
                f"统计文件中“{given.label}”写作{given.text()}，与表格（{drafted.text()}）不符；"
                f"占位符 {{{given.name}}} 已改用表格的数"
            )
    out.blanks = blank_groups(section, stats, layout)
    return out


def blank_groups(section: str, stats: Stats, layout: Layout) -> list[str]:
    """The rows or blocks of the part's tables with a blank cell, in the report's words."""
    prefixes = BLANK_CELLS.get(section, ())
    seen: list[str] = []
    for table in layout.tables.values():
        for key in table.cells:
            if not key.startswith(prefixes):
                continue
            try:
                value = stats.value(key)
            except KeyError:
                continue
            if value is not None:
                continue
            group = key.rsplit(".", 1)[0] if key.startswith(("applications.", "review_")) else key
            words = prompt_words()["words"].get("@" + group)
            if words is None:
                _, label = layout.group_label(group) if "." in group else ("", group)
                words = plain_label(Quantity("@" + group, 0, "件", label, "derived"))
            if words not in seen:
                seen.append(words)
    return seen


def build_messages(
    prompts: Prompts,
    section: str,
    heading: str,
    stats: Stats,
    layout: Layout,
    quantities: dict[str, Quantity],
    *,
    fee_statement: bool = False,
    style: str | None = None,
    instructions: str | None = None,
    corrected: list[tuple[Quantity, Quantity]] = (),  # type: ignore[assignment]
    current: list[str] | None = None,
) -> list[dict[str, str]]:
    found = material(section, stats, layout, quantities, corrected)
    user = prompts.render(
        "user.j2",
        heading=heading,
        task=prompts.read(f"sections/{section}.md").strip(),
        agency=stats.agency,
        self_name=self_name(stats),
        year=stats.year,
        material=found,
        fee_statement=fee_statement,
        fee_elsewhere=_fee_elsewhere(layout, section),
        style=style,
        instructions=instructions,
        current=current or [],
    )
    return [
        {"role": "system", "content": prompts.read("system.md").strip()},
        {"role": "user", "content": user},
    ]


def _fee_elsewhere(layout: Layout, section: str) -> bool:
    """Whether this layout states the 信息处理费 in a part of its own (so not here)."""
    return section == "other" and any(s.fee_statement and s.id != "other" for s in layout.sections)
