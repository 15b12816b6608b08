"""One policy for untrusted input: every limit drafter puts on what it reads, and the ways in
which it reads — `read_bytes_limited` for a file on disk, `SafeZip` for the zip inside a .docx
or .xlsx, `TextBudget` and `check_table` for what a report's readers make of it.

Why here, in one place: a limit checked against what a file *says* about itself is no limit.
`st_size` is 0 for /dev/zero and a named pipe, a zip member's header may understate its size,
a table cell may declare rowspan="1000" colspan="1000". So a file is read only when it is a
regular file, and never more than its limit plus one byte; a zip member is decompressed in
chunks and counted as it comes; CRCs are checked by reading members to the end; the readers
count paragraphs, characters and table cells as they produce them (`TextBudget`). Every
refusal is an `InputError` with a stable code (drafter.errors.INPUT_CODES) and one Chinese
line naming the file.

The values are set well above any real report or statistics file (a report is 5–30 KB of
text in 100–300 paragraphs, its largest table some 30 × 30 cells; a statistics workbook is
some 30 KB holding a few thousand cells) and low enough that reading stays within seconds and
a few hundred MB of memory.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from drafter.errors import InputError, Problem

KB = 1024
MB = 1024 * KB

# ---- files on disk ---------------------------------------------------------------------------
MAX_STATS_YAML_BYTES = 5 * MB  # a statistics file (.yaml/.yml/.json) is a few KB
MAX_WORKBOOK_BYTES = 20 * MB  # a statistics workbook (.xlsx) is some 30 KB
MAX_DOCX_BYTES = 50 * MB  # a report as .docx (photos of a seal may be inside)
MAX_TEXT_DOCUMENT_BYTES = 5 * MB  # .html/.md/.txt (a real page: 30 KB–1 MB; lxml takes ~40×)

# ---- zip archives (.docx, .xlsx): bytes really decompressed, not what the headers say -----
MAX_ZIP_MEMBERS = 1000  # a .docx or .xlsx has some 10–30 parts
MAX_DOCX_UNPACKED = 100 * MB  # all parts of a .docx together
MAX_DOCX_XML_PART = 10 * MB  # one XML part of a .docx (a real one: 0.2–5 MB; lxml takes ~25×)
MAX_DOCX_RATIO = 200  # unpacked / file size, checked once 10 MB are unpacked
DOCX_RATIO_FLOOR = 10 * MB
MAX_WORKBOOK_UNPACKED = 50 * MB  # all parts of a workbook together
MAX_WORKBOOK_RATIO = 100  # unpacked / file size, checked once 1 MB is unpacked
WORKBOOK_RATIO_FLOOR = 1 * MB

# ---- a report read back -----------------------------------------------------------------------
MAX_PARAGRAPHS = 10_000  # paragraphs a reader yields, empty ones included (a report: ~300)
MAX_TEXT_CHARS = 300_000  # characters of paragraphs and table cells (a report: 3,000–30,000)
MAX_NUMBERS = 5_000  # numbers in a report's prose (a report: 100–800); each costs the
# verifier some 0.3 ms and its finding, so 300,000 characters of "1、" would take 40 s
MAX_TABLE_CELLS = 5_000  # rows × columns of one table (the largest official table: ~30 × 9)
MAX_DOCUMENT_CELLS = 20_000  # rows × columns of all tables of a document together
MAX_HTML_SPAN = 1000  # rowspan/colspan as browsers clamp them (then clamped to the table)

# ---- a statistics workbook ---------------------------------------------------------------------
MAX_WORKBOOK_ELEMENTS = 200_000  # XML elements and merged cells (a blank workbook: ~2,000)
MAX_SHEET_GRID = 200_000  # rows × columns of a sheet's used range
MAX_FORMULA_RANGE = 20_000  # cells in one range of a formula
MAX_FORMULA_DEPTH = 50  # formulas referring to formulas
MAX_FORMULA_LENGTH = 8192  # characters (Excel's own limit)
MAX_FORMULA_NUMBER = 10**15  # magnitude of any number in or computed by a formula
MAX_FORMULA_WORK = 200_000  # cells the evaluator may visit in one workbook (the sample: ~300)

# ---- statistics values -----------------------------------------------------------------------
MAX_STATS_DEPTH = 40  # nesting of a YAML statistics file
MAX_COUNT = 10**12  # a count or an amount: no body receives 10^12 applications
MAX_COUNT_TEXT = "一万亿"  # MAX_COUNT as the messages say it
MAX_NUMBER_DIGITS = 30  # digits of a number written out (int() of text refuses 4,300+)
MAX_DECIMAL_PLACES = 20  # places of an amount (万元 has six, 元 two)
MAX_FACTS = 1000  # facts of one statistics file (a real one: 10–60)
MAX_NOTE_CHARS = 20_000  # characters of one part's notes (a real one: 50–1,500; a part of the
# report is at most a few thousand characters, and every note is verified sentence by sentence)
MAX_LABEL_CHARS = 500  # a fact's label, an agency's name, any other one-line field


def _size(n: int) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{max(1, n // KB)} KB"


def _fail(name: str | None, message: str, code: str) -> InputError:
    return InputError(Problem(message, file=name, code=code))


# ---- files on disk ---------------------------------------------------------------------------


def read_bytes_limited(
    path: str | Path, limit: int, what: str, *, display: str | None = None
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; `what` names the kind of file in
    the message (统计文件, 报告). A device, a pipe or a directory is refused (E-FILE-TYPE)
    before it is opened: /dev/zero has st_size 0 and never ends, a pipe blocks. The file is
    opened non-blocking and checked again through its descriptor (it may have been swapped
    since), then read up to `limit` + 1 bytes, whatever its size claimed (E-LIMIT-SIZE)."""
    name = display or str(path)
    try:
        info = os.stat(path)  # follows symlinks: a link to /dev/zero is a device
    except (FileNotFoundError, NotADirectoryError):
        raise _fail(name, "文件不存在", "E-FILE-MISSING") from None
    except OSError as exc:
        raise _fail(name, f"无法读取文件（{exc.strerror}）", "E-FILE-READ") from None
    _check_regular(name, info.st_mode)
    _check_size(name, info.st_size, limit, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _fail(name, f"无法读取文件（{exc.strerror}）", "E-FILE-READ") from None
    try:
        _check_regular(name, os.fstat(fd).st_mode)
        data = _read_at_most(fd, limit + 1)
    except OSError as exc:
        raise _fail(name, f"无法读取文件（{exc.strerror}）", "E-FILE-READ") from None
    finally:
        os.close(fd)
    _check_size(name, len(data), limit, what)
    return data


def _check_regular(name: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise _fail(name, "是目录，不是文件", "E-FILE-TYPE")
    if not stat.S_ISREG(mode):
        raise _fail(name, "不是普通文件（设备、管道或套接字），拒绝读取", "E-FILE-TYPE")


def _check_size(name: str, size: int, limit: int, what: str) -> None:
    if size > limit:
        shown = "超过 " + _size(limit) if size == limit + 1 else _size(size)
        raise _fail(name, f"文件过大（{shown}），{what}不应超过 {_size(limit)}", "E-LIMIT-SIZE")


def _read_at_most(fd: int, count: int) -> bytes:
    chunks: list[bytes] = []
    left = count
    while left > 0:
        chunk = os.read(fd, min(left, MB))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ---- zip archives ------------------------------------------------------------------------------

# What a damaged, exotic or hostile zip makes zipfile and its decompressors raise: a bad CRC
# (found only when a member is read to its end), a truncated deflate stream, an unknown
# compression method or zip version, an encrypted member, headers pointing nowhere.
try:
    from lzma import LZMAError
except ImportError:  # pragma: no cover - a Python built without lzma cannot decompress it
    LZMAError = zipfile.BadZipFile  # type: ignore[misc,assignment]

_CORRUPT = (
    zipfile.BadZipFile,
    zlib.error,
    LZMAError,
    NotImplementedError,
    RuntimeError,
    EOFError,
    OSError,
    ValueError,
    struct.error,
)


@dataclass(frozen=True)
class ZipLimits:
    """How much a zip may expand: in all, per member (None: only in all), and relative to the
    size of the file once `ratio_floor` bytes have come out."""

    unpacked: int
    part: int | None
    ratio: int
    ratio_floor: int
    members: int = MAX_ZIP_MEMBERS


DOCX_LIMITS = ZipLimits(MAX_DOCX_UNPACKED, None, MAX_DOCX_RATIO, DOCX_RATIO_FLOOR)
WORKBOOK_LIMITS = ZipLimits(MAX_WORKBOOK_UNPACKED, None, MAX_WORKBOOK_RATIO, WORKBOOK_RATIO_FLOOR)


def _reason(exc: BaseException) -> str:
    text = str(exc).lower()
    if isinstance(exc, NotImplementedError):
        return "使用了不支持的压缩方式或 zip 版本"
    if isinstance(exc, RuntimeError) and "encrypt" in text:
        return "已加密"
    if "crc" in text:
        return "校验错误"
    return "数据不完整或已损坏"


class SafeZip:
    """A zip archive whose members are read within `ZipLimits`, counting the bytes that really
    come out of the decompressor (a header's file_size is never trusted), and whose damage
    (bad CRC, unknown compression, encryption, truncation) is an `InputError` E-FILE-CORRUPT."""

    def __init__(self, data: bytes, name: str, limits: ZipLimits, what: str) -> None:
        self.name = name
        self.limits = limits
        self.what = what  # .docx, .xlsx: for the messages
        self.size = max(1, len(data))
        self.unpacked = 0  # bytes decompressed so far, all members together
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
            self.infos = self.archive.infolist()
        except NotImplementedError as exc:  # a zip version or feature zipfile does not know
            message = f"无法读取 {what} 文件（{_reason(exc)}）"
            raise _fail(name, message, "E-FILE-CORRUPT") from None
        except _CORRUPT:
            message = f"不是有效的 {what} 文件（无法作为 zip 打开）"
            raise _fail(name, message, "E-FILE-CORRUPT") from None
        if len(self.infos) > limits.members:
            raise _fail(
                name, f"文件包含的部件过多（{len(self.infos)} 个），拒绝读取", "E-LIMIT-UNPACKED"
            )
        declared = sum(info.file_size for info in self.infos)
        if declared > limits.unpacked:  # the headers already admit it: no need to inflate
            self._too_large(declared)

    def names(self) -> list[str]:
        return [info.filename for info in self.infos]

    def __contains__(self, member: str) -> bool:
        return any(info.filename == member for info in self.infos)

    def read(self, member: str | zipfile.ZipInfo, limit: int | None = None) -> bytes:
        """A member's bytes, read to the end (so its CRC is checked) in chunks, refused as soon
        as it passes `limit` or the archive's limits (E-LIMIT-UNPACKED). KeyError when there is
        no such member."""
        info = member if isinstance(member, zipfile.ZipInfo) else self.archive.getinfo(member)
        caps = [c for c in (limit, self.limits.part) if c is not None]
        cap = min(caps) if caps else None
        chunks: list[bytes] = []
        got = 0
        try:
            with self.archive.open(info) as handle:
                while chunk := handle.read(256 * KB):
                    got += len(chunk)
                    self._count(len(chunk))
                    if cap is not None and got > cap:
                        raise _fail(
                            self.name,
                            f"解压后过大（{info.filename} 超过 {_size(cap)}），拒绝读取",
                            "E-LIMIT-UNPACKED",
                        )
                    chunks.append(chunk)
        except _CORRUPT as exc:
            raise _fail(
                self.name,
                f"文件已损坏（{info.filename} 无法解压：{_reason(exc)}）",
                "E-FILE-CORRUPT",
            ) from None
        return b"".join(chunks)

    def verify_all(self) -> None:
        """Read every member to its end (CRC checked, sizes counted, nothing kept): a library
        that then reads the same bytes by itself (python-docx, openpyxl) meets no surprise."""
        for info in self.infos:
            if not info.is_dir():
                self.read(info)

    def _count(self, n: int) -> None:
        self.unpacked += n
        limits = self.limits
        over_ratio = self.unpacked > limits.ratio_floor and self.unpacked / self.size > limits.ratio
        if self.unpacked > limits.unpacked or over_ratio:
            self._too_large(self.unpacked)

    def _too_large(self, amount: int) -> None:
        raise _fail(
            self.name,
            f"解压后过大（{_size(amount)} 以上，疑似压缩炸弹），拒绝读取",
            "E-LIMIT-UNPACKED",
        )


def open_zip(data: bytes, name: str, limits: ZipLimits, what: str) -> SafeZip:
    """`SafeZip` of `data`: E-FILE-CORRUPT when it is no zip, E-LIMIT-UNPACKED when its
    headers already admit too much."""
    return SafeZip(data, name, limits, what)


def read_member(archive: SafeZip, member: str, limit: int | None = None) -> bytes | None:
    """A member's bytes within the archive's limits and `limit`; None when it is absent."""
    try:
        return archive.read(member, limit)
    except KeyError:
        return None


# ---- documents read back -------------------------------------------------------------------


class TextBudget:
    """Counts what a reader produces from one document — paragraphs, characters, table cells —
    and stops it (E-LIMIT-TEXT, E-LIMIT-TABLE) as soon as it passes a limit, before the rest
    of the file is turned into blocks. A report has some 300 paragraphs and 1,000 cells; a page
    of a million empty paragraphs would otherwise cost gigabytes and minutes downstream."""

    def __init__(self, name: str | None) -> None:
        self.name = name  # the file, for messages (None: the caller names it)
        self.paragraphs = 0
        self.chars = 0
        self.cells = 0

    def paragraph(self, text: str) -> None:
        self.paragraphs += 1
        if self.paragraphs > MAX_PARAGRAPHS:
            raise _fail(
                self.name,
                f"段落过多（超过 {MAX_PARAGRAPHS} 段），不像一份年度报告，拒绝读取",
                "E-LIMIT-TEXT",
            )
        self.text(text)

    def text(self, text: str) -> None:
        self.chars += len(text)
        if self.chars > MAX_TEXT_CHARS:
            raise _fail(
                self.name,
                f"文字过多（超过 {MAX_TEXT_CHARS} 字），不像一份年度报告，拒绝读取",
                "E-LIMIT-TEXT",
            )

    def table(self, rows: int, columns: int) -> None:
        """A table of rows × columns (already within `check_table`)."""
        self.cells += rows * columns
        if self.cells > MAX_DOCUMENT_CELLS:
            raise _fail(
                self.name,
                f"表格过多（共超过 {MAX_DOCUMENT_CELLS} 个单元格），拒绝读取",
                "E-LIMIT-TABLE",
            )


def check_table(rows: int, columns: int, name: str | None) -> None:
    """Refuse (E-LIMIT-TABLE) a table whose grid would pass MAX_TABLE_CELLS: no official
    table comes near it, and a grid is built cell by cell downstream."""
    if rows * columns > MAX_TABLE_CELLS:
        raise _fail(
            name,
            f"表格过大（超过 {MAX_TABLE_CELLS} 个单元格），不是年度报告的表格，拒绝读取",
            "E-LIMIT-TABLE",
        )
