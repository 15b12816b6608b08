"""`drafter serve`: the workspace in the browser (issue 13).

`create_app` builds the app: the security layer (`drafter.web.security`, and the login of
`drafter.web.auth` when the app requires one), the shared `Site`
(`drafter.web.site`) and the pages, one module each under `drafter.web.pages`, every one of
which only parses, calls the library (the same functions as the CLI) and presents.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from drafter.errors import InputError
from drafter.web.auth import Auth, LoginRequired
from drafter.web.pages import auth, chat, draft, history, material, reports, review, stats
from drafter.web.security import (
    CSRF_COOKIE,
    MAX_BODY_BYTES,
    SECURITY_HEADERS,
    BodyLimit,
    bind_refusal,
    csrf_token,
    is_loopback,
    require_csrf,
)
from drafter.web.site import HERE, Site
from drafter.workspace import Workspace

__all__ = ["CSRF_COOKIE", "MAX_BODY_BYTES", "bind_refusal", "create_app"]

# The pages, in the order of the tabs; each module's `register(app, site)` adds its routes.
PAGES = (reports, stats, material, draft, chat, review, auth, history)


def create_app(workspace: Workspace, *, host: str, require_login: bool | None = None) -> FastAPI:
    """The web app on `workspace`, to be served on `host`. Raises InputError (E-USAGE) when
    `host` is not a loopback address and the workspace cannot protect itself there.

    Login is required off loopback (always), and on loopback when `require_login` is asked
    and the workspace has users; otherwise nobody logs in and every report is visible."""
    refusal = bind_refusal(workspace, host)
    if refusal is not None:
        raise InputError(refusal, code="E-USAGE")
    login = not is_loopback(host) or (bool(require_login) and bool(workspace.users()))

    app = FastAPI(
        title="drafter",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(require_csrf)],
    )
    site = Site(workspace, host=host)
    app.state.workspace = workspace
    app.state.host = host
    app.state.site = site
    app.state.caches = site.caches
    app.state.auth = Auth(workspace, required=login)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    if login:  # added first, so it runs inside the CSRF and headers middleware below
        app.add_middleware(LoginRequired, auth=app.state.auth)

    @app.middleware("http")
    async def session_and_headers(request: Request, call_next: Any) -> Response:
        token = csrf_token(request)
        fresh = not token
        if fresh:  # the page this request renders embeds the token it is about to receive
            token = secrets.token_urlsafe(32)
        request.state.csrf = token
        response = await call_next(request)
        if fresh:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path="/")
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        return site.templates.TemplateResponse(
            request,
            "error.html",
            {
                "status": exc.status_code,
                "message": exc.detail,
                "csrf": getattr(request.state, "csrf", ""),
                "user": site.user(request),
            },
            status_code=exc.status_code,
        )

    for module in PAGES:
        module.register(app, site)
    return app
