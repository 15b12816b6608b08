"""历史版本: every saved version of every document of a report, one version viewed (its text
and what differs from the current one), and an old version restored as a new one.

Versions never change (`drafter.workspace`): a restore is a save of the old content, recorded
with the version it came from, so nothing computed from a version (the caches of `Site`, keyed
by version number and sha256) ever needs invalidating. `kind` and `name` in a URL are only
looked up among the report's documents; they never reach a file-system path.
"""

from __future__ import annotations

import difflib
import json
import re
from functools import cache
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from drafter.web.site import (
    DRAFT_DOC,
    PREVIOUS_DOC,
    PREVIOUS_KIND,
    STATS_DOC,
    Site,
    attachment,
    base_version,
)
from drafter.workspace import TEXT_KINDS, NotFound, StaleVersion, local_time

# What a document is called on the page: by its kind and name for the pages' own documents,
# else by its kind; a kind not known here is shown as it is.
DOC_LABELS = {
    ("stats", STATS_DOC): "统计数据",
    ("draft", DRAFT_DOC): "起草稿",
    (PREVIOUS_KIND, PREVIOUS_DOC): "上年数据",
    ("review", "送审稿"): "送审稿",  # the 核对 page's (drafter.web.pages.review)
    ("material", "工作总结"): "工作总结",  # the 素材 page's (drafter.web.pages.material)
}
# The page each document is worked on, by (kind, name) and, failing that, by kind; the others
# are only seen here.
DOC_PAGES = {
    ("stats", STATS_DOC): "stats",
    (PREVIOUS_KIND, PREVIOUS_DOC): "stats",
    ("draft", DRAFT_DOC): "draft",
    ("review", "送审稿"): "review",
    ("material", "工作总结"): "material",
}
KIND_PAGES = {"chat": "draft"}  # a part's conversation, in the 起草 page's chat panel
KIND_LABELS = {
    "stats": "统计数据",
    "draft": "起草稿",
    "notes": "备注",
    "edited": "编辑稿",
    "upload": "上传的文件",
    "chat": "对话",
    "material": "素材",
    "review": "核对",
    "previous": "上年数据",
}
# The pages' own documents first, in the order of the tabs; the rest in the workspace's order.
ORDER = (("stats", STATS_DOC), (PREVIOUS_KIND, PREVIOUS_DOC), ("draft", DRAFT_DOC))
MAX_SHOWN_CHARS = 500_000  # of one version's text on the page (a statistics file: ~10,000)
MAX_DIFF_LINES = 20_000  # of both versions together; difflib is quadratic at worst


