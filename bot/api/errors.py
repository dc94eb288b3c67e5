"""The admin API's errors: one small hierarchy, rendered by one handler.

ApiError
 ├── NotAuthenticated   401  no key, an unknown key or a revoked key (one body for all)
 ├── Forbidden          403  a partner's key on a coalition-admin route
 ├── NotFound           404  missing, or another organization's (the same answer)
 ├── Conflict           409  the thing exists already
 ├── PayloadTooLarge    413  an upload over TURNOUT_IMPORT_MAX_BYTES
 └── Invalid            422  a request we understand but cannot do, and why
"""

from __future__ import annotations

from typing import ClassVar

from fastapi import Request
from fastapi.responses import JSONResponse


class ApiError(Exception):
    """An answer other than success, with the status and a message safe to show anyone."""

    status = 400
    detail = "bad request"
    headers: ClassVar[dict[str, str] | None] = None

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.detail)
        self.detail = detail or self.detail


class NotAuthenticated(ApiError):
    """No key, an unknown key or a revoked key: deliberately one answer for all three."""

    status = 401
    detail = "missing, invalid or revoked API key"
    headers: ClassVar[dict[str, str] | None] = {"WWW-Authenticate": "Bearer"}


class Forbidden(ApiError):
    """A partner's key on a route for coalition admins."""

    status = 403
    detail = "this needs a coalition admin's API key"


class NotFound(ApiError):
    """Missing, or belonging to another organization: a partner cannot tell which."""

    status = 404
    detail = "not found"


class Conflict(ApiError):
    """The thing exists already."""

    status = 409
    detail = "exists already"


class PayloadTooLarge(ApiError):
    """An upload over the configured limit."""

    status = 413
    detail = "the upload is too large"


class TooMany(ApiError):
    """Over a limit that protects voters (test sends a day); the detail says which."""

    status = 429
    detail = "too many requests"


class Invalid(ApiError):
    """A request we understood but cannot do; the detail says what to change."""

    status = 422
    detail = "invalid request"


async def render(_request: Request, exc: Exception) -> JSONResponse:
    """The one handler: `{"detail": ...}` with the error's status."""
    assert isinstance(exc, ApiError)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=exc.headers)
