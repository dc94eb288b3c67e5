"""The admin API under /api/v1: organizations and keys, contact imports, contacts, elections
and their reminders, blasts. A front end: routes parse input, call the domains' services and
return their views; `bot.api.errors` turns `bot.errors` into answers."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from bot.api import blasts, contacts, elections, imports, lift, organizations, reminders
from bot.api.deps import build_import_options
from bot.api.errors import render, render_http, render_invalid
from bot.errors import TurnoutError

router = APIRouter(prefix="/api/v1")
router.include_router(organizations.router)
router.include_router(imports.router)
router.include_router(contacts.router)
router.include_router(elections.router)
router.include_router(reminders.router)
router.include_router(blasts.router)
router.include_router(lift.router)


def install(app: FastAPI) -> None:
    """Mount the admin API on the app, with its error handlers (needs `app.state.runtime`)."""
    app.state.import_options = build_import_options(app.state.runtime)
    app.include_router(router)
    app.add_exception_handler(TurnoutError, render)
    app.add_exception_handler(RequestValidationError, render_invalid)
    app.add_exception_handler(HTTPException, render_http)
