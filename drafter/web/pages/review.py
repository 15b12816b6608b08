"""核对: the edited report uploaded from Word or WPS, verified as `drafter verify` verifies it.

The upload (a .docx, tracked changes read as if accepted: inserted text counts, deleted text
does not — drafter.read.docx) goes through `drafter.workflows.verify_document` against the
report's current statistics, the very function of `drafter verify`, so the page and the
command give the same findings. The page shows a status line (可以报送 only without any
error), the findings by part with the sentence each is in, and the annotated copy
(`drafter.verification.annotate.annotate_docx`, as `--annotate` writes it); beside them the
downloads of the draft and the cover letter, and the model calls made for the report.

Each accepted upload is stored as a version of the report's 送审稿; the review is recomputed
from the stored version and the statistics' head version (cached by both, versions never
change), so the last review survives a restart and follows the statistics when they change.
An upload the readers refuse (not a .docx, corrupt, a zip bomb, over a limit) is answered
with the reader's one Chinese line, and nothing is stored. The files verify_document reads are
written under fixed names in a fresh temporary folder: no request text comes near a path.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from drafter.errors import InputError, Problem, one_line
from drafter.limits import MAX_DOCX_BYTES
from drafter.web.site import (
    DRAFT_DOC,
    STATS_DOC,
    Site,
    VersionCache,
    attachment,
    base_version,
    safe_name,
)
from drafter.workspace import NotFound, StaleVersion, WorkspaceError, local_time

# The edited .docx uploaded for review (binary, kept as uploaded), one document per report.
REVIEW_KIND = "review"
REVIEW_DOC = "送审稿"
DOCX_MEDIA = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
STATS_SHOWN = "统计数据"  # how messages name the statistics (never a temporary path)
PREVIOUS_SHOWN = "上年数据"  # … and last year's
EXCERPT_CHARS = 120  # of a sentence, shown on either side of the finding's text
MAX_CALLS = 200  # model calls listed on the calls page, newest first
_SENTENCE_ENDS = "。！？；\n"
_LABELS = {"error": "错误", "warning": "警告", "advice": "提示"}
_ROLES = {"system": "系统", "user": "用户", "assistant": "模型"}


# ---- verifying a 送审稿 ---------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Review:
    """A stored 送审稿 verified against one version of the statistics: the VerifyResult, or
    the problems that stop the reading (a stored version that can no longer be read)."""

    result: Any
    problems: tuple[Problem, ...] = ()


def _renamed(problem: Problem, names: dict[str, str]) -> Problem:
    """`problem` with every temporary path replaced by the name the user knows."""

    def clean(text: str | None) -> str | None:
        if text is None:
            return None
        for path, shown in names.items():
            text = text.replace(path, shown)
        return text

    return dataclasses.replace(
        problem, message=clean(problem.message) or "", file=clean(problem.file)
    )


def verify_upload(content: bytes, stats: bytes, shown: str, previous: bytes | None = None) -> Any:
    """`verify_document` of a .docx given as bytes against statistics YAML given as bytes
    (and last year's statistics YAML, when given, as `drafter verify --previous`). Raises
    InputError, its problems naming the document `shown` and the statistics `STATS_SHOWN`
    instead of the temporary files."""
    from drafter.workflows import verify_document

    with tempfile.TemporaryDirectory(prefix="drafter-web-") as folder:
        document = Path(folder) / "review.docx"  # fixed names: no request text in a path
        statistics = Path(folder) / "stats.yaml"
        last_year = Path(folder) / "previous.yaml" if previous else None
        document.write_bytes(content)
        statistics.write_bytes(stats)
        if last_year is not None and previous:
            last_year.write_bytes(previous)
        try:
            return verify_document(document, statistics, last_year)
        except InputError as exc:
            names = {str(document): shown, str(statistics): STATS_SHOWN}
            if last_year is not None:
                names[str(last_year)] = PREVIOUS_SHOWN
            names[folder] = ""
            raise InputError([_renamed(p, names) for p in exc.problems]) from None


# ---- presenting a review ----------------------------------------------------------------------


def _excerpt(text: str, span: tuple[int, int], gap: bool) -> dict[str, str]:
    """The sentence of `text` around `span`, cut into what precedes the finding's text, that
    text, and what follows (a gap 【待补充…】 taken whole, to its closing bracket)."""
    start = max(0, min(span[0], len(text)))
    end = max(start, min(span[1], len(text)))
    if gap:
        close = text.find("】", start)
        end = close + 1 if close >= 0 else end
    left = max(text.rfind(c, 0, start) for c in _SENTENCE_ENDS) + 1
    ends = [i for c in _SENTENCE_ENDS if (i := text.find(c, end)) >= 0]
    right = min(ends) + 1 if ends else len(text)
    before, after = text[left:start], text[end:right]
    if len(before) > EXCERPT_CHARS:
        before = "…" + before[-EXCERPT_CHARS:]
    if len(after) > EXCERPT_CHARS:
        after = after[:EXCERPT_CHARS] + "…"
    return {"before": before.strip(), "hit": text[start:end], "after": after.rstrip()}


def _finding_view(finding: Any, paragraphs: dict[tuple[Any, Any], str]) -> dict[str, Any]:
    from drafter.workflows import is_gap

    location = finding.location
    gap = is_gap(finding)
    severity = finding.severity.value
    item: dict[str, Any] = {
        "severity": severity,
        "label": "待补充" if gap else _LABELS[severity],
        "gap": gap,
        "code": finding.code,
        "message": finding.message,
        "where": "",
        "sentence": None,
    }
    text = paragraphs.get((location.section, location.paragraph))
    if text is not None and location.paragraph is not None:
        item["where"] = f"第{location.paragraph}段"
        if location.span is not None:
            item["sentence"] = _excerpt(text, location.span, gap)
        elif location.sentence:
            item["sentence"] = {"before": "", "hit": "", "after": location.sentence}
    elif location.sentence:
        hit = location.text or ""
        at = location.sentence.find(hit) if hit else -1
        if at >= 0:
            item["sentence"] = {
                "before": location.sentence[:at],
                "hit": hit,
                "after": location.sentence[at + len(hit) :],
            }
        else:
            item["sentence"] = {"before": "", "hit": "", "after": location.sentence}
    if location.table or location.row or location.column:
        item["where"] = " · ".join(p for p in (location.table, location.row, location.column) if p)
    elif location.section is None and location.paragraph is None and not item["where"]:
        item["where"] = location.label()
    return item


WHOLE = "全文"  # the group of findings about the document as a whole


def review_view(review: Review, stats_errors: int) -> dict[str, Any]:
    """What the page shows of a review: the counts, the status, the findings by part in the
    order of the document, and every part's one-line summary."""
    from drafter.checking.findings import Severity
    from drafter.verification.summary import PREAMBLE
    from drafter.workflows import is_gap

    result = review.result
    if result is None:
        return {"problems": list(review.problems)}
    findings = list(result.findings)
    paragraphs = {
        (heading, number): paragraph.text
        for heading, number, paragraph in result.report.located_paragraphs()
    }
    order = [p.part for p in result.parts]
    groups: dict[str, list[tuple[Any, dict[str, Any]]]] = {}
    for finding in findings:
        location = finding.location
        if location.section is None and location.paragraph is None:
            part = WHOLE
        else:
            part = location.section or PREAMBLE
        groups.setdefault(part, []).append((finding, _finding_view(finding, paragraphs)))
    rank = {name: i for i, name in enumerate([WHOLE, *order])}
    severity_rank = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.ADVICE: 2}

    def position(pair: tuple[Any, dict[str, Any]]) -> tuple[int, int, int]:
        location = pair[0].location
        start = location.span[0] if location.span else 0
        return (location.paragraph or 0, start, severity_rank[pair[0].severity])

    parts = [
        {
            "heading": name,
            "errors": sum(1 for f, _ in items if f.severity is Severity.ERROR),
            "warnings": sum(1 for f, _ in items if f.severity is Severity.WARNING),
            "findings": [view for _, view in sorted(items, key=position)],
        }
        for name, items in sorted(groups.items(), key=lambda g: rank.get(g[0], len(rank)))
    ]
    counts = result.counts
    return {
        "problems": [],
        "errors": counts.errors,
        "warnings": counts.warnings,
        "advice": counts.advice,
        "gaps": sum(1 for f in findings if is_gap(f)),
        "passed": counts.errors == 0 and stats_errors == 0,
        "parts": parts,
        "summaries": [
            {"line": p.line(), "status": "error" if p.errors else "warning" if p.warnings else "ok"}
            for p in result.parts
        ],
        "front_matter": len(result.report.front_matter),
    }


