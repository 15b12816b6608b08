"""`drafter serve`: the workspace in the browser (issue 13). This part: the skeleton, the
security basics, the report list and the 统计 page.

The web layer only parses, calls and presents: statistics are read and checked by
`drafter.workflows.check_statistics` (the same readers and limits as `drafter check`), stored
by `drafter.workspace.Workspace` (versions, stale-save refusal), laid out from the official
layout (`drafter.formats`), and written back by `drafter.workbook.workbook_bytes`.

Security (issue 13, item 8):

- `bind_refusal`: bound to anything but loopback, the server refuses to start (there is no
  login yet, so with or without users an open bind would expose every report);
- every POST/PUT/PATCH/DELETE carries the per-session CSRF token (cookie `drafter_csrf`,
  echoed in the `X-CSRF-Token` header by htmx or in the form field `csrf_token`), else 403;
- a request body is capped (`MAX_BODY_BYTES`) before anything parses it, and each upload is
  capped again by its kind (`drafter.limits`);
- no request path reaches the file system: static files come from the package directory only
  (Starlette's StaticFiles refuses `..` and symlinks out of it), statistics YAML is checked in
  memory, a workbook upload is written under a fixed name in a fresh temporary directory, and
  everything else is rows of the workspace.

Performance (benchmarks/serve): what is computed from a stored version (the checked
statistics, the rebuilt and marked draft) is kept in a small per-app LRU keyed by the
versions, which never change; blocking work runs in the threadpool, never on the event loop.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import secrets
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from drafter.errors import InputError, Problem
from drafter.limits import MAX_STATS_YAML_BYTES, MAX_WORKBOOK_BYTES
from drafter.workspace import (
    DuplicateReport,
    NotFound,
    StaleVersion,
    Workspace,
    WorkspaceError,
)

HERE = Path(__file__).resolve().parent
CSRF_COOKIE = "drafter_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The largest upload (a workbook) plus room for the multipart envelope and the form fields.
MAX_BODY_BYTES = MAX_WORKBOOK_BYTES + 256 * 1024
STATS_DOC = "统计"  # the name of a report's statistics document in the workspace
LOCAL_USER = "本机用户"  # the author of saves while there is no login (loopback only)
UPLOAD_LIMITS = {".yaml": MAX_STATS_YAML_BYTES, ".yml": MAX_STATS_YAML_BYTES}
UPLOAD_LIMITS[".xlsx"] = MAX_WORKBOOK_BYTES
DRAFT_DOC = "起草"  # the name of a report's draft document in the workspace
MAX_PART_CHARS = 20_000  # one part's text as typed on the page
CACHE_ENTRIES = 64  # checked statistics and rebuilt drafts kept per app, by version


# ---- binding ---------------------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_refusal(workspace: Workspace, host: str) -> str | None:
    """Why the server must not start on `host`, in one Chinese line; None when it may."""
    if is_loopback(host):
        return None
    if not workspace.users():
        return (
            f"拒绝在 {host} 上启动：工作区没有任何用户，其他计算机将无需登录即可访问。"
            "请先用 drafter users add 添加用户，或只在本机地址 127.0.0.1 上启动"
        )
    return (
        f"拒绝在 {host} 上启动：登录功能尚未提供，其他计算机将无需登录即可访问。"
        "请只在本机地址 127.0.0.1 上启动"
    )


# ---- request body cap, CSRF, headers -------------------------------------------------------


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse a request body over `limit` bytes with 413, whether or not it says its length,
    before any parser (multipart spooling included) sees more than `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_large = int(value) > self.limit
                except ValueError:
                    too_large = True
                if too_large:
                    await _refuse_size(send, self.limit)
                    return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception as exc:  # raised in a task group, it comes wrapped in a group
            if not _is_too_large(exc):
                raise
            if not started:
                await _refuse_size(send, self.limit)


def _is_too_large(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return any(_is_too_large(e) for e in exc.exceptions)
    return isinstance(exc, _TooLarge)


async def _refuse_size(send: Send, limit: int) -> None:
    body = f"上传内容过大，上限 {limit // 2**20} MB，未保存".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'"
    ),
}


def _csrf_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token) else ""


async def require_csrf(request: Request) -> None:
    """Every state-changing request carries the session's token, else 403."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = _csrf_token(request)
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        form = await request.form()  # cached: the route reads the same parsed form
        field = form.get(CSRF_FIELD)
        given = field if isinstance(field, str) else ""
    if not expected or not given or not secrets.compare_digest(expected, given):
        raise HTTPException(403, "请求缺少有效的安全令牌（CSRF），已拒绝。请刷新页面后重试")


