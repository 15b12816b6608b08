"""Wall time of `drafter --help`, `check` and `draft` on the sample, next to `import yaml`.

All commands are run alternately in one session, so that machine noise hits them alike; the
figures are medians, and the ratio to `python -c 'import yaml'` is what to compare across
machines. With `--compare DIR` (another checkout, e.g. a `git worktree` of an older commit)
each command runs from both checkouts, alternately, and the table shows both.

    .venv/bin/python benchmarks/check/run.py [--runs 21] [--compare /tmp/drafter-before]

Each checkout's `drafter` is run the way the console script runs it (`from drafter.cli
import main`), from that checkout. Bytecode is written and used as by an installed drafter
(PYTHONDONTWRITEBYTECODE is dropped for the commands; a first, unmeasured run of each command
writes it); `--no-bytecode` keeps the environment as it is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
OUT = Path(tempfile.gettempdir()) / "drafter-benchmark-report.docx"
BASELINE = "python -c 'import yaml'"

SHIM = """import sys
sys.path.insert(0, {root!r})
from drafter.cli import main
sys.argv[0] = "drafter"
sys.exit(main())
"""


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    if not hasattr(os, "wait4"):  # Windows: wall time only
        process.wait()
        return time.perf_counter() - start, float("nan")
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_utime + usage.ru_stime


def commands(drafter: list[str]) -> dict[str, list[str]]:
    return {
        "drafter --help": [*drafter, "--help"],
        "drafter check <sample>": [*drafter, "check", str(SAMPLE)],
        "drafter check <sample> --json": [*drafter, "check", str(SAMPLE), "--json"],
        "drafter draft <sample> (docx)": [
            *drafter,
            *("draft", str(SAMPLE), "-o", str(OUT), "--allow-errors", "--force"),
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--compare", type=Path, help="another checkout to time alongside")
    parser.add_argument("--no-bytecode", action="store_true", help="keep PYTHONDONTWRITEBYTECODE")
    args = parser.parse_args()
    env = dict(os.environ)
    if not args.no_bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    work = Path(tempfile.mkdtemp(prefix="drafter-check-benchmark-"))
    env["DRAFTER_HOME"] = str(work / "home")
    env["DRAFTER_MODELS"] = str(work / "no-models.yaml")  # no model: drafting is offline
    for name in ("DRAFTER_BASE_URL", "DRAFTER_MODEL"):
        env.pop(name, None)
    checkouts = {"": ROOT} if args.compare is None else {"before": args.compare, "after": ROOT}
    runs: dict[str, list[str]] = {BASELINE: [sys.executable, "-c", "import yaml"]}
    for label, root in checkouts.items():
        shim = work / f"drafter-{label or 'this'}.py"
        shim.write_text(SHIM.format(root=str(root.resolve())), encoding="utf-8")
        for name, command in commands([sys.executable, str(shim)]).items():
            runs[f"{name} [{label}]" if label else name] = command
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    for command in runs.values():  # warm the file cache, write the bytecode
        timed(command, env)
    for _ in range(args.runs):
        for name, command in runs.items():
            elapsed, cpu = timed(command, env)
            walls[name].append(elapsed)
            cpus[name].append(cpu)
    wall_base = statistics.median(walls[BASELINE])
    cpu_base = statistics.median(cpus[BASELINE])
    print(f"{args.runs} runs; medians; × = ratio to {BASELINE}; CPU = user + system time")
    print(f"{'command':42} {'wall':>8} {'min':>8} {'×':>6} {'CPU':>8} {'×':>6}")
    for name in runs:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(
            f"{name:42} {wall * 1000:6.1f}ms {min(walls[name]) * 1000:6.1f}ms"
            f" {wall / wall_base:5.1f}× {cpu * 1000:6.1f}ms {cpu / cpu_base:5.1f}×"
        )


if __name__ == "__main__":
    main()
