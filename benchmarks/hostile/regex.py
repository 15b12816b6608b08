"""Regular expressions on hostile text: every pattern that reads document text, timed on
100,000 characters of the input that makes it slowest.

    .venv/bin/python benchmarks/hostile/regex.py                 # the slowest 25, end to end
    .venv/bin/python benchmarks/hostile/regex.py --all           # every pattern
    .venv/bin/python benchmarks/hostile/regex.py --numbers FILE  # numbers.yaml from FILE, e.g.
        git show HEAD:structured/reference/numbers.yaml > /tmp/numbers.yaml
    .venv/bin/python benchmarks/hostile/regex.py --size 20000 --repeat 3 --budget 0.5 --cap 5

About three minutes on two cores (a pattern that is still quadratic takes up to `--cap`
seconds per input). The exit status is 1 when a pattern takes more than `--budget` seconds
(or a stage end to end more than its own budget, or crashes).

Python's `re` backtracks: a pattern such as `[A-Za-z0-9-]+\\.(?:cn|com)`, searched over a
long run of letters, scans to the end of the run from every position, so its time grows with
the square of the text (issue 11: a 77 KB page took 50 s in `verify`); `\\s*[:：]?\\s*` before
what does not follow grows with the square of a run of spaces from a single position. Each
pattern is run as the code runs it: `finditer` (every position tried, as `search`, `sub`,
`findall` and `split` do) unless the code only ever calls its `match` or `fullmatch`. The
inputs are built from the pattern itself: long runs of each character its literals and
classes accept, its own beginnings repeated ("a.a.c" for a domain name), a beginning
followed by a long run and a character it does not accept, and generic hostile text
(letters, digits, "1,", "一", "（" without "）", "《" without "》", spaces, …). The slowest
inputs on a short probe are then timed at `--size` characters (median of `--repeat` runs);
when the next doubling of the size would take over `--cap` seconds, the time is extrapolated
at the growth of the last doubling (marked ≈).

The inventory is found, not listed: the patterns of `structured/reference/numbers.yaml`
(each alone, and the alternation drafter/verification/numbers.py builds of them), every compiled
pattern a module of drafter holds (module globals, and what its cached factories of no arguments
return), and every literal pattern written inline (`re.sub(r"…", …)`), found in the source.
A new pattern is covered without touching this file; tests/test_regex_linear.py asserts on
the same inventory that each pattern's time grows linearly (10,000 → 100,000 characters).

End-to-end rows time the verifier's paragraph check, `find_numbers`, the cleaning of a model's
answer, the grounding check of a model's sentence, and an offline draft (checked as `drafter
draft` checks it) whose staff notes are the hostile text.

Issue 11, seconds on 100,000 characters (≈ extrapolated), before (commit e68f362) → after:

    numbers.yaml 编号 (\\s* after each line break)        ≈ 1,000     → 0.06
    numbers.yaml 域名 (a run of letters)                  ≈   350     → 0.005
    numbers.yaml 阅读量级, 部分数, 法定期限 (numerals)    ≈   560–740 → < 0.02
    numbers.yaml 令号, 标明的电话, 邮政编码 (\\s* \\s*)     ≈   100–400 → < 0.01
    drafter.verification.numbers:_skip_regex() (all of numbers.yaml)  ≈ 2,750     → 0.22
    drafter.verification.numbers:_number_regex() (spaces)             ≈   825     → 0.04
    drafter.verification.wording:number_at_end() (\\s* four times)     ≈ 10^11     → 0.01
    drafter.drafting.cleaning:_HEADING, _SPACES                       ≈ 10^7, 560 → < 0.01
    verify, one sentence "共受理申请5件、"×12,500          ≈ 9,800     → 2.3
    verify, "1、"×50,000                                   ≈ 1,440     → 12.8
    verify, find_numbers, grounding, draft on "一万"×n     crash (RecursionError) → 0.2
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":
    # Run as a script, this folder would come first on sys.path, and this file would be the
    # `regex` package for any library that imports it.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import ast  # noqa: E402
import functools  # noqa: E402
import importlib  # noqa: E402
import inspect  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from re import _parser as sre_parse  # noqa: E402
from typing import Any  # noqa: E402

import yaml  # noqa: E402

# The modules whose patterns read document text (a published page, a clerk's .docx, a
# model's answer, the staff's notes), and the ones they read it with.
MODULES = (
    "drafter.verification.numbers",
    "drafter.verification.wording",
    "drafter.verification.verify",
    "drafter.drafting.grounding",
    "drafter.verification.docrules",
    "drafter.drafting.cleaning",
    "drafter.statistics.extract",
    "drafter.verification.annotate",
    "drafter.statistics.quantities",
    "drafter.verification.summary",
    "drafter.report",
    "drafter.drafting.offline",
    "drafter.docprops",
    "drafter.drafting.llm",
    "drafter.read.document",
    "drafter.read.docx",
    "drafter.read.html",
    "drafter.read.markdown",
    "drafter.read.tables",
)
NUMBERS_YAML = ROOT / "structured" / "reference" / "numbers.yaml"
SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
# re.<function>(pattern, …): where its flags are passed
FLAGS_AT = {"compile": 1, "search": 2, "match": 2, "fullmatch": 2, "finditer": 2, "findall": 2}
FLAGS_AT |= {"split": 3, "sub": 4, "subn": 4}
ANCHORED = frozenset(("match", "fullmatch"))  # tried at one position only

BUDGET = 0.5  # seconds per pattern on 100,000 characters
E2E_BUDGET = 20.0  # seconds per stage end to end on 100,000 characters
PROBE = 128  # characters of the probe that picks each pattern's worst inputs
CAP = 5.0  # seconds a run may take before the time is extrapolated


@dataclass(frozen=True)
class Entry:
    """One pattern that runs on document text, where it comes from and how it is run."""

    # numbers.yaml:域名, drafter.verification.verify:_SUM_WORD, drafter/verification/docrules.py:51
    # in _title
    name: str
    pattern: re.Pattern[str]
    method: str = "finditer"  # or "match", for a pattern the code only matches at a position

    def run(self, text: str) -> None:
        if self.method == "match":
            self.pattern.match(text)
        else:  # every position tried, as finditer, sub, findall, split and a failing search do
            for _ in self.pattern.finditer(text):
                pass


# ---- the inventory ---------------------------------------------------------------------------


def inventory(numbers_yaml: Path | None = None) -> list[Entry]:
    """Every pattern that runs on document text (each once, under its first name)."""
    used = methods_used()
    entries = yaml_entries(numbers_yaml or NUMBERS_YAML) + combined_entries(numbers_yaml)
    for module in MODULES:
        entries += module_entries(module, used)
        entries += inline_entries(module)
    seen: set[tuple[str, int, str]] = set()
    out = []
    for entry in entries:
        key = (entry.pattern.pattern, entry.pattern.flags, entry.method)
        if key not in seen:
            seen.add(key)
            out.append(entry)
    return out


def yaml_entries(path: Path) -> list[Entry]:
    """Each `not_statistics` pattern of numbers.yaml on its own, compiled as numbers.py
    compiles the alternation of them (re.M)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Entry(f"numbers.yaml:{item['name']}", re.compile(item["regex"], re.M))
        for item in data["not_statistics"]
    ]


