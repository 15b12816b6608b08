"""Recall and false alarms of `drafter verify`, per corpus, with planted errors.

    .venv/bin/python benchmarks/verify/run.py [--drafts 40] [--seed 7] [--show 10]
        [--corpus FILE.yaml ...] [--real FOLDER ...]

The corpora of correct narrative paragraphs, each measured on its own:
  - `drafts`: the bundled sample's offline draft (its one real contradiction, 11 vs 14, is
    excluded from the correct set and counted as a known error) and offline drafts for
    `--drafts` random consistent statistics, with facts and notes;
  - each hand-written corpus beside this script (corpus.yaml, heldout.yaml, blind.yaml,
    blind2.yaml: realistic scenarios with years, dates, citations, document numbers, phones,
    enumerations, fixed phrases);
  - each folder of labelled published reports beside this script (real*/; measured by
    labelled.py, which explains its labels).

False alarms: findings (errors and warnings) on the correct corpus, per 100 numeric mentions
in it (for the published reports: per 100 numbers labelled right).
Recall: planted errors flagged. A mutator plants one error per mutant, next to a statistic:
value ±1, value ×10, the value of another quantity of the same unit, a changed unit, a
Chinese numeral with a wrong value, a group total replaced by one of its parts, an
approximate form that excludes the true value, two numbers exchanged (published reports), and
a wrong number in a tracked insertion of a .docx (drafts). An error counts as flagged when a
finding (error or warning) points at it. A table of every corpus ends the output.
"""

from __future__ import annotations

import argparse
import copy
import random
import re
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from drafter.checking.findings import Location, Severity  # noqa: E402
from drafter.drafting.draft import draft_report  # noqa: E402
from drafter.formats import load_layout  # noqa: E402
from drafter.statistics.load import load_stats, stats_from_data  # noqa: E402
from drafter.statistics.quantities import quantities  # noqa: E402
from drafter.statistics.stats import APPLICANT_COLUMNS, Stats  # noqa: E402
from drafter.verification.numbers import find_numbers, to_chinese  # noqa: E402
from drafter.verification.verify import Verifier  # noqa: E402

SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
OUTCOMES = load_layout("gov-info-disclosure-2021").outcome_paths()
EMPTY = {
    "format": "gov-info-disclosure-2021",
    "proactive": {},
    "applications": {},
    "review_litigation": {},
    "processing_fees": {},
}
FACT_TEMPLATES = [
    ("overall.proactive", "主动公开政府信息", "条"),
    ("overall.proactive", "发布政策解读", "篇"),
    ("overall.proactive", "召开新闻发布会", "场"),
    ("overall.platforms", "在政务新媒体发布信息", "条"),
    ("overall.platforms", "编印政府公报", "期"),
    ("overall.supervision", "组织业务培训", "次"),
    ("overall.supervision", "参训人员", "人次"),
    ("overall.management", "开展公开属性审查", "件"),
    ("overall.management", "更新政府信息公开目录", "项"),
    ("other", "办理人大代表建议", "件"),
]


def _stats(data: dict, name: str) -> Stats:
    return stats_from_data(data, {}, name)


