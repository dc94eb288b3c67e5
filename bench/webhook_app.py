"""The app the webhook benchmark serves: Turnout's own app plus a bare endpoint as baseline."""

from __future__ import annotations

from fastapi import Response

from bot.app import create_app

app = create_app()


@app.get("/bare", include_in_schema=False)
def bare() -> Response:
    """The baseline: FastAPI with no work at all."""
    return Response(b"ok", media_type="text/plain")
