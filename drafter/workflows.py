"""What the commands do, as library functions that return data (issue 13, item 0).

The CLI (drafter.cli) and the web app call these and only present what they return: each
function reads its inputs, runs the checks and writes what it is asked to write, and gives
back the findings, the report, the decisions (`blocked`) and the paths written. None prints,
none exits; a problem with the input is an `InputError`, as everywhere in drafter.

One section per command: check, draft (and `select_drafter`, the drafter `draft` and
`redraft` use, its progress told to a callback), verify, redraft, init, extract and audit.
Where a command writes files after showing what it did, the workflow checks the targets
first and a `write_*` function writes them, so that the CLI keeps its order of output.

A workflow that reads last year's published report (`--previous` given a .docx/.html) calls
`on_previous` with what it read, at the moment it has read it, so that a caller can say so
in the order the CLI always has; the same is on the result as `previous`.

This module is imported by `drafter check`, which must stay fast: at module level it imports
only the standard library and drafter.errors; the rest (and anything heavy: python-docx,
jinja2, langchain, rich, typer) is imported inside the functions that need it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drafter.errors import InputError

if TYPE_CHECKING:
    from drafter.batch import ReportResult
    from drafter.checking.findings import Finding
    from drafter.drafting.draft import Drafter
    from drafter.drafting.redraft import Redrafted
    from drafter.formats import Layout
    from drafter.report import Report
    from drafter.statistics.extract import Extracted
    from drafter.statistics.stats import Stats
    from drafter.verification.summary import PartSummary


# ---- shared --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviousYear:
    """Last year's statistics: from a statistics file, or read from last year's published
    report (`extracted` then says what was read and what the reader should check)."""

    path: Path
    stats: Stats
    extracted: Extracted | None = None


OnPrevious = Callable[[PreviousYear], None]


def load_previous(path: Path | None, on_previous: OnPrevious | None = None) -> PreviousYear | None:
    """Last year's statistics from `path` (a statistics file or a published report), or None
    without a path. Raises InputError when it cannot be read."""
    if path is None:
        return None
    from drafter.statistics.extract import extract, extracted_stats, is_document
    from drafter.statistics.load import load_stats

    if not is_document(path):
        previous = PreviousYear(path, load_stats(path))
    else:
        extracted = extract(path)
        previous = PreviousYear(path, extracted_stats(extracted), extracted)
    if on_previous is not None:
        on_previous(previous)
    return previous


def _stats_of(previous: PreviousYear | None) -> Stats | None:
    return previous.stats if previous is not None else None


@dataclass(frozen=True)
class Counts:
    errors: int
    warnings: int
    advice: int


def count_findings(findings: Sequence[Finding]) -> Counts:
    from drafter.checking.findings import Severity, count

    return Counts(
        count(findings, Severity.ERROR),
        count(findings, Severity.WARNING),
        count(findings, Severity.ADVICE),
    )


def findings_payload(findings: Sequence[Finding], **head: Any) -> dict[str, Any]:
    """The `--json` of check and verify: what was read, the findings, and their counts."""
    counts = count_findings(findings)
    return {
        **head,
        "findings": [f.to_dict() for f in findings],
        "errors": counts.errors,
        "warnings": counts.warnings,
        "advice": counts.advice,
    }


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file; realpath never raises, not even on a symlink loop."""
    return os.path.realpath(a) == os.path.realpath(b)


# ---- check ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    """`drafter check`: the statistics read, last year's (if given), and the findings."""

    path: Path
    stats: Stats
    layout: Layout
    previous: PreviousYear | None
    findings: tuple[Finding, ...]
    counts: Counts

    @property
    def errors(self) -> int:
        return self.counts.errors

    def to_dict(self) -> dict[str, Any]:
        """What `drafter check --json` prints."""
        return findings_payload(
            self.findings,
            file=str(self.path),
            agency=self.stats.agency,
            year=self.stats.year,
            format=self.stats.format,
        )


def check_statistics(
    stats_path: Path,
    previous_path: Path | None = None,
    *,
    on_previous: OnPrevious | None = None,
) -> CheckResult:
    """Check one statistics file (and, with `previous_path`, against last year)."""
    from drafter.checking.checks import check as run_checks
    from drafter.formats import load_layout
    from drafter.statistics.load import load_stats

    stats = load_stats(stats_path)
    previous = load_previous(previous_path, on_previous)
    layout = load_layout(stats.format)
    findings = tuple(run_checks(stats, _stats_of(previous), layout=layout))
    return CheckResult(stats_path, stats, layout, previous, findings, count_findings(findings))


