"""What each start-up change buys `drafter check`: the command as it is, and with one change
undone at a time, run alternately; medians of wall and CPU time.

    .venv/bin/python benchmarks/check/ablation.py [--runs 21]

The changes undone: `check` parsed by typer (the form `check --json -- FILE` is not one the
command line parses itself), rich imported although `--json` prints no table, the data files
(layout, postal codes) parsed instead of read back from the cache, pydantic looking for
plugins in every installed package's metadata.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import BASELINE, ROOT, SAMPLE, SHIM, timed

RICH_FIRST = """import rich.console, rich.table, rich.text
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="drafter-check-ablation-"))
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    env["DRAFTER_HOME"] = str(work / "home")
    shim = work / "drafter.py"
    shim.write_text(SHIM.format(root=str(ROOT)), encoding="utf-8")
    rich_first = work / "drafter-rich-first.py"
    rich_first.write_text(RICH_FIRST + SHIM.format(root=str(ROOT)), encoding="utf-8")
    sample = str(SAMPLE)
    no_cache = {"DRAFTER_HOME": str(work / "no-cache"), "PYTHONDONTWRITEBYTECODE": "1"}
    variants: dict[str, tuple[list[str], dict[str, str]]] = {
        BASELINE: ([sys.executable, "-c", "import yaml"], {}),
        "check --json, as it is": ([sys.executable, str(shim), "check", sample, "--json"], {}),
        "  … parsed by typer": ([sys.executable, str(shim), "check", "--json", "--", sample], {}),
        "  … rich imported": ([sys.executable, str(rich_first), "check", sample, "--json"], {}),
        "  … data files parsed (no cache)": (
            [sys.executable, str(shim), "check", sample, "--json"],
            no_cache,
        ),
        "  … pydantic looks for plugins": (
            [sys.executable, str(shim), "check", sample, "--json"],
            {"PYDANTIC_DISABLE_PLUGINS": ""},
        ),
        "check (table), as it is": ([sys.executable, str(shim), "check", sample], {}),
        "  … parsed by typer ": ([sys.executable, str(shim), "check", "--", sample], {}),
    }
    walls: dict[str, list[float]] = {name: [] for name in variants}
    cpus: dict[str, list[float]] = {name: [] for name in variants}
    for command, extra in variants.values():  # write the bytecode and the cache
        timed(command, {**env, **extra})
    for _ in range(args.runs):
        for name, (command, extra) in variants.items():
            elapsed, cpu = timed(command, {**env, **extra})
            walls[name].append(elapsed)
            cpus[name].append(cpu)
    wall_base = statistics.median(walls[BASELINE])
    cpu_base = statistics.median(cpus[BASELINE])
    print(f"{args.runs} runs; medians; × = ratio to {BASELINE}; CPU = user + system time")
    print(f"{'':36} {'wall':>8} {'×':>6} {'CPU':>8} {'×':>6}")
    for name in variants:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        print(
            f"{name:36} {wall * 1000:6.1f}ms {wall / wall_base:5.1f}×"
            f" {cpu * 1000:6.1f}ms {cpu / cpu_base:5.1f}×"
        )


if __name__ == "__main__":
    main()
