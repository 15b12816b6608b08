"""Quality of a model's draft per answer style: the labelled corpus through the real LLM path.

Every answer file of tests/fixtures/model-answers/ (and its held-out folder) is drafted with
the stub OpenAI-compatible server (a fixed latency per call) and the real ChatOpenAI client;
the .docx is checked against the file's labels (see tests/model_answers.py). Per style:
model calls for the part, debris left unmarked, invented claims left unmarked, wrong numbers
left unmarked, marks on correct text, cases where `drafter verify` disagrees with the marks,
and the median wall time of a whole draft.

    .venv/bin/python benchmarks/llm/quality.py [--latency 0.2] [--folder heldout]

Targets: 0 debris, 0 invented claims and 0 correct numbers marked, and at most one repair
round (two calls) per part for the compliant style.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from model_answers import CORPUS, Case, Result, Script, cases, run_case  # noqa: E402
from stub_openai import StubServer  # noqa: E402

STYLES = ("compliant", "sloppy", "markdown", "inventing", "placeholder", "repair")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per model call")
    parser.add_argument(
        "--folder", default=None, help="a folder of the corpus (e.g. heldout); default: all"
    )
    parser.add_argument("--verbose", action="store_true", help="list what each case left")
    args = parser.parse_args()
    folders = [CORPUS / args.folder] if args.folder else [CORPUS, CORPUS / "heldout"]
    script = Script()
    stub = StubServer(latency=args.latency, answer=script).start()
    home = Path(tempfile.mkdtemp(prefix="drafter-quality-"))
    results: dict[str, list[Result]] = defaultdict(list)
    try:
        for folder in folders:
            for path in cases(folder):
                case = Case.load(path)
                result = run_case(case, stub, script, home)
                results[case.style].append(result)
                if args.verbose and not result.ok:
                    print(
                        path.relative_to(CORPUS),
                        result.debris_left,
                        result.invented_left,
                        result.wrong_left,
                        result.false_marks,
                        file=sys.stderr,
                    )
    finally:
        stub.stop()
    print(f"stub latency {args.latency} s per call; {sum(map(len, results.values()))} answers\n")
    header = (
        "| style | answers | calls per part (mean / max) | debris left | invented left "
        "(of labelled) | wrong numbers left | correct text marked | verify ≠ marks | "
        "draft time (median) |"
    )
    print(header)
    print("|" + "---|" * 9)
    for style in STYLES:
        rows = results.get(style, [])
        if not rows:
            continue
        calls = [r.calls for r in rows]
        invented = sum(len(r.case.labels.get("invented", [])) for r in rows)
        print(
            f"| {style} | {len(rows)} | {statistics.mean(calls):.2f} / {max(calls)} | "
            f"{sum(len(r.debris_left) for r in rows)} | "
            f"{sum(len(r.invented_left) for r in rows)} ({invented}) | "
            f"{sum(len(r.wrong_left) for r in rows)} | "
            f"{sum(len(r.false_marks) for r in rows)} | "
            f"{sum(sorted(r.marks) != sorted(r.verified) for r in rows)} | "
            f"{statistics.median(r.seconds for r in rows):.2f} s |"
        )


if __name__ == "__main__":
    main()
