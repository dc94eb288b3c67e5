"""How the admin API answers `bot.errors` and invalid requests: one body for every error,
documented in the OpenAPI for every status the API answers with.

    NotAuthenticated 401 · Forbidden 403 · NotFound 404 · Conflict 409 · TooLarge 413
    Invalid 422 · TooMany 429 · any other TurnoutError 400

A request FastAPI cannot read (a missing field, a number out of range, a control character
in a text) is 422 with the same body: `detail` says what was wrong and where, `errors` lists
each problem. A method a path does not have is 405, its `Allow` naming every one it has.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

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
from bot.voter.elections import is_text_pattern

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
# Routes that take an upload may also answer 413.
UPLOAD_ERRORS = {**ERRORS, 413: _described("the file is larger than the operator allows")}
CONTROL_CHARACTERS = "control characters (NUL, escape ...) and, in a one-line value, line breaks"


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


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "string_pattern_mismatch" and is_text_pattern(
        (error.get("ctx") or {}).get("pattern")
    ):
        return f"{CONTROL_CHARACTERS} are not allowed"
    return str(error.get("msg", ""))[:MAX_SHOWN]


async def render_invalid(request: Request, exc: Exception) -> JSONResponse:
    """A request FastAPI could not read: 422, each problem named by where it is. The values
    themselves are not echoed (they may be a voter's number, or anything at all)."""
    assert isinstance(exc, RequestValidationError)
    methods = allowed_methods(request)
    if methods and request.method not in methods:
        # `GET /blasts/preview` reached `GET /blasts/{blast_id}`: the path is another route's,
        # which has no GET; "preview" was never meant as an id.
        return _not_allowed(methods)
    problems = [
        FieldProblem(
            loc=_loc(e.get("loc", ())),
            msg=_message(e),
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


def _routes(app: Any) -> list[Any]:
    try:  # FastAPI keeps included routers as branches; this walks them with their prefixes
        from fastapi.routing import iter_route_contexts

        return list(iter_route_contexts(app.routes))
    except ImportError:  # pragma: no cover - older FastAPI: the routes are flat already
        return list(app.routes)


@functools.lru_cache(maxsize=512)
def _pattern(path: str) -> re.Pattern[str]:
    return compile_path(path)[0]


def allowed_methods(request: Request) -> list[str]:
    """Every method of the routes whose path is the request's. A path a route names word for
    word (`/blasts/preview`) is that route's alone: `/blasts/{blast_id}` does not take it."""
    path = request.url.path
    matching = [
        route
        for route in _routes(request.app)
        if isinstance(getattr(route, "path", None), str) and _pattern(route.path).match(path)
    ]
    literal = [route for route in matching if "{" not in route.path]
    return sorted(
        {
            method
            for route in literal or matching
            for method in getattr(route, "methods", None) or ()
        }
    )


def _not_allowed(methods: list[str]) -> JSONResponse:
    return JSONResponse(
        {"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": ", ".join(methods)}
    )


async def render_http(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, no such method) as FastAPI answers them; a 405
    names in `Allow` every method the path has, not only those of its first route."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405 and (methods := allowed_methods(request)):
        return _not_allowed(methods)
    return await http_exception_handler(request, exc)