def parse_statistics_text(content: bytes, name: str) -> tuple[Any, dict[Any, int]]:
    """The data and key lines of statistics YAML given as bytes, read as `load_stats` reads a
    .yaml file (size limit, UTF-8 with or without BOM, no NUL), problems located by `name`."""
    from drafter.limits import MAX_STATS_YAML_BYTES, _check_size
    from drafter.yamlsource import parse_yaml_bytes

    _check_size(name, len(content), MAX_STATS_YAML_BYTES, "统计文件")
    return parse_yaml_bytes(content, name)


def check_statistics_data(
    data: Any, lines: dict[Any, int], name: str, previous: PreviousYear | None = None
) -> CheckResult:
    """`check_statistics` of statistics already parsed (`parse_statistics_text`), and of last
    year's when `previous` is given (`load_previous`): the same contract, layout and checks,
    no file on disk."""
    from drafter.checking.checks import check as run_checks
    from drafter.formats import load_layout
    from drafter.statistics.load import stats_from_data

    stats = stats_from_data(data, lines, name)
    layout = load_layout(stats.format)
    findings = tuple(run_checks(stats, _stats_of(previous), layout=layout))
    return CheckResult(Path(name), stats, layout, previous, findings, count_findings(findings))


def check_statistics_text(content: bytes, name: str) -> CheckResult:
    """`check_statistics` of statistics YAML given as bytes (as the web app holds them),
    problems and findings located by `name` instead of a path."""
    data, lines = parse_statistics_text(content, name)
    return check_statistics_data(data, lines, name)


# ---- draft ---------------------------------------------------------------------------------

# Why a draft was not made (`blocked`): the statistics have errors, or the drafted text states
# a number that is wrong; either passes only with allow_errors.
BLOCKED_BY_STATISTICS = "statistics"
BLOCKED_BY_NUMBERS = "numbers"

# Errors of the drafted text that block it: a wrong number, claim, table or text. The gaps
# left for the clerk (E-DOC-*) are listed, never blocking.
_BLOCKING_PREFIXES = ("E-NUM", "E-CLAIM", "E-TABLE", "E-TEXT")

_SUFFIXES = {"output": (".docx",), "md": (".md",), "html": (".html", ".htm")}


def check_draft_targets(
    output: Path | None, md: Path | None, html: Path | None, *, force: bool = False
) -> list[Path]:
    """The files a draft will write, each checked (suffix, and writable without `force`)
    before anything is read. Raises InputError."""
    from drafter.files import check_writable

    targets = [p for p in (output, md, html) if p is not None]
    if not targets:
        raise InputError("请用 -o 指定输出的 .docx 文件（或 --md、--html）", code="E-USAGE")
    for path, suffixes in (
        (output, _SUFFIXES["output"]),
        (md, _SUFFIXES["md"]),
        (html, _SUFFIXES["html"]),
    ):
        if path is not None and path.suffix.lower() not in suffixes:
            raise InputError(f"{path}: 文件扩展名应为 {suffixes[0]}", code="E-USAGE")
    for path in targets:
        check_writable(path, force=force)
    return targets


@dataclass(frozen=True)
class DraftCheck:
    """A draft's first step: the statistics, last year's, the layout and the findings about
    the statistics; `blocked` is BLOCKED_BY_STATISTICS when they have errors and errors are
    not allowed (then nothing is drafted)."""

    path: Path
    stats: Stats
    layout: Layout
    previous: PreviousYear | None
    findings: tuple[Finding, ...]
    counts: Counts
    blocked: str | None

    @property
    def errors(self) -> int:
        return self.counts.errors


def check_for_draft(
    stats_path: Path,
    *,
    previous_path: Path | None = None,
    layout_id: str | None = None,
    allow_errors: bool = False,
    on_previous: OnPrevious | None = None,
) -> DraftCheck:
    """Read and check the statistics for a draft, in `layout_id` (default: the layout the
    statistics name)."""
    from drafter.checking.checks import check as run_checks
    from drafter.formats import load_layout
    from drafter.statistics.load import load_stats

    stats = load_stats(stats_path)
    previous = load_previous(previous_path, on_previous)
    layout = load_layout(layout_id or stats.format)
    findings = tuple(run_checks(stats, _stats_of(previous), layout=layout))
    counts = count_findings(findings)
    blocked = BLOCKED_BY_STATISTICS if counts.errors and not allow_errors else None
    return DraftCheck(stats_path, stats, layout, previous, findings, counts, blocked)


@dataclass(frozen=True)
class Gap:
    """A gap the draft leaves for the clerk (【待补充…】, 【请核实…】), in its part."""

    part: str  # the part's heading, or 前言
    text: str

    def line(self) -> str:
        return f"{self.part}：{self.text}"


