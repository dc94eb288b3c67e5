"""The inbox: the requests for a person that a caller may see, a voter's thread, and what
organizers do with a request (assign, close). A partner's people see the requests of the
contacts on their organization's list; the coalition's, those of contacts nobody listed; a
coalition admin, every one. Another organization's request or contact is `NotFound`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, cast, func, literal, null, select, union_all, update

from bot.access import Caller
from bot.accounts import audit
from bot.conversation import handoffs
from bot.errors import Conflict, Invalid, NotFound
from bot.phones import mask
from bot.statuses import HandoffStatus, SendKind
from bot.tables import (
    CONTACTS,
    HANDOFFS,
    INBOUND,
    MEMBERSHIPS,
    ORGANIZATIONS,
    OUTBOUND,
    OUTBOX,
    SENDS,
    USER_ROLES,
    USERS,
)

THREAD_LIMIT = 100  # the latest messages of a thread shown


@dataclass(frozen=True)
class Request:
    """A request for a person, as the inbox lists it."""

    id: int
    contact_id: int
    phone: str  # masked
    name: str | None  # as the caller's organization listed them
    language: str | None
    channel: str | None
    status: str
    opened_at: dt.datetime
    last_inbound_at: dt.datetime | None
    last_message: str | None
    assigned_to: int | None
    assignee: str | None
    organizations: tuple[str, ...]  # slugs of the lists that hold the contact (visible ones)
    first_answer_at: dt.datetime | None
    opted_out: bool


@dataclass(frozen=True)
class Message:
    """One message of a thread: the voter's, the bot's, or a person's."""

    at: dt.datetime
    who: str  # voter, bot, person, blast, reminder
    text: str
    language: str | None
    status: str | None  # delivery status of what we sent
    author: str | None  # a person's name or email


def _aware(when: dt.datetime | None) -> dt.datetime | None:
    if when is None:
        return None
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def _org_is_admin(conn: Connection, organization_id: int) -> bool:
    return bool(
        conn.execute(
            select(ORGANIZATIONS.c.is_admin).where(ORGANIZATIONS.c.id == organization_id)
        ).scalar()
    )


def _visible(conn: Connection, caller: Caller) -> Any:
    return handoffs.visible_clause(
        caller.organization_id, caller.is_admin, _org_is_admin(conn, caller.organization_id)
    )


def can_see_contact(conn: Connection, *, caller: Caller, contact_id: int) -> bool:
    """Whether the caller may see a contact: on their list, unlisted for the coalition's
    people, any for an admin."""
    exists = conn.execute(select(CONTACTS.c.id).where(CONTACTS.c.id == contact_id)).scalar()
    if exists is None:
        return False
    if caller.is_admin:
        return True
    m = MEMBERSHIPS.c
    listed = list(
        conn.execute(select(m.organization_id).where(m.contact_id == contact_id)).scalars()
    )
    if caller.organization_id in listed:
        return True
    return not listed and _org_is_admin(conn, caller.organization_id)


def _last_inbound(contact_ids: list[int], conn: Connection) -> dict[int, str]:
    if not contact_ids:
        return {}
    i = INBOUND.c
    latest = (
        select(i.contact_id, func.max(i.id).label("id"))
        .where(i.contact_id.in_(contact_ids))
        .group_by(i.contact_id)
        .subquery()
    )
    rows = conn.execute(select(i.contact_id, i.body).join(latest, latest.c.id == i.id))
    return {int(cid): str(body) for cid, body in rows}


def _lists(conn: Connection, caller: Caller, contact_ids: list[int]) -> dict[int, list[str]]:
    m, o = MEMBERSHIPS.c, ORGANIZATIONS.c
    query = (
        select(m.contact_id, o.slug)
        .join(ORGANIZATIONS, o.id == m.organization_id)
        .where(m.contact_id.in_(contact_ids))
    )
    if not caller.is_admin:  # a partner never learns which other lists hold a contact
        query = query.where(m.organization_id == caller.organization_id)
    found: dict[int, list[str]] = {}
    for cid, slug in conn.execute(query.order_by(o.slug)):
        found.setdefault(int(cid), []).append(str(slug))
    return found


def _names(conn: Connection, caller: Caller, contact_ids: list[int]) -> dict[int, str]:
    m = MEMBERSHIPS.c
    query = select(m.contact_id, m.first_name, m.last_name).where(m.contact_id.in_(contact_ids))
    if not caller.is_admin:
        query = query.where(m.organization_id == caller.organization_id)
    found: dict[int, str] = {}
    for cid, first, last in conn.execute(query.order_by(m.id)):
        name = " ".join(p for p in (first, last) if p)
        if name:
            found.setdefault(int(cid), name)
    return found


