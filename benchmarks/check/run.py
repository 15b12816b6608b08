"""Wall time of `drafter check` and `drafter draft` on the sample, next to `import yaml`.

Both are run alternately in one session, so that machine noise hits them alike; the figures
are medians, and the ratio is what to compare across machines.

    .venv/bin/python benchmarks/check/run.py [--runs 21]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
OUT = Path(tempfile.gettempdir()) / "drafter-benchmark-report.docx"


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    drafter = shutil.which("drafter", path=str(Path(sys.executable).parent)) or "drafter"
    commands = {
        "python -c 'import yaml'": [sys.executable, "-c", "import yaml"],
        "drafter --help": [drafter, "--help"],
        "drafter check <sample>": [drafter, "check", str(SAMPLE)],
        "drafter check <sample> --json": [drafter, "check", str(SAMPLE), "--json"],
        "drafter draft <sample> (docx)": [
            drafter,
            "draft",
            str(SAMPLE),
            "-o",
            str(OUT),
            "--allow-errors",
            "--force",
        ],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for command in commands.values():  # warm the file cache once
        wall(command)
    for _ in range(args.runs):
        for name, command in commands.items():
            times[name].append(wall(command))
    baseline = statistics.median(times["python -c 'import yaml'"])
    print(f"{'command':34} {'median':>9} {'min':>9} {'× import yaml':>14}   ({args.runs} runs)")
    for name, samples in times.items():
        median = statistics.median(samples)
        fastest = min(samples) * 1000
        print(f"{name:34} {median * 1000:7.1f}ms {fastest:7.1f}ms {median / baseline:13.1f}×")


if __name__ == "__main__":
    main()