@dataclass(frozen=True)
class DraftResult:
    """A draft: the check of the statistics, the report, the findings of verifying its text
    (without A-AI-UNEDITED and without the gaps, which are `gaps`), and whether it is
    `blocked` (BLOCKED_BY_STATISTICS: not drafted, `report` is None; BLOCKED_BY_NUMBERS:
    drafted, but its text states a wrong number, so it is not to be written)."""

    checked: DraftCheck
    report: Report | None
    verified: tuple[Finding, ...]
    number_errors: int  # errors of the text that block it (a wrong number, claim, table)
    blocked: str | None
    gaps: tuple[Gap, ...]
    missing_date: bool  # a cover letter whose date is the 【待补充：成文日期】 gap

    @property
    def stats(self) -> Stats:
        return self.checked.stats

    @property
    def layout(self) -> Layout:
        return self.checked.layout

    @property
    def findings(self) -> tuple[Finding, ...]:
        """The findings about the statistics."""
        return self.checked.findings

    def gaps_by_part(self) -> dict[str, list[str]]:
        parts: dict[str, list[str]] = {}
        for gap in self.gaps:
            parts.setdefault(gap.part, []).append(gap.text)
        return parts


def is_gap(finding: Finding) -> bool:
    """A finding that only marks a gap left for the clerk."""
    return finding.code == "E-DOC-TEMPLATE" and finding.location.text in ("【待补充", "【请核实")


def report_gaps(report: Report) -> tuple[Gap, ...]:
    """Every gap left for the clerk in the report, by part, in reading order."""
    from drafter.render import GAP

    return tuple(
        Gap(heading or "前言", match.group())
        for heading, _number, paragraph in report.located_paragraphs()
        for match in GAP.finditer(paragraph.text)
    )


def draft_checked(
    checked: DraftCheck,
    drafter: Drafter,
    *,
    cover_letter: bool = False,
    allow_errors: bool = False,
) -> DraftResult:
    """Draft the report from checked statistics with `drafter`, and verify every number of
    its text. A check that is blocked gives a result blocked the same way, with no report."""
    if checked.blocked is not None:
        return _not_drafted(checked)
    from drafter.checking.findings import Severity
    from drafter.drafting.draft import MISSING_DATE, draft_report
    from drafter.verification.verify import verify_report

    report = draft_report(checked.stats, checked.layout, cover_letter=cover_letter, drafter=drafter)
    previous = _stats_of(checked.previous)
    verified = tuple(
        f
        for f in verify_report(report, checked.stats, checked.layout, previous)
        if f.code != "A-AI-UNEDITED" and not is_gap(f)
    )
    problems = sum(
        1
        for f in verified
        if f.severity is Severity.ERROR and f.code.startswith(_BLOCKING_PREFIXES)
    )
    blocked = BLOCKED_BY_NUMBERS if problems and not allow_errors else None
    missing_date = report.cover_letter is not None and report.cover_letter.date == MISSING_DATE
    return DraftResult(
        checked, report, verified, problems, blocked, report_gaps(report), missing_date
    )


def _not_drafted(checked: DraftCheck) -> DraftResult:
    return DraftResult(checked, None, (), 0, checked.blocked, (), False)


def offline_drafter(checked: DraftCheck) -> Drafter:
    """The drafter of `drafter draft --offline`: the offline drafter, no model."""
    from drafter.drafting.draft import choose_drafter

    drafter, _notice = choose_drafter(
        checked.stats, checked.layout, offline=True, previous=_stats_of(checked.previous)
    )
    return drafter


def prepare_draft(
    stats_path: Path,
    *,
    previous_path: Path | None = None,
    layout_id: str | None = None,
    cover_letter: bool = False,
    allow_errors: bool = False,
    make_drafter: Callable[[DraftCheck], Drafter] = offline_drafter,
    on_previous: OnPrevious | None = None,
) -> DraftResult:
    """Check the statistics, then (unless that blocks) draft and verify the report, with the
    drafter `make_drafter` gives (default: the offline drafter). Nothing is written: see
    `write_draft`."""
    checked = check_for_draft(
        stats_path,
        previous_path=previous_path,
        layout_id=layout_id,
        allow_errors=allow_errors,
        on_previous=on_previous,
    )
    if checked.blocked is not None:
        return _not_drafted(checked)
    return draft_checked(
        checked, make_drafter(checked), cover_letter=cover_letter, allow_errors=allow_errors
    )


def write_draft(
    result: DraftResult,
    output: Path | None = None,
    md: Path | None = None,
    html: Path | None = None,
    force: bool = False,
) -> list[Path]:
    """Write the drafted report as Word (`output`), Markdown and HTML, all or none; the paths
    written. A blocked draft is never written (ValueError)."""
    if result.report is None or result.blocked is not None:
        raise ValueError(f"the draft is blocked ({result.blocked}) and is not written")
    return write_report(result.report, output, md, html, force)


