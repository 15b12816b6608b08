"""The workspace storage of `drafter serve` (drafter.workspace): every save is a version, a save
on a stale version is refused and shows the other change, a killed process loses nothing that
was committed, names are keys and never paths."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT

from drafter import workspace as workspace_module
from drafter.errors import InputError
from drafter.workspace import (
    DB_NAME,
    MAX_CONTENT_BYTES,
    SCHEMA_VERSION,
    DuplicateReport,
    NotFound,
    StaleVersion,
    Version,
    Workspace,
    WorkspaceError,
    default_workspace,
)


@pytest.fixture
def ws(tmp_path: Path):
    with Workspace.open(tmp_path / "ws") as opened:
        yield opened


def blob_count(folder: Path) -> int:
    with sqlite3.connect(folder / DB_NAME) as db:
        return db.execute("SELECT COUNT(*) FROM blobs").fetchone()[0]


def test_save_and_read_round_trip(ws: Workspace):
    report = ws.create_report("泉州市科学技术局", 2023)
    text = b"applications:\n  new: 12\n"
    version = ws.save(report.id, "stats", "stats.yaml", text, base_version=None, author="李四")
    assert version.number == 1 and version.parent is None
    assert version.sha256 == hashlib.sha256(text).hexdigest() and version.size == len(text)
    assert version.created.endswith("Z")
    assert ws.read(report.id, "stats", "stats.yaml") == text
    assert ws.read(report.id, "stats", "stats.yaml", 1) == text
    upload = bytes(range(256)) * 10
    ws.save(report.id, "upload", "2022年报告.docx", upload, base_version=None, author="李四")
    assert ws.read(report.id, "upload", "2022年报告.docx") == upload
    assert ws.get_report(report.id) == report
    assert [(d.kind, d.name, d.head) for d in ws.documents(report.id)] == [
        ("stats", "stats.yaml", 1),
        ("upload", "2022年报告.docx", 1),
    ]
    with pytest.raises(NotFound):
        ws.read(report.id, "notes", "notes.md")
    with pytest.raises(WorkspaceError, match="未知的文档类别"):
        ws.save(report.id, "secrets", "x", b"", base_version=None, author="李四")


def test_versions_increase_and_history_is_in_order(ws: Workspace):
    report = ws.create_report("某区人民政府办公室", 2024)
    base = None
    for i in range(1, 6):
        saved = ws.save(
            report.id, "draft", "part-2", f"第{i}稿".encode(), base_version=base, author=f"u{i}"
        )
        assert saved.number == i and saved.parent == base
        base = saved.number
    history = ws.history(report.id, "draft", "part-2")
    assert [v.number for v in history] == [1, 2, 3, 4, 5]
    assert [v.author for v in history] == ["u1", "u2", "u3", "u4", "u5"]
    assert [v.created for v in history] == sorted(v.created for v in history)
    assert ws.read(report.id, "draft", "part-2", 3) == "第3稿".encode()
    assert ws.read(report.id, "draft", "part-2") == "第5稿".encode()
    # another document of the same report counts its own versions
    other = ws.save(report.id, "draft", "part-3", b"x", base_version=None, author="u1")
    assert other.number == 1
    # versions are immutable, even through SQL
    with sqlite3.connect(ws.path) as db, pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE versions SET author = 'mallory'")


def test_stale_save_is_refused_with_head_author_and_diff(ws: Workspace):
    report = ws.create_report("某县教育局", 2023)
    ws.save(
        report.id, "notes", "notes.md", "甲\n乙\n丙\n".encode(), base_version=None, author="李四"
    )
    theirs = "甲\n乙（已核对）\n丙\n".encode()
    head = ws.save(report.id, "notes", "notes.md", theirs, base_version=1, author="张三")
    with pytest.raises(StaleVersion) as refused:
        ws.save(report.id, "notes", "notes.md", "甲\n丁\n".encode(), base_version=1, author="李四")
    stale = refused.value
    assert stale.head == head and stale.head.number == 2 and stale.head.author == "张三"
    assert stale.base == 1 and stale.theirs == theirs
    assert stale.diff is not None
    assert "-乙\n" in stale.diff and "+乙（已核对）\n" in stale.diff
    assert "--- 版本 1" in stale.diff and "+++ 版本 2" in stale.diff
    message = str(stale)
    assert message.startswith("保存失败：此文档已被 张三 于 ")
    assert "修改（版本 2），你的修改基于版本 1；请先查看对方的修改" in message
    # nothing stored
    assert ws.read(report.id, "notes", "notes.md") == theirs
    assert [v.number for v in ws.history(report.id, "notes", "notes.md")] == [1, 2]
    assert blob_count(ws.folder) == 2
    # "new document" on an existing one is stale too
    with pytest.raises(StaleVersion, match="你是按新文档保存的"):
        ws.save(report.id, "notes", "notes.md", b"new", base_version=None, author="王五")
    # an upload conflicts without a text diff
    ws.save(report.id, "upload", "a.xlsx", b"PK\x03\x04one", base_version=None, author="张三")
    ws.save(report.id, "upload", "a.xlsx", b"PK\x03\x04two", base_version=1, author="张三")
    with pytest.raises(StaleVersion) as binary:
        ws.save(report.id, "upload", "a.xlsx", b"PK\x03\x04three", base_version=1, author="李四")
    assert binary.value.diff is None
    assert ws.read(report.id, "upload", "a.xlsx") == b"PK\x03\x04two"


def test_restore_creates_a_new_version(ws: Workspace):
    report = ws.create_report("某市统计局", 2023)
    ws.save(report.id, "edited", "report", b"first", base_version=None, author="a")
    ws.save(report.id, "edited", "report", b"second", base_version=1, author="b")
    restored = ws.restore(report.id, "edited", "report", 1, base_version=2, author="c")
    assert restored.number == 3 and restored.parent == 2 and restored.restored_from == 1
    assert restored.author == "c" and "恢复版本 1" in restored.message
    assert ws.read(report.id, "edited", "report") == b"first"
    assert ws.read(report.id, "edited", "report", 2) == b"second"
    assert [v.number for v in ws.history(report.id, "edited", "report")] == [1, 2, 3]
    assert blob_count(ws.folder) == 2  # the restored content is stored once
    with pytest.raises(StaleVersion):
        ws.restore(report.id, "edited", "report", 2, base_version=2, author="d")
    assert len(ws.history(report.id, "edited", "report")) == 3


def test_two_threads_saving_on_the_same_base_give_exactly_one_success(ws: Workspace):
    report = ws.create_report("某区财政局", 2023)
    for round_ in range(8):
        name = f"part-{round_}"
        ws.save(report.id, "draft", name, b"base", base_version=None, author="a")
        barrier = threading.Barrier(2)
        results: list[Version | StaleVersion | BaseException] = []

        def edit(
            who: str,
            name: str = name,
            barrier: threading.Barrier = barrier,
            results: list[Version | StaleVersion | BaseException] = results,
        ) -> None:
            barrier.wait()
            try:
                results.append(
                    ws.save(report.id, "draft", name, who.encode(), base_version=1, author=who)
                )
            except BaseException as error:  # collected, asserted below
                results.append(error)

        threads = [threading.Thread(target=edit, args=(who,)) for who in ("张三", "李四")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        saved = [r for r in results if isinstance(r, Version)]
        stale = [r for r in results if isinstance(r, StaleVersion)]
        assert len(saved) == 1 and len(stale) == 1, results
        assert stale[0].head.number == 2 and stale[0].head.author == saved[0].author
        assert ws.read(report.id, "draft", name) == saved[0].author.encode()
        assert len(ws.history(report.id, "draft", name)) == 2


KILLED = """
import os, sys
from pathlib import Path
from drafter.workspace import Workspace

