"""Throughput and peak memory of `drafter audit` over a folder of generated reports.

Generates N reports (half .docx, half .html; half from the bundled sample's statistics with
its fact-rich narrative, half from random consistent statistics in both layouts; one in ten
with a planted table error), then runs the real command `drafter audit FOLDER --json` with
one worker per core and with `--workers 1`, alternately, and reports the medians as reports
per second, the scaling ratio, and the peak resident memory of the largest process.

    .venv/bin/python benchmarks/audit/run.py [--reports 300] [--runs 3] [--folder DIR]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
COLUMNS = ("natural_person", "commercial", "research", "social_welfare", "legal_service", "other")
AGENCIES = (
    "某某市教育局",
    "某某区人民政府",
    "某某县卫生健康局",
    "某某镇人民政府",
    "某某市生态环境局",
    "某某区交通运输局",
    "某某市统计局",
    "某某县财政局",
)


def random_stats(rng: random.Random, index: int) -> dict[str, Any]:
    """Statistics that satisfy every arithmetic rule (small agencies: mostly small numbers)."""

    def few() -> int:
        return rng.choice((0, 0, 0, 1, 2, 3, rng.randint(0, 40)))

    def row(cells: dict[str, int]) -> dict[str, int]:
        return {**cells, "total": sum(cells.values())}

    results: dict[str, Any] = {}
    closed = dict.fromkeys(COLUMNS, 0)
    from drafter.formats import load_layout

    for path in load_layout("gov-info-disclosure-2021").outcome_paths():
        cells = {c: few() if c in ("natural_person", "commercial") else 0 for c in COLUMNS}
        if path == ("other", "fee_unpaid"):  # no fee notices in these reports (FEE-4)
            cells = dict.fromkeys(COLUMNS, 0)
        for c in COLUMNS:
            closed[c] += cells[c]
        node = results
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = row(cells)
    results["total"] = row(dict(closed))
    forward = {c: few() if c == "natural_person" else 0 for c in COLUMNS}
    over = {c: rng.randint(0, closed[c] + forward[c]) // 3 for c in COLUMNS}
    new = {c: closed[c] + forward[c] - over[c] for c in COLUMNS}

    def block() -> dict[str, int]:
        cells = {
            "upheld": few(),
            "corrected": rng.choice((0, 0, 1)),
            "other": 0,
            "pending": rng.choice((0, 1)),
        }
        return {**cells, "total": sum(cells.values())}

    issued = few()
    return {
        "format": rng.choice(("gov-info-disclosure-2021", "gov-info-disclosure-2021-seven-part")),
        "agency": AGENCIES[index % len(AGENCIES)],
        "year": 2021 + index % 4,
        "proactive": {
            "rules": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {
                "issued": issued,
                "repealed": few(),
                "in_force": issued + rng.randint(0, 80),
            },
            "licensing": rng.randint(0, 3000),
            "penalty": rng.randint(0, 300),
            "enforcement": few(),
            "admin_fees_10k_yuan": 0,
        },
        "applications": {
            "new_received": row(new),
            "carried_over": row(over),
            "results": results,
            "carried_forward": row(forward),
        },
        "review_litigation": {
            "review": block(),
            "litigation_direct": block(),
            "litigation_after_review": block(),
        },
        "processing_fees": {"notices": 0, "notified_yuan": 0, "collected_yuan": 0},
        "facts": [],
        "notes": {"problems": "政策解读形式还不够丰富。下一步将丰富解读形式。"},
    }


def generate(folder: Path, count: int, seed: int = 2024) -> None:
    import yaml

    from drafter.drafting.draft import draft_report
    from drafter.formats import load_layout
    from drafter.render.docx import render_docx
    from drafter.render.html import render_html
    from drafter.statistics.load import stats_from_data

    rng = random.Random(seed)
    sample = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    for index in range(count):
        if index % 2:
            data = copy.deepcopy(sample)
            data["year"] = 2021 + index % 4
        else:
            data = random_stats(rng, index)
        if index % 10 == 3:  # a planted error: a cell retyped without its total
            data["applications"]["new_received"]["natural_person"] = (
                data["applications"]["new_received"].get("natural_person") or 0
            ) + 1
        stats = stats_from_data(data, {}, f"generated-{index}")
        report = draft_report(stats, load_layout(stats.format))
        if index % 4 < 2:
            (folder / f"report-{index:04d}.docx").write_bytes(render_docx(report))
        else:
            (folder / f"report-{index:04d}.html").write_bytes(render_html(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--folder", type=Path, help="keep the generated reports here (reused when present)"
    )
    args = parser.parse_args()
    drafter = shutil.which("drafter", path=str(Path(sys.executable).parent)) or "drafter"
    folder = args.folder or Path(tempfile.mkdtemp(prefix="drafter-audit-benchmark-"))
    folder.mkdir(parents=True, exist_ok=True)
    if len(list(folder.glob("report-*"))) != args.reports:
        for old in folder.glob("report-*"):
            old.unlink()
        start = time.perf_counter()
        generate(folder, args.reports)
        print(f"generated {args.reports} reports in {time.perf_counter() - start:.1f} s")
    cores = os.cpu_count() or 1
    times: dict[str, list[float]] = {f"--workers {cores}": [], "--workers 1": []}
    summary: dict[str, Any] = {}
    for _ in range(args.runs):
        for label in times:
            command = [drafter, "audit", str(folder), "--json", *label.split()]
            began = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            times[label].append(time.perf_counter() - began)
            if done.returncode not in (0, 1):
                sys.exit(f"drafter audit failed ({done.returncode}): {done.stderr[-500:]}")
            summary = json.loads(done.stdout)["totals"]
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"{args.reports} reports, {args.runs} runs each, medians (whole command, startup included):"
    )
    for label, values in times.items():
        median = statistics.median(values)
        print(f"  {label:12} {median:6.2f} s   {args.reports / median:6.1f} reports/s")
    parallel, serial = (statistics.median(v) for v in times.values())
    print(f"  speed-up with {cores} workers: {serial / parallel:.2f}x")
    print(f"  peak resident memory of the largest process: {peak_mb:.0f} MB")
    codes = ", ".join(f"{code}×{entry['findings']}" for code, entry in summary["codes"].items())
    print(
        f"  findings: {summary['with_errors']} reports with errors, "
        f"{summary['unreadable']} unreadable; {codes}"
    )
    if args.folder is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
