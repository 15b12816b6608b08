"""统计: the official tables filled on the page or uploaded, checked at every edit."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from drafter.errors import InputError, Problem
from drafter.web.site import (
    STATS_DOC,
    UPLOAD_LIMITS,
    Checked,
    Site,
    attachment,
    base_version,
    safe_name,
    stats_yaml,
    yaml_text,
)
from drafter.workspace import StaleVersion


def register(app: FastAPI, site: Site) -> None:
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
        report, head, checked = site.current(request, report_id)
        return site.page(request, "stats.html", **stats_context(report, head, checked))

    @app.post("/reports/{report_id}/stats/upload")
    async def upload_stats(request: Request, report_id: int) -> Response:
        form = await request.form()
        return await run_in_threadpool(upload_stats_with, request, report_id, form)

    def upload_stats_with(request: Request, report_id: int, form: Any) -> Response:
        report, head, checked = site.current(request, report_id)
        upload = form.get("file")
        base = base_version(form.get("base_version"))
        problems: list[Problem] = []
        if upload is None or isinstance(upload, str) or not upload.filename:
            problems = [Problem("请选择要上传的统计文件（.yaml 或 .xlsx）", code="E-USAGE")]
        else:
            shown = safe_name(upload.filename)
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
                            site.save(
                                report_id, "stats", STATS_DOC, stored, base_version=base,
                                author=site.author(request), message=f"上传 {shown}",
                            )  # fmt: skip
                        except StaleVersion as exc:
                            return site.page(
                                request,
                                "stats.html",
                                status=409,
                                **stats_context(report, head, checked, conflict=exc),
                            )
                        except InputError as exc:
                            problems = list(exc.problems)
                        else:
                            return RedirectResponse(f"/reports/{report_id}/stats", 303)
        return site.page(
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
        report, head, checked = site.current(request, report_id)
        assert checked.result is not None and checked.data is not None
        base = base_version(form.get("base_version"))
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
            return site.page(request, "_findings.html", **stats_context(report, head, checked))
        content = yaml_text(data).encode()
        edited = Checked(content, ".yaml", "统计数据")
        if edited.problems:
            return site.page(
                request,
                "_findings.html",
                status=400,
                **stats_context(report, head, checked, problems=edited.problems),
            )
        try:
            version = site.save(
                report_id, "stats", STATS_DOC, content, base_version=base,
                author=site.author(request), message="在页面上修改表格",
            )  # fmt: skip
        except StaleVersion as exc:
            return site.page(
                request,
                "_findings.html",
                status=409,
                **stats_context(report, head, checked, conflict=exc),
            )
        site.caches["stats"].put((report_id, version.number, version.sha256), edited)
        return site.page(request, "_findings.html", **stats_context(report, version, edited))

    @app.get("/reports/{report_id}/stats.yaml")
    def download_yaml(request: Request, report_id: int) -> Response:
        report = site.report(request, report_id)
        content = site.workspace.read(report_id, "stats", STATS_DOC)
        return Response(
            content,
            media_type="application/yaml; charset=utf-8",
            headers={
                "Content-Disposition": attachment(
                    f"{report.agency}{report.year}年统计数据.yaml", "stats.yaml"
                )
            },
        )

    @app.get("/reports/{report_id}/stats.xlsx")
    def download_xlsx(request: Request, report_id: int) -> Response:
        from drafter.workbook import workbook_bytes

        report, _, checked = site.current(request, report_id)
        assert checked.result is not None
        content = workbook_bytes(checked.result.layout, checked.result.stats)
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                "Content-Disposition": attachment(
                    f"{report.agency}{report.year}年统计数据.xlsx", "stats.xlsx"
                )
            },
        )


# ---- the tables on the page (presentation only) ---------------------------------------------


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
