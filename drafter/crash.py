"""What happens when drafter itself fails: one line for the user, the details in a log file.

An unexpected exception is a bug in drafter, not a finding and not bad input, so it gets an
exit status of its own (3). The user sees one Chinese line with an error id and the path of a
log file; the traceback goes into that file (in drafter's data directory), never onto the
terminal. Values of environment variables that look like secrets (API keys, tokens) are
blanked out of the log, in case an exception message quotes one.
"""

from __future__ import annotations

import datetime as _dt
import os
import sys
import traceback
import uuid
from pathlib import Path

INTERNAL_ERROR = 3
_SECRET_NAMES = ("KEY", "TOKEN", "SECRET", "PASSWORD")


def _secrets() -> list[str]:
    return sorted(
        (
            value
            for name, value in os.environ.items()
            if any(part in name.upper() for part in _SECRET_NAMES) and len(value) >= 8
        ),
        key=len,
        reverse=True,
    )


def scrub(text: str) -> str:
    """`text` with the values of secret-looking environment variables replaced by ***."""
    for secret in _secrets():
        text = text.replace(secret, "***")
    return text


def log_dir() -> Path:
    from drafter.audit import home

    return home() / "errors"


def report_crash(exc: BaseException, argv: list[str] | None = None) -> str:
    """Write the traceback of `exc` to a log file; the one line to show the user."""
    error_id = uuid.uuid4().hex[:8]
    when = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    from drafter import __version__

    details = (
        f"drafter {__version__} · Python {sys.version.split()[0]} · {when}\n"
        f"命令：{' '.join(argv if argv is not None else sys.argv)}\n\n"
        + "".join(traceback.format_exception(exc))
    )
    name = type(exc).__name__
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{_dt.date.today():%Y%m%d}-{error_id}.log"
        path.write_text(scrub(details), encoding="utf-8")
    except OSError:
        return f"内部错误 E-INTERNAL（编号 {error_id}，{name}）：drafter 出错了，且无法写出日志文件"
    return (
        f"内部错误 E-INTERNAL（编号 {error_id}，{name}）：drafter 出错了，这不是您的输入问题；"
        f"详细信息已写入 {path}，请把它发给维护者"
    )