def write_report(
    report: Report, output: Path | None, md: Path | None, html: Path | None, force: bool
) -> list[Path]:
    """Render `report` into each format asked for and write them all or none."""
    from drafter.files import write_all_atomic

    items: list[tuple[Path, bytes]] = []
    if output is not None:
        from drafter.render.docx import render_docx

        items.append((output, render_docx(report)))
    if md is not None:
        from drafter.render.markdown import render_markdown

        items.append((md, render_markdown(report)))
    if html is not None:
        from drafter.render.html import render_html

        items.append((html, render_html(report)))
    write_all_atomic(items, force=force)
    return [path for path, _ in items]


# ---- verify --------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    """`drafter verify`: the document read back, the statistics, the findings, one summary
    per part, and the annotated copy written (if asked for)."""

    document: Path
    stats_path: Path
    stats: Stats
    layout: Layout
    previous: PreviousYear | None
    report: Report
    findings: tuple[Finding, ...]
    parts: tuple[PartSummary, ...]
    counts: Counts
    annotated: Path | None

    @property
    def errors(self) -> int:
        return self.counts.errors

    def to_dict(self) -> dict[str, Any]:
        """What `drafter verify --json` prints."""
        return findings_payload(
            self.findings,
            file=str(self.document),
            stats=str(self.stats_path),
            parts=[p.to_dict() for p in self.parts],
        )


def verify_document(
    doc_path: Path,
    stats_path: Path,
    previous: Path | None = None,
    annotate: Path | None = None,
    force: bool = False,
    *,
    on_previous: OnPrevious | None = None,
) -> VerifyResult:
    """Read a (possibly edited) report back and verify every number, table and rule of the
    format against the statistics; with `annotate`, also write a copy of the .docx with a
    comment per finding (the document itself is never changed)."""
    from drafter.formats import load_layout
    from drafter.read.document import read_document
    from drafter.statistics.load import load_stats
    from drafter.verification.summary import part_summaries
    from drafter.verification.verify import verify_report

    if annotate is not None:
        from drafter.files import check_writable

        if doc_path.suffix.lower() != ".docx":
            raise InputError("--annotate 只适用于 .docx 文档", code="E-USAGE")
        if annotate.suffix.lower() != ".docx":
            raise InputError(f"{annotate}: 批注文件的扩展名应为 .docx", code="E-USAGE")
        if same_file(annotate, doc_path):
            raise InputError("批注文件不能覆盖被核对的文档，请另指定文件名", code="E-USAGE")
        check_writable(annotate, force=force)
    stats = load_stats(stats_path)
    last_year = load_previous(previous, on_previous)
    layout = load_layout(stats.format)
    report, _ = read_document(doc_path)
    findings = verify_report(report, stats, layout, _stats_of(last_year), file=str(doc_path))
    parts = part_summaries(report, findings)
    if annotate is not None:
        from drafter.files import write_atomic
        from drafter.limits import MAX_DOCX_BYTES, read_bytes_limited
        from drafter.verification.annotate import annotate_docx

        data = read_bytes_limited(doc_path, MAX_DOCX_BYTES, "报告文件")
        write_atomic(annotate, annotate_docx(data, findings, str(doc_path)), force=force)
    return VerifyResult(
        doc_path,
        stats_path,
        stats,
        layout,
        last_year,
        report,
        tuple(findings),
        tuple(parts),
        count_findings(findings),
        annotate,
    )


# ---- draft with a model, part by part ------------------------------------------------------

# What became of a narrative part a model was asked to draft (`PartProgress.outcome`).
PART_OK = "ok"  # the model's text, every number and claim verified
PART_REPAIRED = "repaired"  # right after one or more rounds of repair
PART_MARKED = "marked"  # problems left after the repairs, kept and marked in the text
PART_OFFLINE = "offline"  # the model failed (error, deadline, no usable text): drafted offline


@dataclass(frozen=True)
class PartProgress:
    """One step of a narrative part while a model drafts: `started`, `status` (the drafter's
    own line, such as 第1次修改) or `done`, with its `outcome` and what is left `marked`. The
    message is one Chinese line fit to show a user (never an endpoint or a key)."""

    event: str  # started | status | done
    part: str
    heading: str
    message: str
    outcome: str | None = None  # done: PART_OK, PART_REPAIRED, PART_MARKED or PART_OFFLINE
    marked: int = 0  # done: the problems left marked in the part
    repairs: int = 0  # done: the rounds of repair it took


OnPart = Callable[[PartProgress], None]


@dataclass(frozen=True)
class ModelDraft:
    """A draft whose narrative a model wrote: the result (as `draft_checked` gives it), the
    model's id, and how each narrative part ended (its `done` step, in reading order)."""

    result: DraftResult
    model: str
    parts: tuple[PartProgress, ...]

    @property
    def by_model(self) -> int:
        """The parts the model wrote (not drafted offline after it failed)."""
        return sum(1 for p in self.parts if p.outcome != PART_OFFLINE)


