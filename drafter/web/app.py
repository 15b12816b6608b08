"""`drafter serve`: the workspace in the browser (issue 13).

`create_app` builds the app: the security layer (`drafter.web.security`), the shared `Site`
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
from drafter.web.pages import draft, reports, stats
from drafter.web.security import (
    CSRF_COOKIE,
    MAX_BODY_BYTES,
    SECURITY_HEADERS,
    BodyLimit,
    bind_refusal,
    csrf_token,
    require_csrf,
)
from drafter.web.site import HERE, Site
from drafter.workspace import Workspace

__all__ = ["CSRF_COOKIE", "MAX_BODY_BYTES", "bind_refusal", "create_app"]

# The pages, in the order of the tabs; each module's `register(app, site)` adds its routes.
PAGES = (reports, stats, draft)


def create_app(workspace: Workspace, *, host: str) -> FastAPI:
    """The web app on `workspace`, to be served on `host`. Raises InputError (E-USAGE) when
    `host` is not a loopback address and the workspace cannot protect itself there."""
    refusal = bind_refusal(workspace, host)
    if refusal is not None:
        raise InputError(refusal, code="E-USAGE")

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
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

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
