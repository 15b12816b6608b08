"""Loading a statistics file into `Stats`, with every problem located by file, line and key.

`load_stats` is the one entry point: it reads the file safely (drafter.yamlsource), validates
it against the contract (drafter.statistics.stats) and turns pydantic's errors into one Chinese line
per problem, e.g. `stats.yaml:42 applications.results.withheld.third_party_rights.natural_person:
需要非负整数, 得到 "三"`. Nothing is derived or checked here beyond the contract's types; the
arithmetic is the checker's job. An Excel workbook (.xlsx, drafter.statistics.workbook) is read into
the same data, and its problems and findings are located by cell (`stats.xlsx 三!D7: …`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from drafter.errors import InputError, Problem
from drafter.formats import load_layout
from drafter.statistics.stats import Stats, clip
from drafter.yamlsource import PathKey, format_path, read_yaml

YAML_SUFFIXES = {".yaml", ".yml", ".json"}


def load_stats(path: str | Path) -> Stats:
    """Read and validate a statistics file. Raises InputError (exit status 2 in the CLI)."""
    path = Path(path)
    name = str(path)  # as the user gave it, so that `file:line` can be pasted into an editor
    suffix = path.suffix.lower()
    if suffix in {".xls", ".et"}:
        message = f"不支持旧版 {suffix} 格式，请在 Excel 或 WPS 中另存为 .xlsx"
        raise InputError(Problem(message, file=name, code="E-FILE-TYPE"))
    if suffix == ".xlsx":
        from drafter.statistics.workbook import read_workbook  # openpyxl only for a workbook

        data, cells = read_workbook(path, name)
        return stats_from_data(data, {}, name, cells=cells)
    if suffix not in YAML_SUFFIXES:
        message = f"不支持的文件类型 {suffix or '（无扩展名）'}；统计文件应为 .yaml 或 .xlsx"
        raise InputError(Problem(message, file=name, code="E-FILE-TYPE"))
    data, lines = read_yaml(path, display=name)
    return stats_from_data(data, lines, name)


def stats_from_data(
    data: Any, lines: dict[PathKey, int], name: str, *, cells: dict[PathKey, str] | None = None
) -> Stats:
    """Validate already-parsed data (from YAML, or a workbook) into `Stats`. `cells` (key path
    → workbook cell such as 三!D7) locates problems and findings in a workbook."""
    if not isinstance(data, dict):
        message = "统计文件的顶层须为键值映射（agency: …, year: …）"
        raise InputError(Problem(message, file=name, line=1, code="E-STATS-VALUE"))
    control = [
        _located(
            f"含有控制字符 {escaped}（请删除；只允许换行和制表符）", loc, data, lines, name, cells
        )
        for loc, escaped in _control_characters(data, (), cells or {})
    ]
    if control:
        raise InputError(control)
    try:
        stats = Stats.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(err, data, lines, name, cells) for err in exc.errors()]
        problems.sort(key=lambda p: (p.line or 0, p.path or ""))
        raise InputError(problems) from None
    try:
        load_layout(stats.format)
    except InputError as exc:
        where = (cells or {}).get(("format",), "format")
        first = exc.problems[0]
        raise InputError(
            Problem(
                first.message, file=name, line=lines.get(("format",)), path=where, code=first.code
            )
        ) from None
    stats.attach_source(name, lines, cells)
    return stats


# Characters no statistics text needs, which Word's XML cannot hold (python-docx would fail in
# `draft`) and a terminal may obey: C0 and C1 controls other than tab and line breaks, lone
# surrogates, U+FFFE and U+FFFF. A carriage return is a line break (Excel writes _x000D_).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _control_characters(
    data: Any, loc: PathKey, cells: dict[PathKey, str]
) -> Iterator[tuple[PathKey, str]]:
    """(key path, the character as an escape such as \\x0b) of every key or text holding a
    control character."""
    if isinstance(data, str):
        found = _CONTROL.search(data)
        if found:
            code = ord(found.group())
            # A workbook's single note is read as its text, located in the cell of item 0.
            where = (*loc, 0) if (*loc, 0) in cells else loc
            yield where, f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    elif isinstance(data, dict):
        for key, value in data.items():
            yield from _control_characters(key, (*loc, key), {})
            yield from _control_characters(value, (*loc, key), cells)
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _control_characters(value, (*loc, index), cells)


def _problem(
    err: Any, data: Any, lines: dict[PathKey, int], name: str, cells: dict[PathKey, str] | None
) -> Problem:
    loc: PathKey = tuple(p for p in err["loc"] if p != "[key]")
    return _located(_message(err, loc), loc, data, lines, name, cells)


def _located(
    message: str,
    loc: PathKey,
    data: Any,
    lines: dict[PathKey, int],
    name: str,
    cells: dict[PathKey, str] | None,
) -> Problem:
    """A contract problem at key path `loc`: file, line (YAML) or cell (workbook), key path."""
    line = _line(loc, lines)
    path = _described_path(loc, data)
    if cells:
        cell = next(
            (cells[loc[:end]] for end in range(len(loc), 0, -1) if loc[:end] in cells), None
        )
        if cell is not None:
            path = cell  # 事实!C5: the clerk looks for the cell, not the key
    return Problem(message, file=name, line=line, path=path or None, code="E-STATS-VALUE")


def _line(loc: PathKey, lines: dict[PathKey, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _described_path(loc: PathKey, data: Any) -> str:
    """`facts[3].value`, with the fact's id when it has one: `facts[3](proactive.items).value`."""
    text = format_path(loc)
    if len(loc) >= 2 and loc[0] == "facts" and isinstance(loc[1], int):
        facts = data.get("facts")
        if isinstance(facts, list) and loc[1] < len(facts) and isinstance(facts[loc[1]], dict):
            fact_id = facts[loc[1]].get("id")
            if isinstance(fact_id, str):
                head = f"facts[{loc[1]}]"
                text = f"{head}({fact_id})" + text[len(head) :]
    return text


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return f'"{clip(value)}"'
    if isinstance(value, dict):
        return "一组键值"
    if isinstance(value, list):
        return "一个列表"
    if value is None:
        return "空值"
    if isinstance(value, int) and value.bit_length() > 128:  # str() refuses 4,300+ digits
        return "一个位数过多的整数"
    return clip(str(value))


