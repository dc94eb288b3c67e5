"""A person's reply to a voter, and the bot's word that a request is closed: each a send of
kind `reply` with one outbox row, sent by the dispatcher like any other message (an outbox
row first, then the Twilio call, then status callbacks), exactly once however often the form
is submitted (its one-time token is the send's idempotency key).

The channel is the one the voter wrote on: WhatsApp free text inside its 24-hour window, else
the reply template for their language when one is configured (TURNOUT_REPLY_TEMPLATES), else
SMS when they have an SMS channel; else the reply is refused with the reason. Quiet hours do
not hold back a reply while the voter has written within the last hour; otherwise they do, and
the answer says when it will go.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from bot import metrics
from bot.access import Caller
from bot.accounts import audit
from bot.conversation import handoffs, inbox
from bot.errors import Conflict, Invalid, NotFound
from bot.sending import rules
from bot.sending.sends import MAX_TEXT, create_send
from bot.settings import Settings
from bot.sql import upsert_insert
from bot.statuses import OutboxStatus, SendKind, SendStatus
from bot.tables import CONTACTS, MEMBERSHIPS, OUTBOX, SENDS


@dataclass(frozen=True)
class Queued:
    """A reply, queued: its send, the channel it will take and when it goes (None: now)."""

    send_id: int
    channel: str
    goes_at: dt.datetime | None
    again: bool  # the same form was submitted before: nothing new was queued


def clean_text(raw: str) -> str:
    """What a person typed, without characters nobody sees (NUL, other controls); Invalid if
    nothing is left or it is longer than Twilio takes."""
    text = "".join(ch for ch in raw if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()
    if not text:
        raise Invalid("body: write a reply first", where="body")
    if len(text) > MAX_TEXT:
        raise Invalid(f"body: at most {MAX_TEXT} characters", where="body")
    return text


def _contact(conn: Connection, contact_id: int) -> Any:
    c, m = CONTACTS.c, MEMBERSHIPS.c
    listed = select(m.id).where(m.contact_id == c.id).exists()
    return conn.execute(select(CONTACTS, listed.label("listed")).where(c.id == contact_id)).first()


def way(contact: Any, *, settings: Settings, now: dt.datetime) -> tuple[str, str | None]:
    """(channel, WhatsApp template) a reply to this contact takes; Invalid when none can."""
    available = frozenset({"sms"} | ({"whatsapp"} if settings.twilio_whatsapp_from else set()))
    found = rules.route(
        sms_last_inbound=contact.sms_last_inbound_at,
        whatsapp_last_inbound=contact.whatsapp_last_inbound_at,
        has_sms_consent=bool(contact.listed),
        template=settings.reply_templates.get(contact.language or settings.default_language),
        available=available,
        now=now,
    )
    if found.channel is None:
        raise Invalid(
            "this voter wrote on WhatsApp more than 24 hours ago and has no SMS number with "
            "us: WhatsApp takes only an approved template then (set TURNOUT_REPLY_TEMPLATES), "
            "so the reply can go once they write again",
            where="body",
        )
    return found.channel, found.content_sid


def goes_at(contact: Any, *, settings: Settings, now: dt.datetime) -> dt.datetime | None:
    """When a reply to this contact can go: now (None) or the opening of their allowed hours."""
    last = max(
        (t for t in (contact.sms_last_inbound_at, contact.whatsapp_last_inbound_at) if t),
        default=None,
    )
    if last is not None and now - _aware(last) < rules.RECENT:
        return None
    tz = rules.contact_zone(
        contact_zone_name=contact.timezone,
        zip_code=None,
        phone=contact.phone,
        election_zone_name=None,
        default_zone_name=settings.timezone,
        now=now,
    )
    return rules.next_allowed(now, tz, *settings.allowed_hours)


def _aware(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def reply(
    conn: Connection,
    *,
    caller: Caller,
    contact_id: int,
    text: str,
    key: str,
    settings: Settings,
    now: dt.datetime,
) -> Queued:
    """Queue a person's reply to a voter (on their open request, if any)."""
    caller.require_change()
    if not inbox.can_see_contact(conn, caller=caller, contact_id=contact_id):
        raise NotFound()
    if not 16 <= len(key) <= 64 or not key.isascii():
        raise Invalid("the form is out of date: reload the page", where="key")
    existing = conn.execute(
        select(SENDS.c.id, SENDS.c.audience).where(SENDS.c.idempotency_key == key)
    ).first()
    contact = _contact(conn, contact_id)
    if existing is not None:
        channel, _ = way(contact, settings=settings, now=now)
        return Queued(int(existing.id), channel, None, again=True)
    if contact.opted_out:
        raise Conflict("this voter texted STOP: nothing more can be sent to them")
    body = clean_text(text)
    channel, template = way(contact, settings=settings, now=now)
    request = handoffs.open_for(conn, contact_id)
    send_id = _queue(
        conn,
        contact=contact,
        body=body,
        template=template,
        key=key,
        organization_id=caller.organization_id,
        author_id=caller.user_id,
        request_id=int(request.id) if request else None,
        now=now,
    )
    if send_id is None:  # the same form, submitted twice at the same moment
        again = conn.execute(select(SENDS.c.id).where(SENDS.c.idempotency_key == key)).scalar_one()
        return Queued(int(again), channel, None, again=True)
    if request is not None:
        opened = handoffs.answered(conn, request_id=int(request.id), now=now)
        if opened is not None:
            metrics.FIRST_ANSWER.observe((now - opened).total_seconds())
    metrics.PEOPLES_REPLIES.labels(channel).inc()
    audit.record(
        conn,
        user_id=caller.user_id,
        organization_id=caller.organization_id,
        action="handoff.reply",
        subject=f"contact:{contact_id}",
        detail={"send": send_id, "channel": channel, "request": request.id if request else None},
        now=now,
    )
    return Queued(send_id, channel, goes_at(contact, settings=settings, now=now), again=False)


