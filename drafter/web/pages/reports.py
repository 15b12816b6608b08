"""报告列表: the reports of the workspace (those of the user's agencies), and a new report."""

from __future__ import annotations

import datetime
import re
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from drafter.web.site import STATS_DOC, Site
from drafter.workspace import DuplicateReport, WorkspaceError


def register(app: FastAPI, site: Site) -> None:
    @app.get("/", response_class=HTMLResponse)
    def index(request: Request) -> HTMLResponse:

        return site.page(
            request,
            "index.html",
            reports=site.workspace.list_reports(user=site.user(request)),
            default_year=datetime.date.today().year - 1,
            error=None,
        )

    @app.post("/reports")
    async def create_report(request: Request) -> Response:
        form = await request.form()
        return await run_in_threadpool(create_report_with, request, form)

    def create_report_with(request: Request, form: Any) -> Response:
        from drafter.formats import DEFAULT_LAYOUT
        from drafter.statistics.template import render_template

        agency = str(form.get("agency") or "").strip()
        user = site.user(request)
        if user is not None and agency and agency not in site.workspace.agencies_of(user):
            raise HTTPException(
                403,
                f"无权为“{agency[:100]}”新建报告：该机关未授权给你"
                "（请管理员用 drafter users grant 授权）",
            )
        year_text = str(form.get("year") or "").strip()
        error = None
        if not re.fullmatch(r"\d{4}", year_text):
            error = "年度应为四位数字，如 2025"
        else:
            try:
                report = site.workspace.create_report(agency, int(year_text))
            except DuplicateReport as exc:
                error = str(exc)
            except WorkspaceError as exc:
                error = str(exc)
        if error is None:
            template = render_template(agency, report.year, DEFAULT_LAYOUT)
            site.save(
                report.id, "stats", STATS_DOC, template.encode(), base_version=None,
                author=site.author(request), message="新建报告（各项为 0）",
            )  # fmt: skip
            return RedirectResponse(f"/reports/{report.id}/stats", status_code=303)
        return site.page(
            request,
            "index.html",
            status=400,
            reports=site.workspace.list_reports(user=site.user(request)),
            default_year=year_text,
            agency=agency,
            error=error,
        )
