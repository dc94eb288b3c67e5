"""The conversation service: the one place that loads state, runs the engine, applies its
effects, renders the replies and persists it all, inside the caller's transaction.

One inbound text: upsert the contact (its row lock on PostgreSQL serializes one texter's
messages) → insert the inbound message (a repeated MessageSid conflicts and gets the reply
recorded the first time) → engine step → effects → replies rendered in the contact's language
and recorded as outbound rows → TwiML stored on the inbound row. No network call inside.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select
from twilio.twiml.messaging_response import MessagingResponse

from bot import metrics
from bot.consent import apply_effects
from bot.models import Contact, Conversation, InboundMessage, OutboundMessage
from bot.phones import Address, mask
from bot.runtime import Runtime
from bot.sql import insert_for
from flows.engine import ContactView, Effect, Event, Result, step

log = logging.getLogger(__name__)

# Twilio's Advanced Opt-Out already answered these keywords; we record them and stay quiet.
ADVANCED_OPT_OUT = {"STOP": "opt_out", "START": "opt_in", "HELP": "help"}
LAST_INBOUND = {"sms": "sms_last_inbound_at", "whatsapp": "whatsapp_last_inbound_at"}


@dataclass(frozen=True)
class Inbound:
    """One inbound message, already validated by the webhook (or typed in `turnout chat`)."""

    message_sid: str
    sender: Address
    to_address: str
    body: str = ""
    num_media: int = 0
    opt_out_type: str | None = None  # Twilio's OptOutType field


@dataclass(frozen=True)
class Reply:
    """A reply as sent: its outbound row, catalog key and text."""

    outbound_id: int
    key: str
    text: str


@dataclass(frozen=True)
class Handled:
    """What the webhook answers with: the TwiML, and the replies when first processed."""

    twiml: str
    replies: list[Reply]
    duplicate: bool = False


def upsert_contact(session: Session, address: Address, now: datetime) -> Contact:
    """The contact for a phone number, created if new, with its channel's last inbound time."""
    values: dict[str, object] = {"phone": address.phone, "created_at": now, "updated_at": now}
    changes: dict[str, object] = {"updated_at": now}
    column = LAST_INBOUND.get(address.channel)
    if column:
        values[column] = changes[column] = now
    stmt = (
        insert_for(session, Contact)
        .values(**values)
        .on_conflict_do_update(index_elements=["phone"], set_=changes)
        .returning(Contact)
    )
    contact: Contact = session.scalars(stmt, execution_options={"populate_existing": True}).one()
    return contact


def _record_inbound(session: Session, msg: Inbound, contact: Contact, now: datetime) -> int | None:
    stmt = (
        insert_for(session, InboundMessage)
        .values(
            message_sid=msg.message_sid,
            contact_id=contact.id,
            channel=msg.sender.channel,
            to_address=msg.to_address,
            body=msg.body,
            num_media=msg.num_media,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["message_sid"])
        .returning(InboundMessage.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def _run_engine(
    rt: Runtime, msg: Inbound, contact: Contact, state: dict[str, object] | None, now: datetime
) -> Result:
    kind = ADVANCED_OPT_OUT.get((msg.opt_out_type or "").upper())
    if kind:
        return Result(None if kind == "opt_out" else state, [], [Effect(kind, source="twilio")])
    detected = None
    if contact.language is None and msg.body.strip():
        detected = rt.identifier.detect(msg.body).language
    view = ContactView(contact.language, contact.opted_out, contact.reminders)
    event = Event(text=msg.body, media_count=msg.num_media, detected_language=detected)
    return step(rt.flows, rt.lexicon, state, event, view, now, rt.idle)


def _save_state(
    session: Session, contact_id: int, conv: Conversation | None, result: Result, now: datetime
) -> None:
    if conv is None:
        session.add(Conversation(contact_id=contact_id, state=result.state, last_activity_at=now))
    else:
        conv.state, conv.last_activity_at = result.state, now


def _record_replies(
    session: Session,
    rt: Runtime,
    msg: Inbound,
    contact: Contact,
    inbound_id: int,
    result: Result,
    now: datetime,
) -> list[Reply]:
    contact_id = contact.id
    assert contact_id is not None
    rows = [
        OutboundMessage(
            contact_id=contact_id,
            inbound_id=inbound_id,
            channel=msg.sender.channel,
            to_address=msg.sender.twilio,
            body=rt.render(r.key, contact.language),
            message_key=r.key,
            language=contact.language or rt.settings.default_language,
            status="replied",
            created_at=now,
            updated_at=now,
        )
        for r in result.replies
    ]
    session.add_all(rows)
    session.flush()
    return [Reply(row.id or 0, row.message_key or "", row.body) for row in rows]


def twiml_for(replies: list[Reply], status_url: str | None) -> str:
    """TwiML with one <Message> per reply; Twilio posts each one's status to `status_url`."""
    response = MessagingResponse()
    for reply in replies:
        if status_url:
            response.message(reply.text, action=f"{status_url}?o={reply.outbound_id}")
        else:
            response.message(reply.text)
    return str(response)


def handle_inbound(
    session: Session, rt: Runtime, msg: Inbound, now: datetime, status_url: str | None = None
) -> Handled:
    """Process one inbound message exactly once; the caller commits."""
    contact = upsert_contact(session, msg.sender, now)
    inbound_id = _record_inbound(session, msg, contact, now)
    if inbound_id is None:
        metrics.DUPLICATES.inc()
        stored = session.execute(
            select(InboundMessage.reply_twiml).where(
                col(InboundMessage.message_sid) == msg.message_sid
            )
        ).scalar_one_or_none()
        log.info("inbound duplicate from %s answered as the first time", mask(msg.sender.phone))
        return Handled(twiml=stored or str(MessagingResponse()), replies=[], duplicate=True)
    assert contact.id is not None
    conv = session.get(Conversation, contact.id)
    result = _run_engine(rt, msg, contact, conv.state if conv else None, now)
    apply_effects(session, contact, result.effects, msg.sender.channel, msg.body, now)
    _save_state(session, contact.id, conv, result, now)
    replies = _record_replies(session, rt, msg, contact, inbound_id, result, now)
    twiml = twiml_for(replies, status_url)
    session.execute(
        update(InboundMessage).where(col(InboundMessage.id) == inbound_id).values(reply_twiml=twiml)
    )
    metrics.INBOUND.labels(msg.sender.channel).inc()
    if replies:
        metrics.REPLIES.labels(msg.sender.channel, contact.language or "-").inc(len(replies))
    log.info(
        "inbound %s from %s: %d replies, effects %s",
        msg.sender.channel,
        mask(msg.sender.phone),
        len(replies),
        ",".join(e.kind for e in result.effects) or "-",
    )
    log.debug("inbound body from %s: %r", mask(msg.sender.phone), msg.body)
    return Handled(twiml=twiml, replies=replies)
