"""A generated corpus of hostile inputs, and a runner that puts each through a drafter command.

Nothing here is committed as a binary: `build(root, scale)` writes every file from the
bundled sample, the test fixtures, `drafter init --xlsx` and a real draft (`drafter draft` of
the sample), with seeded `random.Random` generators, so the corpus is the same on every run.
`scale="small"` gives small-but-still-hostile variants for the test suite
(tests/test_hostile.py); `scale="full"` gives the full-size ones for the benchmark
(benchmarks/hostile/run.py).

Families (issue 11): `stats` (YAML statistics files), `workbook` (.xlsx), `docx`, `pages`
(.html/.htm), `text` (.md/.txt), `paths` (devices, FIFOs, directories, unreadable files,
unusable output paths) and `injection` (text planted to break out of extract's YAML comments,
formulas for `audit --csv`, terminal escapes, a planted 附件).

`run(case, command, …)` runs `python -m drafter …` in a subprocess of its own working
directory, with an address-space cap (RLIMIT_AS) and a wall-clock timeout, and records the
exit status, the time, the peak resident memory (`os.wait4`), the output, and what changed
in the working directory and beside the input; `Outcome.problems` lists what is wrong.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import io
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from random import Random
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "quanzhou-kj-2023" / "stats.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "real"
REAL_TXT = FIXTURES / "quanzhou-kj-2023.txt"
SEED_YAMLS = (
    SAMPLE,
    FIXTURES / "quanzhou-kj-2023.yaml",
    FIXTURES / "other-formats" / "shanghai-bgt-2019.yaml",
)

MB = 1024 * 1024
SCALES = ("small", "full")
COMMANDS = ("check", "draft", "verify", "extract", "audit")
FAMILIES = ("stats", "workbook", "docx", "pages", "text", "paths", "injection", "mixed")
DOCUMENT_COMMANDS = ("verify", "extract", "audit")
STATS_COMMANDS = ("check", "draft")

# What each command may leave in its working directory when it ends with 0 or 1.
OUTPUTS: dict[str, tuple[str, ...]] = {
    "check": (),
    "draft": ("out.docx", "out.md", "out.html"),
    "verify": ("annotated.docx",),
    "extract": ("stats.yaml",),
    "audit": ("audit.csv",),
}

# Sizes per scale. The small ones still cross every limit drafter has (or is meant to have).
SIZES: dict[str, dict[str, int]] = {
    "small": {
        "mutants": 4,
        "huge_digits": 5_000,
        "depth": 300,
        "facts": 2_000,
        "garbage": 4_096,
        "long_note": 200_000,
        "chain": 3_000,
        "rows": 20_000,
        "bomb_docx": 64 * MB,
        "bomb_xlsx": 16 * MB,
        "members": 1_500,
        "paragraphs": 20_000,
        "random_docx": 4 * MB,
        "vmerge_rows": 2_000,
        "nest_docx": 300,
        "nest_html": 5_000,
        "page": 1 * MB,
        "runs": 77_000,
        "md": 1 * MB,
        "txt_lines": 20_000,
        "long_line": 1 * MB,
        "span_cells": 25,
        "wide": 3_000,
        "table_rows": 500,
    },
    "full": {
        "mutants": 300,
        "huge_digits": 50_000,
        "depth": 100_000,
        "facts": 40_000,
        "garbage": 1 * MB,
        "long_note": 4 * MB,
        "chain": 30_000,
        "rows": 200_000,
        "bomb_docx": 1024 * MB,
        "bomb_xlsx": 1024 * MB,
        "members": 100_000,
        "paragraphs": 200_000,
        "random_docx": 40 * MB,
        "vmerge_rows": 50_000,
        "nest_docx": 5_000,
        "nest_html": 100_000,
        "page": 10 * MB,
        "runs": 300_000,
        "md": 10 * MB,
        "txt_lines": 200_000,
        "long_line": 10 * MB,
        "span_cells": 400,
        "wide": 20_000,
        "table_rows": 5_000,
    },
}

# Text planted in cells, titles and file names to break out of extract's `# 请核对` comments
# (PyYAML also breaks lines at NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR).
PLANTED_KEYS = ("notes", "facts", "scope_change")
PLANT = "\nnotes: 植入\nfacts: [{id: planted, value: 1}]\nscope_change: 植入\n"
FORMULAS = (
    '=HYPERLINK("http://127.0.0.1:9/x","点击")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m"


# ---- cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One hostile input and the commands it goes through."""

    family: str
    name: str
    path: Path  # the input named on the command line
    commands: tuple[str, ...]
    prepare: tuple[tuple[str, str], ...] = ()  # (kind, name) made in the working dir first
    argv: dict[str, tuple[str, ...]] | None = None  # per command, replaces the usual arguments
    note: str = ""

    @property
    def id(self) -> str:
        return f"{self.family}/{self.name}"


@dataclass(frozen=True)
class Spec:
    family: str
    name: str
    filename: str
    make: Callable[[Path, Context], None]  # writes the input (at the path it is given)
    commands: tuple[str, ...]
    small: tuple[str, ...] | None = None  # commands at small scale; () leaves it out
    prepare: tuple[tuple[str, str], ...] = ()
    argv: dict[str, tuple[str, ...]] | None = None
    note: str = ""

    def commands_for(self, scale: str) -> tuple[str, ...]:
        if scale == "small" and self.small is not None:
            return self.small
        return self.commands


class Context:
    """The seeds every generator starts from, made once per build (lazily)."""

    def __init__(self, root: Path, scale: str) -> None:
        self.root = root
        self.scale = scale
        self.size = SIZES[scale]

    def rng(self, name: str) -> Random:
        return Random(f"hostile-corpus/{self.scale}/{name}")

    @cached_property
    def sample_text(self) -> str:
        return SAMPLE.read_text(encoding="utf-8")

    @cached_property
    def _draft(self) -> dict[str, bytes]:
        folder = self.root / "_seed" / "draft"
        folder.mkdir(parents=True, exist_ok=True)
        _drafter(
            "draft",
            str(SAMPLE),
            "-o",
            "x.docx",
            "--md",
            "x.md",
            "--html",
            "x.html",
            "--allow-errors",
            "--offline",
            "--force",
            cwd=folder,
        )
        return {s: (folder / f"x.{s}").read_bytes() for s in ("docx", "md", "html")}

    @property
    def docx(self) -> bytes:
        return self._draft["docx"]

    @property
    def html(self) -> str:
        return self._draft["html"].decode("utf-8")

    @property
    def md(self) -> str:
        return self._draft["md"].decode("utf-8")

    @cached_property
    def txt(self) -> str:
        return REAL_TXT.read_text(encoding="utf-8")

    @cached_property
    def xlsx(self) -> bytes:
        folder = self.root / "_seed" / "init"
        folder.mkdir(parents=True, exist_ok=True)
        _drafter(
            "init",
            "--xlsx",
            "-o",
            "stats.xlsx",
            "--agency",
            "某某市某某局",
            "--year",
            "2023",
            "--force",
            cwd=folder,
        )
        return (folder / "stats.xlsx").read_bytes()

    @cached_property
    def document_xml(self) -> bytes:
        return zipfile.ZipFile(io.BytesIO(self.docx)).read("word/document.xml")


