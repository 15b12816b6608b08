"""Writing output files without ever losing work.

Every file drafter writes goes through `write_atomic`: the content is written to a temporary
file beside the target and renamed over it in one step, so a failed or interrupted run leaves
either the old file or the new one, never half of either; an existing file is replaced only
when the caller passes `force=True`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from drafter.errors import InputError


def check_writable(path: Path, *, force: bool) -> None:
    """Refuse early (before any work) when `path` exists and `force` is not given."""
    if path.exists() and not force:
        raise InputError(f"{path} 已存在；如要覆盖，请加 --force（原文件未改动）")
    if path.exists() and path.is_dir():
        raise InputError(f"{path} 是目录，不能写成文件")
    if not path.parent.exists():
        raise InputError(f"目录 {path.parent} 不存在")


def write_atomic(path: str | Path, content: str | bytes, *, force: bool = False) -> Path:
    path = Path(path)
    check_writable(path, force=force)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists() and not force:  # created by someone else meanwhile
            raise InputError(f"{path} 已存在；如要覆盖，请加 --force（原文件未改动）")
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return path
