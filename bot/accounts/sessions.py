"""Signing in and the sessions of the console.

A session is a row; the browser's cookie holds a random token whose SHA-256 is the row's key.
It ends after `TURNOUT_SESSION_IDLE_MINUTES` without use, after `TURNOUT_SESSION_HOURS` at
most, when the person signs out (here or everywhere), and at once when their user is disabled.
Each session has its own CSRF token, which every form and htmx request sends back.

Failed sign-ins are slowed, then refused for a while, per account and per client address: the
answer says so (a person locked out must know why and for how long).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from bot.access import Caller
from bot.accounts import audit, passwords
from bot.accounts.users import Membership, caller_for, digest, memberships, normal_email
from bot.errors import Forbidden, TooMany
from bot.tables import CONSOLE_SESSIONS, SIGN_IN_FAILURES, USERS

TOUCH_EVERY = dt.timedelta(minutes=1)  # last_seen_at is written at most this often
WINDOW = dt.timedelta(minutes=15)  # failures counted over this long
SLOW_AFTER = 3  # failures of one account before each answer is slowed
ACCOUNT_LIMIT = 10  # failures of one account before its sign-ins are refused for WINDOW
ADDRESS_LIMIT = 30  # failures from one address (any accounts) before it is refused
WRONG = "wrong email or password"


class SignInRefused(TooMany):
    """Too many failed sign-ins: refused for `minutes` more, for the account or the address."""

    def __init__(self, minutes: int, *, account: bool) -> None:
        whose = "this account" if account else "this network address"
        super().__init__(
            f"too many failed sign-ins for {whose}: try again in {minutes} minutes, or ask a "
            "coalition admin for a new invitation"
        )
        self.minutes = minutes
        self.account = account


@dataclass(frozen=True)
class Signed:
    """A signed-in browser: its user, the organization they act for, and its CSRF token."""

    session_id: int
    user_id: int
    email: str
    name: str | None
    ui_language: str
    speaks: tuple[str, ...]
    phone: str | None
    caller: Caller
    organizations: tuple[Membership, ...]
    csrf_token: str


def _aware(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def _failures(conn: Connection, column: Any, value: str, now: dt.datetime) -> int:
    query = select(func.count()).where(column == value, SIGN_IN_FAILURES.c.at > now - WINDOW)
    return int(conn.execute(query).scalar_one())


def throttle(conn: Connection, *, email: str, address: str, now: dt.datetime) -> float:
    """Seconds to slow this sign-in by; TooMany when the account or the address is refused
    for now (the message says until when)."""
    f = SIGN_IN_FAILURES.c
    by_account = _failures(conn, f.email, email, now)
    by_address = _failures(conn, f.address, address, now)
    if by_account >= ACCOUNT_LIMIT or by_address >= ADDRESS_LIMIT:
        column, value = (f.email, email) if by_account >= ACCOUNT_LIMIT else (f.address, address)
        oldest = conn.execute(
            select(func.min(f.at)).where(column == value, f.at > now - WINDOW)
        ).scalar_one()
        minutes = max(1, int((_aware(oldest) + WINDOW - now).total_seconds() // 60) + 1)
        raise SignInRefused(minutes, account=by_account >= ACCOUNT_LIMIT)
    return 0.0 if by_account < SLOW_AFTER else min(8.0, 0.5 * 2 ** (by_account - SLOW_AFTER))


def check_password(
    conn: Connection, *, email: str, password: str, address: str, now: dt.datetime
) -> int | None:
    """The user id for a right email and password; None otherwise, the failure recorded (the
    caller commits it, then answers `WRONG`, one message whether the account exists or not).
    Success clears the account's failures."""
    address = address[:64] or "unknown"
    try:
        email = normal_email(email)
    except ValueError:
        return None
    row = conn.execute(
        select(USERS.c.id, USERS.c.password_hash, USERS.c.disabled_at).where(USERS.c.email == email)
    ).first()
    right = passwords.verify(row.password_hash if row else None, password)
    if row is None or not right or row.disabled_at is not None:
        conn.execute(insert(SIGN_IN_FAILURES).values(email=email, address=address, at=now))
        return None
    conn.execute(delete(SIGN_IN_FAILURES).where(SIGN_IN_FAILURES.c.email == email))
    if passwords.needs_rehash(row.password_hash):
        conn.execute(
            update(USERS)
            .where(USERS.c.id == row.id)
            .values(password_hash=passwords.hash_password(password))
        )
    return int(row.id)


def start(
    conn: Connection,
    *,
    user_id: int,
    now: dt.datetime,
    lifetime: dt.timedelta,
) -> str:
    """A new session for a user, in their first organization; the cookie's token."""
    found = memberships(conn, user_id=user_id)
    if not found:
        raise Forbidden("your account belongs to no organization yet: ask for an invitation")
    token = secrets.token_urlsafe(32)
    conn.execute(
        insert(CONSOLE_SESSIONS).values(
            token_hash=digest(token),
            user_id=user_id,
            organization_id=found[0].organization_id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    conn.execute(update(USERS).where(USERS.c.id == user_id).values(last_sign_in_at=now))
    audit.record(
        conn,
        user_id=user_id,
        organization_id=found[0].organization_id,
        action="session.start",
        subject=f"user:{user_id}",
        now=now,
    )
    return token


def resolve(conn: Connection, *, token: str, now: dt.datetime, idle: dt.timedelta) -> Signed | None:
    """The signed-in browser a cookie's token stands for; None when it is missing, ended,
    idle too long, past its lifetime, or its user disabled or without that organization."""
    s, u = CONSOLE_SESSIONS.c, USERS.c
    row = conn.execute(
        select(CONSOLE_SESSIONS, u.email, u.name, u.ui_language, u.speaks, u.phone, u.disabled_at)
        .join(USERS, u.id == s.user_id)
        .where(s.token_hash == digest(token[:200]))
    ).first()
    if row is None or row.ended_at is not None or row.disabled_at is not None:
        return None
    if _aware(row.expires_at) <= now or _aware(row.last_seen_at) + idle <= now:
        return None
    found = memberships(conn, user_id=row.user_id)
    current = next((m for m in found if m.organization_id == row.organization_id), None)
    if current is None:
        return None
    if now - _aware(row.last_seen_at) >= TOUCH_EVERY:
        conn.execute(update(CONSOLE_SESSIONS).where(s.id == row.id).values(last_seen_at=now))
    return Signed(
        session_id=int(row.id),
        user_id=int(row.user_id),
        email=row.email,
        name=row.name,
        ui_language=row.ui_language,
        speaks=tuple(row.speaks or ()),
        phone=row.phone,
        caller=caller_for(current, user_id=int(row.user_id)),
        organizations=tuple(found),
        csrf_token=row.csrf_token,
    )


def end(conn: Connection, *, session_id: int, now: dt.datetime) -> None:
    """Sign one browser out."""
    conn.execute(
        update(CONSOLE_SESSIONS).where(CONSOLE_SESSIONS.c.id == session_id).values(ended_at=now)
    )


def switch(conn: Connection, *, signed: Signed, organization_id: int, now: dt.datetime) -> None:
    """Act for another of the user's organizations from now on."""
    if not any(m.organization_id == organization_id for m in signed.organizations):
        raise Forbidden("you do not belong to that organization")
    conn.execute(
        update(CONSOLE_SESSIONS)
        .where(CONSOLE_SESSIONS.c.id == signed.session_id)
        .values(organization_id=organization_id, last_seen_at=now)
    )
