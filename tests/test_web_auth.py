"""Login for `drafter serve` (issue 13, item 8): off loopback every request needs a session,
and a user sees only the agencies granted to them. Through FastAPI's test client."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from conftest import csrf_token as token
from fastapi.testclient import TestClient

from drafter.errors import InputError
from drafter.web import auth
from drafter.web.app import create_app
from drafter.web.auth import (
    FAILURE_WINDOW,
    LOCKOUT,
    MAX_FAILURES,
    SESSION_COOKIE,
    WRONG_LOGIN,
    hash_password,
)
from drafter.workspace import SESSION_IDLE, SESSION_MAX, Workspace

PASSWORD = "correct horse 1"
OURS, THEIRS = "泉州市科学技术局", "泉州市财政局"


class Clock:
    """The app's clock, moved forward by the tests."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


def add_user(workspace: Workspace, name: str, *agencies: str, password: str = PASSWORD) -> None:
    workspace.add_user(name, hash_password(password))
    for agency in agencies:
        workspace.grant(name, agency)


def report_with_stats(workspace: Workspace, agency: str) -> int:
    """A report made as the report list makes one (its statistics, every cell 0)."""
    local = TestClient(create_app(workspace, host="127.0.0.1"))
    local.get("/")
    response = local.post(
        "/reports",
        data={"agency": agency, "year": "2025", "csrf_token": token(local)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return int(re.findall(r"\d+", response.headers["location"])[0])


@pytest.fixture(autouse=True)
def _quick_hashes(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """argon2id at its smallest cost: these tests check what is stored and answered, and the
    real cost (64 MiB, a tenth of a second or more per hash) would make them crawl."""
    from argon2 import PasswordHasher

    quick = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, "_HASHER", quick)
    auth._dummy_hash.cache_clear()
    yield
    auth._dummy_hash.cache_clear()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def network(workspace: Workspace, clock: Clock) -> TestClient:
    """A browser on the app bound to 0.0.0.0, with 张三 (泉州市科学技术局) as its user and
    a report of each agency; not logged in yet."""
    add_user(workspace, "张三", OURS)
    app = create_app(workspace, host="0.0.0.0")
    app.state.auth.clock = clock
    return TestClient(app)


def log_in(client: TestClient, name: str = "张三", password: str = PASSWORD, after: str = "/"):
    if not client.cookies.get("drafter_csrf"):
        assert client.get("/login").status_code == 200
    return client.post(
        "/login",
        data={"name": name, "password": password, "next": after, "csrf_token": token(client)},
        follow_redirects=False,
    )


def logged_in(client: TestClient) -> TestClient:
    response = log_in(client)
    assert response.status_code == 303, response.text
    return client


# ---- when login is required ----------------------------------------------------------------


def test_a_network_bind_without_users_is_refused(workspace: Workspace):
    with pytest.raises(InputError) as raised:
        create_app(workspace, host="0.0.0.0")
    assert raised.value.code == "E-USAGE" and "没有任何用户" in str(raised.value)


def test_a_network_bind_with_users_starts_and_sends_pages_to_login(network: TestClient):
    response = network.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    response = network.get("/reports/7/stats?tab=1", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/reports/7/stats%3Ftab%3D1"
    page = network.get("/login")
    assert page.status_code == 200 and "登录" in page.text and 'type="password"' in page.text
    assert network.get("/static/app.css").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/reports/1/stats.yaml", {}),  # a download
        ("GET", "/reports/1/draft/parts/overall", {"HX-Request": "true"}),  # htmx
        ("GET", "/reports/1/draft/events", {"Accept": "text/event-stream"}),
        ("POST", "/reports", {}),
        ("POST", "/reports/1/stats/cells", {"HX-Request": "true"}),
    ],
)
def test_other_requests_without_a_session_get_401_and_one_line(
    network: TestClient, method: str, path: str, headers: dict[str, str]
):
    response = network.request(method, path, headers=headers, follow_redirects=False)
    assert response.status_code == 401
    assert response.text == "请先登录：尚未登录或登录已过期"
    assert response.headers["x-frame-options"] == "DENY"  # the security headers still apply


def test_htmx_without_a_session_is_sent_to_the_login_page(network: TestClient):
    response = network.post(
        "/reports/3/stats/cells",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/reports/3/stats"},
    )
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=/reports/3/stats"


def test_loopback_without_login_is_unchanged_even_with_users(workspace: Workspace):
    add_user(workspace, "张三", OURS)
    report_with_stats(workspace, THEIRS)
    client = TestClient(create_app(workspace, host="127.0.0.1"))
    page = client.get("/")
    assert page.status_code == 200 and THEIRS in page.text  # every report, nobody logged in
    assert "本机工作区" in page.text and "退出" not in page.text
    assert client.get("/login", follow_redirects=False).headers["location"] == "/"


def test_loopback_asked_to_require_login_does_so_when_there_are_users(workspace: Workspace):
    assert client_status(create_app(workspace, host="127.0.0.1", require_login=True)) == 200
    add_user(workspace, "张三", OURS)
    assert client_status(create_app(workspace, host="127.0.0.1", require_login=True)) == 303


def client_status(app) -> int:  # type: ignore[no-untyped-def]
    return TestClient(app).get("/", follow_redirects=False).status_code


# ---- logging in ----------------------------------------------------------------------------


def test_a_wrong_password_and_an_unknown_user_get_the_same_400(network: TestClient):
    wrong = log_in(network, password="not the password")
    unknown = log_in(network, name="李四")
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert WRONG_LOGIN in response.text
        assert SESSION_COOKIE not in response.headers.get("set-cookie", "")
    assert wrong.text.replace("张三", "李四") == unknown.text  # nothing else differs


def test_an_unknown_user_is_checked_against_a_hash_all_the_same(
    network: TestClient, monkeypatch: pytest.MonkeyPatch
):
    """So that an unknown name takes as long as a wrong password."""
    verified: list[str] = []
    real = auth._HASHER

    class Spy:
        def verify(self, stored: str, password: str) -> bool:
            verified.append(stored)
            return real.verify(stored, password)

        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(real, name)

    monkeypatch.setattr(auth, "_HASHER", Spy())
    assert log_in(network, name="李四").status_code == 400
    assert len(verified) == 1 and verified[0].startswith("$argon2id$")


def test_a_login_sets_an_http_only_strict_session_cookie(network: TestClient):
    response = log_in(network, after="/reports/1/stats")
    assert response.status_code == 303
    assert response.headers["location"] == "/reports/1/stats"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie


def test_over_https_the_session_cookie_is_secure(workspace: Workspace):
    add_user(workspace, "张三", OURS)
    client = TestClient(create_app(workspace, host="0.0.0.0"), base_url="https://testserver")
    response = log_in(client)
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize(
    "after",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil",
        "/login",
    ],
)
def test_after_login_the_next_page_is_always_on_this_site(network: TestClient, after: str):
    assert log_in(network, after=after).headers["location"] == "/"