# ---- statistics helpers (presentation only) -------------------------------------------------


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


def _yaml_text(data: Any, *, c: bool = True) -> str:
    """Statistics data as YAML, numbers as a clerk writes them (as `drafter extract` does)."""
    import yaml

    return yaml.dump(data, Dumper=_dumper(c), allow_unicode=True, sort_keys=False, width=100)


def stats_yaml(stats: Any) -> str:
    """The statistics as they were given (fields left out stay out, so totals stay derived)."""
    return _yaml_text(stats.model_dump(mode="python", exclude_unset=True, by_alias=True))


class Checked:
    """Statistics read and checked through `check_statistics`, or the problems that stopped
    the reading (shown under the name the user knows, never a temporary path)."""

    def __init__(self, content: bytes, suffix: str, shown: str) -> None:
        from drafter.workflows import (
            check_statistics,
            check_statistics_data,
            parse_statistics_text,
        )

        self.result = None
        self.data: Any = None  # the parsed YAML (not to be changed: it may be cached)
        self.problems: list[Problem] = []
        if suffix in (".yaml", ".yml"):  # read from memory, located by the name shown
            try:
                self.data, lines = parse_statistics_text(content, shown)
                self.result = check_statistics_data(self.data, lines, shown)
            except InputError as exc:
                self.problems = list(exc.problems)
            return
        with tempfile.TemporaryDirectory(prefix="drafter-web-") as folder:
            path = Path(folder) / f"upload{suffix}"  # a fixed name: no request text in a path
            path.write_bytes(content)
            try:
                self.result = check_statistics(path)
            except InputError as exc:
                self.problems = [
                    Problem(
                        p.message.replace(str(path), shown),
                        file=p.file.replace(str(path), shown) if p.file else p.file,
                        line=p.line,
                        path=p.path,
                        code=p.code,
                    )
                    for p in exc.problems
                ]


def _number(text: str) -> Any:
    """A value typed into a cell: blank → None (a blank cell), a number → its value, anything
    else as it is (the statistics contract then says what is wrong with it)."""
    text = text.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    if re.fullmatch(r"\d{1,30}", text):
        return int(text)
    if re.fullmatch(r"\d{1,30}\.\d{1,20}", text):
        return Decimal(text)
    return text


def _settable(stats: Any, key: str) -> bool:
    """Whether a cell is stored in the statistics: not when it is derived (表三's （七）总计
    row left out of the file is computed, and shown read-only)."""
    from pydantic import BaseModel

    node = stats
    for name in key.split("."):
        if not isinstance(node, BaseModel) or name not in type(node).__pydantic_fields__:
            return False
        node = getattr(node, name)
    return True


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = data
    for name in parents:
        child = node.get(name)
        if not isinstance(child, dict):
            child = node[name] = {}
        node = child
    node[last] = value


def _shown_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _table_rows(table: Any, stats: Any, marks: dict[str, list[Any]]) -> list[list[dict]]:
    """The layout's placed cells, row by row, as the template draws them."""
    rows: list[list[dict]] = [[] for _ in table.rows]
    for placed in table.placed:
        cell = placed.cell
        item: dict[str, Any] = {
            "tag": "th" if cell.role in ("header", "caption", "corner") else "td",
            "role": cell.role,
            "rowspan": cell.rowspan,
            "colspan": cell.colspan,
            "text": cell.text or "",
            "key": cell.key,
        }
        if cell.key:
            info = table.cells.get(cell.key)
            item["value"] = _shown_value(stats.value(cell.key))
            item["settable"] = _settable(stats, cell.key)
            item["total_of"] = cell.key[: -len(".total")] if cell.key.endswith(".total") else ""
            item["label"] = (
                " · ".join(x for x in (info.table, info.row_label, info.column_header) if x)
                if info
                else cell.key
            )
            found = marks.get(cell.key, [])
            item["findings"] = found
            item["severity"] = found[0].severity.value if found else ""
        rows[placed.row].append(item)
    return rows


