"""The workspace of `drafter serve` (issue 13): reports, their documents and every saved version,
in one SQLite database. A plain library, no web code.

A workspace is a folder holding `workspace.db` (with SQLite's `-wal` and `-shm` beside it);
the default one is `default_workspace()`, in drafter's user data directory (`DRAFTER_HOME`
overrides it, as for the audit log). Inside:

- a *report* is one agency's report for one year (`create_report`, unique per agency + year);
- a *document* of a report is a `kind` (`KINDS`: "stats", "notes", "draft", "edited",
  "upload", "chat", "previous", "material", "review") plus a free `name`, so that a draft
  can be kept per part;
- every `save` is a new immutable *version* (content, sha256, author, UTC time, parent,
  message); `restore` is a save of an old version's content, never a rewrite of history.

Choices, and why:

- **Content lives in the database** (table `blobs`, keyed by sha256, so a restore or an
  identical save stores nothing twice), not as files under `objects/`. One SQLite commit
  then makes a version and its content durable together: there is no window in which a row
  points at a file not yet written, no orphan file after a crash, nothing to fsync by hand,
  and no user input ever comes near a file-system path — names, kinds and agencies are only
  keys of rows. The size limit (`MAX_CONTENT_BYTES`, 50 MB, the largest upload drafter reads
  at all) keeps every blob far below SQLite's 1 GB limit.
- **WAL with `synchronous=FULL`**: in WAL mode NORMAL survives a killed process but may lose
  the last commits on a power cut; the issue says a saved change is never lost, and a clerk's
  save is rare enough that one more fsync per commit costs nothing noticeable.
- **A connection per thread** (`threading.local`), each in autocommit mode with explicit
  transactions, so that threads of one server and separate processes are serialised by the
  same mechanism, SQLite's own locks. A save runs in `BEGIN IMMEDIATE`: the write lock is
  taken *before* the head is read, so of two saves on the same base exactly one succeeds and
  the other gets `StaleVersion`. The connections are opened with check_same_thread=False only
  so that `close()` may close them from whichever thread calls it; none is ever shared.
- **Versions cannot be changed**: triggers refuse UPDATE and DELETE on `versions`.
- **Schema versions**: table `schema_version` holds the number of the last migration applied;
  `MIGRATIONS` are applied in order, each in the transaction that records it. A workspace
  written by a newer drafter is refused rather than guessed at.

Users, grants and login sessions are data only here (`add_user`, `set_password`, `grant`,
`revoke`, `agencies_of`, `list_reports(user=...)`, `create_session`, `session_user`,
`end_session`); the password hashes are made and checked by the server
(`drafter.web.auth`, argon2), which never hands this module a password. A session is stored
as the sha256 of its token, never the token itself, so that a copy of the database opens no
session; it ends after `SESSION_IDLE` without a request and `SESSION_MAX` after the login
however active it is.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from drafter.audit import home
from drafter.errors import InputError, Problem
from drafter.limits import MAX_DOCX_BYTES

DB_NAME = "workspace.db"
# Every document kind; all but "upload" are UTF-8 text, shown as a diff on a conflict.
KINDS = (
    "stats", "notes", "draft", "edited", "upload", "chat", "previous", "material", "review",
)  # fmt: skip
TEXT_KINDS = frozenset({"stats", "notes", "draft", "edited", "chat", "previous", "material"})
# One saved content at most: the largest file drafter reads at all (a report as .docx).
MAX_CONTENT_BYTES = MAX_DOCX_BYTES
MAX_KEY_CHARS = 200  # an agency's, a document's or a user's name
MAX_MESSAGE_CHARS = 2000
MIN_YEAR, MAX_YEAR = 2000, 2200
BUSY_TIMEOUT_MS = 30_000  # a save waits this long for another one to finish
# How long a login of `drafter serve` lasts: it ends after SESSION_IDLE without a request and
# SESSION_MAX after the login in any case; its last request is written down at most once per
# SESSION_TOUCH (not a database write for every request).
SESSION_IDLE = timedelta(hours=8)
SESSION_MAX = timedelta(hours=12)
SESSION_TOUCH = timedelta(minutes=1)

MIGRATIONS: list[str] = [
    # 1: the first schema
    """
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        agency TEXT NOT NULL,
        year INTEGER NOT NULL,
        created TEXT NOT NULL,
        UNIQUE (agency, year)
    );
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        report_id INTEGER NOT NULL REFERENCES reports (id),
        kind TEXT NOT NULL CHECK (kind IN ('stats', 'notes', 'draft', 'edited', 'upload')),
        name TEXT NOT NULL,
        UNIQUE (report_id, kind, name)
    );
    CREATE TABLE blobs (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        content BLOB NOT NULL
    );
    CREATE TABLE versions (
        document_id INTEGER NOT NULL REFERENCES documents (id),
        number INTEGER NOT NULL CHECK (number >= 1),
        parent INTEGER,
        sha256 TEXT NOT NULL REFERENCES blobs (sha256),
        author TEXT NOT NULL,
        created TEXT NOT NULL,
        message TEXT NOT NULL DEFAULT '',
        restored_from INTEGER,
        PRIMARY KEY (document_id, number)
    );
    CREATE TRIGGER versions_no_update BEFORE UPDATE ON versions
        BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;
    CREATE TRIGGER versions_no_delete BEFORE DELETE ON versions
        BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END;
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        password_hash TEXT,
        created TEXT NOT NULL
    );
    CREATE TABLE grants (
        user TEXT NOT NULL REFERENCES users (name),
        agency TEXT NOT NULL,
        PRIMARY KEY (user, agency)
    );
    """,
    # 2: the kinds of `drafter serve`'s documents: "chat" (the conversation about one part of a
    # draft), "previous" (last year's statistics), "material" (a work summary's paragraphs),
    # "review" (an edited .docx under review). SQLite cannot change a CHECK constraint: the
    # table is rebuilt, rows and ids kept.
    """
    CREATE TABLE documents_new (
        id INTEGER PRIMARY KEY,
        report_id INTEGER NOT NULL REFERENCES reports (id),
        kind TEXT NOT NULL
            CHECK (kind IN ('stats', 'notes', 'draft', 'edited', 'upload', 'chat',
                'previous', 'material', 'review')),
        name TEXT NOT NULL,
        UNIQUE (report_id, kind, name)
    );
    INSERT INTO documents_new (id, report_id, kind, name)
        SELECT id, report_id, kind, name FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_new RENAME TO documents;
    """,
    # 3: the login sessions of `drafter serve` (the sha256 of each token, never the token)
    """
    CREATE TABLE sessions (
        token_sha256 TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users (name),
        created TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        expires TEXT NOT NULL
    );
    CREATE INDEX sessions_by_user ON sessions (user);
    """,
]
SCHEMA_VERSION = len(MIGRATIONS)


def default_workspace() -> Path:
    """The workspace folder used when none is given: `workspace` in drafter's data directory
    (`DRAFTER_HOME`, else the platform's user data directory, as drafter.audit finds it)."""
    return home() / "workspace"


def _now() -> str:
    return _stamp(datetime.now(UTC))


def _stamp(moment: datetime) -> str:
    """A moment as stored: UTC, ISO 8601 to the second (so that stored times sort as text)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def local_time(utc: str) -> str:
    """A stored UTC time as the local time of this machine, to the minute, for messages."""
    moment = datetime.strptime(utc, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


class WorkspaceError(Exception):
    """A workspace operation refused, with a Chinese message fit to show a user."""


class NotFound(WorkspaceError):
    """No such report, document or version (or one the user was not granted)."""


class DuplicateReport(WorkspaceError):
    """The agency already has a report for that year."""

    def __init__(self, existing: ReportRef) -> None:
        self.existing = existing
        super().__init__(
            f"报告已存在：{existing.agency} {existing.year} 年度（编号 {existing.id}），"
            "同一机关同一年度只能有一份报告"
        )


@dataclass(frozen=True)
class ReportRef:
    """One report: an agency's annual report for one year."""

    id: int
    agency: str
    year: int
    created: str  # UTC, ISO 8601


@dataclass(frozen=True)
class DocumentRef:
    """One document of a report and its head version."""

    report_id: int
    kind: str
    name: str
    head: int
    updated: str  # UTC time of the head version
    author: str  # who saved the head version


@dataclass(frozen=True)
class Version:
    """One saved, immutable version of a document."""

    report_id: int
    kind: str
    name: str
    number: int  # 1, 2, 3 … per document
    parent: int | None  # the version it was based on (None for the first)
    sha256: str
    size: int
    author: str
    created: str  # UTC, ISO 8601 ("2026-12-01T02:02:00Z")
    message: str
    restored_from: int | None  # the version restored, for a restore


class StaleVersion(WorkspaceError):
    """A save based on a version that is no longer the head: refused, nothing stored.

    `head` is the current head version (who saved it and when), `base` the version the
    caller's change was based on (None for a new document), `diff` a unified diff from the
    base's content to the head's (the other person's change) for text kinds, else None,
    and `theirs` the head's content."""

    def __init__(self, head: Version, base: int | None, diff: str | None, theirs: bytes) -> None:
        self.head = head
        self.base = base
        self.diff = diff
        self.theirs = theirs
        based = f"你的修改基于版本 {base}" if base is not None else "你是按新文档保存的"
        super().__init__(
            f"保存失败：此文档已被 {head.author} 于 {local_time(head.created)} 修改"
            f"（版本 {head.number}），{based}；请先查看对方的修改"
        )


def _text_diff(kind: str, base: bytes, head: bytes, base_label: str, head_label: str) -> str | None:
    if kind not in TEXT_KINDS:
        return None
    return "".join(
        difflib.unified_diff(
            base.decode("utf-8", errors="replace").splitlines(keepends=True),
            head.decode("utf-8", errors="replace").splitlines(keepends=True),
            fromfile=base_label,
            tofile=head_label,
        )
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _key(value: str, what: str) -> str:
    """A name used as a key: any text, but not empty, not over MAX_KEY_CHARS and without
    control characters (it is shown in messages and pages). Never a path."""
    if not isinstance(value, str) or not value.strip():
        raise WorkspaceError(f"{what}不能为空")
    if len(value) > MAX_KEY_CHARS:
        raise WorkspaceError(f"{what}过长（{len(value)} 字，上限 {MAX_KEY_CHARS} 字）")
    if _CONTROL.search(value):
        raise WorkspaceError(f"{what}不能含控制字符")
    return value


def _kind(kind: str) -> str:
    if kind not in KINDS:
        raise WorkspaceError(f"未知的文档类别 {kind!r}，应为 {'、'.join(KINDS)} 之一")
    return kind


_VERSION_COLUMNS = (
    "d.report_id, d.kind, d.name, v.number, v.parent, v.sha256, b.size, v.author, v.created, "
    "v.message, v.restored_from"
)
_VERSION_FROM = (
    "FROM versions v JOIN documents d ON d.id = v.document_id JOIN blobs b ON b.sha256 = v.sha256"
)


def _version(row: tuple) -> Version:
    return Version(*row)


class Workspace:
    """A workspace folder and its database; safe to use from many threads and processes."""

    def __init__(self, folder: Path) -> None:
        """Use `Workspace.open`."""
        self.folder = folder
        self.path = folder / DB_NAME
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False

    # ---- opening, connections, transactions ---------------------------------------------

    @classmethod
    def open(cls, folder: Path | None = None) -> Workspace:
        """The workspace in `folder` (default `default_workspace()`), created with its
        database if missing and migrated to the current schema."""
        folder = Path(folder) if folder is not None else default_workspace()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        workspace = cls(folder)
        try:
            workspace._migrate()
        except BaseException:
            workspace.close()
            raise
        return workspace

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's connection; the workspace cannot be used afterwards."""
        with self._lock:
            self._closed = True
            for connection in self._connections:
                connection.close()
            self._connections.clear()

    def _db(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        connection: sqlite3.Connection | None = getattr(self._local, "db", None)
        if connection is not None:
            return connection
        with self._lock:
            if self._closed:
                raise WorkspaceError("工作区已关闭")
            connection = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit: transactions are explicit
                check_same_thread=False,  # only so that close() may close it; never shared
            )
            self._connections.append(connection)
        mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise WorkspaceError(
                f"工作区所在位置不支持 SQLite 的 WAL 模式（得到 {mode}）：{self.folder}"
            )
        connection.execute("PRAGMA synchronous=FULL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self._local.db = connection
        return connection

    @contextlib.contextmanager
    def _transaction(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction: IMMEDIATE for writes (the write lock before the first read), a
        plain one for reads (a consistent snapshot); rolled back on any exception."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _migrate(self) -> None:
        # A migration may rebuild a table that others refer to (SQLite's way to change a
        # constraint): foreign keys are off while it runs, as SQLite's procedure for that asks
        # (the switch works only outside a transaction), and checked before it commits.
        connection = self._db()
        connection.execute("PRAGMA foreign_keys=OFF")
        try:
            self._apply_migrations()
        finally:
            connection.execute("PRAGMA foreign_keys=ON")

    def _apply_migrations(self) -> None:
        with self._transaction(write=True) as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            if row is None:
                db.execute("INSERT INTO schema_version (version) VALUES (0)")
            if current > SCHEMA_VERSION:
                raise WorkspaceError(
                    f"工作区 {self.folder} 由更新版本的 drafter 创建（数据库版本 {current}，"
                    f"本程序只认识到 {SCHEMA_VERSION}），请升级 drafter"
                )
            for number in range(current + 1, SCHEMA_VERSION + 1):
                # executescript would commit first; run the statements one by one instead
                for statement in _statements(MIGRATIONS[number - 1]):
                    db.execute(statement)
                db.execute("UPDATE schema_version SET version = ?", (number,))
            broken = current < SCHEMA_VERSION and db.execute("PRAGMA foreign_key_check").fetchone()
            if broken:
                raise WorkspaceError(
                    f"工作区 {self.folder} 的数据库引用不一致（{broken[0]}），未升级"
                )

    def schema_version(self) -> int:
        """The number of the last migration applied to this workspace."""
        with self._transaction(write=False) as db:
            return db.execute("SELECT version FROM schema_version").fetchone()[0]

    # ---- reports -----------------------------------------------------------------------

    def create_report(self, agency: str, year: int) -> ReportRef:
        """A new report of `agency` for `year`; `DuplicateReport` if there is one already."""
        agency = _key(agency, "机关名称")
        if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
            raise WorkspaceError(f"年度应为 {MIN_YEAR}–{MAX_YEAR} 之间的整数，得到 {year!r}")
        with self._transaction(write=True) as db:
            row = db.execute(
                "SELECT id, agency, year, created FROM reports WHERE agency = ? AND year = ?",
                (agency, year),
            ).fetchone()
            if row is not None:
                raise DuplicateReport(ReportRef(*row))
            created = _now()
            cursor = db.execute(
                "INSERT INTO reports (agency, year, created) VALUES (?, ?, ?)",
                (agency, year, created),
            )
            return ReportRef(int(cursor.lastrowid or 0), agency, year, created)

    def list_reports(self, user: str | None = None) -> list[ReportRef]:
        """All reports by agency and year; with `user`, only those of agencies granted to
        that user (none for an unknown user)."""
        with self._transaction(write=False) as db:
            if user is None:
                rows = db.execute(
                    "SELECT id, agency, year, created FROM reports ORDER BY agency, year, id"
                ).fetchall()
            else:
                rows = db.execute(
                    "SELECT r.id, r.agency, r.year, r.created FROM reports r "
                    "JOIN grants g ON g.agency = r.agency WHERE g.user = ? "
                    "ORDER BY r.agency, r.year, r.id",
                    (user,),
                ).fetchall()
        return [ReportRef(*row) for row in rows]

    def get_report(self, report_id: int, user: str | None = None) -> ReportRef:
        """One report; `NotFound` if there is none, or (with `user`) if its agency is not
        granted to that user — the same answer, so that existence is not given away."""
        with self._transaction(write=False) as db:
            return self._report(db, report_id, user)

    def _report(self, db: sqlite3.Connection, report_id: int, user: str | None = None) -> ReportRef:
        row = db.execute(
            "SELECT id, agency, year, created FROM reports WHERE id = ?", (report_id,)
        ).fetchone()
        if row is not None and user is not None:
            granted = db.execute(
                "SELECT 1 FROM grants WHERE user = ? AND agency = ?", (user, row[1])
            ).fetchone()
            row = row if granted else None
        if row is None:
            raise NotFound(f"报告不存在：编号 {report_id}")
        return ReportRef(*row)

    def documents(self, report_id: int) -> list[DocumentRef]:
        """The documents of a report with their head versions, by kind and name."""
        with self._transaction(write=False) as db:
            self._report(db, report_id)
            rows = db.execute(
                "SELECT d.report_id, d.kind, d.name, v.number, v.created, v.author "
                "FROM documents d JOIN versions v ON v.document_id = d.id "
                "WHERE d.report_id = ? AND v.number = "
                "(SELECT MAX(number) FROM versions WHERE document_id = d.id) "
                "ORDER BY d.kind, d.name",
                (report_id,),
            ).fetchall()
        return [DocumentRef(*row) for row in rows]

    # ---- versions ----------------------------------------------------------------------

    def save(
        self,
        report_id: int,
        kind: str,
        name: str,
        content: bytes,
        *,
        base_version: int | None,
        author: str,
        message: str = "",
    ) -> Version:
        """Save `content` as a new version of the document, if `base_version` is its head
        (None: only for a document not saved before). Otherwise `StaleVersion`, carrying the
        head, who saved it, when and what changed, and nothing is stored."""
        return self._save(
            report_id, kind, name, content, base_version=base_version, author=author,
            message=message, restored_from=None,
        )  # fmt: skip

    def restore(
        self,
        report_id: int,
        kind: str,
        name: str,
        version: int,
        *,
        base_version: int | None,
        author: str,
    ) -> Version:
        """Save the content of an earlier `version` as a new version (history is never
        rewritten); `base_version` is checked as for `save`."""
        content = self.read(report_id, kind, name, version)
        return self._save(
            report_id, kind, name, content, base_version=base_version, author=author,
            message=f"恢复版本 {version}", restored_from=version,
        )  # fmt: skip

    def _save(
        self,
        report_id: int,
        kind: str,
        name: str,
        content: bytes,
        *,
        base_version: int | None,
        author: str,
        message: str,
        restored_from: int | None,
    ) -> Version:
        kind = _kind(kind)
        name = _key(name, "文档名称")
        author = _key(author, "作者")
        if not isinstance(content, bytes | bytearray | memoryview):
            raise TypeError("content must be bytes")
        content = bytes(content)
        if len(content) > MAX_CONTENT_BYTES:
            raise InputError(
                Problem(
                    f"内容过大（{len(content):,} 字节），超过上限 {MAX_CONTENT_BYTES // 2**20} MB，"
                    "未保存",
                    file=name,
                    code="E-LIMIT-SIZE",
                )
            )
        if len(message) > MAX_MESSAGE_CHARS:
            raise WorkspaceError(f"说明过长（{len(message)} 字，上限 {MAX_MESSAGE_CHARS} 字）")
        digest = hashlib.sha256(content).hexdigest()
        with self._transaction(write=True) as db:
            self._report(db, report_id)
            row = db.execute(
                "SELECT id FROM documents WHERE report_id = ? AND kind = ? AND name = ?",
                (report_id, kind, name),
            ).fetchone()
            head = self._head(db, row[0]) if row else None
            if head is not None and base_version != head.number:
                if base_version is not None and not 1 <= base_version <= head.number:
                    raise NotFound(f"版本不存在：{name} 版本 {base_version}")
                theirs = self._content(db, head.sha256)
                base = (
                    self._content(db, self._version(db, row[0], base_version).sha256)
                    if base_version is not None
                    else b""
                )
                base_label = f"版本 {base_version}" if base_version is not None else "（新文档）"
                diff = _text_diff(kind, base, theirs, base_label, f"版本 {head.number}")
                raise StaleVersion(head, base_version, diff, theirs)
            if head is None and base_version is not None:
                raise NotFound(f"版本不存在：{name} 还没有保存过，没有版本 {base_version}")
            document_id = (
                row[0]
                if row
                else db.execute(
                    "INSERT INTO documents (report_id, kind, name) VALUES (?, ?, ?)",
                    (report_id, kind, name),
                ).lastrowid
            )
            db.execute(
                "INSERT OR IGNORE INTO blobs (sha256, size, content) VALUES (?, ?, ?)",
                (digest, len(content), content),
            )
            number = head.number + 1 if head else 1
            version = Version(
                report_id, kind, name, number, base_version, digest, len(content), author,
                _now(), message, restored_from,
            )  # fmt: skip
            self._insert_version(db, int(document_id or 0), version)
            return version

    def _insert_version(self, db: sqlite3.Connection, document_id: int, version: Version) -> None:
        """The row of a new version (its content stored already, in the same transaction)."""
        db.execute(
            "INSERT INTO versions (document_id, number, parent, sha256, author, created, "
            "message, restored_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                document_id,
                version.number,
                version.parent,
                version.sha256,
                version.author,
                version.created,
                version.message,
                version.restored_from,
            ),
        )

    @staticmethod
    def _head(db: sqlite3.Connection, document_id: int) -> Version | None:
        row = db.execute(
            f"SELECT {_VERSION_COLUMNS} {_VERSION_FROM} WHERE v.document_id = ? "
            "ORDER BY v.number DESC LIMIT 1",
            (document_id,),
        ).fetchone()
        return _version(row) if row else None

    @staticmethod
    def _version(db: sqlite3.Connection, document_id: int, number: int) -> Version:
        row = db.execute(
            f"SELECT {_VERSION_COLUMNS} {_VERSION_FROM} WHERE v.document_id = ? AND v.number = ?",
            (document_id, number),
        ).fetchone()
        if row is None:
            raise NotFound(f"版本不存在：版本 {number}")
        return _version(row)

    @staticmethod
    def _content(db: sqlite3.Connection, digest: str) -> bytes:
        return bytes(
            db.execute("SELECT content FROM blobs WHERE sha256 = ?", (digest,)).fetchone()[0]
        )

    def _document(self, db: sqlite3.Connection, report_id: int, kind: str, name: str) -> int:
        self._report(db, report_id)
        row = db.execute(
            "SELECT id FROM documents WHERE report_id = ? AND kind = ? AND name = ?",
            (report_id, _kind(kind), name),
        ).fetchone()
        if row is None:
            raise NotFound(f"文档不存在：{kind} {name}")
        return int(row[0])

    def history(self, report_id: int, kind: str, name: str) -> list[Version]:
        """Every version of a document, oldest first."""
        with self._transaction(write=False) as db:
            document_id = self._document(db, report_id, kind, name)
            rows = db.execute(
                f"SELECT {_VERSION_COLUMNS} {_VERSION_FROM} WHERE v.document_id = ? "
                "ORDER BY v.number",
                (document_id,),
            ).fetchall()
        return [_version(row) for row in rows]

    def head(self, report_id: int, kind: str, name: str) -> Version | None:
        """The current version of a document, None if it was never saved."""
        with self._transaction(write=False) as db:
            try:
                document_id = self._document(db, report_id, kind, name)
            except NotFound:
                self._report(db, report_id)
                return None
            return self._head(db, document_id)

    def read(self, report_id: int, kind: str, name: str, version: int | None = None) -> bytes:
        """The content of a version of a document (default: the head)."""
        with self._transaction(write=False) as db:
            document_id = self._document(db, report_id, kind, name)
            found = (
                self._head(db, document_id)
                if version is None
                else self._version(db, document_id, version)
            )
            assert found is not None  # a document row is written with its first version
            return self._content(db, found.sha256)

    # ---- users, grants, passwords (data only; hashing and checks are the server's) -----

    def add_user(self, name: str, password_hash: str | None = None) -> None:
        """A user (no password yet when `password_hash` is None); existing users are kept."""
        name = _key(name, "用户名")
        with self._transaction(write=True) as db:
            db.execute(
                "INSERT OR IGNORE INTO users (name, password_hash, created) VALUES (?, ?, ?)",
                (name, password_hash, _now()),
            )

    def grant(self, user: str, agency: str) -> None:
        """Let `user` see and edit the reports of `agency`; the user must exist."""
        agency = _key(agency, "机关名称")
        with self._transaction(write=True) as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone() is None:
                raise NotFound(f"用户不存在：{user}")
            db.execute("INSERT OR IGNORE INTO grants (user, agency) VALUES (?, ?)", (user, agency))

    def users(self) -> list[str]:
        """The names of every user, sorted (none: the server may bind only to loopback)."""
        with self._transaction(write=False) as db:
            rows = db.execute("SELECT name FROM users ORDER BY name").fetchall()
        return [row[0] for row in rows]

    def agencies_of(self, user: str) -> list[str]:
        """The agencies granted to `user`, sorted."""
        with self._transaction(write=False) as db:
            rows = db.execute(
                "SELECT agency FROM grants WHERE user = ? ORDER BY agency", (user,)
            ).fetchall()
        return [row[0] for row in rows]

    def revoke(self, user: str, agency: str) -> bool:
        """Take `agency` back from `user`; False when it was not granted."""
        with self._transaction(write=True) as db:
            cursor = db.execute("DELETE FROM grants WHERE user = ? AND agency = ?", (user, agency))
            return cursor.rowcount > 0

    def set_password(self, name: str, password_hash: str) -> None:
        """Store the password hash of an existing user (made by the server; never a
        password). The user's sessions go on: `end_sessions` ends them."""
        if not isinstance(password_hash, str) or not password_hash:
            raise WorkspaceError("密码散列不能为空")
        with self._transaction(write=True) as db:
            cursor = db.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name)
            )
            if cursor.rowcount == 0:
                raise NotFound(f"用户不存在：{name}")

    def password_hash(self, name: str) -> str | None:
        """The stored password hash of `name`; None for an unknown user or one without a
        password (who cannot log in)."""
        with self._transaction(write=False) as db:
            row = db.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    # ---- login sessions (the server's; only each token's sha256 is stored) ---------------

    def create_session(self, user: str, *, now: datetime | None = None) -> str:
        """A new session of `user` (who must exist), ending SESSION_MAX after `now` at the
        latest; returns its token, which only the caller (the user's cookie) ever holds.
        Sessions ended by time are deleted on the way."""
        now = now or datetime.now(UTC)
        token = secrets.token_urlsafe(32)
        with self._transaction(write=True) as db:
            if db.execute("SELECT 1 FROM users WHERE name = ?", (user,)).fetchone() is None:
                raise NotFound(f"用户不存在：{user}")
            db.execute(
                "DELETE FROM sessions WHERE expires <= ? OR last_seen <= ?",
                (_stamp(now), _stamp(now - SESSION_IDLE)),
            )
            db.execute(
                "INSERT INTO sessions (token_sha256, user, created, last_seen, expires) "
                "VALUES (?, ?, ?, ?, ?)",
                (_token_digest(token), user, _stamp(now), _stamp(now), _stamp(now + SESSION_MAX)),
            )
        return token

    def session_user(self, token: str, *, now: datetime | None = None) -> str | None:
        """The user of the session `token` at `now`, its last request moved to `now`; None
        for an unknown token or a session ended by time (which is then deleted)."""
        if not isinstance(token, str) or not token:
            return None
        now = now or datetime.now(UTC)
        digest = _token_digest(token)
        with self._transaction(write=False) as db:
            row = db.execute(
                "SELECT user, last_seen, expires FROM sessions WHERE token_sha256 = ?", (digest,)
            ).fetchone()
        if row is None:
            return None
        user, last_seen, expires = row
        if expires <= _stamp(now) or last_seen <= _stamp(now - SESSION_IDLE):
            self.end_session(token)
            return None
        if last_seen <= _stamp(now - SESSION_TOUCH):
            with self._transaction(write=True) as db:
                db.execute(
                    "UPDATE sessions SET last_seen = ? WHERE token_sha256 = ? AND last_seen < ?",
                    (_stamp(now), digest, _stamp(now)),
                )
        return str(user)

    def end_session(self, token: str) -> None:
        """End the session `token` (logging out); nothing when there is none."""
        if not isinstance(token, str) or not token:
            return
        with self._transaction(write=True) as db:
            db.execute("DELETE FROM sessions WHERE token_sha256 = ?", (_token_digest(token),))

    def end_sessions(self, user: str) -> int:
        """End every session of `user` (after a change of password); how many there were."""
        with self._transaction(write=True) as db:
            return db.execute("DELETE FROM sessions WHERE user = ?", (user,)).rowcount


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, split where sqlite3 says one is complete (a
    trigger's body holds semicolons of its own)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            if statement.strip():
                yield statement.strip()
            statement = ""
    if statement.strip():
        yield statement.strip()
