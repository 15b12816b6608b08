"""起草: draft offline or with a configured model, every number marked; edit a part on the page.

Drafting with a model takes minutes, so it runs in a worker thread of its own (one per report
at a time; another start meanwhile is refused with 409) and the page follows it part by part
through Server-Sent Events (`GET /reports/{id}/draft/events`, read by
static/draft_progress.js). The job's state is kept in memory (`DraftJobs`), its events in
order, so that a browser that reconnects, or comes back after the job ended, is told every
step it missed and the final state. The draft is saved only when it is whole, in the same JSON
as an offline draft (`"drafter"` is the model's id), so marks, edits and downloads work on it
unchanged. The model's endpoint and key never reach the page: only its id and model name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from drafter.errors import InputError, one_line
from drafter.web.site import (
    DRAFT_DOC,
    MAX_PART_CHARS,
    STATS_DOC,
    Site,
    attachment,
    base_version,
    json_bytes,
    offline_draft,
)
from drafter.workspace import NotFound, StaleVersion

log = logging.getLogger(__name__)

OFFLINE = "offline"  # the form's value (and the stored "drafter") of the offline drafter
NO_MODEL = "未配置模型：只能离线起草。配置方法见 README 的“配置模型”一节"
DRAFTING = "正在起草"
POLL_SECONDS = 0.2  # how often a stream looks for a job's new events
KEEPALIVE_SECONDS = 15.0  # a comment line this often keeps proxies from closing a quiet stream
STREAM_SECONDS = 300.0  # a stream ends after this; the browser reconnects (Last-Event-ID)
RETRY_MS = 3000  # how long the browser waits before reconnecting


# ---- the configured models, as the page may show them ----------------------------------------


@dataclass(frozen=True)
class ModelChoice:
    """A configured model as the page shows it: its id and model name, never its endpoint or
    key; `key_missing` names nothing but says the key's variable is not set."""

    id: str
    label: str
    key_missing: bool


def model_choices() -> tuple[list[ModelChoice], str | None, str | None]:
    """The configured models (the models file's, then the one of DRAFTER_BASE_URL and
    DRAFTER_MODEL), why the configuration could not be read if it could not, and the id
    `drafter draft` would use without --model (preselected on the page)."""
    from drafter.drafting.models import env_model, load_models

    try:
        specs, default = load_models()
    except InputError as exc:
        return [], str(exc), None
    env = env_model()
    if env is not None:  # its id wins over a file entry of the same id, as in resolve_model
        specs = [s for s in specs if s.id != env.id] + [env]
    choices = [
        ModelChoice(s.id, f"{s.id}（{s.model}）", s.key_env is not None and s.api_key() is None)
        for s in specs
    ]
    preferred = env.id if env is not None else default
    return choices, None, preferred if preferred in {c.id for c in choices} else None


# ---- the jobs -------------------------------------------------------------------------------


@dataclass
class DraftJob:
    """One model draft of one report: its parts' states and its events, in order (each
    event's id is its position, from 1). Written by the job's threads, read by the pages and
    the streams, always under the lock."""

    report_id: int
    model: str
    label: str
    parts: dict[str, dict[str, str]]  # part id -> id, heading, state, text
    serial: int = 0  # which job of the app (DraftJobs.start): part of every event's id
    state: str = "running"  # running | finished | error
    version: int | None = None  # the draft version saved (finished)
    error: str | None = None  # why nothing was saved (error), one Chinese line
    outcomes: list[dict[str, str]] = field(default_factory=list)  # each part's end, in order
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, data: dict[str, Any]) -> None:
        with self._lock:
            self.events.append((name, data))

    def step(self, step: Any) -> None:
        """A part's step (`drafter.workflows.PartProgress`), from a drafting thread."""
        with self._lock:
            part = self.parts.get(step.part)
            if part is None:
                return
            if step.event == "done":
                part.update(state=step.outcome or "ok", text=step.message)
            elif step.event == "started" or part["state"] in ("waiting", "running"):
                part.update(state="running", text=step.message)
            else:
                return  # a status line after the part is done says nothing new
            data = {"part": step.part, "heading": step.heading, "text": step.message}
            if step.event == "done":
                data.update(outcome=step.outcome, marked=step.marked, repairs=step.repairs)
            self.events.append((step.event, data))

    def finish(self, version: int, outcomes: list[dict[str, str]]) -> None:
        with self._lock:
            self.state, self.version, self.outcomes = "finished", version, outcomes
            text = f"起草完成，已保存为草稿版本 {version}"
            self.events.append(("finished", {"version": version, "text": text}))

    def fail(self, message: str) -> None:
        with self._lock:
            self.state, self.error = "error", message
            for part in self.parts.values():
                if part["state"] in ("waiting", "running"):
                    part.update(state="stopped", text="未完成")
            self.events.append(("error", {"text": message}))

    def event_id(self, number: int) -> str:
        return f"{self.serial}-{number}"

    def seen(self, last_event_id: str) -> int:
        """How many of this job's events a browser saw, from its Last-Event-ID (0 for an
        id of another job, or none)."""
        serial, _, number = last_event_id.strip().partition("-")
        if serial != str(self.serial) or not number.isdigit() or len(number) > 8:
            return 0
        with self._lock:
            return min(int(number), len(self.events))

    def since(self, seen: int) -> tuple[list[tuple[str, str, dict[str, Any]]], bool]:
        """The events after the first `seen` (with their ids), and whether the job is over;
        over, the final event is always among them (sent again if it was seen before)."""
        with self._lock:
            numbered = list(enumerate(self.events, 1))[seen:]
            over = self.state != "running"
            if over and not numbered:
                numbered = [(len(self.events), self.events[-1])]
            return [(self.event_id(n), *e) for n, e in numbered], over

    def view(self) -> dict[str, Any]:
        """What a page shows of the job."""
        with self._lock:
            return {
                "model": self.model,
                "label": self.label,
                "state": self.state,
                "running": self.state == "running",
                "version": self.version,
                "error": self.error,
                "parts": [dict(p) for p in self.parts.values()],
                "outcomes": list(self.outcomes),
                "offline": sum(1 for o in self.outcomes if o["outcome"] == "offline"),
            }


