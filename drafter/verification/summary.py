"""What a reviewer reads first: one line per part of the report.

For each part (the preamble, each heading of the narrative and the tables' headings), how
many numbers its prose states and how many findings point at it, so a reviewer sees at a
glance which parts are clean and where to look. The CLI prints these lines after the
findings; `--json` carries them as `parts`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from drafter import report as rp
from drafter.checking.findings import Finding, Severity
from drafter.verification.numbers import find_numbers

PREAMBLE = "前言"


@dataclass(frozen=True)
class PartSummary:
    part: str
    numbers: int  # numbers the part's prose states
    errors: int
    warnings: int

    def line(self) -> str:
        if self.errors or self.warnings:
            counts = [f"错误 {self.errors} 项" if self.errors else "", ""]
            counts[1] = f"警告 {self.warnings} 项" if self.warnings else ""
            verdict = "，".join(c for c in counts if c)
        else:
            verdict = "未发现问题"
        stated = f"核对 {self.numbers} 个数" if self.numbers else "正文中没有数"
        return f"{self.part}：{stated}，{verdict}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def part_summaries(report: rp.Report, findings: list[Finding]) -> list[PartSummary]:
    """One summary per part, in the order of the document (parts without prose included
    when a finding points at them)."""
    numbers: dict[str, int] = {PREAMBLE: 0} if report.preamble else {}

    def headings(section: rp.Section) -> None:
        numbers.setdefault(section.heading, 0)
        for sub in section.subsections:
            headings(sub)

    for section in report.sections:  # every part in the order of the document
        headings(section)
    for heading, _, paragraph in report.located_paragraphs():
        part = heading or PREAMBLE
        numbers[part] = numbers.get(part, 0) + len(find_numbers(paragraph.text))
    errors: dict[str, int] = {}
    warnings: dict[str, int] = {}
    for finding in findings:
        if finding.location.section is None and finding.location.paragraph is None:
            continue  # about the whole document or a table, not a part's prose
        part = finding.location.section or PREAMBLE
        numbers.setdefault(part, 0)
        if finding.severity is Severity.ERROR:
            errors[part] = errors.get(part, 0) + 1
        elif finding.severity is Severity.WARNING:
            warnings[part] = warnings.get(part, 0) + 1
    return [
        PartSummary(part, count, errors.get(part, 0), warnings.get(part, 0))
        for part, count in numbers.items()
    ]
