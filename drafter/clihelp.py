"""Typer's and click's own words in Chinese: the help screens and the usage errors.

Imported only when the typer app is built (`drafter.cli`), never by `drafter check`, whose
plain forms are parsed without typer. Everything goes through typer's supported hooks: the
group and command classes (`typer.Typer(cls=…)`, `app.command(cls=…)`), the context's
formatter class, the `options_metavar`/`subcommand_metavar` settings and the help option the
command class makes. The records typer writes for each parameter ("<path>", "[default: 4;
1<=x<=16]", "[required]") are put into Chinese as they are written, so a parameter's help
reads "<整数>…[默认 4；取值 1～16]".

A usage error is one line, `错误 E-USAGE：缺少参数 STATS（drafter check -h 查看用法）`, on
stderr with exit status 2, both from the console script and under typer's CliRunner.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from drafter.errors import one_line

HELP_OPTION = "显示本帮助并退出"
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]..."
USAGE = "用法："

_HEADINGS = {"Arguments": "参数", "Options": "选项", "Commands": "命令"}
_TYPES = {
    "path": "路径",
    "file": "文件",
    "directory": "目录",
    "str": "文字",
    "text": "文字",
    "int": "整数",
    "int range": "整数",
    "float": "数",
    "float range": "数",
    "bool": "是或否",
    "datetime": "日期时间",
    "uuid": "UUID",
}
_TYPE = re.compile(r"<(?:list\[)?([a-z][a-z ]*)\]?>", re.I)  # <path>, <list[Path]>
_EXTRAS = re.compile(r"(?:^|  )\[([^\[\]]*)\]$")  # typer's "  [default: 4; 1<=x<=16]"
_RANGE = re.compile(r"(?:(\S+)<=)?x(?:<=(\S+)|>=(\S+))?")


def _width(text: str) -> int:
    """Columns `text` takes in a terminal: two for a Chinese character (click counts one)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


_NO_LINE_START = set("，。、；：？！）》】」』”’,.;:?!)")
_NO_LINE_END = set("（《【「『“‘(")
_TOKEN = re.compile(r"[ \t]+|[\x21-\x7e]+|.", re.S)  # spaces, an ASCII word, one character


def _joined(lines: list[str]) -> str:
    """The lines of a paragraph as one: joined with a space, except between two Chinese
    characters (a docstring's line break inside a Chinese sentence)."""
    text = ""
    for line in (line.strip() for line in lines):
        if text and line and not (_width(text[-1]) == 2 and _width(line[0]) == 2):
            text += " "
        text += line
    return text