def test_a_logged_in_user_sees_only_the_granted_agencies(network: TestClient, workspace: Workspace):
    report_with_stats(workspace, OURS)
    report_with_stats(workspace, THEIRS)
    page = logged_in(network).get("/")
    assert page.status_code == 200
    assert OURS in page.text and THEIRS not in page.text
    assert "张三" in page.text and "退出" in page.text and "本机工作区" not in page.text


def test_another_agencys_report_is_404(network: TestClient, workspace: Workspace):
    ours = report_with_stats(workspace, OURS)
    theirs = report_with_stats(workspace, THEIRS)
    logged_in(network)
    assert network.get(f"/reports/{ours}/stats").status_code == 200
    assert network.get(f"/reports/{ours}/stats.yaml").status_code == 200
    for path in ("stats", "stats.yaml", "stats.xlsx", "draft"):
        assert network.get(f"/reports/{theirs}/{path}").status_code == 404, path
    edit = network.post(
        f"/reports/{theirs}/stats/cells",
        data={"base_version": "1", "cell:proactive.licensing": "9"},
        headers={"X-CSRF-Token": token(network), "HX-Request": "true"},
    )
    assert edit.status_code == 404
    head = workspace.head(theirs, "stats", "统计")
    assert head is not None and head.number == 1  # nothing saved
    mine = network.post(
        f"/reports/{ours}/stats/cells",
        data={"base_version": "1", "cell:proactive.licensing": "9"},
        headers={"X-CSRF-Token": token(network), "HX-Request": "true"},
    )
    assert mine.status_code == 200
    saved = workspace.head(ours, "stats", "统计")
    assert saved is not None and saved.author == "张三"  # saves are recorded as the user