def requests(
    conn: Connection,
    *,
    caller: Caller,
    status: str = HandoffStatus.OPEN,
    languages: tuple[str, ...] = (),
    organization_id: int | None = None,
    assigned: str | None = None,  # "me", "nobody" or None
    contact_id: int | None = None,
    limit: int = 200,
) -> list[Request]:
    """The requests the caller may see, newest waiting first (by the voter's last message)."""
    h, c, u = HANDOFFS.c, CONTACTS.c, USERS.c
    query = (
        select(
            HANDOFFS, c.phone, c.opted_out, c.language.label("contact_language"), u.name, u.email
        )
        .join(CONTACTS, c.id == h.contact_id)
        .outerjoin(USERS, u.id == h.assigned_to)
        .where(_visible(conn, caller), h.status == status)
    )
    if languages:
        query = query.where(func.coalesce(h.language, c.language).in_(languages))
    if organization_id is not None:
        m = MEMBERSHIPS.c
        query = query.where(
            select(m.id)
            .where(m.contact_id == h.contact_id, m.organization_id == organization_id)
            .exists()
        )
    if assigned == "me":
        query = query.where(h.assigned_to == caller.user_id)
    elif assigned == "nobody":
        query = query.where(h.assigned_to.is_(None))
    if contact_id is not None:
        query = query.where(h.contact_id == contact_id)
    order = func.coalesce(h.last_inbound_at, h.created_at).desc()
    rows = list(conn.execute(query.order_by(order, h.id.desc()).limit(limit)))
    ids = [int(r.contact_id) for r in rows]
    last, lists, names = (
        _last_inbound(ids, conn),
        _lists(conn, caller, ids),
        _names(conn, caller, ids),
    )
    return [
        Request(
            id=int(r.id),
            contact_id=int(r.contact_id),
            phone=mask(r.phone),
            name=names.get(int(r.contact_id)),
            language=r.language or r.contact_language,
            channel=r.channel,
            status=r.status,
            opened_at=_aware(r.created_at) or r.created_at,
            last_inbound_at=_aware(r.last_inbound_at),
            last_message=last.get(int(r.contact_id)),
            assigned_to=r.assigned_to,
            assignee=r.name or r.email,
            organizations=tuple(lists.get(int(r.contact_id), ())),
            first_answer_at=_aware(r.first_answer_at),
            opted_out=bool(r.opted_out),
        )
        for r in rows
    ]


def contact_summary(conn: Connection, *, caller: Caller, contact_id: int) -> dict[str, Any]:
    """What the conversation page shows of a contact; NotFound for one the caller may not see."""
    if not can_see_contact(conn, caller=caller, contact_id=contact_id):
        raise NotFound()
    row = conn.execute(select(CONTACTS).where(CONTACTS.c.id == contact_id)).one()
    return {
        "id": int(row.id),
        "phone": mask(row.phone),
        "name": _names(conn, caller, [contact_id]).get(contact_id),
        "language": row.language,
        "opted_out": bool(row.opted_out),
        "opted_out_at": _aware(row.opted_out_at),
        "channel": _channel(row),
        "lists": tuple(_lists(conn, caller, [contact_id]).get(contact_id, ())),
        "last_inbound_at": _aware(
            max(
                (t for t in (row.sms_last_inbound_at, row.whatsapp_last_inbound_at) if t),
                default=None,
            )
        ),
    }


def _channel(row: Any) -> str:
    sms, whatsapp = row.sms_last_inbound_at, row.whatsapp_last_inbound_at
    return "whatsapp" if whatsapp and (not sms or whatsapp > sms) else "sms"


