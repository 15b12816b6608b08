"""Login for `drafter serve` (issue 13, item 8): password hashes, sessions, the check of
every request and the limit on failed logins.

When it applies: bound to anything but loopback, always (`bind_refusal` refuses to start
without users); on loopback only when asked (`create_app(..., require_login=True)`) and the
workspace has users. Otherwise nothing here runs and the server is the local, no-login tool
it always was (no user: every report visible, saves by "本机用户").

- Passwords are hashed with argon2id (argon2-cffi's `PasswordHasher`, its default, RFC 9106
  parameters); a password is never stored, printed or logged. A login with an unknown name
  is verified against a dummy hash, so that it takes as long as a wrong password and gives
  the same answer: which names exist is not given away.
- A session is a random token in the cookie `drafter_session` (HttpOnly, SameSite=Strict,
  Secure over https); the workspace keeps only its sha256, with its times
  (`drafter.workspace.SESSION_IDLE`, `SESSION_MAX`). Logging out deletes it.
- `LoginRequired`, the middleware: it sets `request.state.user` from the session (which
  `Site.user` reads: the pages then show only the user's agencies), sends a page GET without
  a valid session to `/login?next=…` and answers anything else (htmx, a POST, a download)
  with 401 and one line; `/login`, `/logout` and `/static/` stay reachable.
- `Throttle`: after `MAX_FAILURES` failed logins of one name within `FAILURE_WINDOW`, that
  name is refused for `LOCKOUT`, kept in memory (a restart forgets it).

Time comes from `Auth.clock` (UTC), which the tests move forward.
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from drafter.workspace import MAX_KEY_CHARS, Workspace

SESSION_COOKIE = "drafter_session"
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024
MAX_FAILURES = 5  # failed logins of one name …
FAILURE_WINDOW = timedelta(minutes=5)  # … within this long …
LOCKOUT = timedelta(minutes=5)  # … refuse that name for this long
MAX_THROTTLED_NAMES = 10_000  # names whose failures are remembered (the oldest are dropped)
# Hashes computed at once: each takes 64 MiB and a core for a tenth of a second or more, so
# that a flood of logins (with ever new names, which the throttle does not stop) only queues.
MAX_CONCURRENT_HASHES = 2
# The paths reachable without a session: the login page itself, logging out, the styles.
PUBLIC_PATHS = frozenset({"/login", "/logout"})
PUBLIC_PREFIX = "/static/"

WRONG_LOGIN = "用户名或密码不正确"
NOT_LOGGED_IN = "请先登录：尚未登录或登录已过期"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,100}")
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f\\]")


# ---- passwords ----------------------------------------------------------------------------


_HASHER = PasswordHasher()  # argon2id with the library's (RFC 9106) parameters
_HASHING = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


@functools.cache
def _dummy_hash() -> str:
    """A hash no password is known for, to verify unknown users against (same time)."""
    return _HASHER.hash(secrets.token_urlsafe(32))


def password_problem(password: str) -> str | None:
    """Why `password` cannot be used, in one Chinese line; None when it can."""
    if len(password) < MIN_PASSWORD_CHARS:
        return f"密码至少要 {MIN_PASSWORD_CHARS} 个字符"
    if len(password) > MAX_PASSWORD_CHARS:
        return f"密码至多 {MAX_PASSWORD_CHARS} 个字符"
    if re.search(r"[\x00-\x1f\x7f]", password):
        return "密码不能含换行或其他控制字符"
    return None


def hash_password(password: str) -> str:
    """The argon2id hash of `password` ("$argon2id$v=19$m=…"), to store."""
    problem = password_problem(password)
    if problem is not None:
        raise ValueError(problem)
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches the stored hash; with no hash (an unknown user, or one
    without a password) the dummy hash is verified all the same, and the answer is False."""
    try:
        with _HASHING:
            matched = _HASHER.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and stored is not None


# ---- failed logins -------------------------------------------------------------------------


class Throttle:
    """Failed logins per name: `MAX_FAILURES` within `FAILURE_WINDOW` lock the name for
    `LOCKOUT`. In memory, bounded (`MAX_THROTTLED_NAMES`); safe from any thread."""

    def __init__(self) -> None:
        self._failures: OrderedDict[str, list[datetime]] = OrderedDict()
        self._locked: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def locked_until(self, name: str, now: datetime) -> datetime | None:
        with self._lock:
            until = self._locked.get(name)
            if until is not None and until <= now:
                del self._locked[name]
                until = None
            return until

    def fail(self, name: str, now: datetime) -> None:
        with self._lock:
            recent = [t for t in self._failures.pop(name, []) if t > now - FAILURE_WINDOW]
            recent.append(now)
            if len(recent) >= MAX_FAILURES:
                self._locked[name] = now + LOCKOUT
                recent = []
            if recent:
                self._failures[name] = recent
            while len(self._failures) > MAX_THROTTLED_NAMES:
                self._failures.popitem(last=False)
            if len(self._locked) > MAX_THROTTLED_NAMES:
                self._locked = {n: t for n, t in self._locked.items() if t > now}

    def succeed(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name, None)


