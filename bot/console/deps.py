"""What every console route needs: the signed-in person (from the session cookie), a short
transaction, and the CSRF check of every change (forms and htmx requests alike)."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from sqlalchemy import Connection, Engine

from bot.accounts import audit, sessions
from bot.accounts.sessions import Signed
from bot.clock import utcnow
from bot.errors import Forbidden, NotFound
from bot.runtime import Runtime
from bot.settings import Settings

COOKIE = "turnout_session"
MAX_ID = 2_147_483_647  # the databases' integer ids
CSRF_HEADER = "X-CSRF-Token"


class SignInRequired(Exception):
    """No valid session: the person signs in, then comes back to `path`."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


class BadCsrf(Forbidden):
    """A change without this session's CSRF token."""

    default = "this form is out of date or was not sent by the console: reload the page"


@dataclass(frozen=True)
class Console:
    """The app's parts a console route uses."""

    engine: Engine
    runtime: Runtime

    @property
    def settings(self) -> Settings:
        """The operator's settings."""
        return self.runtime.settings


def parts(request: Request) -> Console:
    """The engine and runtime of the app serving this request."""
    return Console(request.app.state.engine, request.app.state.runtime)


def login_path(request: Request) -> str:
    """Where to send someone who must sign in first (and back here afterwards)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/console/login?next={quote(target, safe='')}"


def current(request: Request, conn: Connection, now: dt.datetime) -> Signed | None:
    """The signed-in person, or None."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    idle = dt.timedelta(minutes=parts(request).settings.session_idle_minutes)
    return sessions.resolve(conn, token=token, now=now, idle=idle)


@contextmanager
def signed_in(request: Request) -> Iterator[tuple[Connection, Signed, dt.datetime]]:
    """A transaction on behalf of the signed-in person (SignInRequired without one)."""
    now = utcnow()
    with parts(request).engine.begin() as conn:
        signed = current(request, conn, now)
        if signed is None:
            raise SignInRequired(login_path(request))
        yield conn, signed, now


def check_csrf(request: Request, signed: Signed, form: Any = None) -> None:
    """Refuse a change that does not carry the session's CSRF token (in the form, or in the
    header htmx sends)."""
    sent = request.headers.get(CSRF_HEADER) or ""
    if not sent and form is not None:
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else ""
    if not sent or not hmac.compare_digest(sent.encode(), signed.csrf_token.encode()):
        raise BadCsrf()


def client_address(request: Request) -> str:
    """The client's address, for throttling sign-ins."""
    return request.client.host if request.client else "unknown"


def given_id(raw: object) -> int | None:
    """A row id from a path, query or form value: ASCII digits in the ids' range, else None
    (so that "²", which `isdigit` takes, or "1e9" is no id rather than a 500)."""
    text = raw if isinstance(raw, str) else ""
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_ID:
        return None
    return int(text)


def path_id(raw: str) -> int:
    """A row id from the path; anything else is a page that does not exist."""
    found = given_id(raw)
    if found is None:
        raise NotFound()
    return found


def audited(
    conn: Connection,
    signed: Signed,
    action: str,
    subject: str | None,
    now: dt.datetime,
    *,
    organization_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write a console change to the audit log: by the signed-in person, for the organization
    they act for unless the change is another's (an admin's, on a partner's thing)."""
    audit.record(
        conn,
        user_id=signed.user_id,
        organization_id=(
            signed.caller.organization_id if organization_id is None else organization_id
        ),
        action=action,
        subject=subject,
        now=now,
        detail=detail,
    )
