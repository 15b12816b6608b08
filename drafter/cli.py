"""The `drafter` command: parse arguments, call one library function, print.

Exit status, shared by every command: 0 no errors (warnings allowed), 1 errors found, 2 the
input could not be read or the usage was wrong (one clear line per problem on stderr, no
traceback, nothing written). Heavy modules (langchain, openai, python-docx) are never imported
here at module level, so `drafter --help` and `drafter check` stay fast.

Start-up is most of what a check costs, so this module imports neither typer nor rich when
it is loaded (benchmarks/check/README.md has the figures):

- the typer app is built on first use (`app`, `_app()`); the commands are plain functions
  registered by `@_command` and their parameters' annotations stay strings until then;
- `drafter check STATS [--json] [--previous FILE]`, in those plain forms, is parsed here and
  runs without typer at all; anything else (help, other options, a usage error) goes
  through typer;
- the rich consoles `out` and `err` are made when something is first printed, and `Text`
  and `Table` import rich when first called, so `check --json` never loads it.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import threading
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

from drafter import __version__
from drafter.errors import InputError, one_line

if TYPE_CHECKING:  # at run time, `typer` is set by _app() before typer reads the annotations
    import rich.table
    import rich.text
    import typer
    from rich.console import Console

HELP = "政府信息公开工作年度报告：检查统计数据，起草、核对报告。"


@functools.cache
def _safe_console_class() -> type[Console]:
    from rich.console import Console
    from rich.segment import Segment

    class SafeConsole(Console):
        """A console that cannot be made to send a control sequence: text from a document,
        a published page or a model may hold ESC/OSC sequences (retitling or clearing the
        terminal, planting links); each control character is shown as its visible picture
        (␛) instead. Rich's own styling is added after this and is not affected."""

        def render(self, renderable: Any, options: Any = None) -> Any:
            for segment in super().render(renderable, options):
                text, style, control = segment
                if control is None and _CONTROL_PICTURES_NEEDED.search(text):
                    yield Segment(text.translate(_CONTROL_PICTURES), style, control)
                else:
                    yield segment

    return SafeConsole


# C0 and C1 control characters other than line break and tab, each to a character of the
# same width, so that rich's spans and columns stay where they were.
_CONTROL_PICTURES = {
    **{code: 0x2400 + code for code in range(0x20) if code not in (0x09, 0x0A)},
    0x7F: 0x2421,
    **{code: 0xFFFD for code in range(0x80, 0xA0)},
}
_CONTROL_PICTURES_NEEDED = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _LazyConsole:
    """`out` and `err`: a safe rich console, made when first used (rich takes a tenth of a
    check's time to import, which `check --json`, `--help` and usage errors do not need)."""

    def __init__(self, **settings: Any) -> None:
        self._settings = settings
        self._console: Console | None = None
        self._lock = threading.Lock()  # the model's progress lines come from worker threads

    @property
    def console(self) -> Console:
        if self._console is None:
            with self._lock:
                if self._console is None:
                    self._console = _safe_console_class()(**self._settings)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


out = _LazyConsole(highlight=False, soft_wrap=True, markup=False)
err = _LazyConsole(stderr=True, highlight=False, soft_wrap=True, markup=False)


def Text(*args: Any, **kwargs: Any) -> rich.text.Text:
    """rich's Text, imported when first needed."""
    from rich.text import Text as RichText

    return RichText(*args, **kwargs)


def Table(*args: Any, **kwargs: Any) -> rich.table.Table:
    """rich's Table, imported when first needed."""
    from rich.table import Table as RichTable

    return RichTable(*args, **kwargs)


def __getattr__(name: str) -> Any:
    """`drafter.cli.app` (the typer app) and `_SafeConsole`, made on first use."""
    if name == "app":
        return _app()
    if name == "_SafeConsole":
        return _safe_console_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


F = TypeVar("F", bound=Callable[..., Any])
_COMMANDS: list[Callable[..., Any]] = []


def _command(func: F) -> F:
    """Register a command of the app (in `drafter --help` order); typer reads its signature
    and docstring when the app is built."""
    _COMMANDS.append(func)
    return func


_APP: typer.Typer | None = None


def _app() -> typer.Typer:
    """The typer app, built once, on first use."""
    global _APP, typer
    if _APP is None:
        import typer

        from drafter import clihelp

        app = typer.Typer(
            name="drafter",
            help=HELP,
            add_completion=False,
            no_args_is_help=True,
            pretty_exceptions_enable=False,
            rich_markup_mode=None,
            context_settings={"help_option_names": ["-h", "--help"]},
            cls=clihelp.ChineseGroup,
            options_metavar=clihelp.OPTIONS_METAVAR,
            subcommand_metavar=clihelp.SUBCOMMAND_METAVAR,
        )
        app.callback()(_main)
        for func in _COMMANDS:
            app.command(cls=clihelp.ChineseCommand, options_metavar=clihelp.OPTIONS_METAVAR)(func)
        app.add_typer(_users_app(), name="users")
        _APP = app
    return _APP


def _exit(status: int) -> NoReturn:
    """End a command with `status` (typer and CliRunner pass SystemExit through)."""
    raise SystemExit(status)


def _fail(error: InputError) -> SystemExit:
    # Plain writes: each problem stays on one line however narrow the terminal is, and starts
    # with its stable code ("错误 E-FILE-MISSING：…").
    for problem in error.problems:
        sys.stderr.write(f"错误 {problem.code}：{problem}\n")
    return SystemExit(2)


