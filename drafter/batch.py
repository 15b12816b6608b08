"""Auditing many published reports at once: `drafter audit`.

Each report is read back (drafter.read), its tables become its statistics (drafter.extract),
and three sets of rules run over it: the table rules of the checker (drafter.checks), the
document rules (drafter.docrules) and the narrative↔table verification (drafter.verify). A
published report carries no statistics file, so a number of its prose that restates no table
cell has nothing to be checked against: the findings that only mean "no source known"
(`E-NUM-UNKNOWN`, `E-NUM-UNIT`, `W-NUM-UNSURE`, `A-NUM-YOY`) are left out; a number whose
words name a table cell and disagree with it is still an error.

Reports are spread over worker processes (one per core). A report that cannot be read is a
row with its reason, never the end of the run.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from drafter.errors import InputError

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
            raise InputError(f"文件或目录不存在：{path}")
    seen: set[Path] = set()
    unique = []
    for path in out:
        key = path.resolve()
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
        result.unreadable = "；".join(p.message for p in exc.problems)
    except Exception as exc:  # one bad file must not end a run over hundreds of reports
        result.unreadable = f"无法读取（{type(exc).__name__}：{exc}）"
    return result


def _audit(path: Path, result: ReportResult) -> None:
    from drafter.checks import check
    from drafter.extract import extract_report, extracted_stats
    from drafter.findings import Severity, count, sort_findings
    from drafter.formats import load_layout
    from drafter.read.document import read_document
    from drafter.verify import verify_report

    if path.suffix.lower() not in FILE_SUFFIXES:
        raise InputError(f"不是报告文件（{path.suffix or '无扩展名'}），应为 .docx 或 .html")
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


def audit_reports(
    paths: list[Path],
    *,
    workers: int | None = None,
    progress: Callable[[ReportResult], None] | None = None,
) -> list[ReportResult]:
    """Audit every report, in the order given, over `workers` processes (default: one per
    core; 1 runs in this process)."""
    names = [str(p) for p in paths]
    workers = workers or os.cpu_count() or 1
    results: list[ReportResult] = []
    if workers == 1 or len(names) < 4:
        for name in names:
            results.append(audit_report(name))
            if progress:
                progress(results[-1])
        return results
    chunk = max(1, min(16, len(names) // (workers * 4)))
    _warm()
    context = None
    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        # Forked workers inherit the modules and layouts loaded by _warm: no worker spends
        # its first second importing (spawned workers, elsewhere, import on their own).
        context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        for result in pool.map(audit_report, names, chunksize=chunk):
            results.append(result)
            if progress:
                progress(result)
    return results


def _warm() -> None:
    """Import what auditing a report needs and load the layouts and reference data once."""
    from drafter import checks, docrules, extract, verify  # noqa: F401
    from drafter.formats import layout_ids, load_layout, reference_tables
    from drafter.read import docx, html  # noqa: F401
    from drafter.verify import concepts

    for layout_id in layout_ids():
        load_layout(layout_id)
    reference_tables("tables-2019")
    concepts()


def totals(results: list[ReportResult]) -> dict[str, Any]:
    """Counts over all reports, and per finding code: how many reports, how many findings."""
    from drafter.findings import CODES

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


def to_csv(results: list[ReportResult]) -> str:
    """One row per report, for a spreadsheet (written with a BOM so Excel reads the Chinese)."""
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
            [
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
        if r.unreadable:
            yield (r.path, "", "", "—", "—", f"无法读取：{r.unreadable}")
            continue
        worst = f"{r.worst['code']} {r.worst['message']}" if r.worst else "未发现问题"
        yield (r.path, r.agency or "", str(r.year or ""), str(r.errors), str(r.warnings), worst)