def combined_entries(numbers_yaml: Path | None = None) -> list[Entry]:
    """The patterns drafter/verification/numbers.py builds: the alternation of every
    `not_statistics` pattern and phrase, and the number finder."""
    from drafter.verification import numbers

    if numbers_yaml is None:
        skip = numbers._skip_regex()
    else:
        skip = numbers.skip_regex_of(yaml.safe_load(numbers_yaml.read_text(encoding="utf-8")))
    return [
        Entry("drafter.verification.numbers:_skip_regex()", skip),
        Entry("drafter.verification.numbers:_number_regex()", numbers._number_regex()),
    ]


def _patterns_in(value: Any, depth: int = 0) -> Iterator[tuple[str, re.Pattern[str]]]:
    """Compiled patterns inside a value (a pattern, or a container of them)."""
    if isinstance(value, re.Pattern):
        if isinstance(value.pattern, str):
            yield "", value
    elif depth < 3 and isinstance(value, dict):
        for key, item in value.items():
            for name, pattern in _patterns_in(item, depth + 1):
                yield f"[{key!r}]{name}", pattern
    elif depth < 3 and isinstance(value, list | tuple | set | frozenset):
        for index, item in enumerate(value):
            for name, pattern in _patterns_in(item, depth + 1):
                yield f"[{index}]{name}", pattern


