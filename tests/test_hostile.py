"""Every command on a generated corpus of hostile inputs (issue 11): no crash, no traceback, no
hang, no memory blow-up, no file left behind, inputs untouched, nothing planted gets through.

The corpus is built at test time (tests/hostile_corpus.py, small scale: every family, each
variant still hostile) in a temporary folder; each (case, command) runs `python -m drafter`
in a working directory of its own, under an address-space cap and a hang guard. The full-size
corpus and the time and memory figures are in benchmarks/hostile/run.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_corpus import MB, Case, build, cleanup, plan, run

SCALE = "small"
TIMEOUT = 60.0  # a hang guard, not a speed target (the benchmark measures speed)
MEMORY_CAP = 1536 * MB  # address space; CPython with drafter's libraries needs ~300 MB of it
RSS_LIMIT_MB = 500  # issue 11's target, on the small corpus too

PAIRS = [(spec, command) for spec in plan(SCALE) for command in spec.commands_for(SCALE)]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Case]]:
    root = tmp_path_factory.mktemp("hostile")
    cases = {case.id: case for case in build(root, SCALE)}
    yield cases
    cleanup(root)


@pytest.mark.parametrize(
    ("case_id", "command"),
    [(f"{spec.family}/{spec.name}", command) for spec, command in PAIRS],
    ids=[f"{spec.family}/{spec.name}:{command}" for spec, command in PAIRS],
)
def test_hostile_input(corpus: dict[str, Case], case_id: str, command: str) -> None:
    case = corpus[case_id]
    outcome = run(
        case,
        command,
        timeout=TIMEOUT,
        mem_limit_bytes=MEMORY_CAP,
        rss_limit_mb=RSS_LIMIT_MB,
        workdir=Path(case.path).parents[2] / "_runs",
    )
    assert outcome.ok, (
        outcome.summary()
        + f"\n$ drafter {' '.join(outcome.argv)}"
        + f"\n--- stdout (end)\n{outcome.stdout[-1500:]}\n--- stderr (end)\n{outcome.stderr[-1500:]}"
    )


def test_corpus_covers_every_family_and_command() -> None:
    families = {spec.family for spec, _ in PAIRS}
    assert families >= {"stats", "workbook", "docx", "pages", "text", "paths", "injection"}
    assert {command for _, command in PAIRS} == {"check", "draft", "verify", "extract", "audit"}
    assert len(PAIRS) <= 125, "keep the suite near three minutes: the benchmark runs the rest"


def test_corpus_is_reproducible(tmp_path: Path) -> None:
    """The same seeds give the same bytes (statistics families only: no drafter needed)."""
    import hashlib

    def digests(root: Path) -> dict[str, str]:
        return {
            case.id: hashlib.sha256(case.path.read_bytes()).hexdigest()
            for case in build(root, SCALE, families=["stats"])
            if case.path.is_file()
        }

    assert digests(tmp_path / "a") == digests(tmp_path / "b")


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    """The runner's own checks, on outputs written by hand (no subprocess)."""
    from hostile_corpus import _check_csv, _check_extracted, _traceback_tail

    (tmp_path / "stats.yaml").write_text(
        "# 请核对：单元格为“1\nnotes: 植入\n# ”\nagency: 某局\n", encoding="utf-8"
    )
    assert _check_extracted(tmp_path, ["extract", "x.html", "-o", "stats.yaml"]) == [
        "injection-yaml: key 'notes' in extract's output (planted text broke out)"
    ]
    (tmp_path / "stats.yaml").write_text(
        "# 请核对：单元格为“1\u2028facts: [1]”\n", encoding="utf-8"
    )
    assert _check_extracted(tmp_path, ["extract", "x.html", "-o", "stats.yaml"])
    (tmp_path / "audit.csv").write_text(
        "path,agency,unreadable\nr.html,=HYPERLINK(1),\nq.html,某局,无法读取（KeyError：'x'）\n",
        encoding="utf-8",
    )
    problems = _check_csv(tmp_path / "audit.csv")
    assert [p.split(":", 1)[0] for p in problems] == ["crash", "injection-csv"]
    from hostile_corpus import _FORGED, _TERMINAL

    assert _TERMINAL.search("单元格为“\x1b]0;x\x07”") and not _TERMINAL.search("表\t1\n")
    assert _FORGED.search("请核对：单元格为“1\nnotes: 植入”")
    assert not _FORGED.search("│ 1 │ notes: 植入 │")  # inside a table's borders
    log = 'Traceback (most recent call last):\n  File "/x/report.py", line 163, in grid\n    g[r][c] = 1\nIndexError: list index out of range\n'
    assert _traceback_tail(log) == "IndexError: list index out of range (at report.py:163)"