def _message(err: Any, loc: PathKey) -> str:
    kind = err["type"]
    got = err.get("input")
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        hint = _suggest(key, loc[:-1])
        return f'未知的键 "{key}"{hint}（拼写错误不会被当作 0）'
    if kind == "missing":
        field = _field(loc)
        what = f"（{field.description}）" if field is not None and field.description else ""
        return f"缺少必填项{what}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"需要一组键值（映射）, 得到 {_shown(got)}"
    if kind == "list_type":
        return f"需要列表, 得到 {_shown(got)}"
    if kind == "string_type":
        return f"需要文本, 得到 {_shown(got)}"
    if kind == "string_too_short":
        return "不能为空"
    if kind == "string_pattern_mismatch":
        return f"格式不符, 得到 {_shown(got)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"需要 true 或 false, 得到 {_shown(got)}"
    if kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", ""))
        choices = expected.replace("' or '", "、").replace("', '", "、").strip("'")
        return f"取值须为 {choices} 之一, 得到 {_shown(got)}"
    if kind.startswith(("count", "money", "fact_", "year", "date")):
        return str(err["msg"])
    return f"{err['msg']}, 得到 {_shown(got)}"


def _model_at(loc: PathKey) -> type[BaseModel] | None:
    """The model class whose field `loc` names, walking the Stats model."""
    model: Any = Stats
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _inner_model(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        inner = _inner_model(arg)
        if inner is not None:
            return inner
    return None


def _field(loc: PathKey) -> Any:
    if not loc:
        return None
    parent = _model_at(loc[:-1]) if len(loc) > 1 else Stats
    if parent is None or isinstance(loc[-1], int):
        return None
    return parent.model_fields.get(str(loc[-1]))


def _suggest(key: str, parent_loc: PathKey) -> str:
    parent = _model_at(parent_loc) if parent_loc else Stats
    if parent is None:
        return ""
    names = list(parent.model_fields)
    import difflib  # only for a misspelt key

    close = difflib.get_close_matches(key, names, n=1, cutoff=0.6)
    if close:
        return f'（是否应为 "{close[0]}"？）'
    return f"（可用的键：{'、'.join(names)}）"