def _factory(value: Any) -> bool:
    """A cached function of no arguments: it builds a pattern (or a table of them) once."""
    if not isinstance(value, functools._lru_cache_wrapper):  # type: ignore[attr-defined]
        return False
    try:
        parameters = inspect.signature(value).parameters.values()
    except (TypeError, ValueError):
        return False
    optional = (p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                for p in parameters)  # fmt: skip
    return all(optional)


def module_entries(module_name: str, used: dict[str, set[str]] | None = None) -> list[Entry]:
    """The compiled patterns a module holds: its globals, and what its cached factories of
    no arguments return (the alternations built from data files)."""
    used = methods_used() if used is None else used
    module = importlib.import_module(module_name)
    out = []
    for attribute, value in vars(module).items():
        if callable(value) and getattr(value, "__module__", None) != module_name:
            continue  # a function imported from elsewhere: counted under its own module
        name = attribute
        if _factory(value):
            value, name = value(), attribute + "()"
        for suffix, pattern in _patterns_in(value):
            methods = used.get(name, set()) if not suffix else set()
            method = "match" if methods and methods <= ANCHORED else "finditer"
            out.append(Entry(f"{module_name}:{name}{suffix}", pattern, method))
    return out


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        source = Path(inspect.getfile(module)).read_text(encoding="utf-8")
        yield module_name.replace(".", "/") + ".py", ast.parse(source)


def methods_used() -> dict[str, set[str]]:
    """For each name a pattern may be held under (`_SUM_WORD`, `number_at_end()`), the
    methods the modules call on it (`_SUM_WORD.search(…)`, `number_at_end().sub(…)`)."""
    used: dict[str, set[str]] = {}
    for _, tree in _sources():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            held = node.func.value
            if isinstance(held, ast.Name):
                name = held.id
            elif isinstance(held, ast.Attribute):  # wording.CARRIED_INCLUDED.match(…)
                name = held.attr
            elif isinstance(held, ast.Call) and isinstance(held.func, ast.Name):
                name = held.func.id + "()"
            else:
                continue
            used.setdefault(name, set()).add(node.func.attr)
    return used


def _flags(node: ast.expr | None) -> int | None:
    """re.M, re.I | re.S … as written; None for anything else."""
    if node is None:
        return 0
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        flag = getattr(re, node.attr, None)
        return int(flag) if isinstance(flag, re.RegexFlag) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _flags(node.left), _flags(node.right)
        return None if left is None or right is None else left | right
    return None


@dataclass(frozen=True)
class Call:
    """A `re.<function>(pattern, …)` call in a module's source."""

    path: str
    line: int
    function: str  # the function of the module it is in ("" at module level)
    method: str  # compile, search, sub …
    pattern: ast.expr
    flags: int | None

    @property
    def literal(self) -> str | None:
        literal = isinstance(self.pattern, ast.Constant) and isinstance(self.pattern.value, str)
        return self.pattern.value if literal else None  # type: ignore[attr-defined]


def inline_calls() -> Iterator[Call]:
    """Every `re.<function>(pattern, …)` call in the modules' sources."""
    for path, tree in _sources():
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr in FLAGS_AT
                and node.args
            ):
                continue
            position = FLAGS_AT[node.func.attr]
            flags = node.args[position] if len(node.args) > position else None
            flags = next((k.value for k in node.keywords if k.arg == "flags"), flags)
            inside = [f for f in functions if f.lineno <= node.lineno <= (f.end_lineno or f.lineno)]
            function = max(inside, key=lambda f: f.lineno).name if inside else ""
            yield Call(path, node.lineno, function, node.func.attr, node.args[0], _flags(flags))


def inline_entries(module_name: str) -> list[Entry]:
    """Literal patterns written inline (`re.sub(r"…", "", text)`) in a module's source."""
    path = module_name.replace(".", "/") + ".py"
    out = []
    for call in inline_calls():
        if call.path == path and call.literal is not None and call.method != "compile":
            method = "match" if call.method in ANCHORED else "finditer"
            name = f"{path}:{call.line}" + (f" in {call.function}" if call.function else "")
            out.append(Entry(name, re.compile(call.literal, call.flags or 0), method))
    return out


