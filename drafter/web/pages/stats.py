"""统计: the official tables filled on the page or uploaded, checked at every edit."""

from __future__ import annotations

import copy
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from drafter.errors import InputError, Problem
from drafter.limits import MAX_DOCX_BYTES, MAX_TEXT_DOCUMENT_BYTES
from drafter.web.site import (
    PREVIOUS_DOC,
    PREVIOUS_KIND,
    STATS_DOC,
    UPLOAD_LIMITS,
    Checked,
    Site,
    attachment,
    base_version,
    safe_name,
    shown_problems,
    stats_yaml,
    stored_previous,
    yaml_text,
)
from drafter.workspace import NotFound, StaleVersion

# Last year's statistics (`drafter check --previous`): a statistics file, or last year's
# published report, each capped as the CLI's readers cap it.
PREVIOUS_LIMITS = {
    **UPLOAD_LIMITS,
    ".docx": MAX_DOCX_BYTES,
    ".html": MAX_TEXT_DOCUMENT_BYTES,
    ".htm": MAX_TEXT_DOCUMENT_BYTES,
    ".md": MAX_TEXT_DOCUMENT_BYTES,
}


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
        from drafter.checking.findings import sort_findings

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
            "previous": checked.previous,
            "previous_head": checked.previous_head,
            "previous_stored_problems": checked.previous_problems,
            "previous_problems": [],
            "previous_conflict": None,
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
        base = base_version(form.get("base_version"))
        shown, suffix, content, problems = _read_upload(
            form.get("file"),
            UPLOAD_LIMITS,
            missing="请选择要上传的统计文件（.yaml 或 .xlsx）",
            wrong_type="不支持的文件类型；统计文件应为 .yaml 或 .xlsx",
        )
        if content is not None:
            uploaded = Checked(content, suffix, shown)
            problems = uploaded.problems
            if not problems:
                assert uploaded.result is not None
                stored = (
                    content
                    if suffix in (".yaml", ".yml")
                    else stats_yaml(uploaded.result.stats).encode()
                )
                return saved_or_shown(
                    request, report, head, checked, ("stats", STATS_DOC, stored),
                    base=base, message=f"上传 {shown}", which="",
                )  # fmt: skip
        return site.page(
            request,
            "stats.html",
            status=400,
            **stats_context(report, head, checked, problems=problems),
        )

    def saved_or_shown(
        request: Request,
        report: Any,
        head: Any,
        checked: Checked,
        document: tuple[str, str, bytes],
        *,
        base: int | None,
        message: str,
        which: str,
    ) -> Response:
        """Save an upload (`document`: kind, name, content) and go back to the page; a stale
        base is shown as a conflict (409), a refused content as problems (400), in the box of
        `which` upload ("" the statistics', "previous_" last year's)."""
        kind, name, content = document
        try:
            site.save(
                report.id, kind, name, content, base_version=base,
                author=site.author(request), message=message,
            )  # fmt: skip
        except (StaleVersion, NotFound) as exc:
            context = stats_context(report, head, checked, **{f"{which}conflict": exc})
            return site.page(request, "stats.html", status=409, **context)
        except InputError as exc:
            context = stats_context(report, head, checked, **{f"{which}problems": exc.problems})
            return site.page(request, "stats.html", status=400, **context)
        return RedirectResponse(f"/reports/{report.id}/stats", 303)

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
        edited = site.check_content(report_id, content, checked.previous_head)
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
        site.caches["stats"].put(site.checked_key(report_id, version, edited.previous_head), edited)
        return site.page(request, "_findings.html", **stats_context(report, version, edited))

    # ---- last year's statistics: the cross-year check ---------------------------------------

    @app.post("/reports/{report_id}/stats/previous")
    async def upload_previous(request: Request, report_id: int) -> Response:
        form = await request.form()
        return await run_in_threadpool(upload_previous_with, request, report_id, form)

    def upload_previous_with(request: Request, report_id: int, form: Any) -> Response:
        report, head, checked = site.current(request, report_id)
        assert checked.result is not None
        base = base_version(form.get("base_version"))
        kinds = "上年的统计文件（.yaml、.xlsx）或上年发布的报告（.docx、.html、.md）"
        shown, suffix, content, problems = _read_upload(
            form.get("file"),
            PREVIOUS_LIMITS,
            missing=f"请选择{kinds}",
            wrong_type=f"不支持的文件类型；上年数据应为{kinds}",
        )
        if content is not None:
            stored, message, problems = _previous_upload(content, suffix, shown, checked.result)
            if not problems:
                return saved_or_shown(
                    request, report, head, checked, (PREVIOUS_KIND, PREVIOUS_DOC, stored),
                    base=base, message=message, which="previous_",
                )  # fmt: skip
        return site.page(
            request,
            "stats.html",
            status=400,
            **stats_context(report, head, checked, previous_problems=problems),
        )

    @app.post("/reports/{report_id}/stats/previous/remove")
    async def remove_previous(request: Request, report_id: int) -> Response:
        form = await request.form()
        return await run_in_threadpool(remove_previous_with, request, report_id, form)

    def remove_previous_with(request: Request, report_id: int, form: Any) -> Response:
        report, head, checked = site.current(request, report_id)
        current = site.previous_head(report_id)
        if current is None or not current.size:
            raise HTTPException(400, "这份报告没有载入上年数据")
        try:  # an empty version: removed, and the history keeps what was loaded
            site.save(
                report_id, PREVIOUS_KIND, PREVIOUS_DOC, b"",
                base_version=base_version(form.get("base_version")),
                author=site.author(request), message="移除上年数据",
            )  # fmt: skip
        except (StaleVersion, NotFound) as exc:
            return site.page(
                request,
                "stats.html",
                status=409,
                **stats_context(report, head, checked, previous_conflict=exc),
            )
        return RedirectResponse(f"/reports/{report_id}/stats", 303)

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
        from drafter.statistics.workbook import workbook_bytes

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


