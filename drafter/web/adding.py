"""Statistics files added to a workspace from the command line (`drafter serve FILE…`): each
file is read and checked by the same readers and limits as an upload on the 统计 page, and
becomes a report (its agency and year) with the file as its first statistics version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drafter.errors import InputError, Problem
from drafter.web.site import STATS_DOC, UPLOAD_LIMITS, Checked, stats_yaml
from drafter.workspace import DuplicateReport, ReportRef, Workspace

ADDED_BY = "命令行"


@dataclass(frozen=True)
class Added:
    report: ReportRef
    new: bool  # False when the workspace had a report of that agency and year already
    errors: int  # errors `drafter check` finds in the statistics (shown on the page)


@dataclass(frozen=True)
class StatisticsFile:
    path: Path
    stored: bytes  # what the workspace keeps: the YAML as given, or a workbook's as YAML
    checked: Checked


def add_statistics_file(workspace: Workspace, path: Path) -> Added:
    """Add the statistics file `path` (YAML or xlsx) as a report of `workspace`; an agency
    and year already there are left as they are (the workspace keeps the user's edits).
    Raises InputError (one line naming the file) when the file cannot be read."""
    return add_statistics(workspace, read_statistics_file(path))


def read_statistics_file(path: Path) -> StatisticsFile:
    """The statistics file `path` read and checked (InputError when it cannot be read), so
    that several files can all be read before any is added."""
    suffix = path.suffix.lower()
    limit = UPLOAD_LIMITS.get(suffix)
    if limit is None:
        raise InputError(Problem("统计文件应为 .yaml 或 .xlsx", file=str(path), code="E-FILE-TYPE"))
    try:
        with path.open("rb") as handle:
            content = handle.read(limit + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(Problem(f"无法读取：{reason}", file=str(path), code="E-FILE")) from None
    if len(content) > limit:
        message = f"文件过大，上限 {limit // 2**20} MB"
        raise InputError(Problem(message, file=str(path), code="E-LIMIT-SIZE"))
    checked = Checked(content, suffix, str(path))
    if checked.problems:
        raise InputError(checked.problems)
    assert checked.result is not None
    stored = content if suffix in (".yaml", ".yml") else stats_yaml(checked.result.stats).encode()
    return StatisticsFile(path, stored, checked)


def add_statistics(workspace: Workspace, given: StatisticsFile) -> Added:
    """Add a statistics file read by `read_statistics_file` (see `add_statistics_file`)."""
    assert given.checked.result is not None
    stats = given.checked.result.stats
    errors = given.checked.result.counts.errors
    try:
        report = workspace.create_report(stats.agency, stats.year)
    except DuplicateReport as exc:
        return Added(exc.existing, new=False, errors=errors)
    workspace.save(
        report.id, "stats", STATS_DOC, given.stored, base_version=None, author=ADDED_BY,
        message=f"从命令行加入 {given.path.name}",
    )  # fmt: skip
    return Added(report, new=True, errors=errors)