def _marks(findings: Any, keys: set[str]) -> dict[str, list[Any]]:
    """Findings by the cell they point at: the cell's key, or the row's 总计 cell when a
    finding names a whole row."""
    from drafter.findings import sort_findings

    out: dict[str, list[Any]] = {}
    for finding in sort_findings(list(findings)):
        path = finding.location.path or ""
        key = path if path in keys else f"{path}.total" if f"{path}.total" in keys else None
        if key:
            out.setdefault(key, []).append(finding)
    return out


def _attachment(name: str, ascii_name: str) -> str:
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


def _offline_draft(content: bytes, *, allow_errors: bool) -> Any:
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
    from drafter.provenance import PREAMBLE
    from drafter.report import EDITOR, Paragraph

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


def _json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


# ---- the app -------------------------------------------------------------------------------


def create_app(workspace: Workspace, *, host: str) -> FastAPI:
    """The web app on `workspace`, to be served on `host`. Raises InputError (E-USAGE) when
    `host` is not a loopback address and the workspace cannot protect itself there."""
    refusal = bind_refusal(workspace, host)
    if refusal is not None:
        raise InputError(refusal, code="E-USAGE")

    app = FastAPI(
        title="drafter",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(require_csrf)],
    )
    app.state.workspace = workspace
    app.state.host = host
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.auto_reload = False  # the templates are the package's: no mtime per render
    # One LRU per kind, so that the cheap entries (a checked version, a marked draft) never
    # push out the dear ones (an offline draft costs ~0.2 s) of the reports in use.
    caches = {kind: VersionCache() for kind in ("stats", "offline", "draft", "marks")}
    app.state.caches = caches
    writes = threading.Lock()

    def save(*args: Any, **kwargs: Any) -> Any:
        """`workspace.save`, one at a time in this process: the threadpool's threads queue
        here rather than in SQLite's busy handler, whose growing sleeps made a long tail."""
        with writes:
            return workspace.save(*args, **kwargs)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.middleware("http")
    async def session_and_headers(request: Request, call_next: Any) -> Response:
        token = _csrf_token(request)
        fresh = not token
        if fresh:  # the page this request renders embeds the token it is about to receive
            token = secrets.token_urlsafe(32)
        request.state.csrf = token
        response = await call_next(request)
        if fresh:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return templates.TemplateResponse(
            request,
            "error.html",
            {"status": exc.status_code, "message": exc.detail, "csrf": request.state.csrf},
            status_code=exc.status_code,
        )

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("csrf", request.state.csrf)
        return templates.TemplateResponse(request, name, context, status_code=status)

    def report_or_404(report_id: int) -> Any:
        try:
            return workspace.get_report(report_id)
        except NotFound:
            raise HTTPException(404, "报告不存在") from None

    # ---- 报告列表 -----------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:
        import datetime

        return page(
            request,
            "index.html",
            reports=workspace.list_reports(),
            default_year=datetime.date.today().year - 1,
            error=None,
        )

    @app.post("/reports")
    async def create_report(request: Request) -> Response:
        form = await request.form()
        return await run_in_threadpool(create_report_with, request, form)

    def create_report_with(request: Request, form: Any) -> Response:
        from drafter.formats import DEFAULT_LAYOUT
        from drafter.template import render_template

        agency = str(form.get("agency") or "").strip()
        year_text = str(form.get("year") or "").strip()
        error = None
        if not re.fullmatch(r"\d{4}", year_text):
            error = "年度应为四位数字，如 2025"
        else:
            try:
                report = workspace.create_report(agency, int(year_text))
            except DuplicateReport as exc:
                error = str(exc)
            except WorkspaceError as exc:
                error = str(exc)
        if error is None:
            template = render_template(agency, report.year, DEFAULT_LAYOUT)
            save(
                report.id, "stats", STATS_DOC, template.encode(), base_version=None,
                author=LOCAL_USER, message="新建报告（各项为 0）",
            )  # fmt: skip
            return RedirectResponse(f"/reports/{report.id}/stats", status_code=303)
        return page(
            request,
            "index.html",
            status=400,
            reports=workspace.list_reports(),
            default_year=year_text,
            agency=agency,
            error=error,
        )

    # ---- 统计 ---------------------------------------------------------------------------

    def current(report_id: int) -> tuple[Any, Any, Checked]:
        report = report_or_404(report_id)
        head = workspace.head(report_id, "stats", STATS_DOC)
        if head is None:
            raise HTTPException(404, "这份报告还没有统计数据")
        return report, head, checked_version(report_id, head)

    def checked_version(report_id: int, head: Any) -> Checked:
        """The stored statistics version `head`, checked (once: versions never change)."""

        def check() -> Checked:
            content = workspace.read(report_id, "stats", STATS_DOC, head.number)
            return Checked(content, ".yaml", "统计数据")

        return caches["stats"].get((report_id, head.number, head.sha256), check)

    def stats_context(report: Any, head: Any, checked: Checked, **more: Any) -> dict[str, Any]:
        from drafter.workflows import count_findings

        result = checked.result
        assert result is not None  # what is stored was read before it was stored
        keys = {k for t in result.layout.tables.values() for k in t.cells}
        marks = _marks(result.findings, keys)
        tables = [
            {"id": t.id, "name": t.name, "rows": _table_rows(t, result.stats, marks)}
            for t in result.layout.tables.values()
        ]
        from drafter.findings import sort_findings

        return {
            "report": report,
            "head": head,
            "layout": result.layout,
            "tables": tables,
            "findings": sort_findings(list(result.findings)),
            "counts": count_findings(result.findings),
            "marked": {k: v[0] for k, v in marks.items()},
            "conflict": None,
            "problems": [],
            **more,
        }

    @app.get("/reports/{report_id}/stats", response_class=HTMLResponse)
    def stats_page(request: Request, report_id: int) -> HTMLResponse:
        report, head, checked = current(report_id)
        return page(request, "stats.html", **stats_context(report, head, checked))

    @app.post("/reports/{report_id}/stats/upload")
    async def upload_stats(request: Request, report_id: int) -> Response:
        form = await request.form()
        return await run_in_threadpool(upload_stats_with, request, report_id, form)

    def upload_stats_with(request: Request, report_id: int, form: Any) -> Response:
        report, head, checked = current(report_id)
        upload = form.get("file")
        base = _base_version(form.get("base_version"))
        problems: list[Problem] = []
        if upload is None or isinstance(upload, str) or not upload.filename:
            problems = [Problem("请选择要上传的统计文件（.yaml 或 .xlsx）", code="E-USAGE")]
        else:
            shown = _safe_name(upload.filename)
            suffix = Path(shown).suffix.lower()
            limit = UPLOAD_LIMITS.get(suffix)
            if limit is None:
                message = "不支持的文件类型；统计文件应为 .yaml 或 .xlsx"
                if suffix in (".xls", ".et"):
                    message = f"不支持旧版 {suffix} 格式，请在 Excel 或 WPS 中另存为 .xlsx"
                problems = [Problem(message, file=shown, code="E-FILE-TYPE")]
            else:
                upload.file.seek(0)
                content = upload.file.read(limit + 1)  # in the threadpool: a blocking read
                if len(content) > limit:
                    problems = [
                        Problem(
                            f"文件过大，上限 {limit // 2**20} MB，未保存",
                            file=shown,
                            code="E-LIMIT-SIZE",
                        )
                    ]
                else:
                    uploaded = Checked(content, suffix, shown)
                    problems = uploaded.problems
                    if not problems:
                        assert uploaded.result is not None
                        stored = (
                            content
                            if suffix in (".yaml", ".yml")
                            else stats_yaml(uploaded.result.stats).encode()
                        )
                        try:
                            save(
                                report_id, "stats", STATS_DOC, stored, base_version=base,
                                author=LOCAL_USER, message=f"上传 {shown}",
                            )  # fmt: skip
                        except StaleVersion as exc:
                            return page(
                                request,
                                "stats.html",
                                status=409,
                                **stats_context(report, head, checked, conflict=exc),
                            )
                        except InputError as exc:
                            problems = list(exc.problems)
                        else:
                            return RedirectResponse(f"/reports/{report_id}/stats", 303)
        return page(
            request,
            "stats.html",
            status=400,
            **stats_context(report, head, checked, problems=problems),
        )

    @app.post("/reports/{report_id}/stats/cells", response_class=HTMLResponse)
    async def edit_cells(request: Request, report_id: int) -> HTMLResponse:
        form = await request.form()
        return await run_in_threadpool(edit_cells_with, request, report_id, form)

    def edit_cells_with(request: Request, report_id: int, form: Any) -> HTMLResponse:
        report, head, checked = current(report_id)
        assert checked.result is not None and checked.data is not None
        base = _base_version(form.get("base_version"))
        keys = {k for t in checked.result.layout.tables.values() for k in t.cells}
        data = copy.deepcopy(checked.data)  # the cached parse stays as it was stored
        changed = False
        for name, value in form.multi_items():
            if not name.startswith("cell:"):
                continue
            key = name[len("cell:") :]
            if key not in keys:
                raise HTTPException(400, "未知的表格单元格")
            if not _settable(checked.result.stats, key) or not isinstance(value, str):
                continue
            new = _number(value)
            if _shown_value(checked.result.stats.value(key)) != _shown_value(new) or (
                new is None and key.endswith(".total")
            ):
                _set(data, key, new)
                changed = True
        if not changed:
            return page(request, "_findings.html", **stats_context(report, head, checked))
        content = _yaml_text(data).encode()
        edited = Checked(content, ".yaml", "统计数据")
        if edited.problems:
            return page(
                request,
                "_findings.html",
                status=400,
                **stats_context(report, head, checked, problems=edited.problems),
            )
        try:
            version = save(
                report_id, "stats", STATS_DOC, content, base_version=base, author=LOCAL_USER,
                message="在页面上修改表格",
            )  # fmt: skip
        except StaleVersion as exc:
            return page(
                request,
                "_findings.html",
                status=409,
                **stats_context(report, head, checked, conflict=exc),
            )
        caches["stats"].put((report_id, version.number, version.sha256), edited)
        return page(request, "_findings.html", **stats_context(report, version, edited))

    @app.get("/reports/{report_id}/stats.yaml")
    def download_yaml(report_id: int) -> Response:
        report = report_or_404(report_id)
        content = workspace.read(report_id, "stats", STATS_DOC)
        return Response(
            content,
            media_type="application/yaml; charset=utf-8",
            headers={
                "Content-Disposition": _attachment(
                    f"{report.agency}{report.year}年统计数据.yaml", "stats.yaml"
                )
            },
        )

    @app.get("/reports/{report_id}/stats.xlsx")
    def download_xlsx(report_id: int) -> Response:
        from drafter.workbook import workbook_bytes

        report, _, checked = current(report_id)
        assert checked.result is not None
        content = workbook_bytes(checked.result.layout, checked.result.stats)
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": _attachment(
                    f"{report.agency}{report.year}年统计数据.xlsx", "stats.xlsx"
                )
            },
        )

    # ---- 起草 ---------------------------------------------------------------------------

    def configured_models() -> tuple[list[str], str | None]:
        """The ids and model names of the configured models (never a URL or a key), and why
        the configuration could not be read, if it could not."""
        from drafter.models import env_model, load_models

        try:
            specs, _default = load_models()
        except InputError as exc:
            return [], str(exc)
        env = env_model()
        names = [f"{s.id}（{s.model}）" for s in specs]
        if env is not None:
            names.append(f"{env.id}（{env.model}）")
        return names, None

    def stored_draft(report_id: int) -> tuple[Any, dict[str, Any]] | None:
        head = workspace.head(report_id, "draft", DRAFT_DOC)
        if head is None:
            return None
        data = json.loads(workspace.read(report_id, "draft", DRAFT_DOC, head.number))
        return head, data

    def draft_view(report_id: int) -> DraftView:
        """The stored draft rebuilt (the offline draft of the statistics it was drafted from,
        with the stored text of each part) and marked against the current statistics."""
        report, stats_head, checked = current(report_id)
        stored = stored_draft(report_id)
        if stored is None:
            raise HTTPException(404, "这份报告还没有草稿")
        head, data = stored
        stats_version = data["stats_version"]

        def offline() -> Any:  # the drafter's own text of those statistics, never changed
            content = workspace.read(report_id, "stats", STATS_DOC, stats_version)
            result = _offline_draft(content, allow_errors=True)
            assert result.report is not None
            return result.report

        def rebuild() -> Any:
            document = copy.deepcopy(caches["offline"].get((report_id, stats_version), offline))
            apply_part_texts(document, data["parts"])
            return document

        document = caches["draft"].get((report_id, head.number, head.sha256), rebuild)
        assert checked.result is not None
        return DraftView(report, head, stats_head, data, document, checked)

    def draft_context(view: DraftView, **more: Any) -> dict[str, Any]:
        """The page's context of `view` (marked once per draft and statistics version)."""
        key = (
            view.report.id,
            view.head.number,
            view.head.sha256,
            view.stats_head.number,
            view.stats_head.sha256,
        )
        base = caches["marks"].get(key, lambda: marked_context(view))
        return {**base, "report": view.report, "conflict": None, **more}

    def marked_context(view: DraftView) -> dict[str, Any]:
        from drafter.provenance import marks_html, number_marks

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

    def part_of(context: dict[str, Any], part_id: str) -> dict[str, Any]:
        for part in context["parts"]:
            if part["id"] == part_id:
                return part
        raise HTTPException(404, "草稿中没有这一部分")

    @app.get("/reports/{report_id}/draft", response_class=HTMLResponse)
    def draft_page(request: Request, report_id: int) -> HTMLResponse:
        if workspace.head(report_id, "draft", DRAFT_DOC) is None:
            report, stats_head, checked = current(report_id)
            assert checked.result is not None
            models, models_problem = configured_models()
            return page(
                request,
                "draft_start.html",
                report=report,
                stats_head=stats_head,
                counts=checked.result.counts,
                models=models,
                models_problem=models_problem,
                blocked=None,
            )
        return page(request, "draft.html", **draft_context(draft_view(report_id)))

    @app.post("/reports/{report_id}/draft")
    async def make_draft(request: Request, report_id: int) -> Response:
        form = await request.form()
        return await run_in_threadpool(make_draft_with, request, report_id, form)

    def make_draft_with(request: Request, report_id: int, form: Any) -> Response:
        report, stats_head, checked = current(report_id)
        assert checked.result is not None
        allow_errors = form.get("allow_errors") == "1"
        content = workspace.read(report_id, "stats", STATS_DOC, stats_head.number)
        result = _offline_draft(content, allow_errors=allow_errors)
        if result.report is None:  # the statistics have errors and drafting anyway was not asked
            models, models_problem = configured_models()
            return page(
                request,
                "draft_start.html",
                status=400,
                report=report,
                stats_head=stats_head,
                counts=checked.result.counts,
                models=models,
                models_problem=models_problem,
                blocked=result.blocked,
            )
        from drafter.provenance import parts_of

        data = {
            "format": 1,
            "drafter": "offline",
            "stats_version": stats_head.number,
            "allow_errors": allow_errors,
            "parts": {pid: [p.text for p in ps] for pid, _h, _l, _s, ps in parts_of(result.report)},
            "edited": [],
        }
        base = _base_version(form.get("base_version"))
        message = f"离线起草（统计数据版本 {stats_head.number}）"
        if allow_errors and checked.result.counts.errors:
            message += "，统计数据有错误仍起草"
        try:
            save(
                report_id, "draft", DRAFT_DOC, _json_bytes(data), base_version=base,
                author=LOCAL_USER, message=message,
            )  # fmt: skip
        except StaleVersion as exc:
            raise HTTPException(409, str(exc)) from None
        except NotFound as exc:  # a base version that never existed
            raise HTTPException(409, str(exc)) from None
        return RedirectResponse(f"/reports/{report_id}/draft", status_code=303)

    @app.get("/reports/{report_id}/draft/parts/{part_id}", response_class=HTMLResponse)
    def draft_part(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        context = draft_context(draft_view(report_id))
        return page(request, "_part.html", part=part_of(context, part_id), **context)

    @app.get("/reports/{report_id}/draft/parts/{part_id}/edit", response_class=HTMLResponse)
    def draft_part_editor(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        context = draft_context(draft_view(report_id))
        return page(request, "_part_edit.html", part=part_of(context, part_id), **context)

    @app.post("/reports/{report_id}/draft/parts/{part_id}", response_class=HTMLResponse)
    async def edit_part(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        form = await request.form()
        return await run_in_threadpool(edit_part_with, request, report_id, part_id, form)

    def edit_part_with(request: Request, report_id: int, part_id: str, form: Any) -> HTMLResponse:
        view = draft_view(report_id)
        text = form.get("text")
        if not isinstance(text, str):
            raise HTTPException(400, "缺少这一部分的文字")
        if len(text) > MAX_PART_CHARS:
            raise HTTPException(400, f"这一部分过长（上限 {MAX_PART_CHARS} 字），未保存")
        before = part_of(draft_context(view), part_id)  # 404 for a part the draft lacks
        base = _base_version(form.get("base_version"))
        data = dict(view.data)
        data["parts"] = {**data["parts"], part_id: paragraph_texts(text)}
        data["edited"] = sorted({*data.get("edited", []), part_id})
        try:
            head = save(
                report_id, "draft", DRAFT_DOC, _json_bytes(data), base_version=base,
                author=LOCAL_USER, message=f"编辑“{before['heading']}”",
            )  # fmt: skip
        except StaleVersion as exc:
            context = draft_context(view, conflict=exc)
            part = dict(part_of(context, part_id), text=text)
            return page(request, "_part_edit.html", status=409, part=part, **context)
        except NotFound as exc:  # a base version that never existed
            raise HTTPException(409, str(exc)) from None
        context = draft_context(draft_view(report_id))
        assert context["head"].number == head.number
        return page(request, "_part.html", part=part_of(context, part_id), oob=True, **context)

    def download(report_id: int, suffix: str) -> Response:
        from drafter.render.docx import render_docx
        from drafter.render.html import render_html
        from drafter.render.markdown import render_markdown

        view = draft_view(report_id)
        render, media = {
            "docx": (
                render_docx,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
            "html": (render_html, "text/html; charset=utf-8"),
            "md": (render_markdown, "text/markdown; charset=utf-8"),
        }[suffix]
        name = f"{view.report.agency}{view.report.year}年政府信息公开工作年度报告.{suffix}"
        return Response(
            render(view.document),
            media_type=media,
            headers={"Content-Disposition": _attachment(name, f"report.{suffix}")},
        )

    @app.get("/reports/{report_id}/draft.docx")
    def draft_docx(report_id: int) -> Response:
        return download(report_id, "docx")

    @app.get("/reports/{report_id}/draft.html")
    def draft_html(report_id: int) -> Response:
        return download(report_id, "html")

    @app.get("/reports/{report_id}/draft.md")
    def draft_md(report_id: int) -> Response:
        return download(report_id, "md")

    return app


def _base_version(value: Any) -> int | None:
    if isinstance(value, str) and re.fullmatch(r"\d{1,9}", value.strip()):
        return int(value.strip())
    return None


def _safe_name(filename: str) -> str:
    """An uploaded file's name as shown in messages: its last component, one line, short."""
    from drafter.errors import one_line

    name = re.split(r"[\\/]", filename)[-1]
    return one_line(name)[:100] or "上传的文件"
