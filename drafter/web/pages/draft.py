"""起草: draft offline (or with a model), every number marked; edit a part on the page."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from drafter.web.site import (
    DRAFT_DOC,
    MAX_PART_CHARS,
    STATS_DOC,
    Site,
    attachment,
    base_version,
    json_bytes,
    offline_draft,
    paragraph_texts,
)
from drafter.workspace import NotFound, StaleVersion


def register(app: FastAPI, site: Site) -> None:
    @app.get("/reports/{report_id}/draft", response_class=HTMLResponse)
    def draft_page(request: Request, report_id: int) -> HTMLResponse:
        site.report(request, report_id)
        if site.workspace.head(report_id, "draft", DRAFT_DOC) is None:
            report, stats_head, checked = site.current(request, report_id)
            assert checked.result is not None
            models, models_problem = site.configured_models()
            return site.page(
                request,
                "draft_start.html",
                report=report,
                stats_head=stats_head,
                counts=checked.result.counts,
                models=models,
                models_problem=models_problem,
                blocked=None,
            )
        return site.page(
            request, "draft.html", **site.draft_context(site.draft_view(request, report_id))
        )

    @app.post("/reports/{report_id}/draft")
    async def make_draft(request: Request, report_id: int) -> Response:
        form = await request.form()
        return await run_in_threadpool(make_draft_with, request, report_id, form)

    def make_draft_with(request: Request, report_id: int, form: Any) -> Response:
        report, stats_head, checked = site.current(request, report_id)
        assert checked.result is not None
        allow_errors = form.get("allow_errors") == "1"
        content = site.workspace.read(report_id, "stats", STATS_DOC, stats_head.number)
        result = offline_draft(content, allow_errors=allow_errors)
        if result.report is None:  # the statistics have errors and drafting anyway was not asked
            models, models_problem = site.configured_models()
            return site.page(
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
        return RedirectResponse(f"/reports/{report_id}/draft", status_code=303)

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
        data = dict(view.data)
        data["parts"] = {**data["parts"], part_id: paragraph_texts(text)}
        data["edited"] = sorted({*data.get("edited", []), part_id})
        try:
            head = site.save(
                report_id, "draft", DRAFT_DOC, json_bytes(data), base_version=base,
                author=site.author(request), message=f"编辑“{before['heading']}”",
            )  # fmt: skip
        except StaleVersion as exc:
            context = site.draft_context(view, conflict=exc)
            part = dict(site.part_of(context, part_id), text=text)
            return site.page(request, "_part_edit.html", status=409, part=part, **context)
        except NotFound as exc:  # a base version that never existed
            raise HTTPException(409, str(exc)) from None
        context = site.draft_context(site.draft_view(request, report_id))
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
