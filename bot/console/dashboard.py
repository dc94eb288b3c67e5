"""The dashboard: the first page after sign-in (today and the last 7 days, what needs a
person). See docs/console.md."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

router = APIRouter()


@router.get("/dashboard")
def dashboard() -> Response:
    """Until the dashboard is built: the inbox."""
    return RedirectResponse("/console/inbox", status_code=303)
