"""How the admin API answers `bot.errors` and invalid requests: one body for every error,
documented in the OpenAPI for every status the API answers with.

    NotAuthenticated 401 · Forbidden 403 · NotFound 404 · Conflict 409 · TooLarge 413
    Invalid 422 · TooMany 429 · any other TurnoutError 400

A request FastAPI cannot read (a missing field, a number out of range) is 422 with the same
body: `detail` says what was wrong and where, `errors` lists each problem.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from bot.errors import (
    Conflict,
    Forbidden,
    Invalid,
    NotAuthenticated,
    NotFound,
    TooLarge,
    TooMany,
    TurnoutError,
)

STATUS: dict[type[TurnoutError], int] = {
    NotAuthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    Invalid: 422,
    TooMany: 429,
}
MAX_SHOWN = 300  # characters of a client's value echoed in an error, at most


class FieldProblem(BaseModel):
    """One thing wrong with a request, and where."""

    loc: list[str | int] = Field(description="where: body, query or path, then the field")
    msg: str
    type: str


class Problem(BaseModel):
    """Every error the API answers with."""

    detail: str = Field(description="what was wrong (and where), in words safe to show anyone")
    errors: list[FieldProblem] | None = Field(
        None, description="for a request that could not be read: each problem"
    )


def _described(text: str) -> dict[str, Any]:
    return {"model": Problem, "description": text}


# For `responses=` of the routers: every status a route of the admin API may answer with.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: _described("a request that cannot be done"),
    401: _described("no API key, an unknown one or a revoked one"),
    403: _described("a partner's key on a route for coalition admins"),
    404: _described("missing, or another organization's"),
    409: _described("exists already, or its state does not allow it"),
    422: _described("the request could not be read, or asks for something invalid"),
    429: _described("over a limit that protects voters"),
}


def status_of(exc: TurnoutError) -> int:
    """The HTTP status of a domain error: its class's, or its nearest base's."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


async def render(_request: Request, exc: Exception) -> JSONResponse:
    """The handler of every `TurnoutError`."""
    assert isinstance(exc, TurnoutError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
    body = Problem(detail=exc.detail).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status_of(exc), headers=headers)


def _loc(parts: Any) -> list[str | int]:
    return [p if isinstance(p, int) else str(p)[:100] for p in parts]


async def render_invalid(_request: Request, exc: Exception) -> JSONResponse:
    """A request FastAPI could not read: 422, each problem named by where it is. The values
    themselves are not echoed (they may be a voter's number, or anything at all)."""
    assert isinstance(exc, RequestValidationError)
    problems = [
        FieldProblem(
            loc=_loc(e.get("loc", ())),
            msg=str(e.get("msg", ""))[:MAX_SHOWN],
            type=str(e.get("type", "")),
        )
        for e in exc.errors()
    ]
    detail = "; ".join(
        f"{'.'.join(str(p) for p in problem.loc) or 'request'}: {problem.msg}"
        for problem in problems
    )
    body = Problem(detail=detail[:2000] or "invalid request", errors=problems)
    return JSONResponse(body.model_dump(mode="json"), status_code=422)
