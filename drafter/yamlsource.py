"""Reading a YAML file safely, remembering the line of every value.

The statistics file is small and hand-written, so it is read strictly: one document, no
anchors or aliases (a "billion laughs" file cannot expand), no duplicate keys (the second of
two equal keys would silently win), a size limit, a depth limit. Numbers with a fraction become
`Decimal` built from the text as written (never a float), so 5949.088667 万元 stays exact.

The result is plain Python data plus a map from each key path to its line number, which the
loaders use to put `stats.yaml:42` in front of every error.

The data files shipped with drafter (layouts, reference tables) are read with libyaml and
remembered, as JSON, in drafter's cache directory (`read_trusted_yaml`): parsing the postal
codes alone is a twentieth of a check's time, reading them back from JSON a fortieth of that.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from drafter.errors import InputError, Problem, one_line
from drafter.limits import (
    MAX_NUMBER_DIGITS,
    MAX_STATS_DEPTH,
    MAX_STATS_YAML_BYTES,
    read_bytes_limited,
)

PathKey = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)")


def read_yaml(path: Path, *, display: str | None = None) -> tuple[Any, dict[PathKey, int]]:
    """Read `path`; return its data and the line (1-based) of every key path."""
    name = display or str(path)
    raw = read_bytes_limited(path, MAX_STATS_YAML_BYTES, "统计文件", display=name)
    return parse_yaml_bytes(raw, name)


def parse_yaml_bytes(raw: bytes, name: str) -> tuple[Any, dict[PathKey, int]]:
    """The data and key lines of YAML given as bytes (UTF-8 with or without BOM, no NUL),
    problems located by `name`; the caller has limited the size."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            Problem(
                "不是 UTF-8 编码的文本（请以 UTF-8 保存；Excel 工作簿请直接使用 .xlsx 文件）",
                file=name,
                line=line,
                code="E-FILE-ENCODING",
            )
        ) from None
    if "\x00" in text:
        raise InputError(
            Problem("不是文本文件（含有 NUL 字符）", file=name, code="E-FILE-ENCODING")
        )
    return parse_yaml(text, name)