def _passes_through(exc: BaseException) -> bool:
    """typer's own Exit and Abort, raised inside a command, are for typer to handle."""
    typer_module = sys.modules.get("typer")
    return typer_module is not None and isinstance(exc, typer_module.Exit | typer_module.Abort)


def reports_input_errors(func: F) -> F:
    """Turn InputError into exit status 2 with one line per problem, and any other exception
    (a bug in drafter) into exit status 3 with one line and an error id, the traceback going
    to a log file (drafter.crash)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InputError as exc:
            raise _fail(exc) from None
        except (KeyboardInterrupt, SystemExit):
            raise
        except RecursionError as exc:
            raise _crash(exc) from None
        except MemoryError:
            sys.stderr.write("错误 E-LIMIT-SIZE：内存不足，输入过大，无法处理\n")
            raise SystemExit(2) from None
        except Exception as exc:
            if _passes_through(exc):
                raise
            raise _crash(exc) from None

    return wrapper  # type: ignore[return-value]


def _write_json(payload: Any, **settings: Any) -> None:
    """`--json` output: indented, Chinese as it is."""
    import json

    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, **settings) + "\n")


def _shown(path: object) -> str:
    """A path as printed: on one line whatever characters its name holds (a file name may
    carry a line break, planted so that the output seems to say something else)."""
    return one_line(str(path))


def _crash(exc: BaseException) -> SystemExit:
    from drafter.crash import INTERNAL_ERROR, report_crash

    sys.stderr.write(report_crash(exc) + "\n")
    return SystemExit(INTERNAL_ERROR)


def _version(value: bool) -> None:
    if value:
        out.print(f"drafter {__version__}")
        _exit(0)


def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="显示版本号")
    ] = False,
) -> None:
    """政府信息公开工作年度报告：检查统计数据，起草、核对报告。"""


# ---- init ----------------------------------------------------------------------------------


@_command
@reports_input_errors
def init(
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="写入的统计文件（默认 stats.yaml，加 --xlsx 时 stats.xlsx；- 表示输出到屏幕）",
            show_default=False,
        ),
    ] = None,
    agency: Annotated[str | None, typer.Option("--agency", help="发布机关全称")] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="统计年度（默认：上一年）", min=1990, max=2100)
    ] = None,
    layout: Annotated[
        str, typer.Option("--format", help="版式编号（见 drafter layouts）")
    ] = "gov-info-disclosure-2021",
    xlsx: Annotated[
        bool, typer.Option("--xlsx", help="写出 Excel 工作簿（官方表格样式，供 Excel、WPS 填写）")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的文件")] = False,
) -> None:
    """写出统计文件模板（带中文注释的 YAML，或 --xlsx 的 Excel 工作簿），各项为 0。"""
    from drafter.workflows import init_template, write_template

    template = init_template(
        output, agency=agency, year=year, layout_id=layout, xlsx=xlsx, force=force
    )
    if template.path is None:
        assert isinstance(template.content, str)
        sys.stdout.write(template.content)
        return
    shown = _shown(write_template(template, force=force))
    if template.xlsx:
        err.print(f"已写出 {shown}。在 Excel 或 WPS 中填好数字后运行：drafter check {shown}")
    else:
        err.print(f"已写出 {shown}。填好数字后运行：drafter check {shown}")


# ---- check ---------------------------------------------------------------------------------


@_command
@reports_input_errors
def check(
    stats: Annotated[
        Path, typer.Argument(help="统计文件（.yaml 或 .xlsx）", show_default=False, metavar="STATS")
    ],
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous", help="上年的统计文件或上年发布的报告（.docx/.html），用于跨年度核对"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出，供程序读取")] = False,
) -> None:
    """检查统计数据：各表勾稽关系、空白单元格、信息处理费、事实之和；可与上年核对。"""
    from drafter.workflows import check_statistics

    result = check_statistics(stats, previous, on_previous=_said_previous)
    if as_json:
        _write_json(result.to_dict())
    else:
        _print_findings(result.findings, _stats_title(result.stats, stats))
    _exit(1 if result.errors else 0)


def _stats_title(stats: Any, path: Path) -> str:
    return f"{stats.agency} {stats.year}年 · {_shown(path)}"


def _said_previous(previous: Any) -> None:
    """When last year's statistics were read from last year's published report (as `drafter
    extract` reads it), say so on stderr, and how much of it to check."""
    extracted = previous.extracted
    if extracted is None:
        return
    err.print(
        Text(
            f"上年数据由 {_shown(previous.path)} 读出"
            f"（{_shown(extracted.data['agency'])} {extracted.data['year']}年）"
            + (
                f"，{len(extracted.warnings)} 处请核对（drafter extract 可查看）"
                if extracted.warnings
                else ""
            ),
            style="cyan",
        )
    )


SHOWN_FINDINGS = 300  # rows of the findings table; a reviewer reads no more, --json has all
_SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "advice": "cyan"}


def _print_findings(findings: Sequence[Any], title: str, parts: list[Any] | None = None) -> None:
    """Errors first; for a number, its sentence; then one line per part of the report."""
    from drafter.checking.findings import Severity, count

    if not findings:
        out.print(Text(f"{one_line(title)}：未发现问题。", style="green"))
        _print_parts(parts)
        return
    title = one_line(title)
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("级别 / 代码", no_wrap=True)
    table.add_column("位置", ratio=2, overflow="fold")
    table.add_column("说明", ratio=3, overflow="fold")
    for finding in findings[:SHOWN_FINDINGS]:
        where = finding.location.label()
        if finding.location.cell is not None:
            where = f"{where}\n{finding.location.cell}"  # the workbook cell, e.g. 三!D7
        elif finding.location.line is not None:
            where = f"{where}\n第{finding.location.line}行"
        severity = Text(finding.severity.zh, style=_SEVERITY_STYLE[finding.severity.value])
        message = Text(finding.message)
        sentence = finding.location.sentence
        if sentence and sentence != finding.location.text:
            message.append(f"\n原句：{sentence}", style="dim")
        table.add_row(severity + Text("\n" + finding.code), Text(where), message)
    out.print(table)
    if len(findings) > SHOWN_FINDINGS:
        out.print(
            Text(
                f"另有 {len(findings) - SHOWN_FINDINGS} 项未列出（--json 输出全部；"
                "Word 文档可用 --annotate 逐条写成批注）",
                style="yellow",
            )
        )
    _print_parts(parts)
    errors = count(findings, Severity.ERROR)
    summary = (
        f"错误 {errors} 项，警告 {count(findings, Severity.WARNING)} 项，"
        f"提示 {count(findings, Severity.ADVICE)} 项"
    )
    out.print(Text(summary, style="bold red" if errors else "yellow"))


def _print_parts(parts: list[Any] | None) -> None:
    if not parts:
        return
    out.print(Text("各部分：", style="bold"))
    for part in parts:
        style = "red" if part.errors else ("yellow" if part.warnings else "green")
        out.print(Text(f"  {part.line()}", style=style))


# ---- draft ---------------------------------------------------------------------------------


@_command
@reports_input_errors
def draft(
    stats: Annotated[
        Path, typer.Argument(help="统计文件（.yaml 或 .xlsx）", show_default=False, metavar="STATS")
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="写出的 Word 文档（.docx）")
    ] = None,
    md: Annotated[Path | None, typer.Option("--md", help="同时写出 Markdown 版")] = None,
    html: Annotated[Path | None, typer.Option("--html", help="同时写出网页版（.html）")] = None,
    layout_id: Annotated[
        str | None, typer.Option("--layout", help="版式编号（默认用统计文件中的 format）")
    ] = None,
    cover_letter: Annotated[
        bool, typer.Option("--cover-letter", help="在报告前加报送函（报告作为附件）")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的文件")] = False,
    allow_errors: Annotated[
        bool, typer.Option("--allow-errors", help="统计数据有错误也照样生成（错误仍会列出）")
    ] = False,
    model: Annotated[
        str | None, typer.Option("--model", help="用模型配置文件中的哪个模型起草正文")
    ] = None,
    offline: Annotated[bool, typer.Option("--offline", help="不用模型，用离线起草器")] = False,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="不用缓存的回答，重新调用模型")
    ] = False,
    style_from: Annotated[
        Path | None,
        typer.Option("--style-from", help="上年的报告（.docx/.html/.md），供模型参考文风"),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", help="同时起草的部分数（1 为逐个起草）", min=1, max=16)
    ] = 4,
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous",
            help="上年的统计文件或上年发布的报告（.docx/.html）：核对结转数，并提供同比变化的数",
        ),
    ] = None,
) -> None:
    """起草报告：先检查统计数据，再按官方版式写出 Word 文档（及网页版）。"""
    from drafter.workflows import (
        BLOCKED_BY_NUMBERS,
        BLOCKED_BY_STATISTICS,
        check_draft_targets,
        check_for_draft,
        draft_checked,
        write_draft,
    )

    check_draft_targets(output, md, html, force=force)
    checked = check_for_draft(
        stats,
        previous_path=previous,
        layout_id=layout_id,
        allow_errors=allow_errors,
        on_previous=_said_previous,
    )
    if checked.findings:
        _print_findings(checked.findings, _stats_title(checked.stats, stats))
    if checked.blocked == BLOCKED_BY_STATISTICS:
        err.print(
            Text(
                f"统计数据有 {checked.errors} 项错误，未生成报告。请改正后重试；"
                "如需先生成草稿，请加 --allow-errors。",
                style="bold red",
            )
        )
        _exit(1)
    drafter = _drafter(
        checked.stats,
        checked.layout,
        model,
        offline,
        no_cache,
        workers,
        style_from,
        None,
        checked.previous.stats if checked.previous is not None else None,
    )
    result = draft_checked(checked, drafter, cover_letter=cover_letter, allow_errors=allow_errors)
    # The gaps left for the clerk (E-DOC-TEMPLATE at 【待补充…】) are listed after writing, by
    # part, not as errors of the draft: they are what a first draft without notes must have.
    if result.verified:
        _print_findings(result.verified, "核对起草的正文（每个数都与统计数据比对）")
    else:
        err.print(Text("核对起草的正文：每个数都与统计数据一致。", style="green"))
    # A wrong number never passes without --allow-errors.
    if result.blocked == BLOCKED_BY_NUMBERS:
        err.print(
            Text(f"正文核对发现 {result.number_errors} 项错误，未生成报告。", style="bold red")
        )
        _exit(1)
    for path in write_draft(result, output, md, html, force):
        err.print(f"已写出 {_shown(path)}")
    _print_gaps(result.gaps)
    if result.missing_date:
        from drafter.drafting.draft import MISSING_DATE

        err.print(
            Text(
                f"报送函没有成文日期（统计文件的 cover_letter.date），落款处写了“{MISSING_DATE}”",
                style="yellow",
            )
        )


def _columns(table: rich.table.Table, *columns: str | tuple[str, int]) -> None:
    """Columns of a summary table: a plain header keeps its cells on one line; a (header,
    ratio) column shares the remaining width and wraps its text, never cutting it with "…"."""
    for column in columns:
        if isinstance(column, str):
            table.add_column(column, no_wrap=True)
        else:
            header, ratio = column
            table.add_column(header, ratio=ratio, overflow="fold")


def _print_gaps(gaps: Sequence[Any]) -> None:
    """After drafting, every 【待补充…】 left for the clerk, by part: "还有 5 处待补充：…"."""
    if not gaps:
        return
    err.print(Text(f"还有 {len(gaps)} 处待补充（请经办人填写后再提交）：", style="yellow"))
    for gap in gaps:
        err.print(Text(f"  {one_line(gap.line())}", style="yellow"))


def _drafter(
    stats: Any,
    layout: Any,
    model: str | None,
    offline: bool,
    no_cache: bool,
    workers: int,
    style_from: Path | None,
    instructions: str | None,
    previous: Any = None,
    again: bool = False,
) -> Any:
    """The drafter for `draft` and `redraft` (`select_drafter`), said on stderr, with a live
    line per part when a model drafts."""
    from drafter.workflows import select_drafter

    status: dict[str, str] = {}

    def progress(part: str, text: str) -> None:
        status[part] = text
        if not err.is_terminal:
            err.print(f"  {part}：{text}")

    choice = select_drafter(
        stats,
        layout,
        model_id=model,
        offline=offline,
        use_cache=not no_cache,
        workers=workers,
        style_from=style_from,
        instructions=instructions,
        progress=progress,
        previous=previous,
        again=again,
    )
    drafter = choice.drafter
    err.print(Text(choice.notice, style="cyan"))
    for line in choice.corrections:
        err.print(Text(line, style="yellow"))
    prepare = getattr(drafter, "prepare", None)
    if prepare is not None and err.is_terminal:
        from rich.live import Live

        from drafter.drafting.draft import narrative_parts

        parts = narrative_parts(layout)

        def table() -> rich.table.Table:
            view = Table(show_header=False, box=None)
            for part, heading, _ in parts:
                view.add_row(Text(heading), Text(status.get(part, "等待")))
            return view

        def prepare_live(items: Any) -> None:
            with Live(table(), console=err.console, refresh_per_second=4) as live:
                original_progress = drafter.progress

                def update(part: str, text: str) -> None:
                    original_progress(part, text)
                    live.update(table())

                drafter.progress = update
                prepare(items)
                drafter.progress = original_progress

        drafter.prepare = prepare_live
    return drafter


# ---- verify --------------------------------------------------------------------------------


@_command
@reports_input_errors
def verify(
    document: Annotated[
        Path,
        typer.Argument(
            help="要核对的报告（.docx、.md、.html、.txt）", show_default=False, metavar="DOC"
        ),
    ],
    stats: Annotated[
        Path, typer.Option("--stats", help="统计文件（.yaml 或 .xlsx）", show_default=False)
    ],
    previous: Annotated[
        Path | None,
        typer.Option(
            "--previous", help="上年的统计文件或上年发布的报告（.docx/.html），用于核对同比变化"
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出，供程序读取")] = False,
    annotate: Annotated[
        Path | None,
        typer.Option("--annotate", help="另存一份带批注的 .docx（原文件不改动）"),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的批注文件")] = False,
) -> None:
    """核对报告：读回（编辑过的）文档，逐个核对正文中的数、表格和格式要求。"""
    from drafter.workflows import verify_document

    result = verify_document(document, stats, previous, annotate, force, on_previous=_said_previous)
    if as_json:
        _write_json(result.to_dict())
    else:
        title = f"核对 {_shown(document)}（统计数据：{_shown(stats)}）"
        _print_findings(result.findings, title, list(result.parts))
        if result.annotated is not None:
            err.print(f"已写出带批注的文档 {_shown(result.annotated)}")
    _exit(1 if result.errors else 0)


# ---- models, log, redraft ------------------------------------------------------------------


@_command
@reports_input_errors
def models(
    example: Annotated[
        bool, typer.Option("--example", help="输出带注释的模型配置文件示例")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """列出已配置的模型（不显示 API key）；--example 输出配置文件示例。"""
    from drafter.drafting.models import env_model, load_models, models_file
    from drafter.resources import structured_dir

    if example:
        path = structured_dir() / "reference" / "drafter-models.example.yaml"
        sys.stdout.write(path.read_text(encoding="utf-8"))
        return
    path = models_file()
    specs, default = load_models(path)
    from_env = env_model()
    if as_json:
        rows = [
            {
                "id": s.id,
                "model": s.model,
                "base_url": s.base_url,
                "key_env": s.key_env,
                "key_set": s.api_key() is not None,
                "default": s.id == default,
            }
            for s in ([from_env] if from_env else []) + specs
        ]
        _write_json({"file": str(path), "models": rows})
        return
    out.print(Text(f"模型配置文件：{_shown(path)}" + ("" if path.exists() else "（不存在）")))
    if from_env is not None:
        out.print(
            Text(f"环境变量 DRAFTER_BASE_URL/DRAFTER_MODEL：{from_env.describe()}（默认使用）")
        )
    for spec in specs:
        mark = "（default）" if spec.id == default else ""
        out.print(Text(f"{spec.describe()}{mark}"))
    if from_env is None and not specs:
        out.print(
            Text(
                "未配置模型：drafter draft 使用离线起草器。"
                "配置方法见 README，或运行 drafter models --example。"
            )
        )


@_command
@reports_input_errors
def log(
    limit: Annotated[int, typer.Option("-n", "--limit", help="显示最近几次调用", min=1)] = 20,
    full: Annotated[bool, typer.Option("--full", help="显示完整的提示词和回答")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """显示最近的模型调用记录（审计日志；不含 API key）。"""
    from dataclasses import asdict

    from drafter.audit import AuditLog

    audit = AuditLog()
    calls = audit.recent(limit)
    audit.close()
    if as_json:
        _write_json([asdict(c) for c in calls])
        return
    if not calls:
        out.print(Text(f"还没有模型调用记录（{_shown(audit.path)}）。"))
        return
    table = Table(title=f"最近的模型调用（{_shown(audit.path)}）", title_justify="left")
    for header in ("#", "时间", "模型", "部分", "次", "令牌（入/出）", "耗时", "结果"):
        table.add_column(header)
    for call in calls:
        result = "缓存" if call.cached else (call.error or "成功")
        tokens = f"{call.input_tokens or '-'}/{call.output_tokens or '-'}"
        table.add_row(
            str(call.id),
            call.time,
            call.model,
            call.section or "",
            str(call.attempt or ""),
            tokens,
            f"{(call.duration_ms or 0) / 1000:.1f}s",
            Text(result),
        )
    out.print(table)
    if full:
        for call in reversed(calls):
            out.print(Text(f"\n#{call.id} {call.section} 第{call.attempt}次", style="bold"))
            for message in call.messages:
                out.print(Text(f"[{message['role']}]\n{message['content']}"))
            out.print(Text(f"[回答]\n{call.response or call.error}"))


@_command
@reports_input_errors
def redraft(
    document: Annotated[
        Path, typer.Argument(help="编辑过的报告（.docx）", show_default=False, metavar="DOC")
    ],
    stats: Annotated[
        Path, typer.Option("--stats", help="统计文件（.yaml 或 .xlsx）", show_default=False)
    ],
    section: Annotated[
        str,
        typer.Option(
            "--section", help="要重新起草的部分编号，如 overall.requests", show_default=False
        ),
    ],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="写出的新文档（.docx）")
    ] = None,
    instructions: Annotated[
        str | None,
        typer.Option("--instructions", help="修改要求（侧重、结构、篇幅、措辞；不能增加事实）"),
    ] = None,
    again: Annotated[
        bool, typer.Option("--again", help="同样的要求再写一稿（不用上次的回答）")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只显示将要做的改动，不写文件")
    ] = False,
    model: Annotated[str | None, typer.Option("--model", help="用哪个模型")] = None,
    offline: Annotated[bool, typer.Option("--offline", help="用离线起草器")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="不用缓存的回答")] = False,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的文件")] = False,
) -> None:
    """重新起草已编辑文档中的一个部分：模型看到这一部分现在的文字（含编辑的修改），按修改要求
    改写并保留编辑写的句子；其余段落和表格保持编辑改过的样子。"""
    from drafter.workflows import plan_redraft, redraft_planned, write_redraft

    plan = plan_redraft(
        document,
        stats,
        section,
        output,
        instructions=instructions,
        dry_run=dry_run,
        force=force,
    )
    drafter = _drafter(
        plan.stats, plan.layout, model, offline, no_cache, 1, None, instructions, again=again
    )
    result = redraft_planned(plan, drafter)
    _print_redraft(result)
    if dry_run:
        err.print("（--dry-run：未写文件）")
        _exit(0)
    err.print(f"已写出 {_shown(write_redraft(result, force=force))}（其余内容未改动）")
    _exit(0)


def _print_redraft(result: Any) -> None:
    """What the redraft changes, before it is written: paragraphs replaced, the editor's
    sentences dropped, what is marked in the new text."""
    redrafted = result.redrafted
    err.print(
        Text(
            f"“{result.heading}”：原 {len(redrafted.old)} 段将替换为 {len(redrafted.new)} 段"
            f"（编辑写的句子 {len(redrafted.editor)} 句，保留 {result.kept} 句）",
            style="bold",
        )
    )
    for sentence in redrafted.dropped:
        err.print(Text(f"  将删去编辑写的句子：{sentence}", style="yellow"))
    if result.cached:
        err.print(
            Text("  （与上次的请求相同，用的是缓存的回答；要换一种写法，加 --again）", style="cyan")
        )
    for paragraph in redrafted.new:
        out.print(Text(paragraph.text))
        for mark in paragraph.marks:
            out.print(Text(f"  ⚑ {mark.message}", style="yellow"))


# ---- reading published reports -------------------------------------------------------------


@_command
@reports_input_errors
def extract(
    report: Annotated[
        Path,
        typer.Argument(
            help="发布的报告（.docx、.html、.md、.txt）", show_default=False, metavar="REPORT"
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="写出的统计文件（.yaml；- 或不给表示输出到屏幕）"),
    ] = None,
    agency: Annotated[
        str | None, typer.Option("--agency", help="发布机关（标题中读不出时）")
    ] = None,
    year: Annotated[
        int | None, typer.Option("--year", help="统计年度（标题中读不出时）", min=1990, max=2100)
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出，供程序读取")] = False,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的文件")] = False,
) -> None:
    """从发布的报告中读出统计数据（三张表、信息处理费、机关和年度），写成统计文件。"""
    from drafter.workflows import extract_statistics, write_extracted

    result = extract_statistics(report, output, agency=agency, year=year, force=force)
    if as_json:
        _write_json(result.to_dict(), default=str)
    for warning in result.warnings if not as_json else []:
        err.print(Text(f"请核对：{one_line(warning)}", style="yellow"))
    if result.output is not None:
        written = write_extracted(result, force=force)
        stats = result.stats
        err.print(f"已写出 {_shown(written)}（{_shown(stats.agency)} {stats.year}年）")
    elif not as_json:
        sys.stdout.write(result.yaml_text())


@_command
@reports_input_errors
def audit(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="报告文件（.docx、.html）或存放报告的目录", show_default=False, metavar="PATH..."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出，供程序读取")] = False,
    csv_out: Annotated[
        Path | None, typer.Option("--csv", help="另存一份 CSV 汇总（每份报告一行）")
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="并行的进程数（默认每个处理器核心一个）", min=1)
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的 CSV 文件")] = False,
    seconds: Annotated[
        float, typer.Option("--timeout", help="每份报告最多用时（秒），超过即跳过", min=0.1)
    ] = 10.0,
    memory: Annotated[
        int, typer.Option("--memory", help="每份报告最多用内存（MB），超过即跳过", min=50)
    ] = 500,
) -> None:
    """批量审核发布的报告：每份报告的表格勾稽、文档规则、正文与表格的一致性，汇总成表。"""
    from drafter.workflows import audit_paths, write_audit_csv

    def progress(done: int, total: int) -> None:
        if err.is_terminal and not as_json:
            err.print(f"\r已审核 {done}/{total}", end="")

    result = audit_paths(
        paths,
        csv_out=csv_out,
        workers=workers,
        seconds=seconds,
        memory=memory,
        force=force,
        progress=progress,
    )
    if err.is_terminal and not as_json:
        err.print()
    summary = result.totals
    if result.csv is not None:
        write_audit_csv(result, force=force)
    if as_json:
        _write_json(result.to_dict())
    else:
        table = Table(
            title=f"审核 {len(result.reports)} 份报告",
            title_justify="left",
            show_lines=True,
            expand=True,
        )
        _columns(table, ("报告", 2), ("机关", 2), "年度", "错误", "警告", ("最严重的问题", 4))
        for row in result.rows():
            table.add_row(*(Text(cell) for cell in row))
        out.print(table)
        codes = Table(title="各类问题", title_justify="left", expand=True)
        _columns(codes, "代码", "级别", "报告数", "处数", ("含义", 1))
        for code, entry in summary["codes"].items():
            level = {"error": "错误", "warning": "警告", "advice": "提示"}[entry["severity"]]
            codes.add_row(
                code, level, str(entry["reports"]), str(entry["findings"]), Text(entry["title"])
            )
        if summary["codes"]:
            out.print(codes)
        out.print(
            Text(
                f"共 {summary['reports']} 份：{summary['with_errors']} 份有错误，"
                f"{summary['unreadable']} 份无法读取；错误 {summary['errors']} 项，"
                f"警告 {summary['warnings']} 项，提示 {summary['advice']} 项"
            )
        )
    if csv_out is not None:
        err.print(f"已写出 {_shown(csv_out)}")
    _exit(1 if result.failed else 0)


# ---- reference commands --------------------------------------------------------------------


@_command
@reports_input_errors
def layouts() -> None:
    """列出可用的版式（structured/ 下的版式文件）。"""
    from drafter.formats import layout_ids, load_layout

    for layout_id in layout_ids():
        layout = load_layout(layout_id)
        parts = "、".join(s.title for s in layout.sections)
        out.print(Text(f"{layout.id}\n  {layout.name}：{parts}"))


@_command
def codes(
    as_json: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
) -> None:
    """列出所有检查代码、级别、对应的规则和含义，以及输入错误（退出状态 2）的代码。"""
    from drafter.checking.findings import CODES
    from drafter.errors import INPUT_CODES

    if as_json:
        rows = [
            {"code": c.code, "severity": c.severity.value, "rules": list(c.rules), "title": c.title}
            for c in CODES.values()
        ] + [
            {"code": code, "severity": "input", "rules": [], "title": title}
            for code, title in INPUT_CODES.items()
        ]
        _write_json(rows)
        return
    table = Table(title="检查发现的问题", title_justify="left", show_lines=False, expand=True)
    _columns(table, "代码", "级别", ("规则", 1), ("含义", 3))
    for c in CODES.values():
        table.add_row(c.code, c.severity.zh, ", ".join(c.rules), Text(c.title))
    out.print(table)
    table = Table(title="输入错误（退出状态 2，不生成任何文件）", title_justify="left", expand=True)
    _columns(table, "代码", ("含义", 1))
    for code, title in INPUT_CODES.items():
        table.add_row(code, Text(title))
    table.add_row("E-INTERNAL", Text("drafter 内部错误（退出状态 3），详情写入日志文件"))
    out.print(table)


@_command
@reports_input_errors
def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="写入的文件")] = None,
    force: Annotated[bool, typer.Option("--force", help="覆盖已存在的文件")] = False,
) -> None:
    """输出统计文件的 JSON Schema（编辑器可据此补全和校验）。"""
    from drafter.files import write_atomic
    from drafter.statistics.schema import stats_json_schema_text

    text = stats_json_schema_text()
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text, force=force)


# ---- serve ---------------------------------------------------------------------------------


@_command
@reports_input_errors
def serve(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="先把这些统计文件（.yaml 或 .xlsx）加入工作区，每个文件一份报告；"
            "工作区中已有同一机关同一年度的报告时保留原样",
            show_default=False,
            metavar="STATS...",
        ),
    ] = None,
    host: Annotated[
        str, typer.Option("--host", help="监听地址（默认只允许本机访问）")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="端口", min=1, max=65535)] = 8000,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", help="工作区目录（默认在用户数据目录中）", show_default=False),
    ] = None,
) -> None:
    """在浏览器中使用：启动本机网页（统计、素材、起草与对话修改、核对、历史版本），可先加入统计文件。"""
    from drafter.web.app import bind_refusal
    from drafter.workspace import Workspace

    ws = Workspace.open(workspace)
    refusal = bind_refusal(ws, host)
    if refusal is not None:
        ws.close()
        raise InputError(refusal, code="E-USAGE")
    if files:
        from drafter.web.adding import add_statistics, read_statistics_file

        try:  # every file read before any is added: a bad one adds nothing
            given = [read_statistics_file(path) for path in files]
        except InputError:
            ws.close()
            raise
        for one in given:
            added = add_statistics(ws, one)
            state = "已加入工作区" if added.new else "工作区中已有，保留原样"
            errors = f"，统计数据有 {added.errors} 项错误" if added.errors else ""
            name = f"{added.report.agency} {added.report.year} 年度"
            sys.stdout.write(f"{_shown(one.path)}：{name}{state}{errors}\n")
    import uvicorn

    from drafter.web.app import create_app

    app = create_app(ws, host=host)
    shown = f"[{host}]" if ":" in host else host
    sys.stdout.write(f"drafter 已启动：请在浏览器中打开 http://{shown}:{port}/\n")
    sys.stdout.write(f"工作区：{_shown(ws.folder)}（按 Ctrl+C 停止）\n")
    if app.state.auth.required:
        sys.stdout.write(
            "需要登录：只有工作区的用户（drafter users list）登录后才能使用，"
            "各自只能看到授权给自己的机关的报告\n"
        )
    sys.stdout.flush()
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        ws.close()


# ---- users ---------------------------------------------------------------------------------

USERS_HELP = "管理网页的用户：添加用户、授权机关、修改密码（监听非本机地址时须登录）。"
_USER_COMMANDS: list[Callable[..., Any]] = []


def _user_command(func: F) -> F:
    """Register a command of `drafter users` (named without its `users_` prefix)."""
    _USER_COMMANDS.append(func)
    return func


def _users_app() -> typer.Typer:
    from drafter import clihelp

    users = typer.Typer(
        name="users",
        help=USERS_HELP,
        no_args_is_help=True,
        rich_markup_mode=None,
        cls=clihelp.ChineseGroup,
        options_metavar=clihelp.OPTIONS_METAVAR,
        subcommand_metavar=clihelp.SUBCOMMAND_METAVAR,
    )
    for func in _USER_COMMANDS:
        users.command(
            name=func.__name__.removeprefix("users_"),
            cls=clihelp.ChineseCommand,
            options_metavar=clihelp.OPTIONS_METAVAR,
        )(func)
    return users


def _workspace_option() -> Any:
    return typer.Option(
        "--workspace", help="工作区目录（默认在用户数据目录中）", show_default=False
    )


def _open_workspace(folder: Path | None) -> Any:
    from drafter.workspace import Workspace, WorkspaceError

    try:
        return Workspace.open(folder)
    except WorkspaceError as exc:
        raise InputError(str(exc), code="E-USAGE") from None


def _existing_user(ws: Any, name: str) -> str:
    name = name.strip()
    if name not in ws.users():
        raise InputError(
            f"用户不存在：{one_line(name)}（drafter users list 查看用户）", code="E-USAGE"
        )
    return name


def _new_password(from_stdin: bool) -> str:
    """The new password: from standard input (one line, its line break dropped), or typed
    twice, hidden. Never printed."""
    from drafter.web.auth import password_problem

    if from_stdin:
        password = sys.stdin.read()
        password = password.removesuffix("\n").removesuffix("\r")
    else:
        password = typer.prompt("新密码", hide_input=True, prompt_suffix="：")
        again = typer.prompt("再输入一次新密码", hide_input=True, prompt_suffix="：")
        if password != again:
            raise InputError("两次输入的密码不一致，未保存", code="E-USAGE")
    problem = password_problem(password)
    if problem is not None:
        raise InputError(f"{problem}，未保存", code="E-USAGE")
    return password


def _key(value: str, what: str) -> str:
    """A user's or an agency's name as given on the command line, checked before anything
    is asked or stored (as the workspace would check it)."""
    from drafter.workspace import MAX_KEY_CHARS

    key = value.strip()
    if not key or len(key) > MAX_KEY_CHARS or re.search(r"[\x00-\x1f\x7f]", key):
        raise InputError(
            f"{what}无效：“{one_line(value)[:100]}”（不能为空、不能含控制字符、至多 "
            f"{MAX_KEY_CHARS} 字）",
            code="E-USAGE",
        )
    return key


@_user_command
@reports_input_errors
def users_add(
    name: Annotated[
        str, typer.Argument(help="用户名（登录时输入）", show_default=False, metavar="NAME")
    ],
    agencies: Annotated[
        list[str] | None,
        typer.Option("--agency", help="授权的机关全称，可重复", show_default=False),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读密码（一行），不提示输入")
    ] = False,
    workspace: Annotated[Path | None, _workspace_option()] = None,
) -> None:
    """添加用户：输入两次密码（至少 8 个字符，只保存其 argon2 散列），并授权机关。"""
    from drafter.web.auth import hash_password
    from drafter.workspace import WorkspaceError

    name = _key(name, "用户名")  # stripped, as the login page reads it
    granted = [_key(a, "机关名称") for a in agencies or []]
    with _open_workspace(workspace) as ws:
        if name in ws.users():
            raise InputError(
                f"用户已存在：{one_line(name)}（改密码用 drafter users passwd，"
                "授权用 drafter users grant）",
                code="E-USAGE",
            )
        try:
            ws.add_user(name, hash_password(_new_password(password_stdin)))
            for agency in granted:
                ws.grant(name, agency)
        except WorkspaceError as exc:
            raise InputError(str(exc), code="E-USAGE") from None
    shown = "、".join(granted) if granted else "（未授权任何机关，用 drafter users grant 授权）"
    out.print(f"已添加用户 {name}，可访问的机关：{shown}")


@_user_command
@reports_input_errors
def users_grant(
    name: Annotated[str, typer.Argument(help="用户名", show_default=False, metavar="NAME")],
    agency: Annotated[str, typer.Argument(help="机关全称", show_default=False, metavar="AGENCY")],
    workspace: Annotated[Path | None, _workspace_option()] = None,
) -> None:
    """授权用户查看和修改一个机关的报告。"""
    agency = _key(agency, "机关名称")
    with _open_workspace(workspace) as ws:
        name = _existing_user(ws, name)
        ws.grant(name, agency)
    out.print(f"已授权：{name} 可访问 {agency} 的报告")


@_user_command
@reports_input_errors
def users_revoke(
    name: Annotated[str, typer.Argument(help="用户名", show_default=False, metavar="NAME")],
    agency: Annotated[str, typer.Argument(help="机关全称", show_default=False, metavar="AGENCY")],
    workspace: Annotated[Path | None, _workspace_option()] = None,
) -> None:
    """收回用户对一个机关的授权。"""
    with _open_workspace(workspace) as ws:
        name = _existing_user(ws, name)
        if not ws.revoke(name, agency.strip()):
            raise InputError(f"{one_line(name)} 没有 {one_line(agency)} 的授权", code="E-USAGE")
    out.print(f"已收回：{name} 不能再访问 {agency.strip()} 的报告")


@_user_command
@reports_input_errors
def users_list(workspace: Annotated[Path | None, _workspace_option()] = None) -> None:
    """列出用户及授权给各人的机关（不显示密码或其散列）。"""
    with _open_workspace(workspace) as ws:
        rows = [
            (name, ws.agencies_of(name), ws.password_hash(name) is not None) for name in ws.users()
        ]
    if not rows:
        out.print("工作区没有用户（用 drafter users add 添加）")
    for name, agencies, has_password in rows:
        shown = "、".join(agencies) if agencies else "（未授权任何机关）"
        out.print(f"{name}：{shown}{'' if has_password else '（未设置密码，不能登录）'}")


@_user_command
@reports_input_errors
def users_passwd(
    name: Annotated[str, typer.Argument(help="用户名", show_default=False, metavar="NAME")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="从标准输入读密码（一行），不提示输入")
    ] = False,
    workspace: Annotated[Path | None, _workspace_option()] = None,
) -> None:
    """修改用户的密码；该用户已登录的会话随之结束。"""
    from drafter.web.auth import hash_password

    with _open_workspace(workspace) as ws:
        name = _existing_user(ws, name)
        ws.set_password(name, hash_password(_new_password(password_stdin)))
        ended = ws.end_sessions(name)
    more = f"，已结束其 {ended} 个登录会话" if ended else ""
    out.print(f"已修改 {name} 的密码{more}")


def main() -> None:
    """The console script: every way out is an exit status and at most a few plain lines."""
    # Pydantic looks for plugins in every installed package's metadata when it builds the
    # first model; drafter uses none (PYDANTIC_DISABLE_PLUGINS=  turns them back on).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    args = sys.argv[1:]
    try:
        plain = _plain_check(args)
        if plain is not None:
            check(**plain)  # ends in SystemExit, like every command
        _app()(args)  # standalone: a usage error or a bug ends in its one line and status
    except KeyboardInterrupt:
        sys.stderr.write("已中断\n")
        sys.exit(130)
    except BrokenPipeError:  # `drafter check … | head`: as typer does, status 1, no message
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - for the interpreter's last flush
        sys.exit(1)


def _plain_check(args: list[str]) -> dict[str, Any] | None:
    """The arguments of `check STATS [--json] [--previous FILE | --previous=FILE]`, each
    option at most once, in any order; None for anything else (help, another option, `--`, a
    value starting with "-", Windows, whose shell leaves wildcards to the program), which
    typer then parses as always. Parsing these forms here spares a check importing typer
    and building the app: a third of its time."""
    if not args or args[0] != "check" or os.name == "nt":
        return None
    stats: str | None = None
    previous: str | None = None
    as_json = False
    rest = iter(args[1:])
    for token in rest:
        if token == "--json" and not as_json:
            as_json = True
        elif token == "--previous" and previous is None:
            previous = next(rest, None)
            if previous is None or previous.startswith("-") or not previous:
                return None
        elif token.startswith("--previous=") and previous is None:
            previous = token.removeprefix("--previous=")
            if not previous:
                return None
        elif token and not token.startswith("-") and stats is None:
            stats = token
        else:
            return None
    if stats is None:
        return None
    return {
        "stats": Path(stats),
        "previous": Path(previous) if previous is not None else None,
        "as_json": as_json,
    }