def test_a_report_for_an_agency_not_granted_cannot_be_created(
    network: TestClient, workspace: Workspace
):
    logged_in(network)
    refused = network.post(
        "/reports", data={"agency": THEIRS, "year": "2025", "csrf_token": token(network)}
    )
    assert refused.status_code == 403 and "未授权" in refused.text
    assert workspace.list_reports() == []
    made = network.post(
        "/reports",
        data={"agency": OURS, "year": "2025", "csrf_token": token(network)},
        follow_redirects=False,
    )
    assert made.status_code == 303
    assert [r.agency for r in workspace.list_reports()] == [OURS]


def test_a_post_without_the_csrf_token_is_403_even_when_logged_in(
    network: TestClient, workspace: Workspace
):
    logged_in(network)
    response = network.post("/reports", data={"agency": OURS, "year": "2025"})
    assert response.status_code == 403 and "CSRF" in response.text
    assert workspace.list_reports() == []
    assert network.post("/logout").status_code == 403  # logging out too
    assert network.get("/").status_code == 200  # still logged in


def test_a_login_needs_the_csrf_token(network: TestClient):
    network.get("/login")
    response = network.post("/login", data={"name": "张三", "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


# ---- sessions end --------------------------------------------------------------------------


def test_a_session_ends_after_being_idle(network: TestClient, clock: Clock):
    logged_in(network)
    clock.advance(timedelta(hours=3))
    assert network.get("/", follow_redirects=False).status_code == 200
    clock.advance(SESSION_IDLE - timedelta(minutes=5))  # idle that long since the last request
    assert network.get("/", follow_redirects=False).status_code == 200
    logged_in(network)
    clock.advance(SESSION_IDLE + timedelta(seconds=1))
    response = network.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


def test_a_session_ends_after_its_lifetime_however_active(network: TestClient, clock: Clock):
    logged_in(network)
    started = clock.now
    while clock.now - started < SESSION_MAX - timedelta(hours=1):
        clock.advance(timedelta(hours=1))
        assert network.get("/", follow_redirects=False).status_code == 200
    clock.advance(timedelta(hours=1))
    assert network.get("/", follow_redirects=False).status_code == 303


def test_logging_out_ends_the_session(network: TestClient, workspace: Workspace):
    logged_in(network)
    old = network.cookies.get(SESSION_COOKIE)
    assert old
    response = network.post("/logout", data={"csrf_token": token(network)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert network.get("/", follow_redirects=False).status_code == 303
    network.cookies.set(SESSION_COOKIE, old)  # the old cookie, kept by someone
    assert network.get("/", follow_redirects=False).status_code == 303
    with sqlite3.connect(workspace.path) as db:
        assert db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0


def test_a_made_up_session_cookie_opens_nothing(network: TestClient):
    for value in ("x" * 43, "", "../../etc", "a" * 5000):
        network.cookies.set(SESSION_COOKIE, value)
        assert network.get("/", follow_redirects=False).status_code == 303


# ---- failed logins are limited --------------------------------------------------------------


def test_failed_logins_of_one_name_are_limited(
    network: TestClient, workspace: Workspace, clock: Clock
):
    add_user(workspace, "李四", OURS)
    for _ in range(MAX_FAILURES):
        assert log_in(network, password="wrong password").status_code == 400
    refused = log_in(network)  # even the right password, for a while
    assert refused.status_code == 429 and "登录失败次数过多" in refused.text
    assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")
    assert log_in(network, name="李四").status_code == 303  # another name is not locked
    clock.advance(LOCKOUT + timedelta(seconds=1))
    assert log_in(network).status_code == 303


def test_failures_spread_over_time_do_not_lock(network: TestClient, clock: Clock):
    for _ in range(MAX_FAILURES * 2):
        assert log_in(network, password="wrong password").status_code == 400
        clock.advance(FAILURE_WINDOW / (MAX_FAILURES - 1) + timedelta(seconds=1))
    assert log_in(network).status_code == 303


# ---- what is stored ------------------------------------------------------------------------


def test_only_an_argon2_hash_and_token_digests_are_stored(
    network: TestClient, workspace: Workspace
):
    logged_in(network)
    session = network.cookies.get(SESSION_COOKIE)
    assert session
    with sqlite3.connect(workspace.path) as db:
        stored = db.execute("SELECT password_hash FROM users WHERE name = '张三'").fetchone()[0]
        digests = [row[0] for row in db.execute("SELECT token_sha256 FROM sessions")]
    assert stored.startswith("$argon2id$")
    assert digests == [hashlib.sha256(session.encode()).hexdigest()]
    files = [p for p in workspace.folder.iterdir() if p.name.startswith("workspace.db")]
    assert files
    for path in files:
        content = path.read_bytes()
        assert PASSWORD.encode() not in content, path.name
        assert session.encode() not in content, path.name


def test_a_hash_made_with_older_parameters_is_renewed_at_login(
    network: TestClient, workspace: Workspace
):
    from argon2 import PasswordHasher

    older = PasswordHasher(time_cost=2, memory_cost=1024, parallelism=1).hash(PASSWORD)
    workspace.set_password("张三", older)
    logged_in(network)
    renewed = workspace.password_hash("张三")
    assert renewed != older and renewed is not None and renewed.startswith("$argon2id$")
    assert not auth._HASHER.check_needs_rehash(renewed)
    assert auth.verify_password(renewed, PASSWORD)


def test_a_workspace_of_the_first_schema_gets_the_sessions_table(tmp_path):  # type: ignore[no-untyped-def]
    from drafter.workspace import MIGRATIONS, SCHEMA_VERSION, _statements

    folder = tmp_path / "old"
    folder.mkdir()
    with sqlite3.connect(folder / "workspace.db") as db:
        for statement in _statements(MIGRATIONS[0]):
            db.execute(statement)
        db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        db.execute("INSERT INTO schema_version (version) VALUES (1)")
        db.execute("INSERT INTO users (name, created) VALUES ('张三', '2026-01-01T00:00:00Z')")
    with Workspace.open(folder) as ws:
        assert ws.schema_version() == SCHEMA_VERSION
        assert ws.users() == ["张三"]
        token = ws.create_session("张三")
        assert ws.session_user(token) == "张三"


def test_every_route_of_a_report_is_404_for_another_agencys_report(
    network: TestClient, workspace: Workspace
):
    """Each page reaches a report only through `Site.report`: swept over every route with a
    report in its path, those added later included."""
    theirs = report_with_stats(workspace, THEIRS)
    before = [(d.kind, d.name, d.head) for d in workspace.documents(theirs)]
    logged_in(network)
    values = {"report_id": str(theirs), "part_id": "overall", "kind": "stats", "name": "统计"}
    swept = 0
    for route in network.app.routes:  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        if "{report_id}" not in path:
            continue
        url = re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "1"), path)
        for method in sorted(set(getattr(route, "methods", ())) - {"HEAD"}):
            response = network.request(
                method,
                url,
                data={"base_version": "1"},
                headers={"X-CSRF-Token": token(network), "HX-Request": "true"},
            )
            assert response.status_code == 404, (method, path, response.status_code)
            swept += 1
    assert swept >= 10
    assert [(d.kind, d.name, d.head) for d in workspace.documents(theirs)] == before