# ---- model calls --------------------------------------------------------------------------------

_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_URL_SECRET = re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access_token|secret)=)[^&#\s]+")
_TOKEN = re.compile(r"\b(?:sk|ak|pk)-[A-Za-z0-9_\-]{12,}")
HIDDEN = "（已隐藏）"


def _known_keys() -> list[str]:
    """The API keys this process could use (the configured models' and the environment's),
    so that none is ever shown even if a text carries it."""
    import os

    from drafter.drafting.models import env_model, load_models

    keys = [os.environ.get(name) for name in ("DRAFTER_API_KEY", "OPENAI_API_KEY")]
    try:
        specs, _default = load_models()
    except InputError:
        specs = []
    env = env_model()
    keys += [s.api_key() for s in [*specs, *([env] if env else [])]]
    return sorted({k for k in keys if k and len(k) >= 4}, key=len, reverse=True)


def redact(text: str | None, keys: list[str]) -> str:
    """`text` without API keys: the known keys, key-like tokens, credentials in URLs."""
    if not text:
        return ""
    for key in keys:
        text = text.replace(key, HIDDEN)
    text = _URL_USERINFO.sub(lambda m: m.group(1), text)
    text = _URL_SECRET.sub(lambda m: m.group(1) + HIDDEN, text)
    return _TOKEN.sub(HIDDEN, text)


def report_calls(names: set[tuple[str, int]], limit: int = MAX_CALLS) -> list[Any]:
    """The model calls the audit log records as made for a report known by any of `names`
    (agency, year), newest first; none when there is no log yet (a page view does not
    create one)."""
    from drafter.audit import AuditLog, home, report_key

    path = home() / "drafter.db"
    if not path.is_file():
        return []
    log = AuditLog(path)
    try:
        calls = [c for name in names for c in log.for_report(report_key(*name), limit)]
    finally:
        log.close()
    return sorted(calls, key=lambda c: c.id, reverse=True)[:limit]


def call_view(call: Any, headings: dict[str, str], keys: list[str]) -> dict[str, Any]:
    if call.cached:
        status, state = "缓存", "cached"
    elif call.error:
        status, state = "失败", "failed"
    else:
        status, state = "成功", "ok"
    section = call.section or ""
    shown = headings.get(section, section)
    if section.startswith("revise:"):  # the chat panel's rewrite of one part
        part = section.removeprefix("revise:")
        shown = f"对话修改 · {headings.get(part, part)}"
    return {
        "id": call.id,
        "time": call.time,
        "model": redact(call.model, keys),
        "section": shown,
        "section_id": section,
        "attempt": call.attempt,
        "status": status,
        "state": state,
        "error": redact(call.error, keys),
        "tokens": f"{call.input_tokens or '-'} / {call.output_tokens or '-'}",
        "seconds": f"{call.duration_ms / 1000:.1f}" if call.duration_ms is not None else "-",
        "messages": [
            {
                "role": _ROLES.get(str(m.get("role")), str(m.get("role"))),
                "content": redact(str(m.get("content", "")), keys),
            }
            for m in call.messages
            if isinstance(m, dict)
        ],
        "response": redact(call.response, keys),
    }


# ---- the pages ---------------------------------------------------------------------------------


def register(app: FastAPI, site: Site) -> None:
    reviews = site.caches.setdefault("review", VersionCache())
    letters = site.caches.setdefault("letter", VersionCache())

    def last_year(report_id: int, checked: Any) -> bytes | None:
        """Last year's statistics as the 统计 page stores them, when it has them and they
        were read (then the review checks year-on-year numbers, as `--previous` does)."""
        head = getattr(checked, "previous_head", None)
        if getattr(checked, "previous", None) is None or head is None:
            return None
        return site.workspace.read(report_id, head.kind, head.name, head.number)

    def review_key(report_id: int, head: Any, stats_head: Any, checked: Any) -> tuple[Any, ...]:
        return (
            report_id, head.number, head.sha256, stats_head.number, stats_head.sha256,
            getattr(checked, "previous_key", None),
        )  # fmt: skip

    def reviewed(report_id: int, head: Any, stats_head: Any, checked: Any) -> Review:
        """The stored 送审稿 `head` verified against the statistics `stats_head` (once)."""

        def verify() -> Review:
            content = site.workspace.read(report_id, REVIEW_KIND, REVIEW_DOC, head.number)
            stats = site.workspace.read(report_id, "stats", STATS_DOC, stats_head.number)
            previous = last_year(report_id, checked)
            try:
                return Review(verify_upload(content, stats, f"{REVIEW_DOC}.docx", previous))
            except InputError as exc:
                return Review(None, tuple(exc.problems))

        return reviews.get(review_key(report_id, head, stats_head, checked), verify)

    def downloads(report_id: int, checked: Any) -> dict[str, Any]:
        stats = checked.result.stats
        letter = stats.cover_letter
        return {
            "has_draft": site.workspace.head(report_id, "draft", DRAFT_DOC) is not None,
            "letter_ready": bool(letter is not None and letter.recipient),
            "letter_dated": bool(letter is not None and letter.date),
        }

    def context(
        request: Request, report_id: int, *, problems: list[Problem] | None = None, **more: Any
    ) -> dict[str, Any]:
        report, stats_head, checked = site.current(request, report_id)
        assert checked.result is not None  # what is stored was read before it was stored
        head = site.workspace.head(report_id, REVIEW_KIND, REVIEW_DOC)
        view = None
        if head is not None:
            review = reviewed(report_id, head, stats_head, checked)
            view = review_view(review, checked.result.counts.errors)
        return {
            "report": report,
            "stats_head": stats_head,
            "stats_errors": checked.result.counts.errors,
            "head": head,
            "uploaded": local_time(head.created) if head is not None else "",
            "review": view,
            "problems": problems or [],
            "conflict": None,
            **downloads(report_id, checked),
            **more,
        }

    @app.get("/reports/{report_id}/review", response_class=HTMLResponse)
    def review_page(request: Request, report_id: int) -> HTMLResponse:
        return site.page(request, "review.html", **context(request, report_id))

    @app.post("/reports/{report_id}/review")
    async def upload_review(request: Request, report_id: int) -> Response:
        form = await request.form()
        return await run_in_threadpool(upload_review_with, request, report_id, form)

    def upload_review_with(request: Request, report_id: int, form: Any) -> Response:
        _report, stats_head, checked = site.current(request, report_id)
        upload = form.get("file")
        problems: list[Problem]
        if upload is None or isinstance(upload, str) or not upload.filename:
            problems = [Problem("请选择要核对的 Word 文档（.docx）", code="E-USAGE")]
            return site.page(
                request, "review.html", status=400, **context(request, report_id, problems=problems)
            )
        shown = safe_name(upload.filename)
        suffix = Path(shown).suffix.lower()
        if suffix != ".docx":
            message = "不支持的文件类型；请上传 Word 文档（.docx）"
            if suffix in (".doc", ".wps"):
                message = f"不支持旧版 {suffix} 格式，请在 Word 或 WPS 中另存为 .docx"
            problems = [Problem(message, file=shown, code="E-FILE-TYPE")]
            return site.page(
                request, "review.html", status=400, **context(request, report_id, problems=problems)
            )
        upload.file.seek(0)
        content = upload.file.read(MAX_DOCX_BYTES + 1)  # in the threadpool: a blocking read
        if len(content) > MAX_DOCX_BYTES:
            problems = [
                Problem(
                    f"文件过大，上限 {MAX_DOCX_BYTES // 2**20} MB，未保存",
                    file=shown,
                    code="E-LIMIT-SIZE",
                )
            ]
            return site.page(
                request, "review.html", status=400, **context(request, report_id, problems=problems)
            )
        stats = site.workspace.read(report_id, "stats", STATS_DOC, stats_head.number)
        try:
            result = verify_upload(content, stats, shown, last_year(report_id, checked))
        except InputError as exc:
            return site.page(
                request,
                "review.html",
                status=400,
                **context(request, report_id, problems=list(exc.problems)),
            )
        try:
            version = site.save(
                report_id, REVIEW_KIND, REVIEW_DOC, content,
                base_version=base_version(form.get("base_version")),
                author=site.author(request), message=f"上传 {shown} 核对",
            )  # fmt: skip
        except StaleVersion as exc:
            return site.page(
                request, "review.html", status=409, **context(request, report_id, conflict=exc)
            )
        except NotFound as exc:  # a base version that never existed
            raise HTTPException(409, str(exc)) from None
        except (InputError, WorkspaceError) as exc:
            problems = (
                list(exc.problems)
                if isinstance(exc, InputError)
                else [Problem(str(exc), file=shown)]
            )
            return site.page(
                request, "review.html", status=400, **context(request, report_id, problems=problems)
            )
        reviews.put(review_key(report_id, version, stats_head, checked), Review(result))
        return RedirectResponse(f"/reports/{report_id}/review", status_code=303)

    @app.get("/reports/{report_id}/review/annotated.docx")
    def annotated(request: Request, report_id: int) -> Response:
        from drafter.verification.annotate import annotate_docx

        report, stats_head, checked = site.current(request, report_id)
        head = site.workspace.head(report_id, REVIEW_KIND, REVIEW_DOC)
        if head is None:
            raise HTTPException(404, "还没有上传送审稿")
        review = reviewed(report_id, head, stats_head, checked)
        if review.result is None:
            raise HTTPException(400, "；".join(str(p) for p in review.problems))
        content = site.workspace.read(report_id, REVIEW_KIND, REVIEW_DOC, head.number)
        try:
            data = annotate_docx(content, list(review.result.findings), f"{REVIEW_DOC}.docx")
        except InputError as exc:
            raise HTTPException(400, "；".join(exc.lines())) from None
        name = f"{report.agency}{report.year}年政府信息公开工作年度报告（核对批注）.docx"
        return Response(
            data,
            media_type=DOCX_MEDIA,
            headers={"Content-Disposition": attachment(name, "annotated.docx")},
        )

    @app.get("/reports/{report_id}/cover-letter.docx")
    def cover_letter(request: Request, report_id: int) -> Response:
        """报送函 with the current draft as its 附件 (what `drafter draft --cover-letter`
        writes), from the current statistics' cover_letter."""
        from drafter.drafting.draft import draft_report
        from drafter.render.docx import render_docx

        view = site.draft_view(request, report_id)  # 404 without a draft
        result = view.checked.result
        given = result.stats.cover_letter
        if given is None or not given.recipient:
            raise HTTPException(
                400,
                "统计数据中没有报送函的主送机关（cover_letter.recipient），"
                "请在 Excel 工作簿“报送函（可选）”中填写后上传",
            )

        def letter() -> Any:  # the offline drafter's letter of these statistics
            return draft_report(result.stats, result.layout, cover_letter=True).cover_letter

        key = (report_id, view.stats_head.number, view.stats_head.sha256)
        try:
            made = letters.get(key, letter)
        except InputError as exc:
            raise HTTPException(400, one_line("；".join(exc.lines()))) from None
        document = dataclasses.replace(view.document, cover_letter=made)
        return Response(
            render_docx(document),
            media_type=DOCX_MEDIA,
            headers={"Content-Disposition": attachment(f"{made.title}.docx", "cover-letter.docx")},
        )

    @app.get("/reports/{report_id}/calls", response_class=HTMLResponse)
    def calls_page(request: Request, report_id: int) -> HTMLResponse:
        from drafter.drafting.draft import narrative_parts

        report, _stats_head, checked = site.current(request, report_id)
        assert checked.result is not None
        headings = {pid: heading for pid, heading, _ in narrative_parts(checked.result.layout)}
        keys = _known_keys()
        stats = checked.result.stats
        # the drafter names a call's report by its statistics, the workspace by the report's
        # own agency and year: the same report unless the statistics name another agency
        names = {(report.agency, report.year), (stats.agency, stats.year)}
        calls = [call_view(c, headings, keys) for c in report_calls(names)]
        return site.page(request, "calls.html", report=report, calls=calls, limit=MAX_CALLS)
