"""`drafter users` (issue 13, item 8): the users of `drafter serve`, their passwords (only an
argon2 hash stored, never printed) and the agencies granted to them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from drafter.cli import app
from drafter.web import auth
from drafter.workspace import Workspace

runner = CliRunner()
PASSWORD = "s3cret-enough"
OURS, THEIRS = "泉州市科学技术局", "泉州市财政局"


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at its smallest cost (the real one is for attackers, not for tests)."""
    from argon2 import PasswordHasher

    monkeypatch.setattr(
        auth, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "ws"


def users(folder: Path, *args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, ["users", *args, "--workspace", str(folder)], input=stdin)


def add(folder: Path, name: str = "张三", *agencies: str, password: str = PASSWORD) -> Any:
    flags = [item for agency in agencies for item in ("--agency", agency)]
    return users(folder, "add", name, *flags, "--password-stdin", stdin=password + "\n")


def one_error_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误 E-USAGE："), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


def test_users_add_with_password_stdin_stores_an_argon2_hash(folder: Path):
    result = add(folder, "张三", OURS, THEIRS)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"已添加用户 张三，可访问的机关：{OURS}、{THEIRS}"
    with Workspace.open(folder) as ws:
        assert ws.users() == ["张三"]
        assert ws.agencies_of("张三") == sorted([OURS, THEIRS])
        stored = ws.password_hash("张三")
        assert stored is not None and stored.startswith("$argon2id$")
        assert auth.verify_password(stored, PASSWORD)
    assert PASSWORD not in result.output
    for path in folder.iterdir():  # the database, its WAL, its shared memory
        assert PASSWORD.encode() not in path.read_bytes(), path.name


def test_users_add_asks_for_the_password_twice_without_showing_it(folder: Path):
    result = users(folder, "add", "张三", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "新密码：" in result.output and "再输入一次新密码：" in result.output
    assert PASSWORD not in result.output
    assert "未授权任何机关" in result.stdout


def test_users_add_refuses_two_different_passwords(folder: Path):
    result = users(folder, "add", "张三", stdin=f"{PASSWORD}\n{PASSWORD}x\n")
    assert one_error_line(result) == "错误 E-USAGE：两次输入的密码不一致，未保存"
    with Workspace.open(folder) as ws:
        assert ws.users() == []


def test_a_password_under_8_characters_is_refused_with_one_chinese_line(folder: Path):
    result = add(folder, password="short7!")
    assert one_error_line(result) == "错误 E-USAGE：密码至少要 8 个字符，未保存"
    assert "short7!" not in result.output
    with Workspace.open(folder) as ws:
        assert ws.users() == []


def test_users_add_refuses_an_existing_user(folder: Path):
    assert add(folder).exit_code == 0
    assert "用户已存在：张三" in one_error_line(add(folder, password="another-password"))
    with Workspace.open(folder) as ws:
        assert auth.verify_password(ws.password_hash("张三"), PASSWORD)  # unchanged


def test_users_list_shows_names_and_agencies_never_hashes(folder: Path):
    assert users(folder, "list").stdout.strip() == "工作区没有用户（用 drafter users add 添加）"
    add(folder, "张三", OURS)
    add(folder, "李四")
    result = users(folder, "list")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"张三：{OURS}", "李四：（未授权任何机关）"]
    assert "$argon2" not in result.output and PASSWORD not in result.output


def test_users_grant_and_revoke(folder: Path):
    add(folder, "张三", OURS)
    assert users(folder, "grant", "张三", THEIRS).exit_code == 0
    with Workspace.open(folder) as ws:
        assert ws.agencies_of("张三") == sorted([OURS, THEIRS])
    assert users(folder, "revoke", "张三", OURS).exit_code == 0
    with Workspace.open(folder) as ws:
        assert ws.agencies_of("张三") == [THEIRS]
    assert "没有" in one_error_line(users(folder, "revoke", "张三", OURS))


def test_users_grant_to_an_unknown_user_is_refused(folder: Path):
    line = one_error_line(users(folder, "grant", "王五", OURS))
    assert line == "错误 E-USAGE：用户不存在：王五（drafter users list 查看用户）"


def test_users_passwd_changes_the_hash_and_ends_the_sessions(folder: Path):
    add(folder, "张三", OURS)
    with Workspace.open(folder) as ws:
        token = ws.create_session("张三")
        assert ws.session_user(token) == "张三"
    result = users(folder, "passwd", "张三", "--password-stdin", stdin="a-new-password\n")
    assert result.exit_code == 0, result.output
    assert "a-new-password" not in result.output
    with Workspace.open(folder) as ws:
        assert ws.session_user(token) is None
        assert auth.verify_password(ws.password_hash("张三"), "a-new-password")
        assert not auth.verify_password(ws.password_hash("张三"), PASSWORD)
    assert "用户不存在" in one_error_line(
        users(folder, "passwd", "王五", "--password-stdin", stdin="a-new-password\n")
    )


def test_serve_on_the_network_without_users_exits_2(folder: Path):
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--workspace", str(folder)])
    assert "拒绝在 0.0.0.0 上启动" in one_error_line(result)


def test_serve_on_the_network_with_users_says_login_is_required(
    folder: Path, monkeypatch: pytest.MonkeyPatch
):
    import uvicorn

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **settings: served.append((app, settings)))
    add(folder, "张三", OURS)
    result = runner.invoke(app, ["serve", "--host", "0.0.0.0", "--workspace", str(folder)])
    assert result.exit_code == 0, result.output
    assert "需要登录" in result.stdout
    ((web, settings),) = served
    assert web.state.auth.required and settings["host"] == "0.0.0.0"
    local = runner.invoke(app, ["serve", "--workspace", str(folder)])  # loopback: as before
    assert local.exit_code == 0 and "需要登录" not in local.stdout
    assert not served[1][0].state.auth.required
