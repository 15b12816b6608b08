"""What keeps the workspace safe on the network (issue 13, item 8): where the server may bind,
the request body cap, the CSRF token and the security headers.

- `bind_refusal`: bound to anything but loopback, the server refuses to start unless the
  workspace has users, who must then log in (`drafter.web.auth`, `drafter.web.pages.auth`);
- every POST/PUT/PATCH/DELETE carries the per-session CSRF token (cookie `drafter_csrf`,
  echoed in the `X-CSRF-Token` header by htmx or in the form field `csrf_token`), else 403;
- a request body is capped (`MAX_BODY_BYTES`) before anything parses it, and each upload is
  capped again by its kind (`drafter.limits`).
"""

from __future__ import annotations

import ipaddress
import re
import secrets

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from drafter.limits import MAX_DOCX_BYTES, MAX_WORKBOOK_BYTES
from drafter.workspace import Workspace

CSRF_COOKIE = "drafter_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# The largest upload (an edited report as .docx, on the 核对 page; a workbook is smaller) plus
# room for the multipart envelope and the form fields. Each page caps its upload again by kind.
MAX_BODY_BYTES = max(MAX_DOCX_BYTES, MAX_WORKBOOK_BYTES) + 256 * 1024


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_refusal(workspace: Workspace, host: str) -> str | None:
    """Why the server must not start on `host`, in one Chinese line; None when it may."""
    if is_loopback(host):
        return None
    if not workspace.users():
        return (
            f"拒绝在 {host} 上启动：工作区没有任何用户，其他计算机将无需登录即可访问。"
            "请先用 drafter users add 添加用户，或只在本机地址 127.0.0.1 上启动"
        )
    return None  # with users it may start, and every request then needs a login


# ---- request body cap, CSRF, headers -------------------------------------------------------


class _TooLarge(Exception):
    pass


class BodyLimit:
    """Refuse a request body over `limit` bytes with 413, whether or not it says its length,
    before any parser (multipart spooling included) sees more than `limit` bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    too_large = int(value) > self.limit
                except ValueError:
                    too_large = True
                if too_large:
                    await _refuse_size(send, self.limit)
                    return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception as exc:  # raised in a task group, it comes wrapped in a group
            if not _is_too_large(exc):
                raise
            if not started:
                await _refuse_size(send, self.limit)


def _is_too_large(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return any(_is_too_large(e) for e in exc.exceptions)
    return isinstance(exc, _TooLarge)


async def _refuse_size(send: Send, limit: int) -> None:
    body = f"上传内容过大，上限 {limit // 2**20} MB，未保存".encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'"
    ),
}


def csrf_token(request: Request) -> str:
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if re.fullmatch(r"[A-Za-z0-9_-]{32,64}", token) else ""


async def require_csrf(request: Request) -> None:
    """Every state-changing request carries the session's token, else 403."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = csrf_token(request)
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.headers.get("content-type", "").startswith(
        ("multipart/form-data", "application/x-www-form-urlencoded")
    ):
        form = await request.form()  # cached: the route reads the same parsed form
        field = form.get(CSRF_FIELD)
        given = field if isinstance(field, str) else ""
    if not expected or not given or not secrets.compare_digest(expected, given):
        raise HTTPException(403, "请求缺少有效的安全令牌（CSRF），已拒绝。请刷新页面后重试")