def read_trusted_yaml(path: Path) -> Any:
    """Read a data file shipped with drafter (a layout, reference tables) with libyaml's C
    loader: several times faster than the strict reader, which user input needs and these
    files do not; and faster still from the cache, when the file has not changed since."""
    try:
        raw = path.read_bytes()
        key = _cache_key(raw)
        cached = _cached(path, key)
        if cached is not None:
            return cached[0]
        data = yaml.load(raw.decode("utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        message = f"无法读取数据文件：{exc}"
        raise InputError(Problem(message, file=path.name, code="E-LAYOUT")) from None
    _remember(path, key, data)
    return data


# ---- the cache of data files --------------------------------------------------------------
#
# One JSON file per data file, named after its path, holding the data and a key: the hash of
# the file's bytes and the versions that could change what they parse to. A changed file, or
# another PyYAML, misses the cache and is parsed (and remembered) again. Data that JSON would
# not give back as it was (a date, a key that is not a string) is never cached. Nothing is
# written when Python is told not to write bytecode (PYTHONDONTWRITEBYTECODE), nor when the
# directory cannot be written; a cache file that cannot be read is ignored.

_CACHE_VERSION = "1"


def _cache_key(raw: bytes) -> str:
    versions = f"{_CACHE_VERSION}|{yaml.__version__}|{_Loader.__name__}|".encode()
    return hashlib.sha256(versions + raw).hexdigest()


def cache_dir() -> Path | None:
    """Where drafter keeps what it can recompute: $DRAFTER_HOME/cache, else the platform's
    user cache directory."""
    home = os.environ.get("DRAFTER_HOME")  # drafter.audit.HOME_ENV, not imported for this
    if home:
        return Path(home) / "cache"
    try:
        if sys.platform == "win32":
            local = os.environ.get("LOCALAPPDATA")
            return Path(local) / "drafter" / "Cache" if local else None
        if sys.platform == "darwin":
            return Path.home() / "Library" / "Caches" / "drafter"
        return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "drafter"
    except RuntimeError:  # no home directory
        return None


def _cache_file(path: Path) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    where = hashlib.sha256(str(path.resolve()).encode("utf-8", "surrogatepass")).hexdigest()
    return folder / "data" / f"{path.stem}-{where[:16]}.json"


def _cached(path: Path, key: str) -> tuple[Any] | None:
    """(data,) from the cache when it holds this version of the file, else None."""
    cache = _cache_file(path)
    if cache is None:
        return None
    try:
        entry = json.loads(cache.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("key") != key or "data" not in entry:
        return None
    return (entry["data"],)


def _remember(path: Path, key: str, data: Any) -> None:
    cache = _cache_file(path)
    if cache is None or sys.dont_write_bytecode:
        return
    try:
        text = json.dumps({"key": key, "data": data}, ensure_ascii=False)
        if json.loads(text)["data"] != data:  # a date, a tuple, a key that is not a string
            return
    except (TypeError, ValueError):
        return
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                file.write(text)
            os.replace(temporary, cache)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, ValueError):  # ValueError: text the encoding refuses (a lone surrogate)
        return


def parse_yaml(text: str, name: str) -> tuple[Any, dict[PathKey, int]]:
    builder = _Builder(name)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.feed(event)
    except yaml.YAMLError as exc:
        raise InputError(_syntax_problem(exc, text, name)) from None
    return builder.result(), builder.lines


# libyaml's messages, in the words a clerk can act on (the English one is kept for the rest).
_YAML_WORDS: tuple[tuple[str, str], ...] = (
    (
        "found a tab character that violates indentation",
        "用了制表符（Tab）缩进，YAML 只能用空格缩进",
    ),
    (
        "found character that cannot start any token",
        "这里的字符不能开始一个值（常见原因：用了制表符 Tab 缩进，或值以 @、` 开头而没有加引号）",
    ),
    ("did not find expected ',' or ']'", "缺少“,”或“]”：方括号没有闭合"),
    ("did not find expected ',' or '}'", "缺少“,”或“}”：花括号没有闭合"),
    ("mapping values are not allowed", "这里不能有冒号（值中有冒号时请加引号）"),
    ("could not find expected ':'", "缺少冒号“:”（键和值之间要有“: ”）"),
    ("did not find expected key", "缩进没有对齐：这一行不是上一层的键"),
    ("expected <block end>, but found", "缩进没有对齐"),
    ("did not find expected '-' indicator", "缩进没有对齐：列表的各项应以“- ”开头并对齐"),
    ("found unexpected end of stream", "文件意外结束：引号或括号没有闭合"),
    (
        "found unknown escape character",
        "双引号中有不认识的转义字符（反斜杠请写成 \\\\，或改用单引号）",
    ),
    ("found undefined alias", "引用了没有定义的别名（*）"),
    ("found unexpected ':'", "这里不能有冒号"),
    ("while scanning a plain scalar", "读取文字时"),
    ("while scanning a quoted scalar", "读取引号中的文字时"),
    ("while parsing a quoted scalar", "读取引号中的文字时"),
    ("while scanning a simple key", "读取键时"),
    ("while parsing a block mapping", "读取键和值时"),
    ("while parsing a block collection", "读取列表时"),
    ("while parsing a flow sequence", "读取方括号中的列表时"),
    ("while parsing a flow mapping", "读取花括号中的内容时"),
    ("while scanning an alias", "读取别名时"),
    ("while scanning an anchor", "读取锚点时"),
)


def _chinese(message: str) -> str:
    for english, chinese in _YAML_WORDS:
        if message.startswith(english):
            return chinese
    return message


def _syntax_problem(exc: yaml.YAMLError, text: str, name: str) -> Problem:
    """libyaml's error as one line, `stats.yaml:3:5: YAML 格式错误：…` (its own message spans
    several lines and names "<unicode string>" instead of the file)."""
    line = column = None
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            line, column = mark.line + 1, mark.column + 1
        reason = _chinese(exc.problem or exc.context or "格式错误")
        if exc.context and exc.problem:
            reason = f"{reason}（{_chinese(exc.context)}）"
    elif isinstance(exc, yaml.reader.ReaderError):
        # A character YAML does not allow (a control character): located by searching for it,
        # since libyaml counts its position in bytes and PyYAML's own reader in characters.
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        index = text.find(character)
        if index >= 0:
            line = text.count("\n", 0, index) + 1
            column = index - (text.rfind("\n", 0, index) + 1) + 1
        reason = f"不允许的字符 {one_line(character)}（{exc.reason}）"
    else:
        reason = str(exc).split("\n", 1)[0]
    where = name if line is None else f"{name}:{line}:{column}"
    return Problem(f"YAML 格式错误：{reason}", file=where, code="E-YAML-SYNTAX")


class _Builder:
    """Builds Python data from parser events, refusing what a statistics file never needs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.lines: dict[PathKey, int] = {}
        # Each open container: (container, path, pending mapping key or None).
        self.stack: list[list[Any]] = []
        self.documents = 0
        self.root: Any = None

    def result(self) -> Any:
        if self.documents == 0:
            raise InputError(Problem("文件是空的", file=self.name, code="E-STATS-VALUE"))
        return self.root

    def fail(self, message: str, event: yaml.Event, code: str = "E-YAML-SYNTAX") -> None:
        """Refuse the file at `event` (YAML the statistics file does not allow, by default)."""
        line = event.start_mark.line + 1
        path = format_path(self._path_of_next()) if code == "E-STATS-VALUE" else None
        raise InputError(Problem(message, file=self.name, line=line, path=path, code=code))

    def _path_of_next(self) -> PathKey:
        """The key path the next value will be stored at (for messages)."""
        if not self.stack:
            return ()
        container, path, key = self.stack[-1]
        if isinstance(container, list):
            return (*path, len(container))
        return (*path, key) if key is not None else path

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.fail("一个统计文件只能包含一个 YAML 文档（发现了第二个 ---）", event)
        elif isinstance(event, yaml.AliasEvent):
            self.fail("不支持 YAML 别名（*name）；请直接写出数值", event)
        elif isinstance(event, yaml.ScalarEvent):
            self._check_anchor(event)
            self._add(self._scalar(event), event)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._check_anchor(event)
            if len(self.stack) >= MAX_STATS_DEPTH:
                self.fail(f"嵌套层次过深（超过 {MAX_STATS_DEPTH} 层）", event)
            container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
            path = self._add(container, event)
            self.stack.append([container, path, None])
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self.stack.pop()

    def _check_anchor(self, event: yaml.NodeEvent) -> None:
        if event.anchor is not None:
            self.fail("不支持 YAML 锚点（&name）；请直接写出数值", event)

    def _add(self, value: Any, event: yaml.Event) -> PathKey:
        line = event.start_mark.line + 1
        if not self.stack:
            self.root = value
            self.lines[()] = line
            return ()
        top = self.stack[-1]
        container, path = top[0], top[1]
        if isinstance(container, list):
            key_path = (*path, len(container))
            container.append(value)
            self.lines[key_path] = line
            return key_path
        if top[2] is None:  # this value is a key
            if isinstance(value, dict | list):
                self.fail("映射的键必须是简单的文本", event)
            key = value if isinstance(value, str) else str(value)
            if key in container:
                self.fail(f"键 {key!r} 重复出现（第{self.lines[(*path, key)]}行已有）", event)
            top[2] = key
            self.lines[(*path, key)] = line
            return (*path, key)
        key = top[2]
        top[2] = None
        container[key] = value
        # A value on its own line (block mapping) keeps the key's line: errors point at the key.
        return (*path, key)

    def _scalar(self, event: yaml.ScalarEvent) -> Any:
        if event.style in ("'", '"', "|", ">"):
            return event.value
        tag = event.tag
        if tag is None or tag == "!":
            tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
        value = event.value
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return _CONSTRUCTOR.construct_yaml_bool(yaml.ScalarNode(tag, value))
        if tag == "tag:yaml.org,2002:int":
            # YAML 1.1 reads 012 as octal 10 and 1:30 as 90: keep such text as text, so the
            # model reports it instead of accepting a number nobody meant.
            if not _PLAIN_INT.fullmatch(value):
                return value
            digits = value.replace("_", "").lstrip("+-")
            if len(digits) > MAX_NUMBER_DIGITS:  # int() would take long, or refuse 4,300+
                self.fail(
                    f"数值过大（{len(digits)} 位数字），统计文件中的数不会有这么多位",
                    event,
                    code="E-STATS-VALUE",
                )
            return int(value.replace("_", ""))
        if tag == "tag:yaml.org,2002:float":
            return _decimal(value) if _decimal(value) is not None else value
        if tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:timestamp"):
            return value
        self.fail(f"不支持的 YAML 标签 {tag}", event)
        return None  # unreachable


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def format_path(path: PathKey) -> str:
    """`('facts', 3, 'value')` → `facts[3].value`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