def register(app: FastAPI, site: Site) -> None:
    @app.get("/reports/{report_id}/history", response_class=HTMLResponse)
    def history_page(request: Request, report_id: int) -> HTMLResponse:
        report = site.report(request, report_id)
        documents = sorted(
            site.workspace.documents(report_id),
            key=lambda d: (
                ORDER.index((d.kind, d.name)) if (d.kind, d.name) in ORDER else len(ORDER)
            ),
        )
        shown = [
            {
                "kind": d.kind,
                "name": d.name,
                "label": label(d.kind, d.name),
                "detail": detail(d.kind, d.name),
                "head": d.head,
                "page": page_of(report_id, d.kind, d.name),
                "versions": [
                    version_row(v)
                    for v in reversed(site.workspace.history(report_id, d.kind, d.name))
                ],
            }
            for d in documents
        ]
        return site.page(request, "history.html", report=report, documents=shown)

    @app.get(
        "/reports/{report_id}/history/{kind}/{name:path}/{number}", response_class=HTMLResponse
    )
    def version_page(
        request: Request, report_id: int, kind: str, name: str, number: str, download: str = ""
    ) -> Response:
        report, document, version = located(request, report_id, kind, name, number)
        content = site.workspace.read(report_id, kind, name, version.number)
        if download:
            suffix = suffix_of(kind, name, content)
            return Response(
                content,
                media_type="application/octet-stream",
                headers={
                    "Content-Disposition": attachment(
                        f"{label(kind, name)}-版本{version.number}{suffix}",
                        f"version-{version.number}{suffix}",
                    )
                },
            )
        return site.page(
            request, "history_version.html", **version_context(report, document, version, content)
        )

    def version_context(report: Any, document: Any, version: Any, content: bytes) -> dict:
        kind, name = document.kind, document.name
        text = readable(kind, content)
        head_text = text
        if version.number != document.head and text is not None:
            head_content = site.workspace.read(report.id, kind, name, document.head)
            head_text = readable(kind, head_content)
        diff = None
        if version.number != document.head and text is not None and head_text is not None:
            diff = diff_rows(head_text, text, f"当前版本 {document.head}", f"版本 {version.number}")
        return {
            "report": report,
            "document": {
                "kind": kind,
                "name": name,
                "label": label(kind, name),
                "detail": detail(kind, name),
                "head": document.head,
                "page": page_of(report.id, kind, name),
            },
            "version": version_row(version),
            "is_head": version.number == document.head,
            "binary": text is None,
            "parts": draft_parts(content) if kind == "draft" else None,
            "text": _clipped(text),
            "diff": diff,
            "conflict": None,
        }

    def located(
        request: Request, report_id: int, kind: str, name: str, number: str
    ) -> tuple[Any, Any, Any]:
        """The report, the document (kind, name) among the report's documents and its
        version `number`, else 404."""
        report = site.report(request, report_id)
        document = next(
            (d for d in site.workspace.documents(report_id) if d.kind == kind and d.name == name),
            None,
        )
        if document is None:
            raise HTTPException(404, "这份报告没有这个文档")
        if not re.fullmatch(r"[1-9]\d{0,8}", number) or int(number) > document.head:
            raise HTTPException(404, "这个文档没有这个版本")
        try:
            versions = site.workspace.history(report_id, kind, name)
        except NotFound:
            raise HTTPException(404, "这份报告没有这个文档") from None
        version = next((v for v in versions if v.number == int(number)), None)
        if version is None:
            raise HTTPException(404, "这个文档没有这个版本")
        return report, document, version

    @app.post("/reports/{report_id}/history/{kind}/{name:path}/{number}/restore")
    async def restore(
        request: Request, report_id: int, kind: str, name: str, number: str
    ) -> Response:
        form = await request.form()
        return await run_in_threadpool(restore_with, request, report_id, kind, name, number, form)

    def restore_with(
        request: Request, report_id: int, kind: str, name: str, number: str, form: Any
    ) -> Response:
        report, document, version = located(request, report_id, kind, name, number)
        if version.number == document.head:
            raise HTTPException(400, f"版本 {version.number} 已是当前版本，无需恢复")
        base = base_version(form.get("base_version"))
        try:
            site.workspace.restore(
                report_id, kind, name, version.number, base_version=base,
                author=site.author(request),
            )  # fmt: skip
        except (StaleVersion, NotFound) as exc:
            head = getattr(exc, "head", None)
            if head is not None:
                seen = f"，你看到的是版本 {base}" if base is not None else ""
                message = (
                    f"未恢复：此文档已被 {head.author} 于 {local_time(head.created)} 修改"
                    f"（现为版本 {head.number}{seen}）。请查看与最新版本的差异后再决定是否恢复"
                )
            else:
                message = f"未恢复：{exc}"
            current = next(
                d for d in site.workspace.documents(report_id) if (d.kind, d.name) == (kind, name)
            )
            content = site.workspace.read(report_id, kind, name, version.number)
            context = version_context(report, current, version, content)
            context["conflict"] = message
            return site.page(request, "history_version.html", status=409, **context)
        return RedirectResponse(page_of(report_id, kind, name), status_code=303)


# ---- presentation ---------------------------------------------------------------------------


def label(kind: str, name: str) -> str:
    if kind == "chat":  # named by the part it is about
        return f"对话：{part_headings().get(name, name)}"
    return DOC_LABELS.get((kind, name)) or KIND_LABELS.get(kind) or kind


