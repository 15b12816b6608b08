"""The LLM drafter against the stub OpenAI-compatible server: concurrency, calls, cache.

A stub server on 127.0.0.1 (tests/stub_openai.py) answers every request after a fixed
latency, like a drafting model that uses the offered placeholders. The real command
`drafter draft <sample> --allow-errors --no-cache` runs with all parts concurrent
(`--workers 8`) and forced sequential (`--workers 1`), alternately, and the medians and
their ratio are reported; then the calls and prompt size per narrative part (from the audit
log), and a cached re-run, whose requests to the server must be 0.

    .venv/bin/python benchmarks/llm/run.py [--runs 3] [--latency 0.5]

The stub counts prompt "tokens" as characters (for Chinese text, DeepSeek's and Qwen's
tokenizers give roughly 0.6-1 token per character), so the prompt figures are characters.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
sys.path.insert(0, str(ROOT / "tests"))

from stub_openai import StubServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per call")
    args = parser.parse_args()
    drafter = shutil.which("drafter", path=str(Path(sys.executable).parent)) or "drafter"
    stub = StubServer(latency=args.latency).start()
    work = Path(tempfile.mkdtemp(prefix="drafter-llm-benchmark-"))
    env = {
        **os.environ,
        "DRAFTER_BASE_URL": stub.base_url,
        "DRAFTER_MODEL": "stub-model",
        "DRAFTER_HOME": str(work / "home"),
        "DRAFTER_MODELS": str(work / "none.yaml"),
    }
    env.pop("DRAFTER_API_KEY", None)
    env.pop("OPENAI_API_KEY", None)

    def draft(*extra: str) -> tuple[float, int]:
        before = len(stub.chat_requests())
        command = [
            drafter,
            "draft",
            str(SAMPLE),
            "-o",
            str(work / "r.docx"),
            "--allow-errors",
            "--force",
            *extra,
        ]
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"drafter draft failed ({done.returncode}):\n{done.stderr}")
        return elapsed, len(stub.chat_requests()) - before

    times: dict[str, list[float]] = defaultdict(list)
    requests: dict[str, list[int]] = defaultdict(list)
    for _ in range(args.runs):
        for name, workers in (("concurrent (--workers 8)", "8"), ("sequential (--workers 1)", "1")):
            elapsed, sent = draft("--no-cache", "--workers", workers)
            times[name].append(elapsed)
            requests[name].append(sent)
    cached_time, cached_sent = draft()

    print(f"stub latency {args.latency:.2f} s per call, {args.runs} runs each, medians:")
    for name, values in times.items():
        print(f"  {name:28} {statistics.median(values):6.2f} s   requests {requests[name]}")
    concurrent, sequential = (statistics.median(v) for v in times.values())
    print(f"  sequential / concurrent      {sequential / concurrent:6.2f}x")
    print(f"  cached re-run                {cached_time:6.2f} s   requests {cached_sent}")

    from drafter.audit import AuditLog

    calls = [c for c in AuditLog(work / "home" / "drafter.db").recent(10_000) if not c.cached]
    last_run = calls[: len(calls) // (2 * args.runs)]  # recent() is newest first
    per_part: dict[str, list[int]] = defaultdict(list)
    for call in last_run:
        per_part[call.section or "?"].append(call.input_tokens or 0)
    print("\nper narrative part, one uncached run (calls = 1 + repairs):")
    print(f"  {'part':24} {'calls':>5} {'prompt chars':>13}")
    for part, sizes in sorted(per_part.items()):
        print(f"  {part:24} {len(sizes):5} {sum(sizes):13}")
    total = sum(sum(s) for s in per_part.values())
    print(f"  {'total':24} {sum(len(s) for s in per_part.values()):5} {total:13}")
    stub.stop()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
