"""The admin API under /api/v1: organizations and keys, contact imports, contacts, elections
and their reminders, blasts."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from bot.api import blasts, contacts, elections, imports, organizations, reminders
from bot.api.deps import build_import_options
from bot.api.errors import ApiError, render

router = APIRouter(prefix="/api/v1")
router.include_router(organizations.router)
router.include_router(imports.router)
router.include_router(contacts.router)
router.include_router(elections.router)
router.include_router(reminders.router)
router.include_router(blasts.router)


def install(app: FastAPI) -> None:
    """Mount the admin API on the app, with its error handler (needs `app.state.runtime`)."""
    app.state.import_options = build_import_options(app.state.runtime)
    app.include_router(router)
    app.add_exception_handler(ApiError, render)
