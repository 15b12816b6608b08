"""Auditing many published reports at once: `drafter audit`.

Each report is read back (drafter.read), its tables become its statistics
(drafter.statistics.extract), and three sets of rules run over it: the table rules of the checker
(drafter.checking.checks), the document rules (drafter.verification.docrules) and the
narrative↔table verification (drafter.verification.verify). A published report carries no statistics
file, so a number of its prose that restates no table cell has nothing to be checked against: the
findings that only mean "no source known" (`E-NUM-UNKNOWN`, `E-NUM-UNIT`, `W-NUM-UNSURE`,
`A-NUM-YOY`) are left out; a number whose words name a table cell and disagree with it is still an
error.

Reports are spread over worker processes (one per core). A report that cannot be read is a
row with its reason, never the end of the run.
"""

from __future__ import annotations

import contextlib
import csv
import io
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from drafter.errors import InputError, one_line

REPORT_SUFFIXES = {".docx", ".html", ".htm"}  # what a folder is searched for
FILE_SUFFIXES = REPORT_SUFFIXES | {".md", ".markdown", ".txt"}  # named files may be any of these
NO_SOURCE_CODES = frozenset({"E-NUM-UNKNOWN", "E-NUM-UNIT", "W-NUM-UNSURE", "A-NUM-YOY"})


@dataclass
class ReportResult:
    """One report's row: who, which year, how many findings of each kind, the worst one."""

    path: str
    agency: str | None = None
    year: int | None = None
    format: str | None = None
    errors: int = 0
    warnings: int = 0
    advice: int = 0
    worst: dict[str, Any] | None = None  # the first finding, errors first
    codes: dict[str, int] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    extract_notes: list[str] = field(default_factory=list)  # what extract read by guessing
    unreadable: str | None = None  # why the report could not be read

    def to_dict(self, *, findings: bool = True) -> dict[str, Any]:
        data = asdict(self)
        if not findings:
            data.pop("findings")
        return data


def report_files(paths: Iterable[Path]) -> list[Path]:
    """The reports named: files as given, folders searched (recursively) for .docx/.html.
    Word's lock files (~$x.docx) and hidden files are skipped. InputError for a path that
    does not exist."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in REPORT_SUFFIXES
                and not p.name.startswith(("~$", "."))
            )
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            raise InputError(f"文件或目录不存在：{path}", code="E-FILE-MISSING")
    seen: set[Path] = set()
    unique = []
    for path in out:
        key = Path(os.path.realpath(path))
        if key not in seen:
            seen.add(key)
            unique.append(path)
    return unique


def audit_report(path: str) -> ReportResult:
    """Every rule over one report. Never raises: what cannot be read is the row's reason."""
    result = ReportResult(path)
    try:
        _audit(Path(path), result)
    except InputError as exc:
        result.unreadable = "；".join(one_line(p.message) for p in exc.problems)
    except MemoryError:
        result = ReportResult(path, unreadable=_OUT_OF_MEMORY)
    except Exception as exc:  # one bad file must not end a run over hundreds of reports
        result.unreadable = one_line(f"无法读取（{type(exc).__name__}：{exc}）")
    return result


def _audit(path: Path, result: ReportResult) -> None:
    from drafter.checking.checks import check
    from drafter.checking.findings import Severity, count, sort_findings
    from drafter.formats import load_layout
    from drafter.read.document import read_document
    from drafter.statistics.extract import extract_report, extracted_stats
    from drafter.verification.verify import verify_report

    if path.suffix.lower() not in FILE_SUFFIXES:
        raise InputError(
            f"不是报告文件（{path.suffix or '无扩展名'}），应为 .docx 或 .html", code="E-FILE-TYPE"
        )
    report, _ = read_document(path)
    extracted = extract_report(report, str(path))
    result.agency = extracted.data.get("agency")
    result.year = extracted.data.get("year")
    result.format = extracted.layout
    result.extract_notes = extracted.warnings
    stats = extracted_stats(extracted)
    layout = load_layout(stats.format)
    findings = [
        f
        for f in check(stats, layout=layout) + verify_report(report, stats, layout, file=str(path))
        if f.code not in NO_SOURCE_CODES
    ]
    findings = sort_findings(findings)
    result.errors = count(findings, Severity.ERROR)
    result.warnings = count(findings, Severity.WARNING)
    result.advice = count(findings, Severity.ADVICE)
    result.codes = dict(Counter(f.code for f in findings))
    result.findings = [f.to_dict() for f in findings]
    if findings:
        result.worst = findings[0].to_dict()


