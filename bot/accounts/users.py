"""Users, their roles per organization, and invitations.

No email server is assumed: an invitation is a one-time link (valid 72 hours) that the person
who invites hands over; it sets the password, and grants the role. A forgotten password is a
new invitation. Roles: `admin` (only in the coalition's admin organization: everything,
everywhere), `organizer`, `viewer` (reads only). Keyword-only functions over a connection;
the caller commits.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from bot.access import Caller, Role
from bot.accounts import audit, passwords
from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.sql import upsert_insert
from bot.tables import CONSOLE_SESSIONS, INVITATIONS, ORGANIZATIONS, USER_ROLES, USERS

INVITE_VALID = timedelta(hours=72)
TOKEN_BYTES = 32
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,188}\.[^@\s.]{2,63}")


@dataclass(frozen=True)
class NewInvitation:
    """An invitation just made: its link's token, shown once, and when it stops working."""

    token: str
    email: str
    expires_at: datetime


@dataclass(frozen=True)
class Membership:
    """A user's role in one organization."""

    organization_id: int
    slug: str
    name: str
    role: Role
    is_admin_org: bool


def digest(token: str) -> str:
    """The stored form of a token (an invitation's, a session's)."""
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(raw: str) -> str:
    """An email address as accounts are keyed: trimmed, lower case; Invalid if it is none."""
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise Invalid("email: not an email address", where="email")
    return email


def _role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise Invalid(f"role: one of {', '.join(r.value for r in Role)}", where="role") from None


def _organization(conn: Connection, organization_id: int) -> Any:
    row = conn.execute(select(ORGANIZATIONS).where(ORGANIZATIONS.c.id == organization_id)).first()
    if row is None:
        raise NotFound()
    return row


def _check_role(org: Any, role: Role) -> None:
    if role is Role.ADMIN and not org.is_admin:
        raise Invalid(
            "role: admin is a role of the coalition's admin organization only; give "
            "organizer or viewer",
            where="role",
        )


def invite(
    conn: Connection,
    *,
    caller: Caller,
    email: str,
    organization_id: int,
    role: str,
    now: datetime,
) -> NewInvitation:
    """A one-time link for a person to set their password and join an organization in a
    role (a coalition admin, or the CLI's operator, invites)."""
    caller.require_admin()
    address, wanted = normal_email(email), _role(role)
    org = _organization(conn, organization_id)
    _check_role(org, wanted)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires = now + INVITE_VALID
    conn.execute(
        insert(INVITATIONS).values(
            token_hash=digest(token),
            email=address,
            organization_id=organization_id,
            role=wanted,
            invited_by=caller.user_id,
            created_at=now,
            expires_at=expires,
        )
    )
    audit.record(
        conn,
        user_id=caller.user_id,
        organization_id=organization_id,
        action="user.invite",
        subject=f"email:{address}",
        detail={"role": wanted.value},
        now=now,
    )
    return NewInvitation(token, address, expires)


def open_invitation(conn: Connection, *, token: str, now: datetime) -> Any:
    """The invitation a link carries, while it can still be used; NotFound otherwise (a used
    link, an expired one and a wrong one look alike)."""
    row = conn.execute(
        select(INVITATIONS).where(INVITATIONS.c.token_hash == digest(token[:200]))
    ).first()
    if row is None or row.used_at is not None or _aware(row.expires_at) <= now:
        raise NotFound("this link does not work any more: ask for a new invitation")
    return row


def _aware(when: datetime) -> datetime:
    from datetime import UTC

    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def accept(conn: Connection, *, token: str, password: str, name: str | None, now: datetime) -> int:
    """Use an invitation: the user (made if new) gets the password and the role; every other
    session of theirs ends (a reset password signs out whoever had the old one). Returns the
    user's id."""
    row = open_invitation(conn, token=token, now=now)
    hashed = passwords.hash_password(passwords.check_new(password))
    clean_name = " ".join((name or "").split())[:200] or None
    user_id = _ensure_user(conn, email=row.email, name=clean_name, now=now)
    values: dict[str, Any] = {"password_hash": hashed, "updated_at": now, "disabled_at": None}
    if clean_name:
        values["name"] = clean_name
    conn.execute(update(USERS).where(USERS.c.id == user_id).values(**values))
    grant(conn, user_id=user_id, organization_id=row.organization_id, role=Role(row.role), now=now)
    conn.execute(update(INVITATIONS).where(INVITATIONS.c.id == row.id).values(used_at=now))
    end_all_sessions(conn, user_id=user_id, now=now)
    audit.record(
        conn,
        user_id=user_id,
        organization_id=row.organization_id,
        action="user.accept",
        subject=f"user:{user_id}",
        now=now,
    )
    return user_id