def draft_with_model(
    checked: DraftCheck,
    model_id: str,
    *,
    on_part: OnPart | None = None,
    workers: int = 4,
    use_cache: bool = True,
    again: bool = False,
    cover_letter: bool = False,
    allow_errors: bool = False,
) -> ModelDraft:
    """`draft_checked` with the configured model `model_id` (`drafter.drafting.models`), its
    narrative parts drafted `workers` at a time and `on_part` told as each one starts, changes
    status and ends (called from the drafting threads: it must be thread-safe). Every call goes
    through the audit log, by part, as `drafter draft --model` does; `again` asks for fresh
    answers instead of the cached ones (`drafter redraft --again`). A part the model fails
    is drafted offline and marked, as on the command line. Raises InputError when the model
    is not configured or its key is not set."""
    from concurrent.futures import ThreadPoolExecutor

    from drafter.drafting.draft import choose_drafter, narrative_parts
    from drafter.report import OFFLINE

    if checked.blocked is not None:
        return ModelDraft(_not_drafted(checked), model_id, ())
    headings = {part: heading for part, heading, _fee in narrative_parts(checked.layout)}
    notify: OnPart = on_part or (lambda _step: None)

    def status(part: str, text: str) -> None:
        notify(PartProgress("status", part, headings.get(part, part), text))

    drafter, _notice = choose_drafter(
        checked.stats,
        checked.layout,
        model_id=model_id,
        use_cache=use_cache,
        workers=workers,
        progress=status,
        previous=_stats_of(checked.previous),
        again=again,
    )
    if getattr(drafter, "chat", None) is None:  # choose_drafter fell back to offline
        raise InputError(f"未配置模型 {model_id!r}", code="E-MODEL-CONFIG")
    done: dict[str, PartProgress] = {}

    def one(part: str, heading: str, fee: bool) -> None:
        notify(PartProgress("started", part, heading, "起草中"))
        paragraphs = drafter.section(part, fee_statement=fee)
        step = _part_done(drafter, part, heading, paragraphs, OFFLINE)
        done[part] = step
        notify(step)

    def prepare(parts: list[tuple[str, str, bool]]) -> None:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(parts)))) as pool:
            for future in [pool.submit(one, *part) for part in parts]:
                future.result()  # a part that raised (not a model error) ends the draft

    drafter.prepare = prepare  # type: ignore[attr-defined]  # the drafter's, with steps
    try:
        result = draft_checked(
            checked, drafter, cover_letter=cover_letter, allow_errors=allow_errors
        )
    finally:
        audit = getattr(drafter.chat, "audit", None)
        if audit is not None:
            audit.close()
    order = [part for part in headings if part in done]
    return ModelDraft(result, model_id, tuple(done[part] for part in order))


def _part_done(
    drafter: Any, part: str, heading: str, paragraphs: list[Any], offline: str
) -> PartProgress:
    """How a part ended, from what the model drafter left in it: paragraphs drafted offline
    (the model failed: the first one carries why), problems marked, repair rounds taken."""
    if not paragraphs or all(p.author == offline for p in paragraphs):
        mark = next((m.message for p in paragraphs for m in p.marks), "")
        # the mark of LLMDrafter._fallback: 调用模型 … 失败（why），本部分由离线模板起草
        head, tail = "失败（", "），本部分由离线模板起草"
        found = head in mark and mark.endswith(tail)
        why = mark[mark.index(head) + len(head) : -len(tail)] if found else "模型没有写出可用的正文"
        return PartProgress(
            "done", part, heading, f"模型未能起草（{why}），改用离线起草器", PART_OFFLINE
        )
    marked = sum(len(p.marks) for p in paragraphs)
    repairs = getattr(drafter, "rounds", {}).get(part, 0)
    if marked:
        again = f"（修改 {repairs} 次后）" if repairs else ""
        return PartProgress(
            "done", part, heading, f"完成{again}，仍有 {marked} 处问题，已在文中标注",
            PART_MARKED, marked, repairs,
        )  # fmt: skip
    if repairs:
        return PartProgress(
            "done", part, heading, f"完成，按核对意见修改 {repairs} 次后核对无误",
            PART_REPAIRED, 0, repairs,
        )  # fmt: skip
    return PartProgress("done", part, heading, "完成，核对无误", PART_OK)


