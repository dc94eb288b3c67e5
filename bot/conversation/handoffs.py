"""Requests for a person, as the conversation sees them: opened by the voter's "4", touched by
each of their messages while open, closed by an organizer, by the voter (STOP, MENU), or after
`TURNOUT_HANDOFF_TIMEOUT_HOURS` without a person's answer.

A request belongs to the organizations whose lists hold the contact, else to the coalition
(its admin organization); the staffed hours of those organizations decide whether the bot
tells the voter "someone will answer here soon" or when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, or_, select, update

from bot.clock import zone
from bot.sending.rules import local_instant
from bot.statuses import HandoffStatus
from bot.tables import CONVERSATIONS, HANDOFFS, MEMBERSHIPS, ORGANIZATIONS

STAFFED = (dt.time(9), dt.time(18))  # an organization's hours when it set none
BACK_TO = "main.choose"  # where a conversation stands when its request closes


@dataclass(frozen=True)
class Staffing:
    """Whether a person is at work now for a contact's organizations, and if not, when."""

    now: bool
    opens_at: dt.datetime | None  # aware, in `zone`
    zone: ZoneInfo


def open_for(conn: Connection, contact_id: int) -> Any:
    """The contact's open request, if any."""
    h = HANDOFFS.c
    return conn.execute(
        select(HANDOFFS).where(h.contact_id == contact_id, h.status == HandoffStatus.OPEN)
    ).first()


def open_or_touch(
    conn: Connection, *, contact_id: int, channel: str, language: str | None, now: dt.datetime
) -> int:
    """Open a request for a person, or note the voter's new message on the open one."""
    existing = open_for(conn, contact_id)
    values: dict[str, Any] = {"updated_at": now, "last_inbound_at": now, "channel": channel}
    if language:
        values["language"] = language
    if existing is not None:
        conn.execute(update(HANDOFFS).where(HANDOFFS.c.id == existing.id).values(**values))
        return int(existing.id)
    row = {"contact_id": contact_id, "status": HandoffStatus.OPEN, "created_at": now, **values}
    return int(conn.execute(insert(HANDOFFS).returning(HANDOFFS.c.id), row).scalar_one())


def close(
    conn: Connection,
    *,
    request_id: int,
    reason: str,
    now: dt.datetime,
    user_id: int | None = None,
) -> bool:
    """Close an open request (reason: closed, timeout, stop, menu); the voter is with the bot
    again (their next text is read as an answer to the main menu). Returns whether it was
    open."""
    h = HANDOFFS.c
    changed = conn.execute(
        update(HANDOFFS)
        .where(h.id == request_id, h.status == HandoffStatus.OPEN)
        .values(
            status=HandoffStatus.CLOSED,
            closed_at=now,
            closed_by=user_id,
            close_reason=reason,
            updated_at=now,
        )
        .returning(h.contact_id)
    ).scalar()
    if changed is None:
        return False
    back = {"node": BACK_TO, "at": now.isoformat()}
    conn.execute(
        update(CONVERSATIONS)
        .where(CONVERSATIONS.c.contact_id == changed)
        .values(state=back, last_activity_at=now)
    )
    return True


def answered(conn: Connection, *, request_id: int, now: dt.datetime) -> dt.datetime | None:
    """Note a person's answer; returns when the request was made if this is its first."""
    row = conn.execute(
        select(HANDOFFS.c.created_at, HANDOFFS.c.first_answer_at).where(HANDOFFS.c.id == request_id)
    ).one()
    values: dict[str, Any] = {"last_answer_at": now, "updated_at": now}
    if row.first_answer_at is None:
        values["first_answer_at"] = now
    conn.execute(update(HANDOFFS).where(HANDOFFS.c.id == request_id).values(**values))
    return _aware(row.created_at) if row.first_answer_at is None else None


def unanswered_since(conn: Connection, *, older_than: dt.datetime) -> list[Any]:
    """Open requests whose last person's answer (or, without one, whose opening) is older
    than `older_than`: the voter has waited long enough, they go back to the bot."""
    h = HANDOFFS.c
    last = func.coalesce(h.last_answer_at, h.created_at)
    query = select(HANDOFFS).where(h.status == HandoffStatus.OPEN, last < older_than)
    return list(conn.execute(query.order_by(h.id)))


def open_requests(conn: Connection) -> int:
    """How many requests for a person are open, coalition-wide."""
    query = select(func.count()).where(HANDOFFS.c.status == HandoffStatus.OPEN)
    return int(conn.execute(query).scalar_one())


def _aware(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def owners(conn: Connection, contact_id: int) -> list[Any]:
    """The organizations a contact's requests belong to: those whose lists hold them, else
    the coalition's admin organization."""
    o, m = ORGANIZATIONS.c, MEMBERSHIPS.c
    listed = list(
        conn.execute(
            select(ORGANIZATIONS)
            .join(MEMBERSHIPS, m.organization_id == o.id)
            .where(m.contact_id == contact_id)
            .order_by(o.id)
        )
    )
    if listed:
        return listed
    return list(conn.execute(select(ORGANIZATIONS).where(o.is_admin).order_by(o.id)))


def staffing(conn: Connection, *, contact_id: int, default_zone: str, now: dt.datetime) -> Staffing:
    """Whether someone is at work for the contact now; else the earliest opening among the
    contact's organizations (in that organization's zone)."""
    found = owners(conn, contact_id)
    fallback = zone(default_zone) or ZoneInfo("UTC")
    if not found:
        return Staffing(False, None, fallback)
    openings: list[tuple[dt.datetime, ZoneInfo]] = []
    for org in found:
        tz = zone(org.timezone) or fallback
        start, end = org.staffed_from or STAFFED[0], org.staffed_until or STAFFED[1]
        local = now.astimezone(tz)
        if start <= local.time().replace(tzinfo=None) < end:
            return Staffing(True, None, tz)
        for days in (0, 1, 2):
            opening = local_instant(local.date() + dt.timedelta(days=days), start, tz)
            if opening > now:
                openings.append((opening, tz))
                break
    opening, tz = min(openings, key=lambda pair: pair[0])
    return Staffing(False, opening.astimezone(tz), tz)


def visible_clause(caller_org: int, caller_admin: bool, org_is_admin: bool) -> Any:
    """A WHERE clause on HANDOFFS: the requests one organization's people may see."""
    m = MEMBERSHIPS.c
    if caller_admin:
        return HANDOFFS.c.id.is_not(None)
    listed = select(m.id).where(m.contact_id == HANDOFFS.c.contact_id)
    ours = listed.where(m.organization_id == caller_org).exists()
    if org_is_admin:  # the coalition's own people answer the voters nobody has listed
        return or_(ours, ~listed.exists())
    return ours