ws = Workspace.open(Path(sys.argv[1]))
report = ws.create_report("某镇人民政府", 2023)
ws.save(report.id, "stats", "stats.yaml", b"first: 1\\n", base_version=None, author="a")
os.write(1, b"committed\\n")
original = Workspace._insert_version

def killed(self, db, document_id, version):
    original(self, db, document_id, version)
    os.write(1, b"dying\\n")
    os._exit(1)  # mid-way: content and version rows written, no COMMIT

Workspace._insert_version = killed
second = os.urandom(1024) * 10 * 1024  # 10 MB: pages spill into the WAL before the commit
ws.save(report.id, "stats", "stats.yaml", second, base_version=1, author="b")
os.write(1, b"not reached\\n")
"""


def test_killed_process_keeps_what_was_committed(tmp_path: Path):
    folder = tmp_path / "ws"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", KILLED, str(folder)],
        capture_output=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )
    assert result.returncode == 1, result.stderr.decode()
    assert result.stdout.decode().splitlines() == ["committed", "dying"]
    with Workspace.open(folder) as reopened:
        [report] = reopened.list_reports()
        history = reopened.history(report.id, "stats", "stats.yaml")
        assert [(v.number, v.author) for v in history] == [(1, "a")]
        assert reopened.read(report.id, "stats", "stats.yaml") == b"first: 1\n"
        # and saving goes on from the committed head
        saved = reopened.save(
            report.id, "stats", "stats.yaml", b"first: 2\n", base_version=1, author="c"
        )
        assert saved.number == 2
    assert blob_count(folder) == 2  # no partial 10 MB blob
    with sqlite3.connect(folder / DB_NAME) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_wal_mode_is_on(ws: Workspace, tmp_path: Path):
    with sqlite3.connect(ws.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    db = ws._db()
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert ws.schema_version() == SCHEMA_VERSION


def test_reopen_keeps_schema_and_newer_workspace_is_refused(tmp_path: Path):
    folder = tmp_path / "ws"
    with Workspace.open(folder) as first:
        report = first.create_report("某局", 2023)
    with Workspace.open(folder) as again:
        assert again.schema_version() == SCHEMA_VERSION
        assert again.list_reports() == [report]
    with sqlite3.connect(folder / DB_NAME) as db:
        db.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    with pytest.raises(WorkspaceError, match="更新版本的 drafter"):
        Workspace.open(folder)


def test_default_workspace_is_in_drafter_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DRAFTER_HOME", str(tmp_path / "home"))
    assert default_workspace() == tmp_path / "home" / "workspace"
    with Workspace.open() as opened:
        assert opened.path == tmp_path / "home" / "workspace" / DB_NAME
        assert opened.path.exists()


def test_duplicate_report_is_refused(ws: Workspace):
    first = ws.create_report("泉州市科学技术局", 2023)
    with pytest.raises(DuplicateReport) as refused:
        ws.create_report("泉州市科学技术局", 2023)
    assert refused.value.existing == first
    assert str(refused.value) == (
        f"报告已存在：泉州市科学技术局 2023 年度（编号 {first.id}），同一机关同一年度只能有一份报告"
    )
    assert ws.create_report("泉州市科学技术局", 2024).id != first.id
    assert len(ws.list_reports()) == 2
    for year in (1999, 2023.0, True):
        with pytest.raises(WorkspaceError, match="年度"):
            ws.create_report("某局", year)  # type: ignore[arg-type]


def test_oversized_save_is_refused_and_nothing_is_stored(ws: Workspace):
    report = ws.create_report("某局", 2023)
    huge = b"\0" * (MAX_CONTENT_BYTES + 1)
    with pytest.raises(InputError) as refused:
        ws.save(report.id, "upload", "big.docx", huge, base_version=None, author="a")
    assert refused.value.code == "E-LIMIT-SIZE"
    assert "超过上限 50 MB" in str(refused.value) and "big.docx" in str(refused.value)
    assert ws.head(report.id, "upload", "big.docx") is None
    assert ws.documents(report.id) == []
    ws.save(report.id, "upload", "big.docx", b"small", base_version=None, author="a")
    with pytest.raises(InputError):
        ws.save(report.id, "upload", "big.docx", huge, base_version=1, author="a")
    assert [v.number for v in ws.history(report.id, "upload", "big.docx")] == [1]
    assert blob_count(ws.folder) == 1
    assert workspace_module.MAX_CONTENT_BYTES == 50 * 1024 * 1024  # drafter.limits' .docx cap


HOSTILE = [
    "../../etc/passwd",
    "../outside.txt",
    "/tmp/drafter-absolute",
    "..\\..\\windows\\win.ini",
    "objects/ab/cdef",
    "workspace.db",
    "*",
    "名字 with spaces",
]


def test_hostile_names_are_only_keys(tmp_path: Path):
    folder = tmp_path / "ws"
    with Workspace.open(folder) as opened:
        report = opened.create_report("../../etc", 2023)
        for i, name in enumerate(HOSTILE):
            content = f"content {i}".encode()
            opened.save(report.id, "notes", name, content, base_version=None, author="../x")
            assert opened.read(report.id, "notes", name) == content
        assert {d.name for d in opened.documents(report.id)} == set(HOSTILE)
        assert opened.get_report(report.id).agency == "../../etc"
        for bad in ("", "a\x00b", "line\nbreak", "x" * 201):
            with pytest.raises(WorkspaceError):
                opened.save(report.id, "notes", bad, b"", base_version=None, author="a")
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")}
    assert files <= {"ws", f"ws/{DB_NAME}", f"ws/{DB_NAME}-wal", f"ws/{DB_NAME}-shm"}
    assert not Path("/tmp/drafter-absolute").exists()


def test_list_reports_is_filtered_by_grants(ws: Workspace):
    a = ws.create_report("甲局", 2023)
    b = ws.create_report("乙局", 2023)
    a2 = ws.create_report("甲局", 2024)
    ws.add_user("张三")
    ws.add_user("李四", password_hash="placeholder")
    ws.add_user("王五")
    ws.grant("张三", "甲局")
    ws.grant("李四", "甲局")
    ws.grant("李四", "乙局")
    ws.grant("李四", "乙局")  # twice is once
    assert ws.agencies_of("张三") == ["甲局"]
    assert ws.agencies_of("李四") == sorted(["甲局", "乙局"])
    assert ws.list_reports(user="张三") == [a, a2]
    assert {r.id for r in ws.list_reports(user="李四")} == {a.id, b.id, a2.id}
    assert ws.list_reports(user="王五") == []
    assert ws.list_reports(user="nobody") == []
    assert len(ws.list_reports()) == 3
    assert ws.get_report(a.id, user="张三") == a
    with pytest.raises(NotFound):
        ws.get_report(b.id, user="张三")  # the same answer as for a report that does not exist
    with pytest.raises(NotFound, match="用户不存在"):
        ws.grant("nobody", "甲局")
