"""Hostile inputs, measured: for each family and command, how many files, the worst wall time
and the worst peak memory, and what failed (issue 11's target: every file ends within 10 s and
500 MB on this machine).

Builds the generated corpus of tests/hostile_corpus.py (full size by default) in a temporary
folder, runs every applicable command on every file with `python -m drafter` (two runs at a
time), each in a working directory of its own under an address-space cap, and prints a table
family × command → files, worst time (and which file), worst peak RSS (and which file),
failures. A failure is an exit status other than 0/1/2 (3 is a crash), a traceback, a run
killed at the timeout, the memory cap reached, an exit-2 message that is not one coded line
per problem, a file left behind or an input changed, planted text that got through, or a run
over 10 s or 500 MB.

    .venv/bin/python benchmarks/hostile/run.py [--scale full|small] [--family stats ...]
        [--command verify ...] [--workers 2] [--timeout 60] [--json] [--corpus DIR]

`--corpus DIR` builds (or reuses) the corpus in DIR and keeps it; the full corpus takes some
40 s to build and 200 MB of disk (the zip bombs are small on disk, the 40 MB .docx and the
10 MB pages are not). The exit status is 1 when any run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from hostile_corpus import (  # noqa: E402  (tests/ is not a package)
    COMMANDS,
    FAMILIES,
    MB,
    Outcome,
    build,
    cases_and_commands,
    cleanup,
    failure_kind,
    run,
)

TIME_TARGET = 10.0  # seconds
RSS_TARGET = 500  # MB


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "full"), default="full")
    parser.add_argument("--family", action="append", choices=FAMILIES, help="only this family")
    parser.add_argument("--command", action="append", choices=COMMANDS, help="only this command")
    parser.add_argument("--case", action="append", help="only cases whose id contains this")
    parser.add_argument("--workers", type=int, default=2, help="runs at a time (at most 2)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds before a run is killed"
    )
    parser.add_argument(
        "--memory-cap-mb", type=int, default=2048, help="address-space cap per run (RLIMIT_AS)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--corpus", type=Path, help="build (or reuse) the corpus here and keep it")
    args = parser.parse_args()
    workers = max(1, min(args.workers, 2))

    root = args.corpus or Path(tempfile.mkdtemp(prefix="drafter-hostile-"))
    started = time.monotonic()
    try:
        cases = build(root, args.scale, args.family)
        built = time.monotonic() - started
        pairs = cases_and_commands(cases, args.command)
        if args.case:
            pairs = [(c, cmd) for c, cmd in pairs if any(s in c.id for s in args.case)]
        log(f"corpus ({args.scale}): {len(cases)} files built in {built:.0f} s; {len(pairs)} runs")
        outcomes: list[Outcome] = []
        with ThreadPoolExecutor(workers) as pool:
            futures = [
                pool.submit(
                    run,
                    case,
                    command,
                    timeout=args.timeout,
                    mem_limit_bytes=args.memory_cap_mb * MB,
                    workdir=root / "_runs",
                    time_limit=TIME_TARGET,
                    rss_limit_mb=RSS_TARGET,
                )
                for case, command in pairs
            ]
            for done, future in enumerate(as_completed(futures), 1):
                outcome = future.result()
                outcomes.append(outcome)
                if outcome.problems:
                    log(f"[{done}/{len(futures)}] FAIL {outcome.summary()}")
                elif done % 25 == 0:
                    log(f"[{done}/{len(futures)}] …")
    finally:
        if args.corpus is None:
            cleanup(root)
    elapsed = time.monotonic() - started
    report = summarise(outcomes, args, workers, elapsed)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_table(report)
    return 1 if report["failed_runs"] else 0


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def summarise(
    outcomes: list[Outcome], args: argparse.Namespace, workers: int, elapsed: float
) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[(o.family, o.command)].append(o)
    rows = []
    for family in FAMILIES:
        for command in COMMANDS:
            group = groups.get((family, command))
            if not group:
                continue
            slowest = max(group, key=lambda o: o.elapsed)
            largest = max(group, key=lambda o: o.peak_rss_mb)
            failed = [o for o in group if o.problems]
            kinds = Counter(failure_kind(p) for o in failed for p in o.problems)
            rows.append(
                {
                    "family": family,
                    "command": command,
                    "files": len({o.case for o in group}),
                    "worst_seconds": round(slowest.elapsed, 2),
                    "worst_seconds_case": slowest.case,
                    "worst_rss_mb": round(largest.peak_rss_mb, 1),
                    "worst_rss_case": largest.case,
                    "failures": len(failed),
                    "failure_kinds": dict(sorted(kinds.items())),
                }
            )
    failures = [
        {
            "case": o.case,
            "command": o.command,
            "status": "timeout" if o.timed_out else o.status,
            "seconds": round(o.elapsed, 2),
            "rss_mb": round(o.peak_rss_mb, 1),
            "problems": o.problems,
        }
        for o in sorted(outcomes, key=lambda o: (o.family, o.case, o.command))
        if o.problems
    ]
    return {
        "scale": args.scale,
        "targets": {"seconds": TIME_TARGET, "rss_mb": RSS_TARGET},
        "timeout_seconds": args.timeout,
        "memory_cap_mb": args.memory_cap_mb,
        "workers": workers,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "runs": len(outcomes),
        "failed_runs": len(failures),
        "elapsed_seconds": round(elapsed, 1),
        "groups": rows,
        "failures": failures,
    }


def print_table(report: dict[str, Any]) -> None:
    header = ("family", "command", "files", "worst s", "(file)", "worst MB", "(file)", "failed")
    lines = [
        (
            r["family"],
            r["command"],
            str(r["files"]),
            f"{r['worst_seconds']:.1f}",
            r["worst_seconds_case"].split("/", 1)[1],
            f"{r['worst_rss_mb']:.0f}",
            r["worst_rss_case"].split("/", 1)[1],
            str(r["failures"]) if r["failures"] else "-",
        )
        for r in report["groups"]
    ]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print(
        f"hostile corpus ({report['scale']}): {report['runs']} runs, {report['failed_runs']} "
        f"failed; targets {report['targets']['seconds']:g} s and {report['targets']['rss_mb']} MB; "
        f"{report['workers']} at a time on {report['machine']['cpus']} CPUs; "
        f"{report['elapsed_seconds']:.0f} s in all"
    )
    print()
    for line in (header, *lines):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    if report["failures"]:
        print("\nfailures:")
        for f in report["failures"]:
            where = f"exit {f['status']}, {f['seconds']} s, {f['rss_mb']:.0f} MB"
            print(f"  {f['case']}:{f['command']} ({where})")
            for problem in f["problems"]:
                print(f"    - {problem}")


if __name__ == "__main__":
    sys.exit(main())
