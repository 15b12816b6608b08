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


def _new_file_mode() -> int:
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def check_writable(path: Path, *, force: bool) -> None:
    """Refuse early (before any work) when `path` exists and `force` is not given."""
    if path.exists() and not force:
        raise InputError(
            f"{path} 已存在；如要覆盖，请加 --force（原文件未改动）", code="E-FILE-EXISTS"
        )
    if path.exists() and path.is_dir():
        raise InputError(f"{path} 是目录，不能写成文件", code="E-FILE-WRITE")
    if not path.parent.exists():
        raise InputError(f"目录 {path.parent} 不存在", code="E-FILE-WRITE")


def write_atomic(path: str | Path, content: str | bytes, *, force: bool = False) -> Path:
    path = Path(path)
    write_all_atomic([(path, content)], force=force)
    return path


def write_all_atomic(items: list[tuple[Path, str | bytes]], *, force: bool = False) -> None:
    """Write several files all or nothing: every target is checked, every content is written
    to a temporary file beside its target, and only then are they renamed into place."""
    paths = [Path(p) for p, _ in items]
    if len(set(paths)) != len(paths):
        raise InputError("输出文件重复：同一个文件不能写两次", code="E-USAGE")
    for path in paths:
        check_writable(path, force=force)
    temps: list[str] = []
    try:
        for path, content in zip(paths, (c for _, c in items), strict=True):
            data = content.encode("utf-8") if isinstance(content, str) else content
            _remove_leftovers(path)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f"{_temp_prefix(path)}{os.getpid()}.", suffix=".tmp", dir=path.parent
            )
            temps.append(tmp_name)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp makes private files; give the result the mode a new file would have
            # (or keep the mode of the file it replaces).
            os.chmod(tmp_name, path.stat().st_mode & 0o777 if path.exists() else _new_file_mode())
        for path in paths:
            if path.exists() and not force:  # created by someone else meanwhile
                raise InputError(
                    f"{path} 已存在；如要覆盖，请加 --force（原文件未改动）", code="E-FILE-EXISTS"
                )
        _replace_all(paths, temps)
    finally:
        for tmp_name in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)


def _temp_prefix(path: Path) -> str:
    return f".{path.name}.drafter-"


def _remove_leftovers(path: Path) -> None:
    """Remove the temporary files an interrupted earlier write left beside `path` (a run
    killed between writing and renaming): their names carry the writing process's id, and
    only those whose process no longer runs are removed."""
    prefix = _temp_prefix(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        if not name.startswith(prefix) or not name.endswith((".tmp", ".tmp.old")):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(path.parent / name)


def _running(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows, os.kill(pid, 0) would end it
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, owned by someone else
        return True
    return True


def _replace_all(paths: list[Path], temps: list[str]) -> None:
    """Rename every temporary file over its target; if one rename fails, put back what the
    earlier ones replaced, so that either all files are new or all are as they were."""
    backups: dict[Path, str] = {}
    done: list[Path] = []
    try:
        for path, tmp_name in zip(paths, temps, strict=True):
            if path.exists():
                backup = tmp_name + ".old"
                os.link(path, backup)
                backups[path] = backup
            os.replace(tmp_name, path)
            done.append(path)
    except BaseException:
        for path in done:
            if path in backups:
                os.replace(backups.pop(path), path)
            else:
                path.unlink(missing_ok=True)
        raise
    finally:
        for backup in backups.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(backup)