# ---- choosing a drafter --------------------------------------------------------------------

OnDraftStatus = Callable[[str, str], None]  # (part, status line), from the drafting threads


@dataclass(frozen=True)
class DrafterChoice:
    """The drafter `draft` and `redraft` use: a configured model's, or the offline drafter;
    `notice` says which (one Chinese line), `corrections` which facts it drafts with their
    table's value."""

    drafter: Drafter
    notice: str
    corrections: tuple[str, ...]

    @property
    def by_model(self) -> bool:
        """Whether a model drafts (not the offline drafter)."""
        return getattr(self.drafter, "chat", None) is not None


def select_drafter(
    stats: Stats,
    layout: Layout,
    *,
    model_id: str | None = None,
    offline: bool = False,
    use_cache: bool = True,
    workers: int = 4,
    style_from: Path | None = None,
    instructions: str | None = None,
    progress: OnDraftStatus | None = None,
    previous: Stats | None = None,
    again: bool = False,
) -> DrafterChoice:
    """The drafter for `stats` in `layout` (`drafter.drafting.draft.choose_drafter`): model
    `model_id` (default: the configured default), or the offline drafter when none is
    configured or `offline`; with `style_from`, last year's report is read as a style
    reference for the model. A model drafter calls `progress` with each part's status line
    (from its drafting threads). Raises InputError."""
    from drafter.drafting.draft import choose_drafter, correction_notices
    from drafter.drafting.draft import style_from as read_style

    style = read_style(style_from, layout) if style_from is not None else None
    drafter, notice = choose_drafter(
        stats,
        layout,
        model_id=model_id,
        offline=offline,
        use_cache=use_cache,
        workers=workers,
        style=style,
        instructions=instructions,
        progress=progress,
        previous=previous,
        again=again,
    )
    corrections = tuple(correction_notices(getattr(drafter, "corrected", [])))
    return DrafterChoice(drafter, notice, corrections)


# ---- redraft -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedraftPlan:
    """`drafter redraft` before any drafting: the edited document, the statistics and layout,
    the part to redraft (`section`, its official `heading`) and where the new document goes
    (`output`, never written with `dry_run`)."""

    document: Path
    stats_path: Path
    stats: Stats
    layout: Layout
    section: str
    heading: str
    output: Path | None
    dry_run: bool
    instructions: str | None