def random_stats(rng: random.Random, index: int) -> Stats:
    outcomes = {
        p: {c: rng.choice([0, 0, 0, rng.randint(1, 40)]) for c in APPLICANT_COLUMNS}
        for p in OUTCOMES
    }
    closed = {c: sum(outcomes[p][c] for p in OUTCOMES) for c in APPLICANT_COLUMNS}
    forward = {c: rng.choice([0, 0, rng.randint(0, 5)]) for c in APPLICANT_COLUMNS}
    carried = {c: rng.randint(0, closed[c] + forward[c]) // 3 for c in APPLICANT_COLUMNS}
    new = {c: closed[c] + forward[c] - carried[c] for c in APPLICANT_COLUMNS}
    results: dict = {}
    for path in OUTCOMES:
        node = results
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = dict(outcomes[path])

    def block() -> dict:
        return {
            c: rng.choice([0, 0, 0, rng.randint(1, 6)])
            for c in ("upheld", "corrected", "other", "pending")
        }

    issued = rng.randint(0, 20)
    facts, notes = [], {}
    chosen = rng.sample(FACT_TEMPLATES, 6)
    for number, (section, label, unit) in enumerate(chosen):
        fact_id = f"f{number}"
        facts.append(
            {
                "id": fact_id,
                "label": label,
                "value": rng.randint(2, 3000),
                "unit": unit,
                "section": section,
            }
        )
        if rng.random() < 0.5:  # some facts are cited in the notes, the others listed
            notes.setdefault(section, []).append(f"全年{label}{{{fact_id}}}，工作成效明显")
    notes["problems"] = "政策解读形式较为单一。下一步将丰富解读形式"
    data = {
        "format": rng.choice(["gov-info-disclosure-2021", "gov-info-disclosure-2021-seven-part"]),
        "agency": rng.choice(
            ["某某市某某局", "某某县人民政府", "某某镇人民政府", "某某区某某委员会"]
        ),
        "year": 2023,
        "proactive": {
            "rules": {"issued": 0, "repealed": 0, "in_force": 0},
            "normative_documents": {
                "issued": issued,
                "repealed": rng.randint(0, 5),
                "in_force": issued + rng.randint(0, 60),
            },
            "licensing": rng.choice([0, rng.randint(1, 3000)]),
            "penalty": rng.choice([0, rng.randint(1, 500)]),
            "enforcement": rng.choice([0, rng.randint(1, 50)]),
        },
        "applications": {
            "new_received": new,
            "carried_over": carried,
            "results": results,
            "carried_forward": forward,
        },
        "review_litigation": {
            "review": block(),
            "litigation_direct": block(),
            "litigation_after_review": block(),
        },
        "processing_fees": rng.choice(
            [
                {"notices": 0, "notified_yuan": 0, "collected_yuan": 0},
                {"notices": 2, "notified_yuan": 300, "collected_yuan": 200},
            ]
        ),
        "facts": facts,
        "notes": notes,
    }
    return _stats(data, f"random-{index}")


def corpus(drafts: int, seed: int, files: list[Path]) -> list[tuple[Stats, list[tuple[str, str]]]]:
    """(statistics, [(section, paragraph)]) for every document of the corpus."""
    out = []
    if drafts:
        sample = load_stats(SAMPLE)
        out.append((sample, _paragraphs(draft_report(sample))))
    rng = random.Random(seed)
    for index in range(drafts):
        stats = random_stats(rng, index)
        out.append((stats, _paragraphs(draft_report(stats))))
    for path in files:
        out.extend(hand_written(path))
    return out


def hand_written(path: Path) -> list[tuple[Stats, list[tuple[str, str]]]]:
    out = []
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for scenario in data["scenarios"]:
        merged = {**copy.deepcopy(EMPTY), **scenario["stats"]}
        stats = _stats(_decimals(merged), scenario["name"])
        out.append((stats, [(scenario["name"], p) for p in scenario["paragraphs"]]))
    return out


def _decimals(node):  # yaml.safe_load gives floats; the statistics want exact decimals
    if isinstance(node, dict):
        return {k: _decimals(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_decimals(v) for v in node]
    if isinstance(node, float):
        return Decimal(repr(node))
    return node


def _paragraphs(report) -> list[tuple[str, str]]:
    return [(heading or "前言", p.text) for heading, _, p in report.located_paragraphs()]


def _verifier(stats: Stats) -> Verifier:
    layout = load_layout(stats.format)
    return Verifier(stats, layout, quantities(stats, layout))


def _flags(verifier: Verifier, text: str) -> list:
    return [
        f
        for f in verifier.paragraph(text, Location(section="s", paragraph=1))
        if f.severity is not Severity.ADVICE
    ]


# ---- mutations ------------------------------------------------------------------------------

SWAP_UNITS = {
    "件": "条",
    "条": "件",
    "份": "条",
    "期": "条",
    "次": "场",
    "场": "次",
    "篇": "件",
    "人次": "人",
    "个": "条",
    "项": "条",
    "%": "件",
    "元": "件",
    "万元": "元",
}


def mutants(text: str, verifier: Verifier, rng: random.Random) -> list[tuple[str, str, int, int]]:
    """(kind, mutated text, start, end of the mutated number) for the statistics of `text`."""
    out: list[tuple[str, str, int, int]] = []
    values = sorted({Decimal(q.value) for q in verifier.quantities.values()})
    for mention in find_numbers(text):
        if mention.form != "arabic" or mention.unit is None or mention.value == 0:
            continue
        raw = text[mention.start : mention.end]
        core = re.search(r"[0-9][0-9,，]*(?:\.[0-9]+)?", raw)
        if core is None or raw.startswith(("近", "约", "超过", "逾")):
            continue
        start, end = mention.start + core.start(), mention.start + core.end()
        number = Decimal(core.group(0).replace(",", "").replace("，", ""))

        def replaced(new: str, at: int = start, until: int = end) -> tuple[str, int, int]:
            return text[:at] + new + text[until:], at, at + len(new)

        plus = str(number + 1) if rng.random() < 0.5 or number <= 1 else str(number - 1)
        out.append(("±1", *replaced(plus)))
        out.append(("×10", *replaced(str(number * 10))))
        others = [v for v in values if v != number and v == v.to_integral_value() and v > 0]
        if others:
            out.append(("另一个数", *replaced(str(rng.choice(others)))))
        unit = mention.unit
        if unit in SWAP_UNITS and text[end:].startswith(unit):
            mutated, _, stop = replaced(SWAP_UNITS[unit], end, end + len(unit))
            out.append(("单位", mutated, start, stop))
        if number == number.to_integral_value() and number < 10**8 and mention.approx is None:
            out.append(("汉字数字", *replaced(to_chinese(int(number) + 1))))
        if mention.approx in ("多", "余"):
            out.append(("约数", *replaced(str(number + 100 if number >= 100 else number + 10))))
    return out


def group_part_mutants(text: str, verifier: Verifier) -> list[tuple[str, str, int, int]]:
    """A group total (不予公开 6件) stated as the value of one of its rows."""
    out = []
    groups = {"不予公开": "withheld", "无法提供": "unavailable", "不予处理": "not_processed"}
    stats = verifier.stats
    for label, group in groups.items():
        position = text.find(label)
        if position < 0:
            continue
        mention = next(
            (
                m
                for m in find_numbers(text)
                if m.start >= position + len(label) and m.start <= position + len(label) + 1
            ),
            None,
        )
        if mention is None or mention.form != "arabic":
            continue
        block = getattr(stats.applications.results, group)
        parts = [getattr(block, n).value("total") for n in type(block).model_fields]
        parts = [p for p in parts if p and p != mention.value]
        if parts:
            digits = str(int(mention.value))
            start = text.index(digits, mention.start)
            mutated = text[:start] + str(parts[0]) + text[start + len(digits) :]
            out.append(("分项当总数", mutated, start, start + len(str(parts[0]))))
    return out


def tracked_insertion_cases(stats: Stats, rng: random.Random) -> tuple[int, int]:
    """Wrong numbers typed as tracked insertions into a rendered .docx, read back."""
    import io
    import tempfile

    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    from drafter.read.document import read_document
    from drafter.render.docx import render_docx
    from drafter.verification.verify import verify_report

    report = draft_report(stats)
    base = render_docx(report)
    new = int(stats.results_total().value("total") or 0)
    cases = [
        f"另收到政府信息公开申请{stats.applications.new_received.value('total') + k}件。"
        for k in (1, 2, 5)
    ] + [f"全年办结{new + 3}件。", "另有行政复议案件7件均获维持。"]
    flagged = 0
    for sentence in cases:
        document = Document(io.BytesIO(base))
        target = next(p for p in document.paragraphs if len(p.text) > 20 and "申请" in p.text)
        change = OxmlElement("w:ins")
        change.set(qn("w:id"), "901")
        change.set(qn("w:author"), "编辑")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = sentence
        run.append(text)
        change.append(run)
        target._p.append(change)
        out = io.BytesIO()
        document.save(out)
        with tempfile.NamedTemporaryFile(suffix=".docx") as handle:
            handle.write(out.getvalue())
            handle.flush()
            read, _ = read_document(handle.name)
        found = verify_report(read, stats)
        if any(
            f.location.sentence
            and sentence.rstrip("。") in f.location.sentence
            and f.severity is not Severity.ADVICE
            for f in found
        ):
            flagged += 1
    return flagged, len(cases)


def measure(
    documents: list[tuple[Stats, list[tuple[str, str]]]],
    rng: random.Random,
    docx: bool,
) -> tuple[int, list[tuple[str, str, str]], Counter, Counter, list[tuple[str, str]]]:
    """(numeric mentions, false alarms, planted and caught by kind, misses) of one corpus."""
    mentions = 0
    false_alarms: list[tuple[str, str, str]] = []
    planted: Counter = Counter()
    caught: Counter = Counter()
    misses: list[tuple[str, str]] = []
    for stats, paragraphs in documents:
        verifier = _verifier(stats)
        for _, text in paragraphs:
            mentions += len(find_numbers(text))
            flags = _flags(verifier, text)
            known = [f for f in flags if f.location.text == "11份"]  # the seed's own error
            for finding in flags:
                if finding not in known:
                    false_alarms.append(
                        (finding.code, finding.message, finding.location.sentence or text[:80])
                    )
            if flags:
                continue  # only mutate paragraphs that verify clean
            for kind, mutated, start, end in mutants(text, verifier, rng) + group_part_mutants(
                text, verifier
            ):
                planted[kind] += 1
                hits = [
                    f
                    for f in _flags(verifier, mutated)
                    if (f.location.span and f.location.span[0] < end and f.location.span[1] > start)
                    or f.code.startswith("E-CLAIM")
                ]
                if hits:
                    caught[kind] += 1
                else:
                    misses.append((kind, mutated[max(0, start - 40) : end + 15]))
    if docx:
        docx_flagged, docx_total = 0, 0
        for stats, _ in documents[:6]:
            flagged, total = tracked_insertion_cases(stats, rng)
            docx_flagged += flagged
            docx_total += total
        planted["修订插入（.docx）"] += docx_total
        caught["修订插入（.docx）"] += docx_flagged
    return mentions, false_alarms, planted, caught, misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show", type=int, default=10, help="examples of misses to print")
    parser.add_argument(
        "--corpus",
        type=Path,
        action="append",
        help="hand-written corpus files (default: every *.yaml beside this script)",
    )
    parser.add_argument(
        "--real",
        type=Path,
        action="append",
        help="folders of labelled published reports (default: every real*/ beside this script;"
        " see labelled.py)",
    )
    args = parser.parse_args()
    here = Path(__file__).parent
    files = args.corpus if args.corpus is not None else sorted(here.glob("*.yaml"))
    folders = args.real if args.real is not None else sorted(here.glob("real*/"))
    if args.corpus is not None and args.real is None:
        folders = []
    summary: list[tuple[str, int, int, float, int, int]] = []
    corpora = [("drafts", corpus(args.drafts, args.seed, []))] if args.drafts else []
    corpora += [(path.name, corpus(0, args.seed, [path])) for path in files]
    for name, documents in corpora:
        rng = random.Random(args.seed)
        mentions, false_alarms, planted, caught, misses = measure(
            documents, rng, docx=name == "drafts"
        )
        total_planted, total_caught = sum(planted.values()), sum(caught.values())
        rate = 100 * len(false_alarms) / mentions if mentions else 0.0
        recall = 100 * total_caught / total_planted if total_planted else 100.0
        print(f"== {name}: {len(documents)} documents, {mentions} numeric mentions")
        print(f"   false alarms: {len(false_alarms)} ({rate:.2f} per 100 mentions)")
        print(f"   recall: {total_caught}/{total_planted} = {recall:.2f}%")
        for kind in planted:
            share = 100 * caught[kind] / planted[kind]
            print(f"     {kind:12} {caught[kind]:5}/{planted[kind]:<5} {share:6.2f}%")
        for code, message, text in false_alarms[: args.show]:
            print(f"   false alarm {code}: {message} | {text}")
        for kind, snippet in misses[: args.show]:
            print(f"   missed {kind}: …{snippet}…")
        summary.append((name, mentions, len(false_alarms), rate, total_caught, total_planted))
    if folders:
        import labelled

        for folder in folders:
            tally = labelled.Tally()
            rng = random.Random(args.seed)
            for path in sorted(folder.glob("*.yaml")):
                labelled.evaluate(path, tally, rng)
            labelled.report(folder.name, tally, args.show)
            planted_n, caught_n = sum(tally.planted.values()), sum(tally.caught.values())
            rate = 100 * len(tally.false_alarms) / tally.right if tally.right else 0.0
            summary.append(
                (folder.name + "/", tally.right, len(tally.false_alarms), rate, caught_n, planted_n)
            )
    print()
    print(f"{'corpus':24} {'numbers':>8} {'false alarms':>13} {'per 100':>8} {'recall':>16}")
    for name, numbers, alarms, rate, caught_n, planted_n in summary:
        recall = 100 * caught_n / planted_n if planted_n else 100.0
        print(
            f"{name:24} {numbers:8} {alarms:13} {rate:8.2f} "
            f"{caught_n:>6}/{planted_n:<6} {recall:6.2f}%"
        )


if __name__ == "__main__":
    main()
