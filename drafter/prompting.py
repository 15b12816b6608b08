"""The messages sent to a model for one narrative part, built from the files in prompts/.

`prompts/system.md` holds the shared rules of official prose; `prompts/sections/<id>.md` what
each part should cover; `prompts/user.j2` the request around them: the quantities the part may
state, as `{placeholders}` with their labels and values, and the staff notes, clearly
delimited as material (never instructions). Users may edit every one of these files
(`DRAFTER_PROMPTS_DIR` points at an edited copy); the hash of the files in use is the prompt
version, part of the cache key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from drafter.errors import InputError
from drafter.formats import Layout
from drafter.offline import PROMPTS_ENV, self_name
from drafter.quantities import Quantity
from drafter.resources import prompts_dir
from drafter.stats import APPLICANT_COLUMNS, Stats

# Which table quantities each part may state (facts of the part are always offered).
TABLE_QUANTITIES = {
    "overall.proactive": ("@proactive.",),
    "overall.requests": ("@applications.", "@review_litigation"),
    "other": ("@processing_fees.",),
    "overall": ("@applications.new_received", "@applications.results.total"),
}
_COLUMNS = {*APPLICANT_COLUMNS, "total", "organisations"}


def _worth_offering(name: str) -> bool:
    """Table 三 is offered by rows and groups (their totals) and by applicant type for the new
    applications; offering all 175 cells would drown the prompt."""
    if not name.startswith("@applications."):
        return True
    last = name.rsplit(".", 1)[-1]
    if name.startswith("@applications.new_received."):
        return last != "total"
    return last not in _COLUMNS


@dataclass(frozen=True)
class Offered:
    name: str
    label: str
    text: str


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

    def version(self, section: str) -> str:
        text = self.read("system.md") + self.read("user.j2") + self.read(f"sections/{section}.md")
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def offered_quantities(
    section: str, stats: Stats, quantities: dict[str, Quantity]
) -> list[Offered]:
    """The facts of the part and the table quantities it may state."""
    prefixes = TABLE_QUANTITIES.get(section, ())
    out: list[Offered] = []
    for name, quantity in quantities.items():
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
        out.append(Offered(name, quantity.label, quantity.text()))
    return out


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
) -> list[dict[str, str]]:
    notes = stats.notes.get(section)  # type: ignore[call-overload]
    items = [] if not notes else (notes if isinstance(notes, list) else [notes])
    try:
        user = prompts.env.get_template("user.j2").render(
            heading=heading,
            task=prompts.read(f"sections/{section}.md").strip(),
            agency=stats.agency,
            self_name=self_name(stats),
            year=stats.year,
            quantities=offered_quantities(section, stats, quantities),
            fee_statement=fee_statement,
            notes=[str(i).strip() for i in items if str(i).strip()],
            style=style,
            instructions=instructions,
        )
    except jinja2.TemplateError as exc:
        raise InputError(f"prompts/user.j2 有误：{exc}") from None
    return [
        {"role": "system", "content": prompts.read("system.md").strip()},
        {"role": "user", "content": user.strip()},
    ]