def wrap(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` columns, paragraph by paragraph (blank lines
    between them kept): broken between Chinese characters or at spaces, never before closing
    punctuation (which may stand one column over) nor after opening punctuation."""
    lines: list[str] = []
    for number, paragraph in enumerate(re.split(r"\n\s*\n", text.strip("\n"))):
        if number:
            lines.append("")
        line, used = "", 0
        for token in _TOKEN.findall(_joined(paragraph.splitlines())):
            size = _width(token)
            if line.strip() and used + size > width and token[0] not in _NO_LINE_START:
                carried = ""
                while line and line[-1] in _NO_LINE_END:
                    line, carried = line[:-1], line[-1] + carried
                lines.append(line.rstrip())
                line, used = carried, _width(carried)
                if token.isspace():
                    continue
            line, used = line + token, used + size
        lines.append(line.rstrip())
    return lines


class ChineseFormatter(typer.Context.formatter_class):  # type: ignore[misc,name-defined]
    """The help screen in Chinese: "用法：", "参数：", "选项：", "命令：", and its columns and
    lines measured in terminal columns (a Chinese character takes two)."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, USAGE if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")

    def write_text(self, text: str) -> None:
        indent = " " * self.current_indent
        for line in wrap(text, max(self.width - self.current_indent, 20)):
            self.write(f"{indent}{line}\n" if line else "\n")

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        rows = list(rows)
        first_col = min(max((_width(first) for first, _ in rows), default=0), col_max)
        first_col += col_spacing
        text_width = max(self.width - first_col - self.current_indent, 20)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if _width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - _width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = wrap(second, text_width)
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


class ChineseContext(typer.Context):
    formatter_class = ChineseFormatter


def _type_words(name: str) -> str:
    return _TYPE.sub(lambda m: f"<{_TYPES.get(m.group(1).lower(), m.group(1))}>", name)


def _extra(item: str) -> str:
    """One of typer's notes after a parameter's help, in Chinese."""
    if item == "required":
        return "必填"
    if item.startswith("default: "):
        value = item.removeprefix("default: ")
        return f"默认 {'动态' if value == '(dynamic)' else value}"
    if item.startswith("env var: "):
        return f"环境变量 {item.removeprefix('env var: ')}"
    match = _RANGE.fullmatch(item)
    if match and any(match.groups()):
        low, high, at_least = match.groups()
        if low is not None and high is not None:
            return f"取值 {low}～{high}"
        if at_least is not None:
            return f"不小于 {at_least}"
        if high is not None:
            return f"不大于 {high}"
    return item


def chinese_record(record: tuple[str, str]) -> tuple[str, str]:
    """A parameter's line of the help screen ("--workers <int range>", "…  [default: 4;
    1<=x<=16]") in Chinese ("--workers <整数>", "…  [默认 4；取值 1～16]")."""
    name, help_text = record
    match = _EXTRAS.search(help_text)
    if match is not None:
        items = "；".join(_extra(item) for item in match.group(1).split("; "))
        gap = "  " if match.start() else ""
        help_text = f"{help_text[: match.start()]}{gap}[{items}]"
    return _type_words(name), help_text


def _format_parameters(command: Any, ctx: Any, formatter: Any) -> None:
    arguments, options = [], []
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is None:
            continue
        kind = arguments if param.param_type_name == "argument" else options
        kind.append(chinese_record(record))
    for title, records in (("参数", arguments), ("选项", options)):
        if records:
            with formatter.section(title):
                formatter.write_dl(records)


def _help_option(option: Any) -> Any:
    if option is not None:
        option.help = HELP_OPTION
    return option


class ChineseCommand(TyperCommand):
    """A command whose help screen reads in Chinese."""

    context_class = ChineseContext

    def get_help_option(self, ctx: Any) -> Any:
        return _help_option(super().get_help_option(ctx))

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _format_parameters(self, ctx, formatter)


class ChineseGroup(TyperGroup):
    """The `drafter` group: its help in Chinese, and, run standalone (as typer's CliRunner
    runs it), the same exit statuses and one-line messages as the console script."""

    context_class = ChineseContext

    def get_help_option(self, ctx: Any) -> Any:
        return _help_option(super().get_help_option(ctx))

    def format_options(self, ctx: Any, formatter: Any) -> None:
        _format_parameters(self, ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The commands, each with the first paragraph of its help, wrapped (typer cuts it
        at a count of characters, which a Chinese line overruns twice over)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                text = command.short_help or (command.help or "").strip().split("\n\n")[0]
                rows.append((name, _joined(text.splitlines())))
        if rows:
            with formatter.section("命令"):
                formatter.write_dl(rows)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        args = list(sys.argv[1:] if args is None else args)
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except KeyboardInterrupt:
            sys.stderr.write("已中断\n")
            sys.exit(130)
        except Exception as exc:
            named = args[0] if args and args[0] in self.commands else None
            sys.exit(exit_status(exc, f"drafter {named}" if named else "drafter"))
        sys.exit(status if isinstance(status, int) else 0)


def exit_status(exc: Exception, command: str = "drafter") -> int:
    """What an exception out of typer (parsing the arguments, or a bug) prints, and its exit
    status. Errors inside a command never get here: the command turns them into its exit
    status (drafter.cli.reports_input_errors)."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # `drafter` alone: its help, status 2
        sys.stdout.write(exc.ctx.get_help() + "\n")  # type: ignore[attr-defined]
        return 2
    if hasattr(exc, "format_message") and hasattr(exc, "exit_code"):  # click's usage errors
        sys.stderr.write(f"错误 E-USAGE：{usage_message(exc, command)}\n")
        return int(exc.exit_code)
    if type(exc).__name__ == "Abort":
        sys.stderr.write("已中断\n")
        return 130
    from drafter.crash import INTERNAL_ERROR, report_crash

    sys.stderr.write(report_crash(exc) + "\n")
    return INTERNAL_ERROR


def _did_you_mean(names: Sequence[str]) -> str:
    names = [name.strip(" '\"") for name in names if name.strip(" '\"")]
    return f"（是不是 {'、'.join(names)}？）" if names else ""


_USAGE_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Missing argument '([^']+)'"), "缺少参数 {0}"),
    (re.compile(r"^Missing option '([^']+)'"), "缺少选项 {0}"),
    (re.compile(r"^Missing parameter: (\S+)"), "缺少参数 {0}"),
    (re.compile(r"^Missing command"), "缺少命令"),
    (re.compile(r"^Option '([^']+)' requires an argument"), "选项 {0} 需要一个值"),
    (re.compile(r"^Option '([^']+)' requires (\d+) arguments"), "选项 {0} 需要 {1} 个值"),
    (re.compile(r"^Option '([^']+)' does not take a value"), "选项 {0} 不带值"),
    (re.compile(r"^Got unexpected extra argument(?:s|\(s\))? \((.*)\)"), "多余的参数：{0}"),
)
_NO_SUCH_COMMAND = re.compile(r"^No such command '([^']+)'\.?(?: Did you mean (.+?)\?)?$")


def _value_words(exc: Any) -> str:
    """Why a value was refused: from the validation error typer raised it for (typer
    converts values with pydantic), by the error's type, in Chinese."""
    cause = exc.__cause__
    errors = cause.errors() if hasattr(cause, "errors") else []
    if not errors:
        return str(exc.format_message()).split(": ", 1)[-1]
    error = errors[0]
    kind, limits = error.get("type", ""), error.get("ctx") or {}
    got = error.get("input")
    shown = f'，得到 "{one_line(str(got))[:40]}"' if isinstance(got, str | int | float) else ""
    words = {
        "int_parsing": "需要整数",
        "int_type": "需要整数",
        "int_from_float": "需要整数",
        "float_parsing": "需要数字",
        "float_type": "需要数字",
        "finite_number": "需要有限的数",
        "bool_parsing": "需要 true 或 false",
        "greater_than_equal": f"不能小于 {limits.get('ge')}",
        "greater_than": f"须大于 {limits.get('gt')}",
        "less_than_equal": f"不能大于 {limits.get('le')}",
        "less_than": f"须小于 {limits.get('lt')}",
        "literal_error": f"只能是 {limits.get('expected')}",
        "enum": f"只能是 {limits.get('expected')}",
    }
    return words.get(kind, str(error.get("msg", kind))) + shown


def _parameter(exc: Any) -> str:
    param = getattr(exc, "param", None)
    if param is None:
        return "值"
    if getattr(param, "param_type_name", "") == "argument":
        return f"参数 {getattr(param, 'human_readable_name', param.name)}"
    opts = getattr(param, "opts", None) or [param.name]
    return f"选项 {max(opts, key=len)}"


def usage_message(exc: Any, command: str = "drafter") -> str:
    """Click's usage error, in Chinese, on one line, with where to read the usage (the
    command's own help when click knows the command, else `command`'s)."""
    message = str(exc.format_message()).strip()
    command_match = _NO_SUCH_COMMAND.match(message)
    if type(exc).__name__ == "NoSuchOption":
        message = f"没有选项 {exc.option_name}{_did_you_mean(sorted(exc.possibilities or ()))}"
    elif message.startswith("Invalid value for "):
        message = f"{_parameter(exc)} 的值无效：{_value_words(exc)}"
    elif command_match:
        suggested = (command_match.group(2) or "").split(", ")
        message = f"没有命令 {command_match.group(1)}{_did_you_mean(suggested)}"
    else:
        for pattern, words in _USAGE_WORDS:
            match = pattern.match(message)
            if match:
                message = words.format(*(g or "" for g in match.groups()))
                break
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None) or command
    return one_line(f"{message}（{command} -h 查看用法）")