class LoginRefused(Exception):
    """A login refused: the Chinese message to show and the HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


# ---- sessions ------------------------------------------------------------------------------


class Auth:
    """The login of one app: whether it is required, the clock, the failed-login limit,
    and logging in and out against the workspace."""

    def __init__(self, workspace: Workspace, *, required: bool) -> None:
        self.workspace = workspace
        self.required = required
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.throttle = Throttle()

    def login(self, name: str, password: str) -> str:
        """A new session's token for `name` and `password`; else `LoginRefused` (400 with
        the same words for an unknown name and a wrong password, 429 when locked)."""
        now = self.clock()
        name = name.strip()[: MAX_KEY_CHARS + 1]  # longer is no user's: and bounded in memory
        until = self.throttle.locked_until(name, now)
        if until is not None:
            minutes = max(1, -(-int((until - now).total_seconds()) // 60))
            raise LoginRefused(f"登录失败次数过多，请 {minutes} 分钟后再试", 429)
        known = bool(name) and len(name) <= MAX_KEY_CHARS
        stored = self.workspace.password_hash(name) if known else None
        if len(password) > MAX_PASSWORD_CHARS or not verify_password(stored, password):
            self.throttle.fail(name, now)
            raise LoginRefused(WRONG_LOGIN, 400)
        self.throttle.succeed(name)
        assert stored is not None
        if _HASHER.check_needs_rehash(stored):  # the library's parameters have grown
            self.workspace.set_password(name, hash_password(password))
        return self.workspace.create_session(name, now=now)

    def user(self, token: str) -> str | None:
        """The user of the session `token`, None when there is none or it has ended."""
        if not _TOKEN.fullmatch(token):
            return None
        return self.workspace.session_user(token, now=self.clock())

    def logout(self, token: str) -> None:
        if _TOKEN.fullmatch(token):
            self.workspace.end_session(token)


def session_token(request: Request) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="strict", path="/",
        secure=request.url.scheme == "https",
    )  # fmt: skip


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="strict", path="/",
        secure=request.url.scheme == "https",
    )  # fmt: skip


def safe_next(value: object) -> str:
    """`value` when it is a path of this site ("/reports/3/stats?x=1"), else "/": never
    another site ("//evil.example", "/\\evil.example", "https://…"), never the login page."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > 2000:
        return "/"
    if value.startswith("//") or _UNSAFE_IN_NEXT.search(value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.path in PUBLIC_PATHS:
        return "/"
    return value


def login_url(next_path: str) -> str:
    """The login page, coming back to `next_path` (a path of this site) afterwards."""
    after = safe_next(next_path)
    return "/login" if after == "/" else f"/login?next={quote(after, safe='/')}"


class LoginRequired:
    """The middleware of an app that requires login: every request but `/login`, `/logout`
    and `/static/…` needs a valid session, whose user it puts in `request.state.user`."""

    def __init__(self, app: ASGIApp, auth: Auth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" or scope["path"].startswith(PUBLIC_PREFIX):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        token = session_token(request)
        user = await run_in_threadpool(self.auth.user, token) if token else None
        request.state.user = user
        if user is not None or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # a websocket: closed before it is accepted (403)
            await send({"type": "websocket.close", "code": 1008})
            return
        response = self.refusal(request)
        if token:  # an ended session: its cookie is of no use any more
            clear_session_cookie(request, response)
        await response(scope, receive, send)

    @staticmethod
    def refusal(request: Request) -> Response:
        """A page GET goes to the login page (and back after it); htmx, a POST, a download
        or an event stream gets 401 and one line (htmx is also sent to the login page)."""
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        htmx = request.headers.get("hx-request") == "true"
        download = "." in request.url.path.rsplit("/", 1)[-1]
        events = "text/event-stream" in request.headers.get("accept", "")
        if request.method in ("GET", "HEAD") and not (htmx or download or events):
            return RedirectResponse(login_url(here), status_code=303)
        response = PlainTextResponse(NOT_LOGGED_IN, status_code=401)
        if htmx:  # back to the page the user was on, once logged in
            current = urlsplit(request.headers.get("hx-current-url", ""))
            page = current.path + (f"?{current.query}" if current.query else "")
            response.headers["HX-Redirect"] = login_url(page or "/")
        return response