@dataclass(frozen=True)
class Limits:
    """What one report may cost in `audit`: wall time, and memory beyond what a worker process
    holds when it starts. A report over either becomes a row with its reason; the run goes on."""

    seconds: float = 10.0
    memory_mb: int = 500


def audit_reports(
    paths: list[Path],
    *,
    workers: int | None = None,
    progress: Callable[[ReportResult], None] | None = None,
    limits: Limits | None = None,
) -> list[ReportResult]:
    """Audit every report, results in the order given, over `workers` processes (default: one
    per core). With `limits`, each report runs in a worker process that is killed when the
    report goes over them; without, `workers=1` runs in this process."""
    names = [str(p) for p in paths]
    workers = max(1, min(workers or os.cpu_count() or 1, len(names)))
    if limits is None and (workers == 1 or len(names) < 4):
        results: list[ReportResult] = []
        for name in names:
            results.append(audit_report(name))
            if progress:
                progress(results[-1])
        return results
    return _Pool(workers, limits).run(names, progress)


def _context() -> Any:
    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        # Forked workers inherit the modules and layouts loaded by _warm: no worker spends
        # its first second importing (spawned workers, elsewhere, import on their own).
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _serve(connection: Any, memory_mb: int | None) -> None:
    """A worker process: audit the reports sent to it, one at a time, until told to stop.
    After a report that ran out of memory the worker ends, so the next one starts afresh."""
    if memory_mb is not None:
        _limit_memory(memory_mb)
    while True:
        try:
            name = connection.recv()
        except (EOFError, OSError):
            return
        if name is None:
            return
        result = audit_report(name)
        connection.send(result)
        if result.unreadable == _OUT_OF_MEMORY:
            return


_OUT_OF_MEMORY = "超过内存上限，已跳过"


def _limit_memory(memory_mb: int) -> None:
    """Cap this process's address space at what it holds now plus `memory_mb` (POSIX only;
    where the limit cannot be set, the time limit still applies)."""
    try:
        import resource

        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[0])
        held = pages * os.sysconf("SC_PAGE_SIZE")
        limit = held + memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, OSError, ValueError):
        pass


@dataclass
class _Worker:
    process: Any
    connection: Any
    name: str | None = None  # the report it is working on
    index: int = -1
    deadline: float = 0.0


