"""Time from starting `drafter draft` with a model to its first request reaching the model.

Before the first request, a draft loads and checks the statistics, prints the findings,
imports the drafters and the model's SDK (langchain-openai: over a second) and builds the
prompts. A stub OpenAI-compatible server on 127.0.0.1 (tests/stub_openai.py) notes when the
first chat request arrives; the draft is then stopped. Besides drafter as it is, two
variants start importing the SDK in a background thread, so that the import would overlap
the rest: from the start of the process, and once the statistics are loaded (drafter itself
does neither: see README.md, "the langchain import"). With `--compare DIR` (another
checkout) that checkout runs too. All run alternately.

    .venv/bin/python benchmarks/check/first_request.py [--runs 9] [--compare /tmp/before]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
sys.path.insert(0, str(ROOT / "tests"))

from stub_openai import StubServer  # noqa: E402

SHIM = """import sys
sys.path.insert(0, {root!r})
{background}
from drafter.cli import main
sys.argv[0] = "drafter"
sys.exit(main())
"""
# The SDK imported in a daemon thread; the draft's own import waits for a module the thread
# is importing (Python's import locks), so nothing else is needed.
IMPORT_SDK = """import importlib, threading
def import_sdk():
    for name in ("openai", "langchain_openai", "langchain_core.messages"):
        importlib.import_module(name)
"""
BACKGROUND = {
    "": "",
    "from the start": IMPORT_SDK + "threading.Thread(target=import_sdk, daemon=True).start()",
    "after loading": IMPORT_SDK
    + """import drafter.statistics.load
load_stats = drafter.statistics.load.load_stats
def loaded_then_import(*args, **kwargs):
    stats = load_stats(*args, **kwargs)
    threading.Thread(target=import_sdk, daemon=True).start()
    return stats
drafter.statistics.load.load_stats = loaded_then_import""",
}


class FirstRequest:
    """The stub's `answer` hook: notes when a request arrives, answers as a model would."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.at = 0.0

    def __call__(self, body: dict[str, Any]) -> None:
        if not self.arrived.is_set():
            self.at = time.perf_counter()
            self.arrived.set()


def first_request(command: list[str], env: dict[str, str], stub: StubServer) -> float:
    hook = FirstRequest()
    stub.answer = hook
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        if not hook.arrived.wait(120):
            raise SystemExit(f"no request within 120 s: {' '.join(command)}")
    finally:
        process.kill()
        process.wait()
    return hook.at - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--compare", type=Path, help="another checkout to time alongside")
    args = parser.parse_args()
    stub = StubServer().start()
    work = Path(tempfile.mkdtemp(prefix="drafter-first-request-"))
    env = {
        **os.environ,
        "DRAFTER_BASE_URL": stub.base_url,
        "DRAFTER_MODEL": "stub-model",
        "DRAFTER_MODELS": str(work / "none.yaml"),
    }
    for name in ("DRAFTER_API_KEY", "OPENAI_API_KEY", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    variants = [
        (f"SDK imported in a thread, {when}", ROOT, code) for when, code in BACKGROUND.items()
    ]
    variants[0] = ("drafter draft" if args.compare is None else "after", ROOT, "")
    if args.compare is not None:
        variants.insert(0, ("before", args.compare, ""))
    commands = {}
    for number, (label, root, background) in enumerate(variants):
        shim = work / f"drafter-{number}.py"
        shim.write_text(SHIM.format(root=str(root.resolve()), background=background), "utf-8")
        out = work / f"{number}.docx"
        commands[label] = [
            *(sys.executable, str(shim), "draft", str(SAMPLE), "-o", str(out)),
            *("--allow-errors", "--force", "--no-cache", "--workers", "1"),
        ]
    times: dict[str, list[float]] = {label: [] for label in commands}
    try:
        for run in range(args.runs + 1):  # the first run of each writes the bytecode
            for number, (label, command) in enumerate(commands.items()):
                env["DRAFTER_HOME"] = str(work / f"home-{number}-{run}")  # no cached answer
                elapsed = first_request(command, env, stub)
                if run:
                    times[label].append(elapsed)
    finally:
        stub.stop()
    print(f"process start → first chat request at the stub server ({args.runs} runs)")
    for label, samples in times.items():
        print(
            f"  {label:48} median {statistics.median(samples) * 1000:6.0f}ms"
            f"   min {min(samples) * 1000:6.0f}ms   max {max(samples) * 1000:6.0f}ms"
        )


if __name__ == "__main__":
    main()