def built_at_run_time() -> set[tuple[str, str]]:
    """(file, function) of the `re.*` calls inside functions whose pattern is built at run
    time: what they build is covered when a cached factory of no arguments returns it
    (tests/test_regex_linear.py lists the others, with why each is linear). At module level
    what is built is a module global, covered as such."""
    out = set()
    for call in inline_calls():
        if call.function and call.literal is None and not isinstance(call.pattern, ast.Name):
            out.add((call.path, call.function))
    return out


# ---- hostile input ---------------------------------------------------------------------------

# Generic hostile units, repeated: the shapes the fuzzing and the issue name.
GENERIC = (
    *("a", "1", "a.", "1,", "1.", "a-", "a1", "A", ".", "-", "_", "@", "a@", "a.b", "1 "),
    *("一", "万", "十", "一万", "一、", "1、", "1，", "１", "中", "年", "第", "号", "1年"),
    *("（", "(", "（1", "《", "《a", "“", '"', "“1", "[", "{", "{a", "*", "|", "#", "<"),
    *(" ", "\n", "\t", "\u3000", " \n", "申请", "http://", "www.", "a.cn", "https://a."),
)
ODD = "§"  # a character no pattern here accepts (but a negated class)
CANDIDATES = "a1中 .，、（《-@x"  # characters tried for a negated class

_CATEGORY = {
    "CATEGORY_DIGIT": "1",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": " ",
    "CATEGORY_LINEBREAK": "\n",
    "CATEGORY_NOT_LINEBREAK": "a",
}
_CATEGORY_PATTERN = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
    "CATEGORY_LINEBREAK": r"\n",
    "CATEGORY_NOT_LINEBREAK": r"[^\n]",
}


def _in_set(items: list[tuple[Any, Any]], ch: str) -> bool:
    """Whether `ch` is in a parsed character class (its items, NEGATE included)."""
    negate = hit = False
    for op, av in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            hit = hit or ord(ch) == av
        elif name == "RANGE":
            hit = hit or av[0] <= ord(ch) <= av[1]
        elif name == "CATEGORY":
            hit = hit or re.fullmatch(_CATEGORY_PATTERN.get(str(av), "."), ch) is not None
    return hit != negate


def _set_members(items: list[tuple[Any, Any]]) -> list[str]:
    """A few characters a parsed character class accepts."""
    if any(str(op) == "NEGATE" for op, _ in items):
        return [ch for ch in CANDIDATES if _in_set(items, ch)][:3]
    out = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "RANGE":
            out += [chr(av[0]), chr(av[1])]
            if av[0] <= ord("中") <= av[1]:
                out.append("中")
        elif name == "CATEGORY" and str(av) in _CATEGORY:
            out.append(_CATEGORY[str(av)])
    return out


def _characters(tree: Any) -> list[str]:
    """Every character a pattern names (its literals, and a few members of each class)."""
    out: list[str] = []
    for op, av in tree:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "IN":
            out += _set_members(av)
        elif name == "NOT_LITERAL":
            out += [ch for ch in CANDIDATES if ord(ch) != av][:2]
        elif name == "ANY":
            out += ["a", "中"]
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            out += _characters(av[2])
        elif name == "SUBPATTERN":
            out += _characters(av[-1])
        elif name == "ATOMIC_GROUP":
            out += _characters(av)
        elif name == "BRANCH":
            for branch in av[1]:
                out += _characters(branch)
        elif name in ("ASSERT", "ASSERT_NOT"):
            out += _characters(av[1])
    return out


def _example(tree: Any, repeats: int) -> str:
    """A string the pattern (mostly) matches: each repetition `repeats` times (within its
    bounds), the first branch of each alternation, lookarounds left out."""
    out = []
    for op, av in tree:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "IN":
            members = _set_members(av)
            out.append(members[0] if members else "a")
        elif name == "NOT_LITERAL":
            out.append(next(ch for ch in CANDIDATES if ord(ch) != av))
        elif name == "ANY":
            out.append("a")
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = av
            out.append(_example(sub, repeats) * max(low, min(repeats, high)))
        elif name == "SUBPATTERN":
            out.append(_example(av[-1], repeats))
        elif name == "ATOMIC_GROUP":
            out.append(_example(av, repeats))
        elif name == "BRANCH":
            out.append(_example(av[1][0], repeats))
    return "".join(out)