class _Pool:
    """Worker processes that each audit one report at a time; a report that runs past its
    time is ended by ending its worker, which is replaced."""

    def __init__(self, size: int, limits: Limits | None) -> None:
        self.size = size
        self.limits = limits
        self.context = _context()
        self.workers: list[_Worker] = []

    def _start(self) -> _Worker:
        parent, child = self.context.Pipe()
        memory = self.limits.memory_mb if self.limits else None
        process = self.context.Process(target=_serve, args=(child, memory), daemon=True)
        process.start()
        child.close()
        return _Worker(process, parent)

    def _stop(self, worker: _Worker, *, kill: bool = False) -> None:
        if kill:
            worker.process.kill()
        else:
            with contextlib.suppress(OSError, BrokenPipeError):
                worker.connection.send(None)
        worker.process.join(5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.connection.close()

    def run(
        self, names: list[str], progress: Callable[[ReportResult], None] | None
    ) -> list[ReportResult]:
        from multiprocessing.connection import wait

        _warm()
        results: list[ReportResult | None] = [None] * len(names)
        queue = list(enumerate(names))
        queue.reverse()
        seconds = self.limits.seconds if self.limits else None

        def finish(worker: _Worker, result: ReportResult) -> None:
            results[worker.index] = result
            worker.name = None
            if progress:
                progress(result)

        try:
            while queue or any(w.name is not None for w in self.workers):
                while queue and (len(self.workers) < self.size or self._idle()):
                    worker = self._idle() or self._add()
                    worker.index, worker.name = queue.pop()
                    worker.deadline = time.monotonic() + (seconds or 0)
                    worker.connection.send(worker.name)
                busy = [w for w in self.workers if w.name is not None]
                timeout = (
                    max(0.0, min(w.deadline for w in busy) - time.monotonic()) if seconds else None
                )
                ready = wait(
                    [w.connection for w in busy] + [w.process.sentinel for w in busy], timeout
                )
                for worker in busy:
                    if worker.connection in ready:
                        try:
                            result = worker.connection.recv()
                        except (EOFError, OSError):
                            pass  # the worker died while answering: handled below
                        else:
                            finish(worker, result)
                            if result.unreadable == _OUT_OF_MEMORY:
                                self._replace(worker)  # it ends itself: start afresh
                            continue
                    if worker.connection in ready or worker.process.sentinel in ready:
                        finish(worker, self._died(worker))
                        self._replace(worker)
                    elif seconds and time.monotonic() >= worker.deadline:
                        worker.process.kill()
                        finish(
                            worker,
                            ReportResult(
                                worker.name or "", unreadable=f"超过时限（{seconds:g} 秒），已跳过"
                            ),
                        )
                        self._replace(worker)
        finally:
            for worker in self.workers:
                self._stop(worker, kill=worker.name is not None)
        return [r for r in results if r is not None]

    def _idle(self) -> _Worker | None:
        return next((w for w in self.workers if w.name is None), None)

    def _add(self) -> _Worker:
        worker = self._start()
        self.workers.append(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        """Drop a worker that ended or must end; the next report starts a new one."""
        worker.process.join(5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.connection.close()
        self.workers.remove(worker)

    def _died(self, worker: _Worker) -> ReportResult:
        worker.process.join(5)
        code = worker.process.exitcode
        memory = self.limits.memory_mb if self.limits else None
        reason = f"处理时进程异常退出（状态 {code}）"
        if memory is not None:
            reason += f"，可能超过内存上限（{memory} MB）"
        return ReportResult(worker.name or "", unreadable=reason)


def _warm() -> None:
    """Import what auditing a report needs and load the layouts and reference data once."""
    from drafter.checking import checks  # noqa: F401
    from drafter.formats import layout_ids, load_layout, reference_tables
    from drafter.read import docx, html  # noqa: F401
    from drafter.statistics import extract  # noqa: F401
    from drafter.verification import docrules, verify  # noqa: F401
    from drafter.verification.verify import concepts

    for layout_id in layout_ids():
        load_layout(layout_id)
    reference_tables("tables-2019")
    concepts()


def totals(results: list[ReportResult]) -> dict[str, Any]:
    """Counts over all reports, and per finding code: how many reports, how many findings."""
    from drafter.checking.findings import CODES

    per_code: dict[str, dict[str, Any]] = {}
    for result in results:
        for code, number in result.codes.items():
            entry = per_code.setdefault(
                code,
                {
                    "severity": CODES[code].severity.value,
                    "title": CODES[code].title,
                    "reports": 0,
                    "findings": 0,
                },
            )
            entry["reports"] += 1
            entry["findings"] += number
    order = {"error": 0, "warning": 1, "advice": 2}
    ranked = dict(
        sorted(per_code.items(), key=lambda kv: (order[kv[1]["severity"]], -kv[1]["reports"]))
    )
    return {
        "reports": len(results),
        "unreadable": sum(1 for r in results if r.unreadable),
        "with_errors": sum(1 for r in results if r.errors),
        "errors": sum(r.errors for r in results),
        "warnings": sum(r.warnings for r in results),
        "advice": sum(r.advice for r in results),
        "codes": ranked,
    }


CSV_COLUMNS = (
    "path",
    "agency",
    "year",
    "format",
    "errors",
    "warnings",
    "advice",
    "worst_code",
    "worst_location",
    "worst_message",
    "codes",
    "unreadable",
)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A cell that a spreadsheet shows as text, never runs: text from a published report that
    starts like a formula (= + - @, tab, CR: "=HYPERLINK(…)", DDE payloads) gets a leading
    apostrophe, as OWASP recommends for CSV injection. Numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(results: list[ReportResult]) -> str:
    """One row per report, for a spreadsheet (written with a BOM so Excel reads the Chinese).
    Every text cell is made safe to open (spreadsheet_cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for r in results:
        worst = r.worst or {}
        location = worst.get("location", {})
        where = " · ".join(
            str(location[k]) for k in ("section", "table", "row", "column", "text") if k in location
        )
        writer.writerow(
            spreadsheet_cell(cell)
            for cell in [
                r.path,
                r.agency or "",
                r.year or "",
                r.format or "",
                r.errors,
                r.warnings,
                r.advice,
                worst.get("code", ""),
                where,
                worst.get("message", ""),
                "; ".join(f"{c}×{n}" for c, n in sorted(r.codes.items())),
                r.unreadable or "",
            ]
        )
    return "\ufeff" + buffer.getvalue()


def iter_rows(results: list[ReportResult]) -> Iterator[tuple[str, ...]]:
    """Rows for the summary table: report, agency, year, errors, warnings, worst finding."""
    for r in results:
        path, agency = one_line(r.path), one_line(r.agency or "")
        if r.unreadable:
            yield (path, "", "", "—", "—", f"无法读取：{r.unreadable}")
            continue
        worst = f"{r.worst['code']} {r.worst['message']}" if r.worst else "未发现问题"
        yield (path, agency, str(r.year or ""), str(r.errors), str(r.warnings), one_line(worst))