def _read_upload(
    upload: Any, limits: dict[str, int], *, missing: str, wrong_type: str
) -> tuple[str, str, bytes | None, list[Problem]]:
    """An uploaded file's name as shown, its suffix and its content (read up to the limit of
    its kind, in the threadpool: a blocking read); no content, but the problem, when there is
    no file, its kind is not in `limits` or it is too large."""
    if upload is None or isinstance(upload, str) or not upload.filename:
        return "", "", None, [Problem(missing, code="E-USAGE")]
    shown = safe_name(upload.filename)
    suffix = Path(shown).suffix.lower()
    limit = limits.get(suffix)
    if limit is None:
        message = wrong_type
        if suffix in (".xls", ".et"):
            message = f"不支持旧版 {suffix} 格式，请在 Excel 或 WPS 中另存为 .xlsx"
        return shown, suffix, None, [Problem(message, file=shown, code="E-FILE-TYPE")]
    upload.file.seek(0)
    content = upload.file.read(limit + 1)
    if len(content) > limit:
        message = f"文件过大，上限 {limit // 2**20} MB，未保存"
        return shown, suffix, None, [Problem(message, file=shown, code="E-LIMIT-SIZE")]
    return shown, suffix, content, []


def _previous_upload(
    content: bytes, suffix: str, shown: str, this_year: Any
) -> tuple[bytes, str, list[Problem]]:
    """Last year's statistics uploaded as `content`, read by `load_previous` (the readers and
    limits of `drafter check --previous`): what to store (statistics YAML: the file as given,
    or the statistics read from a workbook or a report), the version's message, and the
    problems that refuse it, among them a file that is not of the year before `this_year`'s
    (the CLI's W-PREV-YEAR message)."""
    from drafter.checking.checks import check
    from drafter.workflows import load_previous

    with tempfile.TemporaryDirectory(prefix="drafter-web-") as folder:
        path = Path(folder) / f"previous{suffix}"  # a fixed name: no request text in a path
        path.write_bytes(content)
        try:
            previous = load_previous(path)
        except InputError as exc:
            problems = shown_problems(exc.problems, path, shown)
            return b"", "", [_without_cli_options(p) for p in problems]
    assert previous is not None
    message = f"上传 {shown}"
    if suffix in (".yaml", ".yml"):
        stored = content
    else:
        extracted = previous.extracted
        if extracted is not None:  # as the CLI says it on stderr
            message = (
                f"上传 {shown}（上年数据由报告读出"
                + (f"，{len(extracted.warnings)} 处请核对" if extracted.warnings else "")
                + "）"
            )
        stored = (f"# 上年数据：{shown}\n" + stats_yaml(previous.stats)).encode()
    try:
        stored_previous(stored)  # what is stored reads back
    except InputError as exc:
        return b"", "", list(exc.problems)
    wrong = [
        f
        for f in check(this_year.stats, previous.stats, layout=this_year.layout)
        if f.code == "W-PREV-YEAR"
    ]
    if wrong:
        return b"", "", [Problem(wrong[0].message, file=shown, code=wrong[0].code)]
    return stored, message, []


def _without_cli_options(problem: Problem) -> Problem:
    """A reader's problem without the advice only a command line can follow (a report whose
    title does not say its agency and year: `drafter extract --agency --year`)."""
    advice = "，请用 --agency、--year 指定"
    if advice not in problem.message:
        return problem
    message = problem.message.replace(
        advice, "；请确认这是上年发布的年度报告（标题应含机关和年度）"
    )
    return Problem(
        message, file=problem.file, line=problem.line, path=problem.path, code=problem.code
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
    from drafter.checking.findings import sort_findings

    out: dict[str, list[Any]] = {}
    for finding in sort_findings(list(findings)):
        path = finding.location.path or ""
        key = path if path in keys else f"{path}.total" if f"{path}.total" in keys else None
        if key:
            out.setdefault(key, []).append(finding)
    return out