def _ensure_user(conn: Connection, *, email: str, name: str | None, now: datetime) -> int:
    found = conn.execute(select(USERS.c.id).where(USERS.c.email == email)).scalar()
    if found is not None:
        return int(found)
    row = {"email": email, "name": name, "ui_language": "en", "created_at": now}
    row["updated_at"] = now
    return int(conn.execute(insert(USERS).returning(USERS.c.id), row).scalar_one())


def grant(
    conn: Connection, *, user_id: int, organization_id: int, role: Role, now: datetime
) -> None:
    """Give (or change) a user's role in an organization."""
    _check_role(_organization(conn, organization_id), role)
    statement = upsert_insert(conn, USER_ROLES).values(
        user_id=user_id, organization_id=organization_id, role=role, created_at=now
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "organization_id"], set_={"role": role}
        )
    )


def add(
    conn: Connection,
    *,
    email: str,
    organization_id: int,
    role: str,
    password: str,
    now: datetime,
) -> int:
    """A user with a password, at once (scripts: `turnout users add --password-stdin`)."""
    address, wanted = normal_email(email), _role(role)
    hashed = passwords.hash_password(passwords.check_new(password))
    user_id = _ensure_user(conn, email=address, name=None, now=now)
    conn.execute(
        update(USERS)
        .where(USERS.c.id == user_id)
        .values(password_hash=hashed, disabled_at=None, updated_at=now)
    )
    grant(conn, user_id=user_id, organization_id=organization_id, role=wanted, now=now)
    audit.record(
        conn,
        user_id=None,
        organization_id=organization_id,
        action="user.add",
        subject=f"user:{user_id}",
        detail={"role": wanted.value},
        now=now,
    )
    return user_id


def memberships(conn: Connection, *, user_id: int) -> list[Membership]:
    """A user's organizations and roles, the admin organization first, then by name."""
    u, o = USER_ROLES.c, ORGANIZATIONS.c
    rows = conn.execute(
        select(o.id, o.slug, o.name, o.is_admin, u.role)
        .join(ORGANIZATIONS, o.id == u.organization_id)
        .where(u.user_id == user_id)
        .order_by(o.is_admin.desc(), o.name)
    )
    return [Membership(int(r.id), r.slug, r.name, Role(r.role), bool(r.is_admin)) for r in rows]


def find_user(conn: Connection, *, email: str) -> Any:
    """A user by email; NotFound otherwise."""
    row = conn.execute(select(USERS).where(USERS.c.email == normal_email(email))).first()
    if row is None:
        raise NotFound(f"no user {email.strip()[:254]!r}")
    return row


def list_users(conn: Connection, *, organization_id: int | None = None) -> list[Any]:
    """Users with their roles (`organizations`: "slug:role, ..."), by email; of one
    organization, or every one."""
    query = select(USERS).order_by(USERS.c.email)
    if organization_id is not None:
        members = select(USER_ROLES.c.user_id).where(
            USER_ROLES.c.organization_id == organization_id
        )
        query = query.where(USERS.c.id.in_(members))
    return list(conn.execute(query))


def disable(conn: Connection, *, caller: Caller, user_id: int, now: datetime) -> None:
    """Disable a user: signed out everywhere at once, and no sign-in until invited again."""
    caller.require_admin()
    if caller.user_id == user_id:
        raise Conflict("you cannot disable yourself")
    changed = conn.execute(
        update(USERS).where(USERS.c.id == user_id).values(disabled_at=now, updated_at=now)
    ).rowcount
    if not changed:
        raise NotFound()
    end_all_sessions(conn, user_id=user_id, now=now)
    audit.record(
        conn,
        user_id=caller.user_id,
        organization_id=caller.organization_id,
        action="user.disable",
        subject=f"user:{user_id}",
        now=now,
    )


def end_all_sessions(conn: Connection, *, user_id: int, now: datetime) -> None:
    """End every session of a user."""
    conn.execute(
        update(CONSOLE_SESSIONS)
        .where(CONSOLE_SESSIONS.c.user_id == user_id, CONSOLE_SESSIONS.c.ended_at.is_(None))
        .values(ended_at=now)
    )


def update_profile(
    conn: Connection,
    *,
    user_id: int,
    name: str | None,
    ui_language: str,
    speaks: list[str],
    phone: str | None,
    now: datetime,
) -> None:
    """A user's own settings (already checked by the caller)."""
    conn.execute(
        update(USERS)
        .where(USERS.c.id == user_id)
        .values(name=name, ui_language=ui_language, speaks=speaks, phone=phone, updated_at=now)
    )


def caller_for(membership: Membership, *, user_id: int) -> Caller:
    """The caller a signed-in user acts as in one of their organizations."""
    role = membership.role
    if role is Role.ADMIN and not membership.is_admin_org:  # never granted; never honored
        raise Forbidden()
    return Caller(
        organization_id=membership.organization_id,
        role=role,
        slug=membership.slug,
        user_id=user_id,
    )
