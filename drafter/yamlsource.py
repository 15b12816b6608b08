"""Reading a YAML file safely, remembering the line of every value.

The statistics file is small and hand-written, so it is read strictly: one document, no
anchors or aliases (a "billion laughs" file cannot expand), no duplicate keys (the second of
two equal keys would silently win), a size limit, a depth limit. Numbers with a fraction become
`Decimal` built from the text as written (never a float), so 5949.088667 万元 stays exact.

The result is plain Python data plus a map from each key path to its line number, which the
loaders use to put `stats.yaml:42` in front of every error.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from drafter.errors import InputError, Problem

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 40

PathKey = tuple[str | int, ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_PLAIN_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)")


def read_yaml(path: Path, *, display: str | None = None) -> tuple[Any, dict[PathKey, int]]:
    """Read `path`; return its data and the line (1-based) of every key path."""
    name = display or str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"文件不存在：{name}") from None
    except OSError as exc:
        raise InputError(f"无法读取文件 {name}：{exc.strerror}") from None
    if path.is_dir():
        raise InputError(f"{name} 是目录，不是统计文件")
    if size > MAX_BYTES:
        raise InputError(
            f"{name}: 文件过大（{size // 1024} KB），"
            f"统计文件不应超过 {MAX_BYTES // 1024 // 1024} MB"
        )
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{name}: 第{line}行不是 UTF-8 编码的文本"
            "（请以 UTF-8 保存；Excel 工作簿请直接使用 .xlsx 文件）"
        ) from None
    if "\x00" in text:
        raise InputError(f"{name}: 不是文本文件（含有 NUL 字符）")
    return parse_yaml(text, name)


def read_trusted_yaml(path: Path) -> Any:
    """Read a data file shipped with drafter (a layout, reference tables) with libyaml's C
    loader: several times faster than the strict reader, which user input needs and these
    files do not."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(Problem(f"无法读取数据文件：{exc}", file=path.name)) from None


def parse_yaml(text: str, name: str) -> tuple[Any, dict[PathKey, int]]:
    builder = _Builder(name)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = exc.problem or exc.context or "格式错误"
        raise InputError(Problem(f"YAML 格式错误：{reason}", file=name, line=line)) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(f"YAML 格式错误：{exc}", file=name)) from None
    return builder.result(), builder.lines


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
            raise InputError(Problem("文件是空的", file=self.name))
        return self.root

    def fail(self, message: str, event: yaml.Event) -> None:
        raise InputError(Problem(message, file=self.name, line=event.start_mark.line + 1))

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
            if len(self.stack) >= MAX_DEPTH:
                self.fail(f"嵌套层次过深（超过 {MAX_DEPTH} 层）", event)
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