def thread(
    conn: Connection, *, caller: Caller, contact_id: int, limit: int = THREAD_LIMIT
) -> list[Message]:
    """A contact's messages, oldest first (the latest `limit`): theirs, the bot's replies,
    people's replies, and what blasts and reminders sent them. A partner sees the blasts of
    its own organization only (another's would tell that it lists the contact)."""
    if not can_see_contact(conn, caller=caller, contact_id=contact_id):
        raise NotFound()
    i, b, o, s, u = INBOUND.c, OUTBOUND.c, OUTBOX.c, SENDS.c, USERS.c
    voter = select(
        i.received_at.label("at"),
        literal("voter").label("who"),
        i.body.label("text"),
        literal(None).label("language"),
        literal(None).label("status"),
        literal(None).label("author"),
        literal(0).label("rank"),  # a voter's message comes before the replies of its moment
        i.id.label("seq"),
        cast(null(), s.texts.type).label("texts"),
    ).where(i.contact_id == contact_id)
    bot = select(
        b.created_at,
        literal("bot"),
        b.body,
        b.language,
        b.status,
        literal(None),
        literal(1),
        b.id,
        cast(null(), s.texts.type),
    ).where(b.contact_id == contact_id)
    sent = (
        select(
            func.coalesce(o.sent_at, o.created_at),
            s.kind,
            o.body,
            o.language,
            o.status,
            func.coalesce(u.name, u.email),
            literal(2),
            o.id,
        )
        .join(SENDS, s.id == o.send_id)
        .outerjoin(USERS, u.id == s.author_id)
        .where(o.contact_id == contact_id, o.status != "skipped")
        .add_columns(s.texts.label("texts"))
    )
    if not caller.is_admin:
        sent = sent.where(
            (s.organization_id == caller.organization_id)
            | s.kind.in_((SendKind.REMINDER, SendKind.REPLY))
        )
    every = union_all(voter, bot, sent).subquery()
    rows = conn.execute(
        select(every)
        .order_by(every.c.at.desc(), every.c.rank.desc(), every.c.seq.desc())
        .limit(limit)
    ).all()
    return [
        Message(
            at=_aware(r.at) or r.at,
            who="person" if r.who == SendKind.REPLY else str(r.who),
            text=str(r.text or _first(r.texts) or ""),
            language=r.language,
            status=r.status,
            author=r.author,
        )
        for r in reversed(rows)
    ]


def _first(texts: Any) -> str | None:
    """A send's text before the dispatcher wrote the message's body (a reply just queued)."""
    if isinstance(texts, dict) and texts:
        return str(next(iter(texts.values())))
    return None


def find_request(conn: Connection, *, caller: Caller, request_id: int, lock: bool = False) -> Any:
    """A request the caller may see; NotFound otherwise."""
    query = select(HANDOFFS).where(HANDOFFS.c.id == request_id, _visible(conn, caller))
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound()
    return row


def assignable(conn: Connection, *, caller: Caller, contact_id: int) -> list[tuple[int, str]]:
    """The people a request may be assigned to: users of the organizations that may see it
    (and the coalition's admins), as (id, name or email)."""
    owners = [int(o.id) for o in handoffs.owners(conn, contact_id)]
    r, u, o = USER_ROLES.c, USERS.c, ORGANIZATIONS.c
    rows = conn.execute(
        select(u.id, func.coalesce(u.name, u.email))
        .join(USER_ROLES, r.user_id == u.id)
        .join(ORGANIZATIONS, o.id == r.organization_id)
        .where(
            u.disabled_at.is_(None),
            r.role != "viewer",
            r.organization_id.in_(owners) | (o.is_admin & (r.role == "admin")),
        )
        .distinct()
        .order_by(func.coalesce(u.name, u.email))
    )
    return [(int(i), str(n)) for i, n in rows]


def assign(
    conn: Connection, *, caller: Caller, request_id: int, user_id: int | None, now: dt.datetime
) -> None:
    """Give a request to a person (None: nobody), who must be able to answer it."""
    caller.require_change()
    row = find_request(conn, caller=caller, request_id=request_id, lock=True)
    if row.status != HandoffStatus.OPEN:
        raise Conflict("this request is closed")
    if user_id is not None and user_id not in {
        i for i, _ in assignable(conn, caller=caller, contact_id=int(row.contact_id))
    }:
        raise Invalid("assignee: that person cannot answer this voter", where="assignee")
    conn.execute(
        update(HANDOFFS)
        .where(HANDOFFS.c.id == request_id)
        .values(assigned_to=user_id, assigned_at=now if user_id else None, updated_at=now)
    )
    audit.record(
        conn,
        user_id=caller.user_id,
        organization_id=caller.organization_id,
        action="handoff.assign",
        subject=f"handoff:{request_id}",
        detail={"to": user_id},
        now=now,
    )


def close_request(conn: Connection, *, caller: Caller, request_id: int, now: dt.datetime) -> int:
    """Close a request from the console; the voter is back with the bot. Returns its contact."""
    caller.require_change()
    row = find_request(conn, caller=caller, request_id=request_id, lock=True)
    if not handoffs.close(
        conn, request_id=request_id, reason="closed", now=now, user_id=caller.user_id
    ):
        raise Conflict("this request is closed already")
    audit.record(
        conn,
        user_id=caller.user_id,
        organization_id=caller.organization_id,
        action="handoff.close",
        subject=f"handoff:{request_id}",
        now=now,
    )
    return int(row.contact_id)