def detail(kind: str, name: str) -> str:
    """The document's name, shown beside a label that only says its kind."""
    return "" if (kind, name) in DOC_LABELS or kind == "chat" else name


def page_of(report_id: int, kind: str, name: str) -> str:
    """The page where a document is worked on (the history page for the others)."""
    page = DOC_PAGES.get((kind, name)) or KIND_PAGES.get(kind) or "history"
    return f"/reports/{report_id}/{page}"


def version_row(version: Any) -> dict[str, Any]:
    return {
        "number": version.number,
        "time": local_time(version.created),
        "author": version.author,
        "message": version.message,
        "size": size_text(version.size),
        "restored_from": version.restored_from,
    }


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 2**20:.1f} MB"


def readable(kind: str, content: bytes) -> str | None:
    """A version as text to read and compare (a draft: its parts' text); None when it is a
    binary file (a .docx), which is only downloaded."""
    if kind == "draft":
        parts = draft_parts(content)
        if parts is not None:
            return "\n".join(
                f"【{p['heading']}】{'（已编辑）' if p['edited'] else ''}\n"
                + "".join(f"{t}\n" for t in p["paragraphs"])
                for p in parts
            )
    if kind not in TEXT_KINDS and (content.startswith(b"PK\x03\x04") or b"\0" in content):
        return None
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None if kind not in TEXT_KINDS else content.decode("utf-8", errors="replace")


def draft_parts(content: bytes) -> list[dict[str, Any]] | None:
    """The parts of a stored draft (JSON, see drafter.web.site), in the order stored, each
    with its heading; None when it is not one."""
    try:
        data = json.loads(content)
        parts = data["parts"]
        edited = set(data.get("edited") or [])
        return [
            {
                "id": part_id,
                "heading": part_headings().get(part_id, part_id),
                "paragraphs": [str(t) for t in paragraphs],
                "edited": part_id in edited,
            }
            for part_id, paragraphs in parts.items()
        ]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


@cache
def part_headings() -> dict[str, str]:
    """The heading of every part id of the known layouts (前言 for the preamble)."""
    from drafter.errors import InputError
    from drafter.formats import load_layout
    from drafter.verification.provenance import PREAMBLE, PREAMBLE_HEADING

    headings = {PREAMBLE: PREAMBLE_HEADING}
    for layout_id in ("gov-info-disclosure-2021-seven-part", "gov-info-disclosure-2021"):
        try:
            layout = load_layout(layout_id)
        except InputError:
            continue
        for section in layout.sections:
            headings[section.id] = section.heading
            for sub in section.subsections:
                headings[sub.id] = sub.heading
    return headings


def diff_rows(old: str, new: str, old_label: str, new_label: str) -> list[dict[str, str]] | None:
    """A unified diff from `old` to `new`, line by line with its kind (file, hunk, add, del,
    same) for colouring; None when the texts are too long to compare on a page."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    if len(old_lines) + len(new_lines) > MAX_DIFF_LINES:
        return None
    rows = []
    for line in difflib.unified_diff(
        old_lines, new_lines, fromfile=old_label, tofile=new_label, lineterm=""
    ):
        if line.startswith(("---", "+++")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        rows.append({"kind": kind, "line": line})
    return rows


def suffix_of(kind: str, name: str, content: bytes) -> str:
    """A file suffix for a downloaded version."""
    if content.startswith(b"PK\x03\x04"):
        head = content[:200_000]
        return ".docx" if b"word/" in head else ".xlsx" if b"xl/" in head else ".zip"
    if kind == "draft":
        return ".json"
    if (kind, name) in (("stats", STATS_DOC), (PREVIOUS_KIND, PREVIOUS_DOC)):
        return ".yaml"
    return ".txt" if readable(kind, content) is not None else ".bin"


def _clipped(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_SHOWN_CHARS:
        return text
    return text[:MAX_SHOWN_CHARS] + f"\n…（以下省略，全文 {len(text):,} 字，请下载查看）"