def plan_redraft(
    document: Path,
    stats_path: Path,
    section: str,
    output: Path | None = None,
    *,
    instructions: str | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> RedraftPlan:
    """Check the options of a redraft (a .docx in, a new .docx out that is not the document
    and is writable, unless `dry_run`), read the statistics and find the part. Raises
    InputError before anything is drafted."""
    from drafter.drafting.redraft import part_heading
    from drafter.files import check_writable
    from drafter.formats import load_layout
    from drafter.statistics.load import load_stats

    if output is None and not dry_run:
        raise InputError("请用 -o 指定写出的新文档（或用 --dry-run 只看改动）", code="E-USAGE")
    if document.suffix.lower() != ".docx" or (output and output.suffix.lower() != ".docx"):
        raise InputError("redraft 读写 .docx 文档", code="E-USAGE")
    if output is not None and same_file(output, document):
        raise InputError(
            "新文档不能覆盖原文档，请另指定文件名（原文档保留编辑的修改）", code="E-USAGE"
        )
    if output is not None and not dry_run:
        check_writable(output, force=force)
    stats = load_stats(stats_path)
    layout = load_layout(stats.format)
    heading, _ = part_heading(layout, section)
    return RedraftPlan(
        document, stats_path, stats, layout, section, heading, output, dry_run, instructions
    )


@dataclass(frozen=True)
class RedraftResult:
    """A part redrafted: the plan, what changed (`redrafted`: the new document's bytes, the
    paragraphs replaced and written, the editor's sentences and those dropped), whether a
    model drafted it and whether every answer came from the cache (`cached`)."""

    plan: RedraftPlan
    redrafted: Redrafted
    by_model: bool
    cached: bool

    @property
    def heading(self) -> str:
        return self.plan.heading

    @property
    def kept(self) -> int:
        """The editor's sentences the new text keeps."""
        return len(self.redrafted.editor) - len(self.redrafted.dropped)


def redraft_planned(plan: RedraftPlan, drafter: Drafter) -> RedraftResult:
    """Redraft the planned part of the document with `drafter`; nothing is written (see
    `write_redraft`). Raises InputError when instructions are given to the offline drafter,
    or the document cannot be read."""
    from drafter.drafting.redraft import redraft as redraft_part
    from drafter.limits import MAX_DOCX_BYTES, read_bytes_limited

    by_model = getattr(drafter, "chat", None) is not None
    if plan.instructions and not by_model:
        raise InputError(
            "离线起草器不能按修改要求改写（--instructions 需要配置模型，见 drafter models）；"
            "不加 --instructions 则按模板重新起草这一部分",
            code="E-USAGE",
        )
    data = read_bytes_limited(plan.document, MAX_DOCX_BYTES, "报告文件")
    redrafted = redraft_part(
        data, str(plan.document), plan.stats, plan.layout, plan.section, drafter
    )
    cached = by_model and getattr(drafter, "calls", None) == 0
    return RedraftResult(plan, redrafted, by_model, cached)


def offline_redrafter(plan: RedraftPlan) -> Drafter:
    """The drafter of `drafter redraft --offline`."""
    return select_drafter(
        plan.stats, plan.layout, offline=True, workers=1, instructions=plan.instructions
    ).drafter


def redraft_section(
    document: Path,
    stats_path: Path,
    section: str,
    output: Path | None = None,
    *,
    instructions: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    make_drafter: Callable[[RedraftPlan], Drafter] = offline_redrafter,
) -> RedraftResult:
    """`plan_redraft`, then `redraft_planned` with the drafter `make_drafter` gives (default:
    the offline drafter). Nothing is written: see `write_redraft`."""
    plan = plan_redraft(
        document,
        stats_path,
        section,
        output,
        instructions=instructions,
        dry_run=dry_run,
        force=force,
    )
    return redraft_planned(plan, make_drafter(plan))


def write_redraft(result: RedraftResult, force: bool = False) -> Path:
    """Write the new document; a dry run is never written (ValueError)."""
    from drafter.files import write_atomic

    output = result.plan.output
    if output is None or result.plan.dry_run:
        raise ValueError("a dry run is not written")
    write_atomic(output, result.redrafted.data, force=force)
    return output


# ---- init ----------------------------------------------------------------------------------

DEFAULT_LAYOUT = "gov-info-disclosure-2021"


def last_year() -> int:
    """The year a report is usually drafted for: the one before today's."""
    import datetime

    return datetime.date.today().year - 1


@dataclass(frozen=True)
class TemplateResult:
    """`drafter init`: the statistics template, every figure 0: a workbook (`xlsx`, bytes) or
    commented YAML (text); `path` is where it goes, None for standard output (YAML only)."""

    path: Path | None
    xlsx: bool
    content: bytes | str


def init_template(
    output: Path | None = None,
    *,
    agency: str | None = None,
    year: int | None = None,
    layout_id: str = DEFAULT_LAYOUT,
    xlsx: bool = False,
    force: bool = False,
) -> TemplateResult:
    """The template for `year` (default: last year) in `layout_id`: a workbook with `xlsx` or
    an `output` ending in .xlsx, else YAML; `output` defaults to stats.xlsx or stats.yaml,
    "-" is standard output (YAML only). The file is checked writable first; nothing is written
    (see `write_template`). Raises InputError."""
    from drafter.files import check_writable

    xlsx = xlsx or (output is not None and output.suffix.lower() == ".xlsx")
    output = output if output is not None else Path("stats.xlsx" if xlsx else "stats.yaml")
    if xlsx:
        from drafter.formats import load_layout
        from drafter.statistics.workbook import workbook_bytes

        if str(output) == "-":
            raise InputError("Excel 工作簿不能输出到屏幕，请用 -o 指定 .xlsx 文件", code="E-USAGE")
        if output.suffix.lower() != ".xlsx":
            raise InputError(f"{output}: Excel 工作簿的文件扩展名应为 .xlsx", code="E-USAGE")
        check_writable(output, force=force)
        content = workbook_bytes(load_layout(layout_id), agency=agency, year=year or last_year())
        return TemplateResult(output, True, content)
    from drafter.statistics.template import render_template

    to_stdout = str(output) == "-"
    if not to_stdout:
        check_writable(output, force=force)
    text = render_template(agency, year or last_year(), layout_id)
    return TemplateResult(None if to_stdout else output, False, text)


def write_template(result: TemplateResult, force: bool = False) -> Path:
    """Write the template to its file; one for standard output is not (ValueError)."""
    from drafter.files import write_atomic

    if result.path is None:
        raise ValueError("the template goes to standard output")
    write_atomic(result.path, result.content, force=force)
    return result.path


# ---- extract -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExtractResult:
    """`drafter extract`: what was read from a published report (`extracted`: the data, its
    layout, what to check) and the statistics it makes, validated as a statistics file;
    `output` is the statistics file to write, None for standard output."""

    report: Path
    extracted: Extracted
    stats: Stats
    output: Path | None

    @property
    def warnings(self) -> list[str]:
        """What the reader should check (read by guessing, or not found)."""
        return self.extracted.warnings

    def to_dict(self) -> dict[str, Any]:
        """What `drafter extract --json` prints (amounts as exact strings: `default=str`)."""
        return {
            "file": str(self.report),
            "format": self.extracted.layout,
            "format_2019_tables": self.extracted.format_2019,
            "warnings": self.extracted.warnings,
            "statistics": self.extracted.data,  # blank cells as null, amounts as exact strings
        }

    def yaml_text(self) -> str:
        """The statistics file, as written."""
        from drafter.statistics.extract import to_yaml

        return to_yaml(self.extracted)


def extract_statistics(
    report: Path,
    output: Path | None = None,
    *,
    agency: str | None = None,
    year: int | None = None,
    force: bool = False,
) -> ExtractResult:
    """Read the statistics from a published report (`agency` and `year` when its title does
    not say them). `output` (a .yaml file, checked writable before the report is read; "-"
    or None: standard output) is not written here: see `write_extracted`. Raises InputError."""
    from drafter.files import check_writable
    from drafter.statistics.extract import extract as read_report
    from drafter.statistics.extract import extracted_stats

    if output is not None and str(output) == "-":  # as `init -o -`: to the screen
        output = None
    if output is not None:
        if output.suffix.lower() not in (".yaml", ".yml"):
            raise InputError(f"{output}: 统计文件的扩展名应为 .yaml", code="E-USAGE")
        check_writable(output, force=force)
    extracted = read_report(report, agency=agency, year=year)
    stats = extracted_stats(extracted)  # the same validation as a statistics file
    return ExtractResult(report, extracted, stats, output)


def write_extracted(result: ExtractResult, force: bool = False) -> Path:
    """Write the statistics file; a result for standard output is not (ValueError)."""
    from drafter.files import write_atomic

    if result.output is None:
        raise ValueError("the statistics go to standard output")
    write_atomic(result.output, result.yaml_text().encode("utf-8"), force=force)
    return result.output


# ---- audit ---------------------------------------------------------------------------------

OnAudited = Callable[[int, int], None]  # (reports audited so far, reports in all)


@dataclass(frozen=True)
class AuditResult:
    """`drafter audit`: the report files found, one row per report (in that order), the
    totals, and the CSV summary to write (`csv`, if asked for)."""

    files: tuple[Path, ...]
    reports: tuple[ReportResult, ...]
    totals: dict[str, Any]
    csv: Path | None

    @property
    def failed(self) -> bool:
        """A report has errors or could not be read (exit status 1)."""
        return bool(self.totals["with_errors"] or self.totals["unreadable"])

    def to_dict(self) -> dict[str, Any]:
        """What `drafter audit --json` prints."""
        return {"reports": [r.to_dict() for r in self.reports], "totals": self.totals}

    def rows(self) -> list[tuple[str, ...]]:
        """One row of text per report, as the summary table shows it."""
        from drafter.batch import iter_rows

        return list(iter_rows(list(self.reports)))


def audit_paths(
    paths: Sequence[Path],
    *,
    csv_out: Path | None = None,
    workers: int | None = None,
    seconds: float = 10.0,
    memory: int = 500,
    force: bool = False,
    progress: OnAudited | None = None,
) -> AuditResult:
    """Audit every published report in `paths` (files, or folders searched for .docx, .html,
    .htm), `workers` processes at a time, each report given at most `seconds` and `memory`
    MB; `progress` is told as each one is done. The CSV file (`csv_out`) is checked writable
    before anything is read, and not written here: see `write_audit_csv`. Raises InputError."""
    from drafter.batch import Limits, audit_reports, report_files, totals
    from drafter.files import check_writable

    if csv_out is not None:
        if csv_out.suffix.lower() != ".csv":
            raise InputError(f"{csv_out}: 汇总文件的扩展名应为 .csv", code="E-USAGE")
        check_writable(csv_out, force=force)
    files = report_files(paths)
    if not files:
        raise InputError("没有找到报告文件（目录中查找 .docx、.html、.htm）", code="E-FILE-MISSING")
    done = 0

    def one_done(_: ReportResult) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(files))

    results = audit_reports(
        files, workers=workers, progress=one_done, limits=Limits(seconds, memory)
    )
    return AuditResult(tuple(files), tuple(results), totals(results), csv_out)


def write_audit_csv(result: AuditResult, force: bool = False) -> Path:
    """Write the CSV summary (one row per report); without `csv` asked for, ValueError."""
    from drafter.batch import to_csv
    from drafter.files import write_atomic

    if result.csv is None:
        raise ValueError("no CSV file was asked for")
    write_atomic(result.csv, to_csv(list(result.reports)).encode("utf-8"), force=force)
    return result.csv
