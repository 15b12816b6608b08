"""The one exception type for input drafter cannot use (exit status 2 on the command line).

Each problem names the file, the line when known and the key path, so that the message is a
single line a clerk can act on, e.g.
`stats.yaml:42 applications.results.withheld.third_party_rights.natural_person:
需要非负整数, 得到 "三"` (on one line).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One located reason why an input file cannot be used."""

    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"第{self.line}行"
        if self.path:
            where = f"{where} {self.path}" if where else self.path
        return f"{where}: {self.message}" if where else self.message


class InputError(Exception):
    """Input that cannot be read or does not fit the statistics contract."""

    def __init__(self, problems: list[Problem] | Problem | str, file: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems, file=file)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]
