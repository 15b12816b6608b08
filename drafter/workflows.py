"""What the commands do, as library functions that return data (issue 13, item 0).

The CLI (drafter.cli) and the web app call these and only present what they return: each
function reads its inputs, runs the checks and writes what it is asked to write, and gives
back the findings, the report, the decisions (`blocked`) and the paths written. None prints,
none exits; a problem with the input is an `InputError`, as everywhere in drafter.

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
    from drafter.checking.findings import Finding
    from drafter.drafting.draft import Drafter
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
