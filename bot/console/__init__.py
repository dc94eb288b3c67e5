"""The organizer console, mounted at /console: server-rendered pages (Jinja2) with htmx for the
live parts, static files vendored here (htmx, Pico.css), no CDN and no build step. A front end:
its routes parse forms, call the domains' services (`bot.accounts`, `bot.conversation.inbox`,
`bot.sending.replies`) and render pages; the rules live in the domains."""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from bot.clock import utcnow
from bot.console import (
    auth,
    blasts,
    contacts,
    dashboard,
    elections,
    inbox,
    lift,
    people,
    reports,
    translations,
    voterdata,
)
from bot.console.deps import SignInRequired, current, parts
from bot.console.web import render
from bot.errors import Forbidden, NotFound, TurnoutError

STATIC = Path(__file__).parent / "static"
router = APIRouter(prefix="/console", include_in_schema=False)
for part in (
    auth,
    dashboard,
    inbox,
    contacts,
    blasts,
    elections,
    voterdata,
    translations,
    reports,
    lift,
    people,
):
    router.include_router(part.router)


@router.get("")
def home() -> Response:
    """The console's first page: the dashboard."""
    return RedirectResponse("/console/dashboard", status_code=303)


def _is_console(request: Request) -> bool:
    return request.url.path.startswith("/console")


async def _sign_in(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    if request.headers.get("HX-Request"):  # htmx: send the whole page to the sign-in form
        return Response(status_code=401, headers={"HX-Redirect": exc.path})
    return RedirectResponse(exc.path, status_code=303)


def install(app: FastAPI) -> None:
    """Mount the console (and `/` → /console) on the app; its errors render as pages."""
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    app.add_exception_handler(SignInRequired, _sign_in)

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse("/console", status_code=307)

    api_errors = app.exception_handlers.get(TurnoutError)

    async def errors(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, TurnoutError)
        if not _is_console(request) and api_errors is not None:
            answer = api_errors(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        status = 404 if isinstance(exc, NotFound) else 403 if isinstance(exc, Forbidden) else 400
        language = "en"
        try:
            with parts(request).engine.connect() as conn:
                signed = current(request, conn, utcnow())
                conn.commit()
            language = signed.ui_language if signed else "en"
        except Exception:
            signed = None
        context = {"status": status, "detail": exc.detail, "signed": signed}
        return render(request, "error.html", context, language=language, status_code=status)

    app.add_exception_handler(TurnoutError, errors)