class DraftJobs:
    """The model drafts of an app, the last one of each report (a dict keyed by report id,
    guarded by a lock): at most one runs per report."""

    def __init__(self) -> None:
        self._jobs: dict[int, DraftJob] = {}
        self._serial = 0
        self._lock = threading.Lock()

    def start(self, job: DraftJob) -> bool:
        """Register `job` as its report's; False when one is running for that report."""
        with self._lock:
            current = self._jobs.get(job.report_id)
            if current is not None and current.state == "running":
                return False
            self._serial += 1
            job.serial = self._serial
            self._jobs[job.report_id] = job
            return True

    def get(self, report_id: int) -> DraftJob | None:
        with self._lock:
            return self._jobs.get(report_id)

    def running(self, report_id: int) -> bool:
        job = self.get(report_id)
        return job is not None and job.state == "running"

    def forget(self, report_id: int) -> None:
        """Forget the report's last job unless it is running (a newer draft says more)."""
        with self._lock:
            job = self._jobs.get(report_id)
            if job is not None and job.state != "running":
                del self._jobs[report_id]


def sse(name: str, data: dict[str, Any], event_id: str | None = None) -> str:
    """One Server-Sent Event (the JSON is one line: no field can break the framing)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


# ---- the routes -----------------------------------------------------------------------------


def register(app: FastAPI, site: Site) -> None:
    jobs = DraftJobs()
    app.state.draft_jobs = jobs

    def choices_context(view_data: dict[str, Any] | None = None) -> dict[str, Any]:
        models, problem, preferred = model_choices()
        current = (view_data or {}).get("drafter")
        if current == OFFLINE or current in {m.id for m in models}:
            preferred = None if current == OFFLINE else current  # redrafting: as it was drafted
        return {
            "models": models,
            "models_problem": problem,
            "preferred": preferred,
            "no_model": NO_MODEL,
            "draft_drafter": current,
        }

    def job_context(report_id: int, head: Any = None) -> dict[str, Any]:
        """The report's model draft as the page shows it: running (the progress), just
        finished (each part's outcome, while the draft is that version) or failed."""
        job = jobs.get(report_id)
        if job is None:
            return {"job": None, "job_done": None, "job_error": None}
        view = job.view()
        finished = view["state"] == "finished" and head is not None
        return {
            "job": view if view["running"] else None,
            "job_done": view if finished and view["version"] == head.number else None,
            "job_error": view["error"],
        }

    def start_page(request: Request, report_id: int, status: int = 200, **more: Any) -> Any:
        report, stats_head, checked = site.current(request, report_id)
        assert checked.result is not None
        context = {
            "report": report,
            "stats_head": stats_head,
            "counts": checked.result.counts,
            "blocked": None,
            **choices_context(),
            **job_context(report_id),
            **more,
        }
        return site.page(request, "draft_start.html", status=status, **context)

    def draft_page_context(request: Request, report_id: int, **more: Any) -> dict[str, Any]:
        view = site.draft_view(request, report_id)
        context = site.draft_context(view, **more)
        return {**context, **choices_context(view.data), **job_context(report_id, view.head)}

    @app.get("/reports/{report_id}/draft", response_class=HTMLResponse)
    def draft_page(request: Request, report_id: int) -> HTMLResponse:
        site.report(request, report_id)
        if site.workspace.head(report_id, "draft", DRAFT_DOC) is None:
            return start_page(request, report_id)
        return site.page(request, "draft.html", **draft_page_context(request, report_id))

    @app.post("/reports/{report_id}/draft")
    async def make_draft(request: Request, report_id: int) -> Response:
        form = await request.form()
        return await run_in_threadpool(make_draft_with, request, report_id, form)

    def make_draft_with(request: Request, report_id: int, form: Any) -> Response:
        _report, stats_head, checked = site.current(request, report_id)
        assert checked.result is not None
        if jobs.running(report_id):
            raise HTTPException(409, f"{DRAFTING}：这份报告正在用模型起草，请等它完成")
        allow_errors = form.get("allow_errors") == "1"
        chosen = form.get("drafter")
        if isinstance(chosen, str) and chosen not in ("", OFFLINE):
            return start_model_draft(
                request, report_id, stats_head, checked, form, chosen, allow_errors
            )
        content = site.workspace.read(report_id, "stats", STATS_DOC, stats_head.number)
        result = offline_draft(content, allow_errors=allow_errors)
        if result.report is None:  # the statistics have errors and drafting anyway was not asked
            return start_page(request, report_id, status=400, blocked=blocked_line(checked))
        from drafter.verification.provenance import parts_of

        data = {
            "format": 1,
            "drafter": OFFLINE,
            "stats_version": stats_head.number,
            "allow_errors": allow_errors,
            "parts": {pid: [p.text for p in ps] for pid, _h, _l, _s, ps in parts_of(result.report)},
            "edited": [],
        }
        base = base_version(form.get("base_version"))
        message = f"离线起草（统计数据版本 {stats_head.number}）"
        if allow_errors and checked.result.counts.errors:
            message += "，统计数据有错误仍起草"
        try:
            site.save(
                report_id, "draft", DRAFT_DOC, json_bytes(data), base_version=base,
                author=site.author(request), message=message,
            )  # fmt: skip
        except StaleVersion as exc:
            raise HTTPException(409, str(exc)) from None
        except NotFound as exc:  # a base version that never existed
            raise HTTPException(409, str(exc)) from None
        jobs.forget(report_id)  # how the last model draft went is no longer the news
        return RedirectResponse(f"/reports/{report_id}/draft", status_code=303)

    def blocked_line(checked: Any) -> str:
        return (
            f"统计数据有 {checked.result.counts.errors} 个错误。请先到统计页改正；"
            "要先看草稿，请明确选择“统计有错误，仍起草”"
        )

    def start_model_draft(
        request: Request,
        report_id: int,
        stats_head: Any,
        checked: Any,
        form: Any,
        model_id: str,
        allow_errors: bool,
    ) -> Response:
        """Check what can be checked now (the model, its key, the statistics, the draft's
        version), then start the job and send the browser to the page that follows it."""
        from drafter.drafting.models import resolve_model

        models, problem, _preferred = model_choices()
        choice = next((m for m in models if m.id == model_id), None)
        if problem is not None or choice is None:
            if problem is not None:
                raise HTTPException(400, f"模型配置文件有误：{problem}")
            raise HTTPException(400, NO_MODEL if not models else "没有这个模型，请从页面上选择")
        if choice.key_missing:
            raise HTTPException(400, f"模型 {choice.id} 的 API key 未设置（见 drafter models）")
        if checked.result.counts.errors and not allow_errors:
            return start_page(request, report_id, status=400, blocked=blocked_line(checked))
        head = site.workspace.head(report_id, "draft", DRAFT_DOC)
        base = base_version(form.get("base_version"))
        if (head.number if head is not None else None) != base:
            # refused now rather than after minutes of drafting (the save would be refused)
            if head is None:
                raise HTTPException(409, f"草稿没有版本 {base}，请刷新页面")
            raise HTTPException(
                409, f"草稿已被 {head.author} 保存为版本 {head.number}，请刷新页面后再起草"
            )
        try:
            spec = resolve_model(model_id)
        except InputError as exc:
            raise HTTPException(400, one_line(str(exc))) from None
        assert spec is not None
        from drafter.drafting.draft import narrative_parts

        parts = {
            part: {"id": part, "heading": heading, "state": "waiting", "text": "等待"}
            for part, heading, _fee in narrative_parts(checked.result.layout)
        }
        job = DraftJob(report_id, choice.id, choice.label, parts)
        if not jobs.start(job):
            raise HTTPException(409, f"{DRAFTING}：这份报告正在用模型起草，请等它完成")
        content = site.workspace.read(report_id, "stats", STATS_DOC, stats_head.number)
        threading.Thread(
            target=run_model_draft,
            args=(job, content, stats_head.number, allow_errors, base, site.author(request)),
            kwargs={"again": head is not None, "stats_errors": checked.result.counts.errors},
            name=f"drafter-web-draft-{report_id}",
            daemon=True,  # the server's end ends it; nothing is saved half-written
        ).start()
        return RedirectResponse(f"/reports/{report_id}/draft", status_code=303)

    def run_model_draft(
        job: DraftJob,
        content: bytes,
        stats_version: int,
        allow_errors: bool,
        base: int | None,
        author: str,
        *,
        again: bool,
        stats_errors: int,
    ) -> None:
        """The job's thread: draft with the model, then save the whole draft as one version
        (or nothing, saying why in one Chinese line)."""
        try:
            drafted = model_draft(job, content, allow_errors=allow_errors, again=again)
            result = drafted.result
            if result.report is None:
                job.fail("统计数据有错误，未起草")
                return
            if drafted.parts and drafted.by_model == 0:
                why = drafted.parts[0].message
                job.fail(f"模型 {job.model} 没有写出任何部分（{why}），未保存。可改用离线起草器")
                return
            from drafter.verification.provenance import parts_of

            data = {
                "format": 1,
                "drafter": job.model,
                "stats_version": stats_version,
                "allow_errors": allow_errors,
                "parts": {
                    pid: [p.text for p in ps] for pid, _h, _l, _s, ps in parts_of(result.report)
                },
                "edited": [],
                # what the model wrote and where its numbers stand (site.apply_provenance)
                "provenance": provenance_data(result.report),
            }
            offline = [p for p in drafted.parts if p.outcome == "offline"]
            message = f"模型 {job.model} 起草（统计数据版本 {stats_version}）"
            if offline:
                message += f"，{len(offline)} 个部分模型未能起草、改用离线起草器"
            if allow_errors and stats_errors:
                message += "，统计数据有错误仍起草"
            head = site.save(
                job.report_id, "draft", DRAFT_DOC, json_bytes(data), base_version=base,
                author=author, message=message,
            )  # fmt: skip
        except StaleVersion as exc:
            job.fail(
                f"起草期间草稿已被 {exc.head.author} 保存为版本 {exc.head.number}，"
                "模型的稿子未保存，请刷新页面后重新起草"
            )
        except NotFound:
            job.fail("草稿的版本已不存在，模型的稿子未保存，请刷新页面后重新起草")
        except InputError as exc:
            job.fail(f"{one_line(str(exc))}；未保存")
        except Exception as exc:  # never silent: the page says it, the server's log has it
            log.exception("model draft of report %s failed", job.report_id)
            job.fail(f"起草出错（{type(exc).__name__}），未保存")
        else:
            job.finish(
                head.number,
                [
                    {
                        "id": p.part,
                        "heading": p.heading,
                        "outcome": p.outcome or "",
                        "text": p.message,
                    }
                    for p in drafted.parts
                ],
            )

    def model_draft(job: DraftJob, content: bytes, *, allow_errors: bool, again: bool) -> Any:
        from drafter.workflows import check_for_draft, draft_with_model

        with tempfile.TemporaryDirectory(prefix="drafter-web-") as folder:
            path = Path(folder) / "stats.yaml"  # a fixed name: no request text in a path
            path.write_bytes(content)
            try:
                checked = check_for_draft(path, allow_errors=allow_errors)
            except InputError as exc:  # shown under the name the user knows
                raise InputError(one_line(str(exc)).replace(str(path), "统计数据")) from None
        return draft_with_model(
            checked, job.model, on_part=job.step, again=again, allow_errors=allow_errors
        )

    @app.get("/reports/{report_id}/draft/events")
    async def draft_events(request: Request, report_id: int) -> Response:
        """The report's model draft as Server-Sent Events: `started`, `status` and `done` of
        each part, then `finished` (with the draft version) or `error` (one Chinese line).
        Events the browser saw (Last-Event-ID) are not sent again; when the job is over, the
        final event is sent again, so a browser coming back learns how it ended."""
        await run_in_threadpool(site.report, request, report_id)
        job = jobs.get(report_id)
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        if job is None:  # none since the server started: what the workspace holds
            head = await run_in_threadpool(site.workspace.head, report_id, "draft", DRAFT_DOC)
            if head is not None:
                final = sse("finished", {"version": head.number, "text": "没有正在进行的起草"})
            else:
                final = sse("error", {"text": "没有正在进行的起草"})
            return StreamingResponse(
                once(f"retry: {RETRY_MS}\n\n" + final), media_type="text/event-stream",
                headers=headers,
            )  # fmt: skip
        seen = job.seen(request.headers.get("last-event-id", ""))
        return StreamingResponse(
            job_events(job, seen), media_type="text/event-stream", headers=headers
        )

    @app.get("/reports/{report_id}/draft/parts/{part_id}", response_class=HTMLResponse)
    def draft_part(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        context = site.draft_context(site.draft_view(request, report_id))
        return site.page(request, "_part.html", part=site.part_of(context, part_id), **context)

    @app.get("/reports/{report_id}/draft/parts/{part_id}/edit", response_class=HTMLResponse)
    def draft_part_editor(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        context = site.draft_context(site.draft_view(request, report_id))
        return site.page(request, "_part_edit.html", part=site.part_of(context, part_id), **context)

    @app.post("/reports/{report_id}/draft/parts/{part_id}", response_class=HTMLResponse)
    async def edit_part(request: Request, report_id: int, part_id: str) -> HTMLResponse:
        form = await request.form()
        return await run_in_threadpool(edit_part_with, request, report_id, part_id, form)

    def edit_part_with(request: Request, report_id: int, part_id: str, form: Any) -> HTMLResponse:
        view = site.draft_view(request, report_id)
        text = form.get("text")
        if not isinstance(text, str):
            raise HTTPException(400, "缺少这一部分的文字")
        if len(text) > MAX_PART_CHARS:
            raise HTTPException(400, f"这一部分过长（上限 {MAX_PART_CHARS} 字），未保存")
        before = site.part_of(site.draft_context(view), part_id)  # 404 for a part the draft lacks
        base = base_version(form.get("base_version"))
        try:
            head = site.save_part(
                request, view, part_id, text, base=base, message=f"编辑“{before['heading']}”"
            )
        except StaleVersion as exc:
            context = site.draft_context(view, conflict=exc)
            part = dict(site.part_of(context, part_id), text=text)
            return site.page(request, "_part_edit.html", status=409, part=part, **context)
        except NotFound as exc:  # a base version that never existed
            raise HTTPException(409, str(exc)) from None
        context = draft_page_context(request, report_id)
        assert context["head"].number == head.number
        return site.page(
            request, "_part.html", part=site.part_of(context, part_id), oob=True, **context
        )

    def download(request: Request, report_id: int, suffix: str) -> Response:
        from drafter.render.docx import render_docx
        from drafter.render.html import render_html
        from drafter.render.markdown import render_markdown

        view = site.draft_view(request, report_id)
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
            headers={"Content-Disposition": attachment(name, f"report.{suffix}")},
        )

    @app.get("/reports/{report_id}/draft.docx")
    def draft_docx(request: Request, report_id: int) -> Response:
        return download(request, report_id, "docx")

    @app.get("/reports/{report_id}/draft.html")
    def draft_html(request: Request, report_id: int) -> Response:
        return download(request, report_id, "html")

    @app.get("/reports/{report_id}/draft.md")
    def draft_md(request: Request, report_id: int) -> Response:
        return download(request, report_id, "md")


def provenance_data(report: Any) -> dict[str, Any]:
    """The record a .docx drafter writes keeps of who wrote each sentence and where each
    filled-in number stands, as JSON data."""
    from drafter.report import record_provenance

    record = record_provenance(report.paragraphs())
    return {"numbers": [list(n) for n in record.numbers], "sentences": record.sentences}


async def once(text: str) -> AsyncIterator[str]:
    yield text


async def job_events(job: DraftJob, seen: int) -> AsyncIterator[str]:
    """A job's events after the first `seen`, as they come, until it is over (its final
    event then sent even if seen before) or the stream is old (the browser reconnects)."""
    yield f"retry: {RETRY_MS}\n\n"
    opened = quiet = time.monotonic()
    while True:
        new, over = job.since(seen)
        for event_id, name, data in new:
            yield sse(name, data, event_id)
            quiet = time.monotonic()
        if over:
            return
        seen += len(new)
        now = time.monotonic()
        if now - opened > STREAM_SECONDS:
            return
        if now - quiet > KEEPALIVE_SECONDS:
            yield ": 仍在起草\n\n"
            quiet = now
        await asyncio.sleep(POLL_SECONDS)