@dataclass(frozen=True)
class Hostile:
    """head + body repeated + tail, about `size` characters long."""

    head: str
    body: str
    tail: str = ""

    def text(self, size: int) -> str:
        count = max(1, (size - len(self.head) - len(self.tail)) // len(self.body))
        return self.head + self.body * count + self.tail

    def describe(self) -> str:
        head = f"{self.head!r}+" if self.head else ""
        return f"{head}{self.body!r}×n" + (f"+{self.tail!r}" if self.tail else "")


def hostile_inputs(pattern: re.Pattern[str]) -> list[Hostile]:
    """The inputs most likely to make `pattern` slow: runs of what it accepts, its own
    beginnings repeated or followed by a long run of one character and one it does not
    accept, and the generic hostile units."""
    tree = sre_parse.parse(pattern.pattern, pattern.flags)
    characters = list(dict.fromkeys([*_characters(tree), " ", "1", "a", "一"]))[:40]
    examples = [_example(tree, repeats) for repeats in (1, 2, 3)]
    prefixes = list(dict.fromkeys(e[:n] for e in examples for n in range(1, min(len(e), 12) + 1)))[
        :24
    ]
    out = [Hostile("", unit) for unit in dict.fromkeys([*GENERIC, *characters, *prefixes])]
    for head in prefixes:
        out += [Hostile(head, ch, ODD) for ch in characters]
        out.append(Hostile("", head + " "))
    return list(dict.fromkeys(out))


# ---- timing ------------------------------------------------------------------------------------


def seconds(run: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    run(text)
    return time.perf_counter() - start


def worst_inputs(
    run: Callable[[str], object], inputs: Iterable[Hostile], probe: int = PROBE, keep: int = 3
) -> list[Hostile]:
    """The inputs that make `run` slowest on short probes: each is run on `probe` characters,
    and those that take less than 2 ms there again on four times as many (where a quadratic
    pattern is already many times slower than a linear one, while one with several
    whitespace quantifiers in a row, already slow on the first probe, is not run for
    minutes on the second)."""
    scored = []
    for index, hostile in enumerate(inputs):
        first = seconds(run, hostile.text(probe))
        # (past 2 ms on the first probe: at least what a quartic growth would give)
        score = seconds(run, hostile.text(4 * probe)) if first < 2e-3 else first * 4**4
        scored.append((score, index, hostile))
    scored.sort(reverse=True)
    return [hostile for _, _, hostile in scored[:keep]]


@dataclass(frozen=True)
class Ramp:
    """One input run at sizes doubling from PROBE, stopped before a run predicted to take
    more than the cap."""

    size: int  # the largest size run
    seconds: float  # its time
    exponent: float  # how the time grew over the last doubling (1 linear, 2 quadratic …)

    def at(self, size: int) -> float:
        """The time at `size`, extrapolated at the last growth."""
        return self.seconds * (size / self.size) ** self.exponent


def ramp(run: Callable[[str], object], hostile: Hostile, size: int, cap: float) -> Ramp:
    n, previous, exponent = min(PROBE, size), 0.0, 1.0
    while True:
        current = seconds(run, hostile.text(n))
        if previous > 1e-4:  # below that, the growth is noise
            exponent = min(4.0, max(1.0, math.log2(current / previous)))
        if n >= size or current * 2**exponent > cap:
            return Ramp(n, current, exponent)
        previous, n = current, min(size, n * 2)


@dataclass(frozen=True)
class Row:
    name: str
    seconds: float
    worst: str
    extrapolated: bool = False  # too slow to run at full size: grown from smaller sizes

    def cell(self) -> str:
        return f"{'≈' if self.extrapolated else ' '}{self.seconds:10.4f}"


def timed(
    name: str, run: Callable[[str], object], hostile: Hostile, size: int, repeat: int, cap: float
) -> Row:
    """Median time of `repeat` runs on `size` characters, or the time extrapolated when the
    next doubling of the size would take more than `cap` seconds (a quadratic pattern would
    run for minutes, one with three whitespace quantifiers in a row for days)."""
    growth = ramp(run, hostile, size, cap)
    if growth.size < size:
        return Row(name, growth.at(size), hostile.describe(), True)
    times = [growth.seconds] + [seconds(run, hostile.text(size)) for _ in range(repeat - 1)]
    return Row(name, statistics.median(times), hostile.describe())


def measure(entry: Entry, size: int, repeat: int, cap: float = CAP, keep: int = 3) -> Row:
    """A pattern's time on `size` characters of its worst input (median of `repeat`)."""
    worst = worst_inputs(entry.run, hostile_inputs(entry.pattern), keep=keep)
    rows = [timed(entry.name, entry.run, h, size, repeat, cap) for h in worst]
    return max(rows, key=lambda r: r.seconds)


def growth(
    run: Callable[[str], object],
    hostile: Hostile,
    small: int = 10_000,
    large: int = 100_000,
    limit: float = 30.0,
    cap: float = 2.0,
    ramped: bool = True,
) -> float:
    """How many times longer `run` takes on `large` characters than on `small` (linear: about
    large / small; quadratic: its square). The best of three runs at each size, stopping as
    soon as a large one is within `limit`. `ramped`: the size doubles up to `small` first, and
    the growth is extrapolated when the next size would take over `cap` seconds (or the large
    one over ten times that: a quadratic pattern on 100,000 characters runs for minutes)."""
    if ramped:
        start = ramp(run, hostile, small, cap)
        if start.size < small:
            return float((large / small) ** start.exponent)
    first = min(seconds(run, hostile.text(small)) for _ in range(3))
    if ramped and first > 1e-3:  # long enough to measure how the time grows
        half = min(seconds(run, hostile.text(small // 2)) for _ in range(3))
        exponent = min(4.0, max(1.0, math.log2(first / half)))
        if first * (large / small) ** exponent > cap * 10:
            return float((large / small) ** exponent)
    ratios = []
    for _ in range(3):
        ratio = seconds(run, hostile.text(large)) / max(first, 1e-4)  # below that: noise
        if ratio < limit:
            return ratio
        ratios.append(ratio)
    return min(ratios)


# ---- end to end --------------------------------------------------------------------------------

# Hostile prose: long runs of what the number finder and the verifier's rules read, and many
# numbers in one paragraph (in one sentence, or in many).
PROSE = (
    *(Hostile("", unit) for unit in ("a", "a.", "1", "1,", "1、", "一", "一万", "（", "《", " ")),
    Hostile("收到申请", " ", "x"),
    Hostile("", "5件，"),
    Hostile("", "共受理申请5件、"),
    Hostile("", "受理申请5件。"),
    Hostile("", "其中自然人申请5件（含上年结转1件），占3.5%；"),
    Hostile("", "比2022年（31起）下降29%，分别为1件、2件和3件，"),
)


@functools.cache
def _sample() -> tuple[Any, Any, Any]:
    from drafter.formats import load_layout
    from drafter.statistics.load import load_stats
    from drafter.statistics.quantities import quantities

    stats = load_stats(SAMPLE)
    layout = load_layout(stats.format)
    return stats, layout, quantities(stats, layout)


@functools.cache
def _verifier() -> Any:
    from drafter.verification.verify import Verifier

    return Verifier(*_sample())


def verify_paragraph(text: str) -> object:
    """The verifier's check of one paragraph, as `drafter verify` runs it on each."""
    from drafter.checking.findings import Location

    return _verifier().paragraph(text, Location(section="（二）依申请公开", paragraph=1))


def find_numbers(text: str) -> object:
    from drafter.verification.numbers import find_numbers

    return find_numbers(text)


def clean_answer(text: str) -> object:
    """A model's answer cleaned, and its debris found (drafter/drafting/cleaning.py)."""
    from drafter.drafting.cleaning import clean_answer, debris_in

    return clean_answer(text, "（二）依申请公开情况", {}), debris_in(text)


@functools.cache
def _material() -> Any:
    from drafter.drafting.grounding import Material

    stats, layout, quantities = _sample()
    return Material(stats, quantities, layout)


def grounding(text: str) -> object:
    """The claims of a model's sentence against the material (drafter/drafting/grounding.py)."""
    return _material().check(text)


def draft_with_note(text: str) -> object:
    """An offline draft whose staff notes are `text` (spread over the parts, as much in each
    as a statistics file may hold), checked as `drafter draft` checks it."""
    from drafter.drafting.draft import draft_report, narrative_parts
    from drafter.statistics.load import stats_from_data
    from drafter.verification.verify import verify_report

    stats, layout, _ = _sample()
    try:
        from drafter.limits import MAX_NOTE_CHARS as limit
    except ImportError:  # a tree from before the limit
        limit = max(1, len(text))
    parts = [part for part, _, _ in narrative_parts(layout)]
    data = yaml.safe_load(SAMPLE.read_text(encoding="utf-8"))
    chunks = [text[i : i + limit] for i in range(0, len(text), limit)]
    data["notes"] = dict(zip(parts, chunks, strict=False))
    stats = stats_from_data(data, {}, "hostile.yaml")
    return verify_report(draft_report(stats), stats)


END_TO_END: dict[str, Callable[[str], object]] = {
    "verify: Verifier.paragraph": verify_paragraph,
    "numbers: find_numbers": find_numbers,
    "cleaning: clean_answer + debris_in": clean_answer,
    "grounding: Material.check": grounding,
    "draft: offline draft of a note, verified": draft_with_note,
}


def measure_end_to_end(name: str, size: int, repeat: int, cap: float = CAP) -> Row:
    """The time of one stage on `size` characters of its worst hostile prose (an input it
    crashes on is reported, and counts as over the budget)."""
    crashes: dict[Hostile, str] = {}

    def guarded(hostile: Hostile) -> Callable[[str], object]:
        def run(text: str) -> object:
            from drafter.errors import InputError

            try:
                return END_TO_END[name](text)
            except InputError:
                return None  # refused, with its message: what hostile input may get
            except Exception as error:  # RecursionError included
                crashes.setdefault(hostile, type(error).__name__)
                return None

        return run

    timed_inputs = sorted(
        ((seconds(guarded(h), h.text(2_000)), i, h) for i, h in enumerate(PROSE)), reverse=True
    )
    rows = [timed(name, guarded(h), h, size, repeat, cap) for _, _, h in timed_inputs[:3]]
    if crashes:
        hostile, error = next(iter(crashes.items()))
        return Row(name, math.inf, f"{hostile.describe()}: crashed ({error})")
    return max(rows, key=lambda r: r.seconds)


# ---- the table ---------------------------------------------------------------------------------


def _table(rows: list[Row], budget: float, width: int) -> None:
    for row in rows:
        flag = "  OVER BUDGET" if row.seconds > budget else ""
        print(f"{row.name:<{width}} {row.cell()}  {row.worst}{flag}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="characters of hostile text")
    parser.add_argument("--repeat", type=int, default=5, help="runs per input (the median)")
    parser.add_argument("--budget", type=float, default=BUDGET, help="seconds per pattern")
    parser.add_argument("--cap", type=float, default=CAP, help="seconds before extrapolating")
    parser.add_argument("--numbers", type=Path, help="another numbers.yaml to measure")
    parser.add_argument("--top", type=int, default=25, help="rows to print")
    parser.add_argument("--all", action="store_true", help="print every pattern")
    parser.add_argument("--match", default="", help="only patterns whose name contains this")
    parser.add_argument("--no-end-to-end", action="store_true", help="patterns only")
    args = parser.parse_args(argv)

    entries = [e for e in inventory(args.numbers) if args.match in e.name]
    rows = []
    for entry in entries:
        rows.append(measure(entry, args.size, args.repeat, args.cap))
        print(f"\r{len(rows)}/{len(entries)} patterns", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    rows.sort(key=lambda r: -r.seconds)
    shown = rows if args.all else rows[: args.top]
    width = max([len(r.name) for r in shown] + [len(n) for n in END_TO_END])
    print(f"{len(entries)} patterns, {args.size:,} characters, median of {args.repeat}")
    print("(≈: extrapolated from smaller sizes, the next doubling would take over the cap)\n")
    print(f"{'pattern':<{width}} {'seconds':>11}  worst input")
    _table(shown, args.budget, width)
    over = [r for r in rows if r.seconds > args.budget]
    if rows:
        worst = rows[0]
        verdict = "OVER" if worst.seconds > args.budget else "within"
        print(
            f"\nworst: {worst.name}, {worst.seconds:.4f} s on {worst.worst}: {verdict} the "
            f"budget of {args.budget} s per pattern; {len(over)} of {len(rows)} over it"
        )
    if not args.no_end_to_end and not args.match:
        budget = E2E_BUDGET * args.size / 100_000
        print(f"\nend to end, {args.size:,} characters of hostile prose (budget {budget:g} s)")
        e2e = [measure_end_to_end(name, args.size, args.repeat, args.cap) for name in END_TO_END]
        _table(e2e, budget, width)
        over += [r for r in e2e if r.seconds > budget]
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
