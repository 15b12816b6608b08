"""登录、退出: the login page and logging out (`drafter.web.auth` does the checking).

Without login (the loopback, no-user mode) both only lead back to the report list.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from drafter.web.auth import (
    Auth,
    LoginRefused,
    clear_session_cookie,
    safe_next,
    session_token,
    set_session_cookie,
)
from drafter.web.site import Site


def register(app: FastAPI, site: Site) -> None:
    auth: Auth = app.state.auth

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, after: Annotated[str, Query(alias="next")] = "/") -> Response:
        if not auth.required or site.user(request) is not None:
            return RedirectResponse(safe_next(after), status_code=303)
        return site.page(request, "login.html", next=safe_next(after), username="", error=None)

    @app.post("/login")
    async def login(request: Request) -> Response:
        form = await request.form()  # parsed already by the CSRF check
        return await run_in_threadpool(login_with, request, form)

    def login_with(request: Request, form: Any) -> Response:
        name, password = str(form.get("name") or ""), str(form.get("password") or "")
        target = safe_next(form.get("next"))
        if not auth.required:
            return RedirectResponse(target, status_code=303)
        try:
            token = auth.login(name, password)
        except LoginRefused as refused:
            return site.page(
                request, "login.html", status=refused.status, next=target,
                username=name.strip()[:200], error=str(refused),
            )  # fmt: skip
        auth.logout(session_token(request))  # a session the browser still had: ended
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(request, response, token)
        return response

    @app.post("/logout")
    def logout(request: Request) -> Response:
        if not auth.required:
            return RedirectResponse("/", status_code=303)
        auth.logout(session_token(request))
        response = RedirectResponse("/login", status_code=303)
        clear_session_cookie(request, response)
        return response
