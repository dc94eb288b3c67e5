"""Rendering a page for the signed-in person: their language, the coalition's time zone."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from bot.accounts.sessions import Signed
from bot.console.deps import parts
from bot.console.web import render


def page(
    request: Request,
    template: str,
    context: dict[str, Any],
    signed: Signed,
    status: int = 200,
) -> HTMLResponse:
    """A page (or an htmx fragment) for the signed-in person."""
    return render(
        request,
        template,
        {"signed": signed, **context},
        language=signed.ui_language,
        zone=parts(request).settings.timezone,
        status_code=status,
    )