def _drafter(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        [*drafter_command(), *args],
        cwd=cwd,
        env=_env(cwd / "_home"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(
            f"building the corpus: drafter {' '.join(args)} ended with {done.returncode}:\n"
            f"{done.stderr[-2000:]}"
        )


def drafter_command() -> list[str]:
    """`python -m drafter` when the package imports, else the console script beside Python."""
    import importlib.util

    if importlib.util.find_spec("drafter") is not None:
        return [sys.executable, "-P", "-m", "drafter"]
    script = Path(sys.executable).with_name("drafter")
    if script.exists():
        return [str(script)]
    raise RuntimeError("drafter is neither importable nor installed beside this Python")


def _env(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DRAFTER_", "OPENAI_", "FORCE_COLOR", "PYTEST_"))
        and k not in ("TTY_COMPATIBLE", "CLICOLOR_FORCE", "COVERAGE_PROCESS_START")
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update(
        DRAFTER_HOME=str(home),
        DRAFTER_MODELS=str(home / "drafter-models.yaml"),
        TERM="dumb",
        COLUMNS="160",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONIOENCODING="utf-8",
        LC_ALL="C.UTF-8",
    )
    return env


# ---- helpers: files ---------------------------------------------------------------------------


def _write(path: Path, content: str | bytes, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)


def _writer(content: Callable[[Context], str | bytes]) -> Callable[[Path, Context], None]:
    return lambda path, ctx: _write(path, content(ctx))


# ---- helpers: zip -------------------------------------------------------------------------------


def _rezip(
    data: bytes,
    replace: dict[str, bytes | None] | None = None,
    add: dict[str, bytes] | None = None,
) -> bytes:
    """A copy of the zip with members replaced (None removes one) or added."""
    replace = replace or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename in replace:
                content = replace[info.filename]
                if content is not None:
                    out.writestr(info.filename, content)
            else:
                out.writestr(info.filename, source.read(info))
        for name, content in (add or {}).items():
            out.writestr(name, content)
    return buffer.getvalue()


def _entries(data: bytes) -> dict[str, tuple[int, int]]:
    """Member name → (central directory header offset, local header offset)."""
    end = data.rfind(b"PK\x05\x06")
    count = struct.unpack_from("<H", data, end + 10)[0]
    pos = struct.unpack_from("<I", data, end + 16)[0]
    found: dict[str, tuple[int, int]] = {}
    for _ in range(count):
        assert data[pos : pos + 4] == b"PK\x01\x02"
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        local = struct.unpack_from("<I", data, pos + 42)[0]
        name = data[pos + 46 : pos + 46 + name_len].decode("utf-8", "replace")
        found[name] = (pos, local)
        pos += 46 + name_len + extra_len + comment_len
    return found


def _largest(data: bytes) -> str:
    return max(zipfile.ZipFile(io.BytesIO(data)).infolist(), key=lambda i: i.compress_size).filename


def corrupt(data: bytes, how: str, member: str | None = None) -> bytes:
    """The zip with one member damaged: `flip` (bytes flipped in its compressed data),
    `method99` (unknown compression method), `encrypted` (flag bit 0), `version99` (version
    needed to extract 9.9), `lying` (declared uncompressed size 4 KB), or `truncated`."""
    if how == "truncated":
        return data[: len(data) // 2]
    member = member or _largest(data)
    raw = bytearray(data)
    central, local = _entries(data)[member]
    if how == "flip":
        name_len, extra_len = struct.unpack_from("<HH", raw, local + 26)
        start = local + 30 + name_len + extra_len
        size = struct.unpack_from("<I", raw, central + 20)[0]
        for offset in range(size // 3, size // 3 + 16):
            raw[start + offset] ^= 0xFF
    elif how == "method99":
        struct.pack_into("<H", raw, local + 8, 99)
        struct.pack_into("<H", raw, central + 10, 99)
    elif how == "encrypted":
        raw[local + 6] |= 1
        raw[central + 8] |= 1
    elif how == "version99":
        raw[local + 4] = 99
        raw[central + 6] = 99
    elif how == "lying":
        struct.pack_into("<I", raw, local + 22, 4096)
        struct.pack_into("<I", raw, central + 24, 4096)
    else:
        raise ValueError(how)
    return bytes(raw)


def bomb(data: bytes, member: str, size: int, *, lie: bool = False) -> bytes:
    """The zip with `member` padded by `size` bytes of spaces right after its root element's
    start tag (still well-formed XML); `lie` declares 4 KB as its uncompressed size."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            content = source.read(info)
            if info.filename != member:
                out.writestr(info.filename, content)
                continue
            start = _after_declaration(content)
            root = re.search(rb"<[A-Za-z][^>]*>", content[start:])
            assert root is not None
            cut = start + root.end()
            with out.open(member, "w", force_zip64=size > 2**31 - 2 * MB) as handle:
                handle.write(content[:cut])
                chunk = b" " * MB
                for _ in range(size // MB):
                    handle.write(chunk)
                handle.write(content[cut:])
    result = buffer.getvalue()
    return corrupt(result, "lying", member) if lie else result


def _after_declaration(xml: bytes) -> int:
    """Where the content of an XML document starts (after `<?xml …?>`, if any)."""
    return xml.find(b"?>") + 2 if xml.startswith(b"<?xml") else 0


def _members_bomb(data: bytes, count: int, prefix: str) -> bytes:
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_STORED) as out:
        for i in range(count):
            out.writestr(f"{prefix}/m{i}.xml", b"<a/>")
    return buffer.getvalue()


# ---- statistics files (YAML) ------------------------------------------------------------------

_HOSTILE_SCALARS = (
    "-1",
    "1.5",
    '"三"',
    "三",
    "1e309",
    ".nan",
    "-.inf",
    "0x10",
    "012",
    "0o17",
    "0b101",
    "true",
    "~",
    "[]",
    "{}",
    "2023-01-01",
    "12:30:00",
    "'1,000'",
    "１２",
    "1_000",
    "+5",
    "!!binary aGVsbG8=",
    "!!python/object/apply:os.system ['true']",
    "*nowhere",
    '"\\x00\\x0b\\e]0;t\\a"',
    '"' + "9" * 4400 + '"',
    "9" * 4400,
    "-" + "9" * 400,
    "1" * 30 + ".5",
    "{a: {b: {c: [1, [2, [3]]]}}}",
)


def _mutant(ctx: Context, index: int) -> bytes:
    rng = ctx.rng(f"mutant-{index}")
    text = rng.choice(SEED_YAMLS).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(11)
        i = rng.randrange(len(lines)) if lines else 0
        if not lines:
            break
        line = lines[i]
        if op == 0:  # delete a line (a key, or a part of a flow mapping)
            del lines[i]
        elif op == 1 and ":" in line:  # a hostile value in place of a value
            values = list(re.finditer(r"(:\s*)([^,{}\[\]\n#]+)", line))
            if values:
                m = rng.choice(values)
                lines[i] = line[: m.start(2)] + rng.choice(_HOSTILE_SCALARS) + line[m.end(2) :]
        elif op == 2:  # a duplicated line (duplicate keys)
            lines.insert(i, line)
        elif op == 3:  # a tab in the indentation
            lines[i] = "\t" + line
        elif op == 4:  # cut off
            return "".join(lines)[: rng.randrange(len("".join(lines)) + 1)].encode("utf-8")
        elif op == 5:  # a raw control character
            pos = rng.randrange(len(line) + 1)
            lines[i] = (
                line[:pos] + chr(rng.choice((0, 7, 8, 0x0B, 0x0C, 0x1B, 0x7F, 0x85))) + line[pos:]
            )
        elif op == 6:  # two lines swapped
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 7:  # indentation changed
            lines[i] = " " * rng.randint(1, 9) + line.lstrip(" ")
        elif op == 8:  # random bytes (decoded loosely: a wrong encoding)
            blob = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
            lines[i] = line + blob.decode("latin-1")
        elif op == 9:  # an anchor and aliases
            lines.insert(i, "x: &a [1, 2, 3]\ny: [*a, *a, *a]\n")
        else:  # a negative or enormous number in place of a number
            lines[i] = re.sub(
                r"\b\d+\b",
                lambda _m: rng.choice(("-1", "9" * rng.choice((20, 400, 5000)), "1.0e400")),
                line,
                count=1,
            )
    encoding = rng.choice(("utf-8",) * 8 + ("utf-16", "gbk"))
    return "".join(lines).encode(encoding, errors="replace")


def _sub(text: str, pattern: str, replacement: str, count: int = 1, expand: bool = False) -> str:
    """`text` with `pattern` replaced (literally, unless `expand`); the pattern must occur."""
    new, n = re.subn(
        pattern,
        lambda m: m.expand(replacement) if expand else replacement,
        text,
        count=count,
        flags=re.M,
    )
    assert n, f"pattern not found: {pattern}"
    return new


def _billion_laughs_yaml(ctx: Context) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(['*' + prev] * 9)}]")
    body = _sub(ctx.sample_text, r"^agency: .*$", "agency: *i")
    return "\n".join(lines) + "\n" + body


def _bad_values(ctx: Context) -> str:
    text = ctx.sample_text
    text = _sub(text, r"^year: .*$", "year: 2023-01-01")
    text = _sub(text, r"licensing: 0", "licensing: -1")
    text = _sub(text, r"penalty: 0", "penalty: 1.5")
    text = _sub(text, r"enforcement: 0", 'enforcement: "三"')
    text = _sub(text, r"admin_fees_10k_yuan: 0", "admin_fees_10k_yuan: .nan")
    text = _sub(
        text,
        r"\{issued: 0, repealed: 0, in_force: 0\}",
        "{issued: true, repealed: 0x10, in_force: 1e309}",
    )
    text = _sub(text, r"natural_person: 1,", "natural_person: -.inf,")
    return text


def _control_chars(ctx: Context) -> str:
    nasty = r"\x00\x0b\e]0;pwned\a\e[2J\e[31m\x9b2J\u202e\x85\u2028\ud800"
    text = _sub(ctx.sample_text, r"^agency: .*$", f'agency: "泉州市{nasty}科学技术局"')
    text = _sub(text, r"^  other: .*$", f'  other: "本年度{nasty}无其他需要报告的事项。\\t\\r\\n"')
    text = _sub(text, r"label: 政策解读,", f'label: "政策{nasty}解读",')
    return text


def _template_injection(ctx: Context) -> str:
    payload = (
        "{{ 7*7 }} {{ ''.__class__.__mro__[1].__subclasses__() }} {% for x in range(10**9) %}x{% endfor %} "
        "{proactive.policies.__class__} {0} {} {{ {proactive.policies} }} {unclosed {{"
    )
    return _sub(ctx.sample_text, r"^  other: .*$", f"  other: {_yaml_quote(payload)}")


def _yaml_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _format_path(target: str) -> Callable[[Context], str]:
    return lambda ctx: _sub(ctx.sample_text, r"^format: .*$", f"format: {_yaml_quote(target)}")


def _many_facts(ctx: Context, chain: bool) -> str:
    import yaml

    data = yaml.safe_load(ctx.sample_text)
    n = ctx.size["facts"] // (4 if chain else 1)
    facts = []
    for i in range(n):
        fact: dict[str, Any] = {
            "id": f"x.n{i}",
            "label": f"事项{i}",
            "value": i % 1000,
            "unit": "条",
            "section": "overall.proactive",
        }
        if chain:
            fact["parts"] = [f"x.n{(i + 1) % n}"]  # a chain that closes into a cycle
        facts.append(fact)
    data["facts"] = (data.get("facts") or []) + facts
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


def _deep(ctx: Context, kind: str) -> str:
    depth = ctx.size["depth"]
    if kind == "list":
        return _sub(ctx.sample_text, r"^  other: .*$", "  other: " + "[" * depth + "]" * depth)
    if kind == "map":
        return _sub(
            ctx.sample_text, r"^  other: .*$", "  other: " + "{a: " * depth + "1" + "}" * depth
        )
    # block indentation, one level per line
    lines = ["notes:"] + [" " * (i + 2) + "a:" for i in range(min(depth, 2_500))]  # ≤ 3 MB
    return ctx.sample_text.replace("\nnotes:\n", "\nnotes_old:\n") + "\n".join(lines) + " 1\n"


def stats_specs() -> list[Spec]:
    both = STATS_COMMANDS
    chk: tuple[str, ...] = ("check",)
    specs = [
        Spec("stats", "empty", "stats.yaml", _writer(lambda c: b""), both, chk),
        Spec(
            "stats",
            "comments-only",
            "stats.yaml",
            _writer(lambda c: "# 只有注释\n\n   \n"),
            both,
            (),
        ),
        Spec(
            "stats",
            "binary-garbage",
            "stats.yaml",
            _writer(lambda c: c.rng("garbage").randbytes(c.size["garbage"])),
            both,
            chk,
        ),
        Spec(
            "stats",
            "raw-nul",
            "stats.yaml",
            _writer(lambda c: c.sample_text.replace("agency: ", "agency: \x00\x00", 1)),
            both,
            chk,
        ),
        Spec(
            "stats",
            "bom-utf8",
            "stats.yaml",
            _writer(lambda c: "\ufeff" + c.sample_text),
            both,
            both,
        ),
        Spec(
            "stats",
            "utf16",
            "stats.yaml",
            _writer(lambda c: c.sample_text.encode("utf-16")),
            both,
            chk,
        ),
        Spec(
            "stats",
            "gbk",
            "stats.yaml",
            _writer(lambda c: c.sample_text.encode("gbk", errors="replace")),
            both,
            chk,
        ),
        Spec(
            "stats",
            "crlf-and-cr",
            "stats.yaml",
            _writer(
                lambda c: (
                    c.sample_text.replace("\n", "\r\n")[: len(c.sample_text) // 2]
                    + c.sample_text.replace("\n", "\r")[len(c.sample_text) // 2 :]
                )
            ),
            both,
            (),
        ),
        Spec("stats", "billion-laughs", "stats.yaml", _writer(_billion_laughs_yaml), both, both),
        Spec(
            "stats",
            "alias-simple",
            "stats.yaml",
            _writer(
                lambda c: _sub(
                    c.sample_text,
                    r"^agency: (.*)$",
                    r"agency: &a \1\ncontact_alias: *a",
                    expand=True,
                )
            ),
            both,
            (),
        ),
        Spec(
            "stats",
            "merge-key",
            "stats.yaml",
            _writer(
                lambda c: _sub(
                    c.sample_text,
                    r"^  rules: .*$",
                    "  rules: &r {issued: 0, repealed: 0, in_force: 0}\n  extra: {<<: *r, issued: 1}",
                )
            ),
            both,
            (),
        ),
        Spec(
            "stats",
            "duplicate-keys",
            "stats.yaml",
            _writer(
                lambda c: _sub(
                    c.sample_text, r"^year: .*$", "year: 2023\nyear: 2024\nagency: 另一个局"
                )
            ),
            both,
            chk,
        ),
        Spec("stats", "deep-list", "stats.yaml", _writer(lambda c: _deep(c, "list")), both, chk),
        Spec("stats", "deep-map", "stats.yaml", _writer(lambda c: _deep(c, "map")), both, ()),
        Spec("stats", "deep-block", "stats.yaml", _writer(lambda c: _deep(c, "block")), both, ()),
        Spec(
            "stats",
            "huge-int-cell",
            "stats.yaml",
            _writer(
                lambda c: _sub(
                    c.sample_text, r"licensing: 0", "licensing: " + "9" * c.size["huge_digits"]
                )
            ),
            both,
            both,
        ),
        Spec(
            "stats",
            "huge-int-year",
            "stats.yaml",
            _writer(
                lambda c: _sub(c.sample_text, r"^year: .*$", "year: " + "2" * c.size["huge_digits"])
            ),
            both,
            (),
        ),
        Spec(
            "stats",
            "huge-decimal-fee",
            "stats.yaml",
            _writer(
                lambda c: _sub(
                    c.sample_text,
                    r"admin_fees_10k_yuan: 0",
                    "admin_fees_10k_yuan: 1" + "0" * c.size["huge_digits"] + ".5e-999999999",
                )
            ),
            both,
            (),
        ),
        Spec("stats", "bad-values", "stats.yaml", _writer(_bad_values), both, chk),
        Spec("stats", "control-chars", "stats.yaml", _writer(_control_chars), both, both),
        Spec(
            "stats",
            "template-injection",
            "stats.yaml",
            _writer(_template_injection),
            both,
            ("draft",),
        ),
        Spec(
            "stats",
            "tabs",
            "stats.yaml",
            _writer(lambda c: c.sample_text.replace("\n  ", "\n\t")),
            both,
            chk,
        ),
        Spec(
            "stats",
            "too-big",
            "stats.yaml",
            _writer(lambda c: c.sample_text + ("# " + "填充" * 40 + "\n") * (6 * MB // 243)),
            both,
            chk,
        ),
        Spec(
            "stats",
            "long-note",
            "stats.yaml",
            _writer(
                lambda c: _sub(
                    c.sample_text,
                    r"^  other: .*$",
                    "  other: " + "本年度无其他需要报告的事项1.2" * (c.size["long_note"] // 45),
                )
            ),
            both,
            (),
        ),
        Spec(
            "stats", "many-facts", "stats.yaml", _writer(lambda c: _many_facts(c, False)), both, chk
        ),
        Spec(
            "stats", "facts-cycle", "stats.yaml", _writer(lambda c: _many_facts(c, True)), both, chk
        ),
        Spec(
            "stats",
            "tags",
            "stats.yaml",
            _writer(
                lambda c: _sub(
                    c.sample_text,
                    r"^year: .*$",
                    "year: !!python/object/apply:os.system ['echo pwned']\n"
                    "publication_extra: !!binary aGVsbG8=\nset_extra: !!set {a, b}\nmine: !custom 1",
                )
            ),
            both,
            chk,
        ),
        Spec(
            "stats",
            "odd-keys",
            "stats.yaml",
            _writer(
                lambda c: (
                    c.sample_text + "? [a, b]\n: 1\n1: x\nnull: y\n~: z\n" + "k" * MB + ": 1\n"
                )
            ),
            both,
            (),
        ),
        Spec("stats", "top-level-list", "stats.yaml", _writer(lambda c: "- 1\n- 2\n"), both, chk),
        Spec(
            "stats",
            "top-level-scalar",
            "stats.yaml",
            _writer(lambda c: "泉州市科学技术局\n"),
            both,
            (),
        ),
        Spec(
            "stats",
            "multi-document",
            "stats.yaml",
            _writer(lambda c: c.sample_text + "\n---\n" + c.sample_text),
            both,
            (),
        ),
        Spec(
            "stats",
            "format-traversal",
            "stats.yaml",
            _writer(_format_path("../../../../etc/passwd")),
            both,
            chk,
        ),
        Spec("stats", "format-device", "stats.yaml", _writer(_format_path("/dev/zero")), both, ()),
    ]
    for i in range(SIZES["full"]["mutants"]):
        small = chk if i < SIZES["small"]["mutants"] else ()
        specs.append(
            Spec(
                "stats",
                f"mutant-{i:03d}",
                "stats.yaml",
                _writer(lambda c, i=i: _mutant(c, i)),
                both,
                small,
            )
        )
    return specs


# ---- workbooks (.xlsx) --------------------------------------------------------------------------


def _sheet_member(data: bytes, sheet: str) -> str:
    archive = zipfile.ZipFile(io.BytesIO(data))
    workbook = archive.read("xl/workbook.xml").decode("utf-8")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8")
    for m in re.finditer(r"<(?:\w+:)?sheet\b[^>]*>", workbook):
        tag = m.group()
        name = re.search(r'\bname="([^"]*)"', tag)
        rid = re.search(r'\br:id="([^"]*)"', tag) or re.search(r'\bid="([^"]*)"', tag)
        if name and rid and name.group(1) == sheet:
            for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
                if f'Id="{rid.group(1)}"' in rel.group():
                    target = re.search(r'Target="([^"]*)"', rel.group())
                    assert target
                    path = target.group(1).lstrip("/")
                    return path if path.startswith("xl/") else "xl/" + path
    raise KeyError(sheet)


def _edit_xlsx(ctx: Context, edit: Callable[[Any], None]) -> bytes:
    import warnings

    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = load_workbook(io.BytesIO(ctx.xlsx))
    edit(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _set(ws: Any, ref: str, value: Any, *, string: bool = False) -> None:
    ws[ref] = value
    if string:
        ws[ref].data_type = "s"


def _xlsx_formulas(cells: dict[str, str]) -> Callable[[Context], bytes]:
    def edit(wb: Any) -> None:
        for ref, formula in cells.items():
            _set(wb["二"], ref, formula)

    return lambda ctx: _edit_xlsx(ctx, edit)


def _xlsx_chain(ctx: Context) -> bytes:
    n = ctx.size["chain"]

    def edit(wb: Any) -> None:
        ws = wb.create_sheet("计算")
        for i in range(1, n):
            ws[f"A{i}"] = f"=A{i + 1}+1"
        ws[f"A{n}"] = 1
        wb["二"]["B5"] = "=计算!A1"

    return _edit_xlsx(ctx, edit)


def _xlsx_circular(ctx: Context) -> bytes:
    def edit(wb: Any) -> None:
        ws = wb["二"]
        ws["B5"] = "=B5"
        ws["C5"] = "=D5+1"
        ws["D5"] = "=C5+1"
        ws["B6"] = "=SUM(B5:D6)"

    return _edit_xlsx(ctx, edit)


def _xlsx_strings(ctx: Context) -> bytes:
    def edit(wb: Any) -> None:
        ws = wb["二"]
        for ref, text in zip(
            ("B5", "C5", "D5", "B6", "C6", "D6"),
            ("三", "1,000", " 12 ", "1e3", "-1", "=cmd|' /C calc'!A0"),
            strict=True,
        ):
            _set(ws, ref, text, string=True)
        wb["基本信息"]["C6"] = "二〇二三"

    return _edit_xlsx(ctx, edit)


def _xlsx_raw(ctx: Context, sheet: str, edit: Callable[[str], str]) -> bytes:
    member = _sheet_member(ctx.xlsx, sheet)
    xml = zipfile.ZipFile(io.BytesIO(ctx.xlsx)).read(member).decode("utf-8")
    return _rezip(ctx.xlsx, {member: edit(xml).encode("utf-8")})


def _xlsx_many_rows(ctx: Context) -> bytes:
    n = ctx.size["rows"]
    member = _sheet_member(ctx.xlsx, "事实")
    xml = zipfile.ZipFile(io.BytesIO(ctx.xlsx)).read(member).decode("utf-8")
    head, tail = xml.split("</sheetData>", 1)
    head = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="A1:H{n + 4}"', head)
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>x.n{r}</t></is></c>'
        f'<c r="B{r}" t="inlineStr"><is><t>事项{r}</t></is></c><c r="C{r}"><v>{r}</v></c>'
        f'<c r="D{r}" t="inlineStr"><is><t>条</t></is></c>'
        f'<c r="E{r}" t="inlineStr"><is><t>overall.proactive</t></is></c></row>'
        for r in range(5, n + 5)
    )
    return _rezip(ctx.xlsx, {member: (head + rows + "</sheetData>" + tail).encode("utf-8")})


def _xlsx_far_cell(xml: str) -> str:
    head, tail = xml.split("</sheetData>", 1)
    head = re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', head)
    row = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    return head + row + "</sheetData>" + tail


def _xlsx_merge(xml: str) -> str:
    merge = '<mergeCell ref="A20:XFD1048576"/><mergeCell ref="A1:XFD1048576"/>'
    if "</mergeCells>" in xml:
        return xml.replace("</mergeCells>", merge + "</mergeCells>", 1)
    return xml.replace("</sheetData>", f"</sheetData><mergeCells>{merge}</mergeCells>", 1)


def _xlsx_xxe(xml: str) -> str:
    decl_end = _after_declaration(xml.encode("utf-8"))
    doctype = (
        '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
        '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
        '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
        '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>'
    )
    xml = xml[:decl_end] + doctype + xml[decl_end:]
    return re.sub(r"<t>[^<]*</t>", "<t>&xxe;&h;</t>", xml, count=2)


def workbook_specs() -> list[Spec]:
    both = STATS_COMMANDS
    chk: tuple[str, ...] = ("check",)

    def raw(sheet: str, edit: Callable[[str], str]) -> Callable[[Path, Context], None]:
        return _writer(lambda c: _xlsx_raw(c, sheet, edit))

    specs = [
        Spec("workbook", "template", "stats.xlsx", _writer(lambda c: c.xlsx), both, ("draft",)),
        Spec(
            "workbook",
            "formula-overflow",
            "stats.xlsx",
            _writer(
                _xlsx_formulas(
                    {
                        "B5": "=1E+999999999",
                        "C5": "=10^400",
                        "D5": "=-1E+308*10",
                        "B6": "=1E-999999999",
                    }
                )
            ),
            both,
            chk,
        ),
        Spec("workbook", "formula-chain", "stats.xlsx", _writer(_xlsx_chain), both, chk),
        Spec("workbook", "formula-circular", "stats.xlsx", _writer(_xlsx_circular), both, chk),
        Spec(
            "workbook",
            "formula-nesting",
            "stats.xlsx",
            _writer(
                _xlsx_formulas(
                    {
                        "B5": "=" + "(" * 4000 + "1" + ")" * 4000,
                        "C5": "=" + "+".join(["1"] * 5000),
                        "D5": "=SUM(A1:XFD1048576)",
                        "B6": "=" + "-" * 8000 + "1",
                    }
                )
            ),
            both,
            chk,
        ),
        Spec(
            "workbook",
            "formula-functions",
            "stats.xlsx",
            _writer(
                _xlsx_formulas(
                    {
                        "B5": '=LEN(REPT(REPT("a",32767),32767))',
                        "C5": '=INDIRECT("B"&5)',
                        "D5": '=WEBSERVICE("http://127.0.0.1:9/")',
                        "B6": "='[1]Sheet1'!A1",
                        "C6": "=1/0",
                        "D6": '=HYPERLINK("http://127.0.0.1:9/","1")',
                    }
                )
            ),
            both,
            chk,
        ),
        Spec("workbook", "huge-used-range", "stats.xlsx", raw("二", _xlsx_far_cell), both, chk),
        Spec("workbook", "huge-merge", "stats.xlsx", raw("三", _xlsx_merge), both, chk),
        Spec("workbook", "many-rows", "stats.xlsx", _writer(_xlsx_many_rows), both, chk),
        Spec("workbook", "strings-in-numbers", "stats.xlsx", _writer(_xlsx_strings), both, chk),
        Spec("workbook", "xxe", "stats.xlsx", raw("基本信息", _xlsx_xxe), both, chk),
        Spec(
            "workbook",
            "zip-bomb",
            "stats.xlsx",
            _writer(lambda c: bomb(c.xlsx, _sheet_member(c.xlsx, "三"), c.size["bomb_xlsx"])),
            both,
            chk,
        ),
        Spec(
            "workbook",
            "zip-bomb-lying",
            "stats.xlsx",
            _writer(lambda c: bomb(c.xlsx, _sheet_member(c.xlsx, "三"), 64 * MB, lie=True)),
            both,
            chk,
        ),
        Spec(
            "workbook",
            "many-members",
            "stats.xlsx",
            _writer(lambda c: _members_bomb(c.xlsx, c.size["members"], "xl/extra")),
            both,
            chk,
        ),
        Spec("workbook", "empty", "stats.xlsx", _writer(lambda c: b""), both, chk),
        Spec("workbook", "not-a-zip", "stats.xlsx", _writer(lambda c: c.sample_text), both, ()),
        Spec(
            "workbook",
            "ole-header",
            "stats.xlsx",
            _writer(lambda c: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + c.rng("ole").randbytes(4096)),
            both,
            (),
        ),
        Spec(
            "workbook",
            "missing-workbook-xml",
            "stats.xlsx",
            _writer(lambda c: _rezip(c.xlsx, {"xl/workbook.xml": None})),
            both,
            (),
        ),
        Spec(
            "workbook",
            "traversal-member",
            "stats.xlsx",
            _writer(
                lambda c: _rezip(
                    c.xlsx, add={"../../../../tmp/hostile-evil.xml": b"<a/>", "/abs.xml": b"<a/>"}
                )
            ),
            both,
            (),
        ),
    ]
    for how in ("flip", "method99", "encrypted", "version99", "truncated"):
        specs.append(
            Spec(
                "workbook",
                f"corrupt-{how}",
                "stats.xlsx",
                _writer(lambda c, how=how: corrupt(c.xlsx, how, _sheet_member(c.xlsx, "三"))),
                both,
                chk,
            )
        )
    return specs


# ---- Word documents (.docx) ---------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W = "{" + W_NS + "}"


def _docx_with(ctx: Context, xml: bytes) -> bytes:
    return _rezip(ctx.docx, {"word/document.xml": xml})


def _docx_tree(ctx: Context, edit: Callable[[Any], None]) -> bytes:
    from lxml import etree

    root = etree.fromstring(ctx.document_xml)
    edit(root)
    return _docx_with(
        ctx, etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    )


def _el(tag: str, **attrs: str) -> Any:
    from lxml import etree

    element = etree.Element(W + tag)
    for k, v in attrs.items():
        element.set(W + k, v)
    return element


def _tc_pr(tc: Any) -> Any:
    pr = tc.find(W + "tcPr")
    if pr is None:
        pr = _el("tcPr")
        tc.insert(0, pr)
    return pr


def _tr_pr(tr: Any) -> Any:
    pr = tr.find(W + "trPr")
    if pr is None:
        pr = _el("trPr")
        index = 1 if len(tr) and tr[0].tag == W + "tblPrEx" else 0
        tr.insert(index, pr)
    return pr


def _set_child(parent: Any, tag: str, value: str | None) -> None:
    old = parent.find(W + tag)
    if old is not None:
        parent.remove(old)
    child = _el(tag, **({"val": value} if value is not None else {}))
    parent.append(child)


def _grid_span(values: Iterable[str]) -> Callable[[Any], None]:
    def edit(root: Any) -> None:
        cycle = list(values)
        for i, tc in enumerate(root.iter(W + "tc")):
            _set_child(_tc_pr(tc), "gridSpan", cycle[i % len(cycle)])

    return edit


def _grid_before(root: Any) -> None:
    for tr in root.iter(W + "tr"):
        pr = _tr_pr(tr)
        _set_child(pr, "gridBefore", "100000")
        _set_child(pr, "gridAfter", "100000")


def _vmerge_all(root: Any) -> None:
    for table in root.iter(W + "tbl"):
        for r, tr in enumerate(table.iter(W + "tr")):
            for tc in tr.iter(W + "tc"):
                _set_child(_tc_pr(tc), "vMerge", "restart" if r == 0 else None)


def _paragraph(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f'<w:p><w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def _docx_insert(ctx: Context, xml_fragment: str | bytes, where: str = "end") -> bytes:
    doc = ctx.document_xml
    fragment = xml_fragment.encode("utf-8") if isinstance(xml_fragment, str) else xml_fragment
    if where == "start":
        cut = doc.find(b"<w:body>") + len(b"<w:body>")
    elif where == "middle":
        # a paragraph boundary at body level near the middle (not inside a table)
        cut = _body_boundary(doc, 0.5)
    else:
        cut = doc.rfind(b"<w:sectPr")
    return _docx_with(ctx, doc[:cut] + fragment + doc[cut:])


def _body_boundary(doc: bytes, fraction: float) -> int:
    depth = 0
    target = int(len(doc) * fraction)
    for m in re.finditer(rb"<(/?)w:tbl\b[^>]*?(/?)>|</w:p>", doc):
        tag = m.group()
        if tag.startswith(b"<w:tbl") and not tag.endswith(b"/>"):
            depth += 1
        elif tag.startswith(b"</w:tbl"):
            depth -= 1
        elif depth == 0 and m.end() >= target:
            return m.end()
    return doc.rfind(b"<w:sectPr")


def _vmerge_table(rows: int, cols: int = 8) -> str:
    def cell(restart: bool) -> str:
        merge = '<w:vMerge w:val="restart"/>' if restart else "<w:vMerge/>"
        return f"<w:tc><w:tcPr>{merge}</w:tcPr><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>"

    first = "<w:tr>" + cell(True) * cols + "</w:tr>"
    rest = ("<w:tr>" + cell(False) * cols + "</w:tr>") * (rows - 1)
    return (
        "<w:tbl><w:tblGrid>"
        + "<w:gridCol/>" * cols
        + "</w:tblGrid>"
        + first
        + rest
        + "</w:tbl><w:p/>"
    )


def _nested_tables(depth: int) -> str:
    return "<w:tbl><w:tr><w:tc>" * depth + "<w:p/>" + "</w:tc></w:tr></w:tbl><w:p/>" * depth


def _with_doctype(ctx: Context, doctype: str, text: str) -> bytes:
    doc = ctx.document_xml
    decl_end = _after_declaration(doc)
    doc = doc[:decl_end] + doctype.encode() + doc[decl_end:]
    cut = doc.find(b"<w:body>") + len(b"<w:body>")
    fragment = f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode()
    return _docx_with(ctx, doc[:cut] + fragment + doc[cut:])


_LOL = (
    '<!DOCTYPE w:document [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)


def _random_docx(ctx: Context) -> bytes:
    rng = ctx.rng("random-docx")
    size = ctx.size["random_docx"]
    parts: list[str] = []
    total = 0
    while total < size * 4 // 3:  # base64 text deflates to about 3/4: a file of `size`
        text = base64.b64encode(rng.randbytes(1536)).decode("ascii")
        parts.append(_paragraph(text))
        total += len(text)
    return _docx_insert(ctx, "".join(parts))


# Long runs of the kinds that make a backtracking regex slow (77 KB of "a1.b2" once took
# verify 50 s): the unit repeated to the size.
RUN_UNITS = {
    "a1b2": "a1.b2",
    "digits": "1234567890",
    "dots": ".",
    "digit-dots": "1.",
    "digit-commas": "1,",
    "spaces": "1 ",
    "cjk-numbers": "一二三四五六七八九十百千万",
    "percent": "1%",
    "mixed": "第1条2件3.4万元5%六个",
}


def run_text(kind: str, size: int) -> str:
    unit = RUN_UNITS[kind]
    return unit * (size // len(unit))


def _wide_docx_table(cells: int) -> str:
    cell = "<w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc>"
    return (
        "<w:tbl><w:tblGrid>"
        + "<w:gridCol/>" * cells
        + "</w:tblGrid>"
        + ("<w:tr>" + cell * cells + "</w:tr>") * 2
        + "</w:tbl><w:p/>"
    )


def docx_specs() -> list[Spec]:
    docs = DOCUMENT_COMMANDS
    name = "report.docx"

    def tree(edit: Callable[[Any], None]) -> Callable[[Path, Context], None]:
        return _writer(lambda c: _docx_tree(c, edit))

    specs = [
        Spec("docx", "baseline", name, _writer(lambda c: c.docx), docs, ()),
        Spec(
            "docx", "gridspan-huge", name, tree(_grid_span(["100000"])), docs, ("verify", "extract")
        ),
        Spec("docx", "gridbefore-huge", name, tree(_grid_before), docs, ("extract",)),
        Spec(
            "docx",
            "gridspan-garbage",
            name,
            tree(_grid_span(["-5", "abc", "99999999999999999999", "0", "1.5", "", "2147483648"])),
            docs,
            ("verify",),
        ),
        Spec("docx", "vmerge-all", name, tree(_vmerge_all), docs, ("extract",)),
        Spec(
            "docx",
            "vmerge-chain",
            name,
            _writer(lambda c: _docx_insert(c, _vmerge_table(c.size["vmerge_rows"]))),
            docs,
            ("verify",),
        ),
        Spec(
            "docx",
            "xxe-file",
            name,
            _writer(
                lambda c: _with_doctype(
                    c, '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"
                )
            ),
            docs,
            ("verify", "extract"),
        ),
        Spec(
            "docx",
            "external-dtd",
            name,
            _writer(
                lambda c: _with_doctype(
                    c,
                    '<!DOCTYPE w:document SYSTEM "http://127.0.0.1:9/evil.dtd" ['
                    '<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
                    "附",
                )
            ),
            docs,
            (),
        ),
        Spec(
            "docx",
            "billion-laughs",
            name,
            _writer(lambda c: _with_doctype(c, _LOL, "&lol9;")),
            docs,
            ("verify",),
        ),
        Spec(
            "docx",
            "zip-bomb",
            name,
            _writer(lambda c: bomb(c.docx, "word/document.xml", c.size["bomb_docx"])),
            docs,
            ("verify",),
        ),
        Spec(
            "docx",
            "zip-bomb-lying",
            name,
            _writer(lambda c: bomb(c.docx, "word/document.xml", 64 * MB, lie=True)),
            docs,
            ("extract",),
        ),
        Spec(
            "docx",
            "many-members",
            name,
            _writer(lambda c: _members_bomb(c.docx, c.size["members"], "word/extra")),
            docs,
            (),
        ),
        Spec(
            "docx",
            "many-paragraphs",
            name,
            _writer(
                lambda c: _docx_insert(
                    c, _paragraph("本年度无其他需要报告的事项。") * c.size["paragraphs"]
                )
            ),
            docs,
            ("verify", "audit"),
        ),
        Spec("docx", "random-large", name, _writer(_random_docx), docs, ("verify",)),
        Spec(
            "docx",
            "attachment-middle",
            name,
            _writer(lambda c: _docx_insert(c, _paragraph("附件"), "middle")),
            docs,
            ("verify", "extract"),
        ),
        Spec(
            "docx",
            "control-raw",
            name,
            _writer(
                lambda c: _docx_insert(
                    c, f"<w:p><w:r><w:t>{ESCAPES}\x00\x0b</w:t></w:r></w:p>", "start"
                )
            ),
            docs,
            ("verify",),
        ),
        Spec(
            "docx",
            "control-charref",
            name,
            _writer(
                lambda c: _docx_insert(
                    c, "<w:p><w:r><w:t>&#x1b;]0;pwned&#x7;&#0;</w:t></w:r></w:p>", "start"
                )
            ),
            docs,
            ("extract",),
        ),
        Spec(
            "docx",
            "control-c1-bidi",
            name,
            _writer(
                lambda c: _docx_insert(
                    c,
                    _paragraph(
                        "泉州\u009b2J\u009d0;pwned\u009c\u0085\u202e\u2028\ufeff市科学技术局1件"
                    ),
                    "start",
                )
            ),
            docs,
            (),
        ),
        Spec(
            "docx",
            "nested-tables",
            name,
            _writer(lambda c: _docx_insert(c, _nested_tables(c.size["nest_docx"]))),
            docs,
            ("extract",),
        ),
        Spec(
            "docx",
            "long-run",
            name,
            _writer(
                lambda c: _docx_insert(c, _paragraph(run_text("a1b2", c.size["runs"])), "middle")
            ),
            docs,
            ("verify",),
        ),
        Spec(
            "docx",
            "wide-table",
            name,
            _writer(lambda c: _docx_insert(c, _wide_docx_table(c.size["wide"]))),
            docs,
            (),
        ),
        Spec("docx", "xlsx-renamed", name, _writer(lambda c: c.xlsx), docs, ("verify",)),
        Spec(
            "docx",
            "missing-document-xml",
            name,
            _writer(lambda c: _rezip(c.docx, {"word/document.xml": None})),
            docs,
            (),
        ),
        Spec(
            "docx",
            "document-not-xml",
            name,
            _writer(
                lambda c: _rezip(c.docx, {"word/document.xml": c.rng("notxml").randbytes(5000)})
            ),
            docs,
            (),
        ),
    ]
    for how in ("flip", "method99", "encrypted", "version99", "truncated"):
        specs.append(
            Spec(
                "docx",
                f"corrupt-{how}",
                name,
                _writer(lambda c, how=how: corrupt(c.docx, how, "word/document.xml")),
                docs,
                ("verify",),
            )
        )
    return specs


# ---- web pages (.html/.htm) ---------------------------------------------------------------------


def _page(body: str, title: str = "某某市某某局2023年政府信息公开工作年度报告") -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1>{body}</body></html>"
    )


def _span_page(cells: int, spans: Iterable[tuple[str, str]]) -> str:
    spans = list(spans)
    per_row = max(1, int(cells**0.5))
    rows = []
    k = 0
    for _ in range(max(1, cells // per_row)):
        tds = []
        for _ in range(per_row):
            rs, cs = spans[k % len(spans)]
            tds.append(f"<td rowspan={rs} colspan={cs}>{k}</td>")
            k += 1
        rows.append("<tr>" + "".join(tds) + "</tr>")
    return _page("<table>" + "".join(rows) + "</table>")


def _real_spans(html: str) -> str:
    return re.sub(r"<td\b", '<td rowspan="1000" colspan="1000"', html)


def _big_page(ctx: Context, size: int) -> str:
    html = ctx.html
    paras = re.findall(r"<p>.*?</p>", html, flags=re.S)
    filler = "\n".join(paras)
    copies = max(1, size // max(1, len(filler.encode("utf-8"))))
    return html.replace("</article>", (filler + "\n") * copies + "</article>", 1)


def _entities_page(ctx: Context) -> str:
    nasty = (
        "&#27;]0;pwned&#7;&#x1b;[2J&#0;&#xD800;&#99999999999;&#x110000;&foo;&amp&lt;&#x9b;2J&#150;"
    )
    html = ctx.html.replace("<h1>", f"<h1>{nasty}", 1)
    html = re.sub(
        r"(<td data-key=\"applications.new_received.natural_person\">)",
        r"\g<1>" + nasty,
        html,
        count=1,
    )
    many = "&nbsp;" * 100_000
    return html.replace("</article>", f"<p>{nasty}{many}1件</p></article>", 1)


def pages_specs() -> list[Spec]:
    docs = DOCUMENT_COMMANDS
    name = "report.html"
    specs = [
        Spec(
            "pages",
            "spans-1000",
            name,
            _writer(lambda c: _span_page(c.size["span_cells"], [("1000", "1000")])),
            docs,
            docs,
            note="a 524-byte page like this once took 1.4 GB",
        ),
        Spec(
            "pages", "spans-real", name, _writer(lambda c: _real_spans(c.html)), docs, ("verify",)
        ),
        Spec(
            "pages",
            "spans-extreme",
            name,
            _writer(
                lambda c: _span_page(
                    c.size["span_cells"],
                    [("65534", "2147483647"), ("2147483648", "1"), ("1", "99999999999999999999")],
                )
            ),
            docs,
            ("extract",),
        ),
        Spec(
            "pages",
            "spans-garbage",
            name,
            _writer(
                lambda c: _span_page(
                    c.size["span_cells"],
                    [("-5", "-1"), ("1e9", "0x10"), ('""', "abc"), ("0", "0"), ("١٢٣", "１０００")],
                )
            ),
            docs,
            (),
        ),
        Spec(
            "pages",
            "nested-div",
            name,
            _writer(
                lambda c: _page(
                    "<div>" * c.size["nest_html"] + "1件" + "</div>" * c.size["nest_html"]
                )
            ),
            docs,
            ("verify",),
        ),
        Spec(
            "pages",
            "nested-tables",
            name,
            _writer(lambda c: _page("<table><tr><td>" * c.size["nest_html"] + "1")),
            docs,
            ("extract",),
        ),
        Spec(
            "pages",
            "unclosed-tags",
            name,
            _writer(
                lambda c: _page(
                    "<b><i><p><table><tr><td>" * (c.size["nest_html"] // 5) + "<!-- " + "x" * 1000
                )
            ),
            docs,
            (),
        ),
        Spec(
            "pages",
            "big-page",
            name,
            _writer(lambda c: _big_page(c, c.size["page"])),
            docs,
            ("verify",),
        ),
        Spec(
            "pages",
            "many-paragraphs",
            name,
            _writer(
                lambda c: c.html.replace(
                    "</article>",
                    "<p>本年度无其他需要报告的事项1件。</p>" * c.size["paragraphs"] + "</article>",
                )
            ),
            docs,
            ("verify",),
        ),
        Spec(
            "pages",
            "huge-table",
            name,
            _writer(
                lambda c: _page(
                    "<table>"
                    + ("<tr>" + "<td>1</td>" * 60 + "</tr>") * c.size["table_rows"]
                    + "</table>"
                )
            ),
            docs,
            (),
        ),
        Spec("pages", "entities", name, _writer(_entities_page), docs, ("verify", "extract")),
        Spec(
            "pages",
            "gbk-meta",
            name,
            _writer(
                lambda c: c.html.replace('charset="utf-8"', 'charset="gbk"').encode(
                    "gbk", errors="replace"
                )
            ),
            docs,
            (),
        ),
        Spec(
            "pages", "utf16", name, _writer(lambda c: c.html.encode("utf-16")), docs, ("extract",)
        ),
        Spec(
            "pages",
            "unknown-charset",
            name,
            _writer(lambda c: c.html.replace('charset="utf-8"', 'charset="x-no-such-charset"')),
            docs,
            (),
        ),
        Spec(
            "pages",
            "binary-garbage",
            name,
            _writer(lambda c: c.rng("page-garbage").randbytes(c.size["garbage"])),
            docs,
            ("verify",),
        ),
        Spec(
            "pages",
            "htm-crlf",
            "report.htm",
            _writer(lambda c: c.html.replace("\n", "\r\n")),
            docs,
            ("extract",),
        ),
        Spec(
            "pages",
            "script-style-huge",
            name,
            _writer(
                lambda c: c.html.replace(
                    "</head>",
                    "<script>"
                    + "var a='<table><tr><td>1</td>';" * (c.size["page"] // 40)
                    + "</script></head>",
                    1,
                )
            ),
            docs,
            (),
        ),
    ]
    for kind in RUN_UNITS:
        small = ("verify", "extract") if kind == "a1b2" else ()

        def make(path: Path, ctx: Context, kind: str = kind) -> None:
            text = run_text(kind, ctx.size["runs"])
            _write(path, ctx.html.replace("</article>", f"<p>{text}</p></article>", 1))

        specs.append(Spec("pages", f"long-run-{kind}", name, make, docs, small))
    return specs


# ---- Markdown and plain text --------------------------------------------------------------------


def _big_md(ctx: Context) -> str:
    paras = [p for p in ctx.md.split("\n\n") if p and not p.lstrip().startswith(("<", "#"))]
    filler = "\n\n".join(paras) + "\n\n"
    copies = max(1, ctx.size["md"] // len(filler.encode("utf-8")))
    return ctx.md + "\n\n" + filler * copies


def _tab_lines(ctx: Context) -> str:
    table = [line for line in ctx.txt.splitlines() if "\t" in line]
    lines = (table * (ctx.size["txt_lines"] // len(table) + 1))[: ctx.size["txt_lines"]]
    return ctx.txt + "\n" + "\n".join(lines) + "\n"


def _escapes_md(ctx: Context) -> str:
    md = ctx.md.replace("# ", f"# {ESCAPES}", 1)
    md = re.sub(
        r'(<td data-key="applications.new_received.natural_person">)',
        r"\g<1>" + ESCAPES,
        md,
        count=1,
    )
    return md + f"\n\n本年度{ESCAPES}收到申请1件。\n"


def _escapes_txt(ctx: Context) -> str:
    lines = ctx.txt.splitlines()
    out = []
    for line in lines:
        if "\t" in line and re.search(r"\t\d", line) and ESCAPES not in "".join(out[-3:]):
            cells = line.split("\t")
            cells[1] = ESCAPES + cells[1]
            line = "\t".join(cells)
        out.append(line)
    out[0] = ESCAPES + out[0]
    return "\n".join(out) + f"\n本年度{ESCAPES}收到申请1件。\n"


def text_specs() -> list[Spec]:
    docs = DOCUMENT_COMMANDS
    specs = [
        Spec("text", "md-big", "report.md", _writer(_big_md), docs, ("verify",)),
        Spec("text", "txt-tab-tables", "report.txt", _writer(_tab_lines), docs, ("extract",)),
        Spec(
            "text",
            "txt-wide-tabs",
            "report.txt",
            _writer(lambda c: c.txt + "\n" + ("规章" + "\t1" * c.size["wide"] + "\n") * 50),
            docs,
            (),
        ),
        Spec(
            "text",
            "md-spans",
            "report.md",
            _writer(lambda c: _real_spans(c.md)),
            docs,
            ("extract",),
        ),
        Spec(
            "text",
            "md-gfm-wide",
            "report.md",
            _writer(
                lambda c: (
                    c.md
                    + "\n\n"
                    + "|"
                    + "|".join(["列"] * c.size["wide"])
                    + "|\n"
                    + "|"
                    + "|".join(["---"] * c.size["wide"])
                    + "|\n"
                    + ("|" + "|".join(["1"] * c.size["wide"]) + "|\n") * 20
                )
            ),
            docs,
            (),
        ),
        Spec(
            "text",
            "md-long-run",
            "report.md",
            _writer(lambda c: c.md + "\n\n" + run_text("a1b2", c.size["runs"]) + "\n"),
            docs,
            (),
        ),
        Spec(
            "text",
            "txt-long-run",
            "report.txt",
            _writer(lambda c: c.txt + "\n" + run_text("a1b2", c.size["runs"]) + "\n"),
            docs,
            ("verify",),
        ),
        Spec(
            "text",
            "txt-dense-numbers",  # just under the verifier's 5,000 numbers, in one sentence
            "report.txt",
            _writer(lambda c: c.txt + "\n" + "共受理申请5件、" * 4_900 + "\n"),
            docs,
            ("verify",),
        ),
        Spec(
            "text",
            "txt-too-many-numbers",  # 140,000 numbers in 280,000 characters: refused, not 40 s
            "report.txt",
            _writer(lambda c: c.txt + "\n" + "1、" * 140_000 + "\n"),
            docs,
            ("verify",),
        ),
        Spec("text", "md-escapes", "report.md", _writer(_escapes_md), docs, ("verify", "audit")),
        Spec("text", "txt-escapes", "report.txt", _writer(_escapes_txt), docs, ("extract",)),
        Spec(
            "text",
            "txt-garbage",
            "report.txt",
            _writer(lambda c: c.rng("txt-garbage").randbytes(c.size["garbage"])),
            docs,
            ("extract",),
        ),
        Spec(
            "text", "txt-utf16", "report.txt", _writer(lambda c: c.txt.encode("utf-16")), docs, ()
        ),
        Spec(
            "text",
            "md-nul",
            "report.md",
            _writer(lambda c: c.md.replace("\n\n", "\n\x00\n")),
            docs,
            (),
        ),
        Spec(
            "text",
            "txt-one-long-line",
            "report.txt",
            _writer(lambda c: "政府信息公开申请1件，" * (c.size["long_line"] // 30)),
            docs,
            (),
        ),
        Spec(
            "text",
            "md-nesting",
            "report.md",
            _writer(
                lambda c: (
                    c.md
                    + "\n"
                    + ">" * c.size["nest_html"]
                    + " 1件\n"
                    + "[" * c.size["nest_html"]
                    + "\n"
                )
            ),
            docs,
            (),
        ),
    ]
    return specs


# ---- paths --------------------------------------------------------------------------------------


def _symlink(target: str) -> Callable[[Path, Context], None]:
    def make(path: Path, ctx: Context) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)

    return make


def _fifo(path: Path, ctx: Context) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)


def _directory(path: Path, ctx: Context) -> None:
    (path / "inner").mkdir(parents=True)


def _unreadable(content: Callable[[Context], str | bytes]) -> Callable[[Path, Context], None]:
    def make(path: Path, ctx: Context) -> None:
        _write(path, content(ctx))
        path.chmod(0)

    return make


def _loop(path: Path, ctx: Context) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(path.name + ".other", path)
    os.symlink(path.name, path.parent / (path.name + ".other"))


def paths_specs() -> list[Spec]:
    docs = DOCUMENT_COMMANDS
    both = STATS_COMMANDS
    specs = [
        Spec("paths", "devzero-stats", "stats.yaml", _symlink("/dev/zero"), both, ("check",)),
        Spec("paths", "devzero-xlsx", "stats.xlsx", _symlink("/dev/zero"), both, ()),
        Spec("paths", "devzero-docx", "report.docx", _symlink("/dev/zero"), docs, ("extract",)),
        Spec("paths", "devzero-html", "report.html", _symlink("/dev/zero"), docs, ()),
        Spec("paths", "fifo-stats", "stats.yaml", _fifo, both, ("check",)),
        Spec("paths", "fifo-html", "report.html", _fifo, docs, ("verify", "audit")),
        Spec("paths", "dir-docx", "report.docx", _directory, docs, ("extract",)),
        Spec("paths", "dir-stats", "stats.yaml", _directory, both, ()),
        Spec("paths", "symlink-loop", "report.docx", _loop, docs, ("verify",)),
        Spec(
            "paths",
            "dangling-symlink",
            "report.html",
            _symlink("/nonexistent/hostile/report.html"),
            docs,
            (),
        ),
        Spec(
            "paths",
            "output-is-dir",
            "report.html",
            _writer(lambda c: c.html),
            ("extract",),
            prepare=(("dir", "stats.yaml"),),
            argv={"extract": ("extract", "{input}", "-o", "stats.yaml", "--force")},
            note="the output path is a directory; --force must not remove it",
        ),
        Spec(
            "paths",
            "output-exists",
            "report.html",
            _writer(lambda c: c.html),
            ("extract",),
            (),
            prepare=(("file", "stats.yaml"),),
            note="the output file exists and --force is not given",
        ),
        Spec(
            "paths",
            "draft-partial",
            "stats.yaml",
            _writer(lambda c: c.sample_text),
            ("draft",),
            prepare=(("dir", "out.html"),),
            argv={
                "draft": (
                    "draft",
                    "{input}",
                    "-o",
                    "out.docx",
                    "--md",
                    "out.md",
                    "--html",
                    "out.html",
                    "--allow-errors",
                    "--offline",
                    "--force",
                )
            },
            note="one of three outputs cannot be written: none may be",
        ),
        Spec(
            "paths",
            "output-in-missing-dir",
            "report.html",
            _writer(lambda c: c.html),
            ("extract",),
            (),
            argv={"extract": ("extract", "{input}", "-o", "no/such/dir/stats.yaml")},
        ),
    ]
    if os.geteuid() != 0:  # root reads anything: the case would test nothing
        specs += [
            Spec(
                "paths",
                "unreadable-stats",
                "stats.yaml",
                _unreadable(lambda c: c.sample_text),
                both,
                ("check",),
            ),
            Spec(
                "paths",
                "unreadable-docx",
                "report.docx",
                _unreadable(lambda c: c.docx),
                docs,
                ("verify",),
            ),
        ]
    return specs


# ---- injection ----------------------------------------------------------------------------------


def _plant_cells(html: str, texts: Iterable[str], as_html: bool = True) -> str:
    texts = list(texts)
    counter = iter(range(10**6))

    def repl(m: re.Match[str]) -> str:
        text = texts[next(counter) % len(texts)]
        if as_html:
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace("\n", "<br>\n")
        return m.group(1) + text + m.group(3)

    return re.sub(r'(<td[^>]*data-key="[^"]*"[^>]*>)([^<]*)(</td>)', repl, html)


def _yaml_cells_html(ctx: Context) -> str:
    texts = [
        f"1{PLANT}",
        "0\u2028notes: 植入\u2028",
        "0\x85facts: [1]\x85",
        "0\rscope_change: 植入\r",
    ]
    html = _plant_cells(ctx.html, texts)
    title = "泉州市科学技术局<br>\nnotes: 植入<br>\n2023年政府信息公开工作年度报告"
    return html.replace("<h1>", f"<h1>{title}", 1)


def _formula_cells_html(ctx: Context) -> str:
    html = _plant_cells(ctx.html, FORMULAS)
    title = FORMULAS[0].replace('"', "&quot;")
    html = re.sub(
        r"<title>.*?</title>",
        f"<title>{title}2023年政府信息公开工作年度报告</title>",
        html,
        count=1,
    )
    return re.sub(r"<h1>.*?</h1>", f"<h1>{title}2023年政府信息公开工作年度报告</h1>", html, count=1)


def _docx_cells(ctx: Context, texts: list[str]) -> bytes:
    def edit(root: Any) -> None:
        for i, t in enumerate(root.iter(W + "t")):
            parent = t.getparent()
            if parent is None or not (t.text or "").strip().isdigit():
                continue
            text = texts[i % len(texts)]
            first, *rest = text.split("\n")
            t.text = first
            anchor = t
            for line in rest:
                br = _el("br")
                anchor.addnext(br)
                t2 = _el("t")
                t2.text = line
                br.addnext(t2)
                anchor = t2

    return _docx_tree(ctx, edit)


def _plant_attachment(html: str) -> str:
    fake = _plant_cells(
        "".join(re.findall(r"<table.*?</table>", html, flags=re.S)), ["999"], as_html=False
    )
    return html.replace(
        "</article>", f"<p>附件</p><p>附件：某某局2022年报告（节选）</p>{fake}</article>", 1
    )


def _yaml_cells_txt(ctx: Context) -> str:
    out = []
    for line in ctx.txt.splitlines():
        if re.search(r"\t\d", line):
            cells = line.split("\t")
            cells[1] = cells[1] + "\u2028notes: 植入\u2028facts: [1]\x85scope_change: 植入\x85"
            line = "\t".join(cells)
        out.append(line)
    out[0] = out[0] + "\u2028notes: 植入"
    return "\n".join(out) + "\n"


def injection_specs() -> list[Spec]:
    docs = DOCUMENT_COMMANDS
    specs = [
        Spec(
            "injection",
            "html-yaml-cells",
            "report.html",
            _writer(_yaml_cells_html),
            docs,
            ("extract", "audit"),
        ),
        Spec(
            "injection",
            "docx-yaml-cells",
            "report.docx",
            _writer(
                lambda c: _docx_cells(c, [f"1{PLANT}", "0\u2028notes: 植入", "0\x85facts: [1]"])
            ),
            docs,
            ("extract",),
        ),
        Spec(
            "injection",
            "txt-yaml-cells",
            "report.txt",
            _writer(_yaml_cells_txt),
            docs,
            ("extract",),
        ),
        Spec(
            "injection",
            "md-yaml-cells",
            "report.md",
            _writer(lambda c: _plant_cells(c.md, [f"1{PLANT}", "0\u2028notes: 植入"])),
            docs,
            (),
        ),
        Spec(
            "injection",
            "html-csv-formulas",
            "report.html",
            _writer(_formula_cells_html),
            docs,
            ("audit",),
        ),
        Spec(
            "injection",
            "docx-csv-formulas",
            "report.docx",
            _writer(lambda c: _docx_cells(c, list(FORMULAS))),
            docs,
            (),
        ),
        Spec(
            "injection",
            "html-escape-cells",
            "report.html",
            _writer(lambda c: _plant_cells(c.html, [ESCAPES + "1", "1" + ESCAPES])),
            docs,
            ("extract",),
            note="terminal escapes in table cells: extract reads on and warns about them",
        ),
        Spec(
            "injection",
            "html-escape-title",
            "report.html",
            _writer(lambda c: c.html.replace("<h1>", "<h1>" + ESCAPES, 1)),
            docs,
            (),
        ),
        Spec(
            "injection",
            "filename-yaml",
            "r\nnotes: 植入\nfacts: [1]\n#.html",
            _writer(lambda c: c.html),
            docs,
            ("extract", "audit"),
        ),
        Spec(
            "injection",
            "filename-escape",
            f"{ESCAPES}r.html",
            _writer(lambda c: c.html),
            docs,
            ("verify", "audit"),
        ),
        Spec(
            "injection",
            "filename-formula",
            "=1+cmd|' -C calc'!A0.html",
            _writer(lambda c: c.html),
            docs,
            ("audit",),
        ),
        Spec(
            "injection",
            "attachment-planted",
            "report.html",
            _writer(lambda c: _plant_attachment(c.html)),
            docs,
            ("verify",),
        ),
    ]
    return specs


# ---- the corpus ---------------------------------------------------------------------------------


def _audit_folder_spec() -> Spec:
    """A folder of hostile reports from every document family, audited in one run."""

    def make(path: Path, ctx: Context) -> None:
        path.mkdir(parents=True, exist_ok=True)
        for spec in (*docx_specs(), *pages_specs(), *text_specs(), *injection_specs()):
            if not spec.commands_for(ctx.scale) or "/" in spec.filename or "\n" in spec.filename:
                continue
            source = ctx.root / spec.family / spec.name / spec.filename
            if source.is_file():
                suffix = Path(spec.filename).suffix
                if suffix in (".docx", ".html", ".htm"):  # what a folder is searched for
                    os.link(source, path / f"{spec.family}-{spec.name}{suffix}")

    return Spec("mixed", "audit-folder", "reports", make, ("audit",), ("audit",))


def plan(scale: str, families: Iterable[str] | None = None) -> list[Spec]:
    """Every case of the corpus at this scale, without writing anything."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}")
    specs = [
        *stats_specs(),
        *workbook_specs(),
        *docx_specs(),
        *pages_specs(),
        *text_specs(),
        *paths_specs(),
        *injection_specs(),
        _audit_folder_spec(),
    ]
    wanted = set(families) if families else None
    return [s for s in specs if s.commands_for(scale) and (wanted is None or s.family in wanted)]


def build(root: Path, scale: str, families: Iterable[str] | None = None) -> list[Case]:
    """Write the corpus under `root` (one folder per case) and return its cases."""
    root = Path(root)
    ctx = Context(root, scale)
    cases: list[Case] = []
    for spec in plan(scale, families):
        folder = root / spec.family / spec.name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / spec.filename
        if not os.path.lexists(path):
            spec.make(path, ctx)
        cases.append(
            Case(
                spec.family,
                spec.name,
                path,
                spec.commands_for(scale),
                spec.prepare,
                spec.argv,
                spec.note,
            )
        )
    return cases


def cleanup(root: Path) -> None:
    """Remove a built corpus (restoring permissions an unreadable case took away)."""
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            if not path.is_symlink():
                with contextlib.suppress(OSError):
                    path.chmod(0o700)
    shutil.rmtree(root, ignore_errors=True)


# ---- running ------------------------------------------------------------------------------------

# The parent of each drafter run: a small Python (started afresh, so that no preexec_fn is needed
# in a threaded parent) that forks drafter under an address-space cap, waits for it and writes
# its exit status and peak resident memory to a report file. Measured here rather than in the
# caller because a child's ru_maxrss starts from the memory of whoever forked it (pytest, with
# the corpus built, already holds 100+ MB). On the timeout it kills drafter and its workers.
_LIMITER = """
import os, resource, signal, sys, time
cap, timeout, report = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
pid = os.fork()
if pid == 0:
    try:
        if cap > 0:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 30, 2 << 30))
        os.execv(sys.argv[4], sys.argv[4:])
    finally:
        os._exit(127)
deadline = time.monotonic() + timeout
timed_out = 0
while True:
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    if time.monotonic() > deadline:
        timed_out = 1
        os.kill(pid, signal.SIGKILL)
        done, status, usage = os.wait4(pid, 0)
        break
    time.sleep(0.01)
with open(report, "w") as handle:
    handle.write(f"{status} {usage.ru_maxrss} {timed_out}\\n")
if timed_out:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    os.killpg(0, signal.SIGTERM)  # workers of the killed run
    os.killpg(0, signal.SIGKILL)
code = os.waitstatus_to_exitcode(status)
os._exit(code if code >= 0 else 128 - code)
"""

_EXIT2_LINE = re.compile(r"^错误 (E-[A-Z0-9-]+)：\S")
_CRASH_LOG = re.compile(r"详细信息已写入 (.+?)，请")
_HIDDEN_CRASH = re.compile(r"无法读取（[A-Za-z_][A-Za-z0-9_.]*(?:Error|Exception|Exit|Warning)?：")
# What must never reach a terminal raw: C0 controls other than tab and line feed (ESC, BEL, CR
# overwriting a line…), DEL and the C1 controls (CSI U+009B, NEL U+0085…).
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# A planted cell that started a line of its own in the output (a forged line).
_FORGED = re.compile(r"^[ \t]*(?:notes: 植入|scope_change: 植入|facts: \[)", re.M)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def argv_for(case: Case, command: str) -> list[str]:
    if case.argv and command in case.argv:
        template = case.argv[command]
    elif command == "check":
        template = ("check", "{input}")
    elif command == "draft":
        template = (
            "draft",
            "{input}",
            "-o",
            "out.docx",
            "--md",
            "out.md",
            "--html",
            "out.html",
            "--allow-errors",
            "--offline",
        )
    elif command == "verify":
        template = ("verify", "{input}", "--stats", "{sample}")
        if case.path.suffix == ".docx":
            template += ("--annotate", "annotated.docx")
    elif command == "extract":
        template = ("extract", "{input}", "-o", "stats.yaml")
    elif command == "audit":
        template = ("audit", "{input}", "--csv", "audit.csv")
    else:
        raise ValueError(command)
    return [a.replace("{input}", str(case.path)).replace("{sample}", str(SAMPLE)) for a in template]


def _snapshot(folder: Path) -> dict[str, tuple[str, str]]:
    """Relative path → (kind, content fingerprint) of everything under `folder`; devices,
    FIFOs and symlinks are never opened."""
    found: dict[str, tuple[str, str]] = {}

    def walk(directory: Path, prefix: str) -> None:
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            rel = prefix + entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if entry.is_symlink():
                found[rel] = ("link", os.readlink(entry.path))
            elif entry.is_dir(follow_symlinks=False):
                found[rel] = ("dir", "")
                walk(Path(entry.path), rel + "/")
            elif entry.is_file(follow_symlinks=False):
                found[rel] = ("file", _digest(Path(entry.path), st.st_size))
            else:
                found[rel] = ("special", f"{st.st_mode:o}")

    walk(folder, "")
    return found


def _digest(path: Path, size: int) -> str:
    h = hashlib.blake2b(digest_size=16)
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(4 * MB):
                h.update(chunk)
    except OSError:
        return f"unreadable:{size}"
    return h.hexdigest()


@dataclass
class Outcome:
    case: str
    family: str
    command: str
    argv: list[str]
    status: int | None  # exit status (negative: ended by that signal; None: timed out)
    timed_out: bool
    elapsed: float  # seconds
    peak_rss_mb: float
    stdout: str
    stderr: str
    new_files: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)  # pre-existing entries changed or removed
    input_changes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        status = "timeout" if self.timed_out else self.status
        return (
            f"{self.case}:{self.command} → exit {status}, {self.elapsed:.1f} s, "
            f"{self.peak_rss_mb:.0f} MB" + ("".join(f"\n  - {p}" for p in self.problems))
        )


def run(
    case: Case,
    command: str,
    *,
    timeout: float = 60.0,
    mem_limit_bytes: int = 1536 * MB,
    workdir: Path | None = None,
    time_limit: float | None = None,
    rss_limit_mb: float | None = None,
    keep: bool = False,
) -> Outcome:
    """Run one command on one case in a fresh working directory and judge the result.

    `timeout` ends the process (a hang); `time_limit` and `rss_limit_mb`, when given, are
    targets whose excess is reported as a problem (the benchmark's 10 s and 500 MB)."""
    base = Path(workdir) if workdir else case.path.parent.parent.parent / "_runs"
    base.mkdir(parents=True, exist_ok=True)
    cwd = Path(
        tempfile.mkdtemp(
            prefix=f"{case.family}-{case.name[:40]}-{command}-".replace("/", "_").replace(
                "\n", "_"
            ),
            dir=base,
        )
    )
    io_dir = Path(tempfile.mkdtemp(prefix="io-", dir=base))
    for kind, name in case.prepare:
        target = cwd / name
        if kind == "dir":
            (target / "keep").mkdir(parents=True)
        elif kind == "file":
            target.write_text("原有的文件，不应被改动\n", encoding="utf-8")
        elif kind == "fifo":
            os.mkfifo(target)
    argv = argv_for(case, command)
    inputs = case.path.parent
    before_cwd = _snapshot(cwd)
    before_inputs = _snapshot(inputs)
    sample_before = _digest(SAMPLE, 0)

    out_path, err_path, report = io_dir / "stdout", io_dir / "stderr", io_dir / "report"
    command_line = [sys.executable, "-I", "-S", "-c", _LIMITER]
    command_line += [str(mem_limit_bytes), str(timeout), str(report), *drafter_command(), *argv]
    start = time.monotonic()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            command_line,
            cwd=cwd,
            env=_env(base / "_home"),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout + 30)  # the limiter ends drafter at `timeout`; this is a backstop
    elapsed = time.monotonic() - start
    with contextlib.suppress(ProcessLookupError):  # anything left of the run
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    timed_out = False
    status: int | None = process.returncode
    peak = 0.0
    with contextlib.suppress(OSError, ValueError):
        wait_status, maxrss, killed = report.read_text().split()
        status = os.waitstatus_to_exitcode(int(wait_status))
        peak = int(maxrss) / 1024
        timed_out = killed == "1"
    if not report.exists():
        timed_out = True

    stdout = out_path.read_bytes().decode("utf-8", errors="replace")
    stderr = err_path.read_bytes().decode("utf-8", errors="replace")
    shutil.rmtree(io_dir, ignore_errors=True)
    after_cwd = _snapshot(cwd)
    after_inputs = _snapshot(inputs)

    outcome = Outcome(
        case=case.id,
        family=case.family,
        command=command,
        argv=argv,
        status=None if timed_out else status,
        timed_out=timed_out,
        elapsed=elapsed,
        peak_rss_mb=peak,
        stdout=stdout,
        stderr=stderr,
    )
    forced = "--force" in argv
    intended = _intended(argv, command)
    outcome.new_files = sorted(set(after_cwd) - set(before_cwd))
    outcome.changed = sorted(
        rel
        for rel, fingerprint in before_cwd.items()
        if after_cwd.get(rel) != fingerprint and not (forced and rel in intended)
    )
    outcome.input_changes = sorted(
        rel
        for rel in set(before_inputs) | set(after_inputs)
        if before_inputs.get(rel) != after_inputs.get(rel)
    )
    if _digest(SAMPLE, 0) != sample_before:
        outcome.input_changes.append(str(SAMPLE))
    outcome.problems = _judge(outcome, cwd, intended, time_limit, rss_limit_mb, base / "_home")
    if not keep:
        _remove(cwd)
    return outcome


def _intended(argv: list[str], command: str) -> set[str]:
    names = set(OUTPUTS[command])
    for flag in ("-o", "--output", "--md", "--html", "--annotate", "--csv"):
        if flag in argv:
            names.add(argv[argv.index(flag) + 1])
    return names


def _remove(folder: Path) -> None:
    for path in folder.rglob("*"):
        if not path.is_symlink():
            with contextlib.suppress(OSError):
                path.chmod(0o700)
    shutil.rmtree(folder, ignore_errors=True)


def _judge(
    o: Outcome,
    cwd: Path,
    intended: set[str],
    time_limit: float | None,
    rss_limit_mb: float | None,
    home: Path,
) -> list[str]:
    problems: list[str] = []
    text = o.stdout + o.stderr
    if o.timed_out:
        problems.append(f"timeout: still running after {o.elapsed:.0f} s (killed)")
    elif o.status is not None and o.status < 0:
        problems.append(f"signal: ended by {signal.Signals(-o.status).name}")
    elif o.status == 3:
        problems.append(f"crash: {_crash_detail(o.stderr)}")
    elif o.status not in (0, 1, 2):
        problems.append(f"status: exit {o.status}: {_last_line(o.stderr)}")
    if "Traceback (most recent call last)" in text:
        problems.append(f"traceback: {_traceback_tail(text)}")
    if "MemoryError" in text or "内存不足" in text or "超过内存上限" in text:
        problems.append(f"memory: {_line_with(text, ('MemoryError', '内存不足', '超过内存上限'))}")
    if o.status == 2:
        # Progress said before the failure ("正文由离线起草器按模板起草") may stand; from the
        # first error on, every line is one coded problem: nothing continues a message.
        lines = [line for line in o.stderr.splitlines() if line.strip()]
        first = next((i for i, line in enumerate(lines) if line.startswith("错误")), len(lines))
        lines = lines[first:]
        bad = [line for line in lines if not _EXIT2_LINE.match(line) or not _known_code(line)]
        if not lines:
            problems.append("exit-2 message: nothing on stderr")
        elif bad:
            problems.append(f"exit-2 message: not one coded line per problem: {bad[0][:200]!r}")
    m = _TERMINAL.search(text)
    if m:
        context = text[max(0, m.start() - 40) : m.end() + 20]
        problems.append(f"terminal-escape: raw {m.group()!r} in the output: {context!r}")
    m = _FORGED.search(text)
    if m:
        line = text[m.start() : text.find("\n", m.start()) % (len(text) + 1)]
        problems.append(f"forged-line: planted text starts a line of the output: {line[:80]!r}")
    if "root:x:0:0" in text:
        problems.append("xxe: /etc/passwd in the output")

    # files
    leftovers = [
        rel for rel in o.new_files if rel.endswith(".tmp") or ("/." in "/" + rel and ".tmp" in rel)
    ]
    if o.status in (0, 1):
        unexpected = [rel for rel in o.new_files if rel.split("/")[0] not in intended]
    else:
        unexpected = list(o.new_files)
    for rel in sorted(set(leftovers) | set(unexpected)):
        problems.append(f"leftover: {rel} (exit {o.status})")
    for rel in o.changed:
        problems.append(f"leftover: pre-existing {rel} changed or removed")
    for rel in o.input_changes:
        problems.append(f"input-changed: {rel}")

    # injection checks, on every run that produced the output
    if o.command == "extract" and o.status in (0, 1):
        problems += _check_extracted(cwd, o.argv)
    if o.command == "audit" and "--csv" in o.argv and o.status in (0, 1):
        problems += _check_csv(cwd / o.argv[o.argv.index("--csv") + 1])

    if time_limit is not None and o.elapsed > time_limit and not o.timed_out:
        problems.append(f"slow: {o.elapsed:.1f} s (target {time_limit:g} s)")
    if rss_limit_mb is not None and o.peak_rss_mb > rss_limit_mb:
        problems.append(f"rss: peak {o.peak_rss_mb:.0f} MB (target {rss_limit_mb:g} MB)")
    return problems


def _known_code(line: str) -> bool:
    m = _EXIT2_LINE.match(line)
    if not m:
        return False
    try:
        from drafter.errors import INPUT_CODES
    except Exception:
        return True
    return m.group(1) in INPUT_CODES


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _line_with(text: str, needles: tuple[str, ...]) -> str:
    for line in text.splitlines():
        if any(n in line for n in needles):
            return line.strip()[:300]
    return ""


def _traceback_tail(text: str) -> str:
    """The exception line of the last traceback in `text`, and where it was raised."""
    tail = text[text.rfind("Traceback (most recent call last)") :]
    where = ""
    for line in tail.splitlines()[1:]:
        frame = re.match(r'\s+File "([^"]+)", line (\d+)', line)
        if frame:
            where = f"{Path(frame.group(1)).name}:{frame.group(2)}"
        elif line and not line.startswith((" ", "\t", "Traceback")):
            return line[:300] + (f" (at {where})" if where else "")
    return _last_line(tail)


def _crash_detail(stderr: str) -> str:
    m = _CRASH_LOG.search(stderr)
    if m:
        with contextlib.suppress(OSError):
            log = Path(m.group(1)).read_text(encoding="utf-8", errors="replace")
            return _traceback_tail(log) or _last_line(log)
    return _last_line(stderr)


def _check_extracted(cwd: Path, argv: list[str]) -> list[str]:
    import yaml

    target = argv[argv.index("-o") + 1] if "-o" in argv else "stats.yaml"
    path = cwd / target
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return [
            f"injection-yaml: extract wrote YAML that does not load: {str(exc).splitlines()[0]}"
        ]
    if not isinstance(data, dict):
        return [f"injection-yaml: extract wrote a {type(data).__name__}, not a mapping"]
    planted = [k for k in PLANTED_KEYS if k in data]
    problems = [
        f"injection-yaml: key {k!r} in extract's output (planted text broke out)" for k in planted
    ]
    if _TERMINAL.search(text):
        problems.append("injection-yaml: a raw control character in extract's output file")
    return problems


def _check_csv(path: Path) -> list[str]:
    if not path.is_file():
        return []
    problems: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0] if rows else []
    for row in rows[1:]:
        report = Path(row[0]).name if row else "?"
        for column, cell in zip(header, row, strict=False):
            if cell.startswith(_FORMULA_START):
                problems.append(
                    f"injection-csv: column {column!r} starts with {cell[:1]!r}: {cell[:60]!r}"
                )
            if column == "unreadable" and cell:
                if _HIDDEN_CRASH.search(cell):
                    problems.append(f"crash: audit of {report}: {cell[:200]}")
                elif "超过时限" in cell:
                    problems.append(f"timeout: audit of {report}: {cell[:200]}")
                elif "异常退出" in cell or "内存" in cell:
                    problems.append(f"memory: audit of {report}: {cell[:200]}")
    return sorted(set(problems))


def failure_kind(problem: str) -> str:
    return problem.split(":", 1)[0]


def cases_and_commands(
    cases: Iterable[Case], commands: Iterable[str] | None = None
) -> list[tuple[Case, str]]:
    wanted = set(commands) if commands else None
    return [(c, cmd) for c in cases for cmd in c.commands if wanted is None or cmd in wanted]


def smoke() -> None:  # pragma: no cover - a manual check: python tests/hostile_corpus.py
    root = Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        cases = build(root, "small")
        for case, command in cases_and_commands(cases):
            print(run(case, command).summary(), flush=True)
    finally:
        cleanup(root)


if __name__ == "__main__":  # pragma: no cover
    smoke()