def _queue(
    conn: Connection,
    *,
    contact: Any,
    body: str | None,
    template: str | None,
    key: str | None,
    organization_id: int | None,
    author_id: int | None,
    request_id: int | None,
    now: dt.datetime,
    message_key: str | None = None,
) -> int | None:
    """The reply's send and its one outbox row, due now (the rules defer it if they must);
    None when a send with this key exists already."""
    language = contact.language or "en"
    values: dict[str, Any] = {
        "kind": SendKind.REPLY,
        "organization_id": organization_id,
        "name": "Reply" if author_id else "Back with the bot",
        "status": SendStatus.SENDING,
        "send_at": now,
        "texts": {language: body} if body else None,
        "message_key": message_key,
        "templates": {language: template} if template else None,
        "audience": {"contact_id": int(contact.id)},
        "idempotency_key": key,
        "handoff_id": request_id,
        "author_id": author_id,
        "recipients": 1,
        "started_at": now,
    }
    if key is None:
        send_id = create_send(conn, values, now)
    else:
        row = {"edited": False, **values, "created_at": now, "updated_at": now}
        statement = (
            upsert_insert(conn, SENDS)
            .values(row)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(SENDS.c.id)
        )
        found = conn.execute(statement).scalar()
        if found is None:
            return None
        send_id = int(found)
    conn.execute(
        insert(OUTBOX).values(
            send_id=send_id,
            contact_id=int(contact.id),
            language=language,
            zip=None,
            listed=bool(contact.listed),
            status=OutboxStatus.PENDING,
            available_at=now,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
    )
    return send_id


def hand_back(conn: Connection, *, contact_id: int, now: dt.datetime) -> int | None:
    """Tell a voter whose request closed that they are back with the bot, and how to reach a
    person again (a catalog message in their language); nothing to an opted-out voter."""
    contact = _contact(conn, contact_id)
    if contact is None or contact.opted_out:
        return None
    return _queue(
        conn,
        contact=contact,
        body=None,
        template=None,
        key=None,
        organization_id=None,
        author_id=None,
        request_id=None,
        now=now,
        message_key="handoff.back",
    )


def close_unanswered(conn: Connection, *, timeout: dt.timedelta, now: dt.datetime) -> int:
    """Close the requests nobody answered for `timeout` (TURNOUT_HANDOFF_TIMEOUT_HOURS): the
    voter is back with the bot, and told so. Returns how many were closed."""
    closed = 0
    for row in handoffs.unanswered_since(conn, older_than=now - timeout):
        if handoffs.close(conn, request_id=int(row.id), reason="timeout", now=now):
            hand_back(conn, contact_id=int(row.contact_id), now=now)
            closed += 1
    return closed
