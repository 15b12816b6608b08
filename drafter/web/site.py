"""What every page of `drafter serve` shares: the `Site` (the workspace, the templates, the
caches of what is computed from immutable versions, access to a report for the request's user)
and the helpers that store and present statistics and drafts.

The web layer only parses, calls and presents: statistics are read and checked by
`drafter.workflows.check_statistics` (the same readers and limits as `drafter check`), stored
by `drafter.workspace.Workspace` (versions, stale-save refusal) and drafted by
`drafter.workflows.prepare_draft`.

Performance (benchmarks/serve): what is computed from a stored version (the checked
statistics, the rebuilt and marked draft) is kept in a small per-app LRU keyed by the
versions, which never change; blocking work runs in the threadpool, never on the event loop.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from drafter.errors import InputError, Problem
from drafter.limits import MAX_STATS_YAML_BYTES, MAX_WORKBOOK_BYTES
from drafter.workspace import NotFound, Workspace, local_time

HERE = Path(__file__).resolve().parent
STATS_DOC = "统计"  # the name of a report's statistics document in the workspace
DRAFT_DOC = "起草"  # the name of a report's draft document in the workspace
LOCAL_USER = "本机用户"  # the author of saves when nobody is logged in (loopback only)
UPLOAD_LIMITS = {".yaml": MAX_STATS_YAML_BYTES, ".yml": MAX_STATS_YAML_BYTES}
UPLOAD_LIMITS[".xlsx"] = MAX_WORKBOOK_BYTES
MAX_PART_CHARS = 20_000  # one part's text as typed on the page
CACHE_ENTRIES = 64  # checked statistics and rebuilt drafts kept per app, by version


# ---- statistics as YAML, and checked -------------------------------------------------------


def _amount(dumper: Any, value: Decimal) -> Any:
    text = format(value, "f")
    if "." not in text:
        return dumper.represent_int(int(text))
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_DUMPERS: dict[str, type] = {}


def _dumper(c: bool = True) -> type:
    """libyaml's safe dumper (several times faster) when PyYAML has it, else the pure-Python
    one; either with amounts (Decimal) written as a clerk writes them."""
    import yaml

    base = getattr(yaml, "CSafeDumper", None) if c else None
    base = base or yaml.SafeDumper
    name = base.__name__
    if name not in _DUMPERS:
        dumper = type("Dumper", (base,), {})
        dumper.add_representer(Decimal, _amount)
        _DUMPERS[name] = dumper
    return _DUMPERS[name]


def yaml_text(data: Any, *, c: bool = True) -> str:
    """Statistics data as YAML, numbers as a clerk writes them (as `drafter extract` does)."""
    import yaml

    return yaml.dump(data, Dumper=_dumper(c), allow_unicode=True, sort_keys=False, width=100)


def stats_yaml(stats: Any) -> str:
    """The statistics as they were given (fields left out stay out, so totals stay derived)."""
    return yaml_text(stats.model_dump(mode="python", exclude_unset=True, by_alias=True))


class Checked:
    """Statistics read and checked through `check_statistics`, or the problems that stopped
    the reading (shown under the name the user knows, never a temporary path).

    With `previous` (last year's, a `drafter.workflows.PreviousYear`), YAML is also checked
    against last year (the cross-year rules of `drafter check --previous`); `Site` records on
    it which stored version of last year's statistics that was (`previous_head`), and why
    that version could not be read, if it could not (`previous_problems`)."""

    def __init__(self, content: bytes, suffix: str, shown: str, previous: Any = None) -> None:
        from drafter.workflows import (
            check_statistics,
            check_statistics_data,
            parse_statistics_text,
        )

        self.result = None
        self.data: Any = None  # the parsed YAML (not to be changed: it may be cached)
        self.problems: list[Problem] = []
        self.previous = previous
        self.previous_head: Any = None  # the stored version `previous` was read from
        self.previous_problems: list[Problem] = []
        if suffix in (".yaml", ".yml"):  # read from memory, located by the name shown
            try:
                self.data, lines = parse_statistics_text(content, shown)
                self.result = check_statistics_data(self.data, lines, shown, previous)
            except InputError as exc:
                self.problems = list(exc.problems)
            return
        assert previous is None, "last year's is checked against YAML, what the workspace stores"
        with tempfile.TemporaryDirectory(prefix="drafter-web-") as folder:
            path = Path(folder) / f"upload{suffix}"  # a fixed name: no request text in a path
            path.write_bytes(content)
            try:
                self.result = check_statistics(path)
            except InputError as exc:
                self.problems = shown_problems(exc.problems, path, shown)

    @property
    def previous_key(self) -> tuple[int, str] | None:
        """What identifies the version of last year's statistics checked against."""
        head = self.previous_head
        return (head.number, head.sha256) if head is not None else None


def shown_problems(problems: Any, path: Path, shown: str) -> list[Problem]:
    """`problems` of reading the temporary file `path`, under the name the user knows."""
    return [
        Problem(
            p.message.replace(str(path), shown),
            file=p.file.replace(str(path), shown) if p.file else p.file,
            line=p.line,
            path=p.path,
            code=p.code,
        )
        for p in problems
    ]


# Last year's statistics (the cross-year check of the 统计 page) are one document of the
# report, always stored as statistics YAML; an empty version means "removed".
PREVIOUS_KIND = "previous"
PREVIOUS_DOC = "上年度"
PREVIOUS_SHOWN = "上年数据"  # the name last year's statistics are located by in messages


def stored_previous(content: bytes) -> Any:
    """Last year's statistics as stored (statistics YAML), read as `load_previous` reads a
    statistics file; None for an empty version (removed). Raises InputError."""
    from drafter.statistics.load import stats_from_data
    from drafter.workflows import PreviousYear, parse_statistics_text

    if not content:
        return None
    data, lines = parse_statistics_text(content, PREVIOUS_SHOWN)
    return PreviousYear(Path(PREVIOUS_SHOWN), stats_from_data(data, lines, PREVIOUS_SHOWN))


def attachment(name: str, ascii_name: str) -> str:
    return f"attachment; filename={ascii_name}; filename*=UTF-8''{quote(name)}"


class VersionCache:
    """A small LRU of what is computed from immutable versions (checked statistics, rebuilt
    drafts), keyed by the versions it was computed from; safe from the threadpool's threads.
    Two threads missing the same key both compute it; either result is the same."""

    def __init__(self, size: int = CACHE_ENTRIES) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        self.put(key, value)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


# ---- draft helpers (storage and presentation only) ----------------------------------------
#
# A draft is stored as JSON (kind "draft", one document per report, a version per save):
# the statistics version it was drafted from and the text of every part, paragraph by
# paragraph ({"parts": {part id: [paragraph, …]}, "edited": [part ids]}). The Report itself
# (sections, tables, which quantities each drafted sentence states) is rebuilt by drafting
# those statistics again offline, which is deterministic; then each part whose stored text
# differs from the rebuilt one gets the stored paragraphs, those not drafted as they stand
# being the editor's (`EDITOR`). The stored text, not the drafter, is the truth of a draft.


def offline_draft(content: bytes, *, allow_errors: bool) -> Any:
    """`prepare_draft` (offline) on statistics stored in the workspace."""
    from drafter.workflows import prepare_draft

    with tempfile.TemporaryDirectory(prefix="drafter-web-") as folder:
        path = Path(folder) / "stats.yaml"  # a fixed name: no request text in a path
        path.write_bytes(content)
        return prepare_draft(path, allow_errors=allow_errors)


def paragraph_texts(text: str) -> list[str]:
    """A part's text as typed: one paragraph per non-blank line."""
    return [line.strip() for line in text.replace("\r", "\n").split("\n") if line.strip()]


def apply_part_texts(report: Any, texts: dict[str, list[str]]) -> None:
    """Give each part of `report` its stored paragraphs: a paragraph whose text is one the
    drafter wrote in that part keeps the drafter's record, any other is the editor's."""
    from drafter.report import EDITOR, Paragraph
    from drafter.verification.provenance import PREAMBLE

    def replaced(blocks: list[Any], wanted: list[str]) -> list[Any]:
        drafted = {b.text: b for b in blocks if isinstance(b, Paragraph)}
        if [b.text for b in blocks if isinstance(b, Paragraph)] == wanted:
            return blocks
        new = [drafted.get(t) or Paragraph(t, EDITOR) for t in wanted]
        at = next((i for i, b in enumerate(blocks) if isinstance(b, Paragraph)), 0)
        rest = [b for b in blocks if not isinstance(b, Paragraph)]
        return rest[:at] + new + rest[at:]

    if PREAMBLE in texts:
        report.preamble = replaced(report.preamble, texts[PREAMBLE])

    def walk(section: Any) -> None:
        if section.id in texts:
            section.blocks = replaced(section.blocks, texts[section.id])
        for sub in section.subsections:
            walk(sub)

    for section in report.sections:
        walk(section)


def apply_provenance(report: Any, stored: dict[str, Any]) -> None:
    """Give the rebuilt `report` the record drafter keeps of a model's draft (the one a .docx
    it writes carries, `drafter.report.record_provenance`): the sentences a model wrote, so
    that what it claims is checked against the notes as `drafter verify` does, and where the
    numbers it filled in from placeholders stand. A sentence edited since is the editor's."""
    from drafter.report import EDITOR, Provenance, sentence_spans

    record = Provenance(
        [(str(n[0]), str(n[1]), str(n[2])) for n in stored.get("numbers", [])],
        {str(k): str(v) for k, v in stored.get("sentences", {}).items()},
    )
    report.provenance = record
    for paragraph in report.paragraphs():
        if paragraph.author != EDITOR:  # the offline drafter's, as drafted
            continue
        paragraph.spans = record.spans(paragraph.text)
        authors = {record.author(paragraph.text[a:b]) for a, b in sentence_spans(paragraph.text)}
        if len(authors) == 1 and None not in authors:  # a model's paragraph, as it wrote it
            paragraph.author = authors.pop()


@dataclass(frozen=True)
class DraftView:
    report: Any  # the workspace's ReportRef
    head: Any  # the draft's head version
    stats_head: Any  # the statistics' head version
    data: dict[str, Any]  # the stored draft
    document: Any  # the rebuilt drafter.report.Report
    checked: Checked  # the current statistics, checked


def mark_counts(parts: list[Any]) -> dict[str, int]:
    """Errors, warnings and gaps of a marked draft (numbers, claims and whole-paragraph
    notes)."""
    counts = {"error": 0, "warning": 0, "advice": 0, "gap": 0, "ok": 0}
    for part in parts:
        for paragraph in part.paragraphs:
            for mark in paragraph.marks:
                counts[mark.status] += 1
            for note in paragraph.notes:
                counts[note.status] += 1
    return counts


def mark_problems(parts: list[Any]) -> list[dict[str, str]]:
    """The errors and warnings of a marked draft, in reading order, for the side panel."""
    out = []
    for part in parts:
        for paragraph in part.paragraphs:
            found = [
                (m.status, m.code, m.message, paragraph.text[m.start : m.end])
                for m in paragraph.marks
            ] + [(n.status, n.code, n.message, "") for n in paragraph.notes]
            for status, code, message, text in found:
                if status in ("error", "warning"):
                    out.append(
                        {
                            "anchor": part.id.replace(".", "-"),
                            "heading": part.heading,
                            "status": status,
                            "code": code or "",
                            "message": message or "",
                            "text": text,
                        }
                    )
    return out


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def base_version(value: Any) -> int | None:
    if isinstance(value, str) and re.fullmatch(r"\d{1,9}", value.strip()):
        return int(value.strip())
    return None


def safe_name(filename: str) -> str:
    """An uploaded file's name as shown in messages: its last component, one line, short."""
    from drafter.errors import one_line

    name = re.split(r"[\\/]", filename)[-1]
    return one_line(name)[:100] or "上传的文件"


# ---- the site ------------------------------------------------------------------------------


class Site:
    """What the pages of one app share. Each page module (`drafter.web.pages.*`) registers
    its routes with `register(app, site)` and reaches the workspace only through here, so
    that every report it touches is one the request's user may see (`report`)."""

    def __init__(self, workspace: Workspace, *, host: str) -> None:
        self.workspace = workspace
        self.host = host
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.auto_reload = False  # the package's templates: no mtime per render
        self.templates.env.filters["local_time"] = local_time
        # One LRU per kind, so that the cheap entries (a checked version, a marked draft)
        # never push out the dear ones (an offline draft costs ~0.2 s) of the reports in use.
        self.caches = {kind: VersionCache() for kind in ("stats", "offline", "draft", "marks")}
        self._writes = threading.Lock()

    # ---- requests --------------------------------------------------------------------------

    @staticmethod
    def user(request: Request) -> str | None:
        """The logged-in user of `request`; None when nobody is (the loopback, no-login
        mode, where every report is visible)."""
        return getattr(request.state, "user", None)

    def author(self, request: Request) -> str:
        """Who a save of `request` is recorded as."""
        return self.user(request) or LOCAL_USER

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("csrf", request.state.csrf)
        context.setdefault("user", self.user(request))
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def report(self, request: Request, report_id: int) -> Any:
        """The report `report_id` if the request's user may see it, else 404 (the same answer
        whether it does not exist or is another agency's, so existence is not given away)."""
        try:
            return self.workspace.get_report(report_id, user=self.user(request))
        except NotFound:
            raise HTTPException(404, "报告不存在") from None

    def save(self, *args: Any, **kwargs: Any) -> Any:
        """`workspace.save`, one at a time in this process: the threadpool's threads queue
        here rather than in SQLite's busy handler, whose growing sleeps made a long tail."""
        with self._writes:
            return self.workspace.save(*args, **kwargs)

    # ---- statistics ------------------------------------------------------------------------

    def current(self, request: Request, report_id: int) -> tuple[Any, Any, Checked]:
        """The report, its statistics' head version and that version checked."""
        report = self.report(request, report_id)
        head = self.workspace.head(report_id, "stats", STATS_DOC)
        if head is None:
            raise HTTPException(404, "这份报告还没有统计数据")
        return report, head, self.checked_version(report_id, head)

    def checked_version(self, report_id: int, head: Any) -> Checked:
        """The stored statistics version `head`, checked against last year's stored version
        if there is one (once per pair: versions never change)."""
        previous_head = self.previous_head(report_id)

        def check() -> Checked:
            content = self.workspace.read(report_id, "stats", STATS_DOC, head.number)
            return self.check_content(report_id, content, previous_head)

        return self.caches["stats"].get(self.checked_key(report_id, head, previous_head), check)

    @staticmethod
    def checked_key(report_id: int, head: Any, previous_head: Any) -> tuple[Any, ...]:
        """The cache key of statistics version `head` checked against `previous_head`."""
        previous = (previous_head.number, previous_head.sha256) if previous_head else None
        return (report_id, head.number, head.sha256, previous)

    def previous_head(self, report_id: int) -> Any:
        """The head version of last year's statistics (empty when removed), None if never
        uploaded."""
        return self.workspace.head(report_id, PREVIOUS_KIND, PREVIOUS_DOC)

    def check_content(self, report_id: int, content: bytes, previous_head: Any) -> Checked:
        """Statistics YAML `content` checked against last year's version `previous_head`
        (a version that no longer reads is left out, and says why on the page)."""
        previous, problems = None, []
        if previous_head is not None and previous_head.size:

            def load() -> Any:
                number = previous_head.number
                return stored_previous(
                    self.workspace.read(report_id, PREVIOUS_KIND, PREVIOUS_DOC, number)
                )

            key = ("previous", report_id, previous_head.number, previous_head.sha256)
            try:
                previous = self.caches["stats"].get(key, load)
            except InputError as exc:
                problems = list(exc.problems)
        checked = Checked(content, ".yaml", "统计数据", previous=previous)
        checked.previous_head = previous_head
        checked.previous_problems = problems
        return checked

    # ---- drafts ----------------------------------------------------------------------------

    @staticmethod
    def configured_models() -> tuple[list[str], str | None]:
        """The ids and model names of the configured models (never a URL or a key), and why
        the configuration could not be read, if it could not."""
        from drafter.drafting.models import env_model, load_models

        try:
            specs, _default = load_models()
        except InputError as exc:
            return [], str(exc)
        env = env_model()
        names = [f"{s.id}（{s.model}）" for s in specs]
        if env is not None:
            names.append(f"{env.id}（{env.model}）")
        return names, None

    def stored_draft(self, report_id: int) -> tuple[Any, dict[str, Any]] | None:
        head = self.workspace.head(report_id, "draft", DRAFT_DOC)
        if head is None:
            return None
        data = json.loads(self.workspace.read(report_id, "draft", DRAFT_DOC, head.number))
        return head, data

    def draft_view(self, request: Request, report_id: int) -> DraftView:
        """The stored draft rebuilt (the offline draft of the statistics it was drafted from,
        with the stored text of each part) and marked against the current statistics."""
        report, stats_head, checked = self.current(request, report_id)
        stored = self.stored_draft(report_id)
        if stored is None:
            raise HTTPException(404, "这份报告还没有草稿")
        head, data = stored
        stats_version = data["stats_version"]

        def offline() -> Any:  # the drafter's own text of those statistics, never changed
            content = self.workspace.read(report_id, "stats", STATS_DOC, stats_version)
            result = offline_draft(content, allow_errors=True)
            assert result.report is not None
            return result.report

        def rebuild() -> Any:
            cached = self.caches["offline"].get((report_id, stats_version), offline)
            document = copy.deepcopy(cached)
            apply_part_texts(document, data["parts"])
            if data.get("provenance"):  # a model's draft: who wrote what, where numbers stand
                apply_provenance(document, data["provenance"])
            return document

        document = self.caches["draft"].get((report_id, head.number, head.sha256), rebuild)
        assert checked.result is not None
        return DraftView(report, head, stats_head, data, document, checked)

    def draft_context(self, view: DraftView, **more: Any) -> dict[str, Any]:
        """The page's context of `view` (marked once per draft and statistics version)."""
        key = (
            view.report.id,
            view.head.number,
            view.head.sha256,
            view.stats_head.number,
            view.stats_head.sha256,
            view.checked.previous_key,  # the statistics' errors counted include last year's
        )
        base = self.caches["marks"].get(key, lambda: marked_context(view))
        return {**base, "report": view.report, "conflict": None, **more}

    def save_part(
        self,
        request: Request,
        view: DraftView,
        part_id: str,
        text: str,
        *,
        base: int | None,
        message: str,
    ) -> Any:
        """Save the draft of `view` with the text of one part replaced (one paragraph per
        non-blank line) and the part marked as edited: the part's editor and an accepted chat
        rewrite alike. Raises StaleVersion (someone saved since `base`) or NotFound (a base
        that never existed); the new head version otherwise."""
        data = dict(view.data)
        data["parts"] = {**data["parts"], part_id: paragraph_texts(text)}
        data["edited"] = sorted({*data.get("edited", []), part_id})
        return self.save(
            view.report.id, "draft", DRAFT_DOC, json_bytes(data), base_version=base,
            author=self.author(request), message=message,
        )  # fmt: skip

    @staticmethod
    def part_of(context: dict[str, Any], part_id: str) -> dict[str, Any]:
        for part in context["parts"]:
            if part["id"] == part_id:
                return part
        raise HTTPException(404, "草稿中没有这一部分")


def marked_context(view: DraftView) -> dict[str, Any]:
    """Every part of the draft of `view` with its numbers marked
    (drafter.verification.provenance)."""
    from drafter.verification.provenance import marks_html, number_marks

    assert view.checked.result is not None
    parts = number_marks(view.document, view.checked.result.stats, view.checked.result.layout)
    return {
        "report": view.report,
        "head": view.head,
        "stats_head": view.stats_head,
        "stale_stats": view.data["stats_version"] != view.stats_head.number,
        "stats_version": view.data["stats_version"],
        "stats_errors": view.checked.result.counts.errors,
        "allowed_errors": bool(view.data.get("allow_errors")),
        "parts": [
            {
                "id": p.id,
                "heading": p.heading,
                "level": p.level,
                "html": marks_html(p),
                "text": "\n\n".join(x.text for x in p.paragraphs),
                "edited": p.id in view.data.get("edited", []),
                "empty": not p.paragraphs,
            }
            for p in parts
        ],
        "summary": mark_counts(parts),
        "problems": mark_problems(parts),
    }
