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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from bot import metrics
from bot.conversation import handoffs, lookups
from bot.conversation.consent import apply_effects
from bot.conversation.store import ContactState, begin_inbound, write_back
from bot.phones import Address, mask
from bot.runtime import Runtime
from bot.tables import CONTACTS, INBOUND
from bot.twilio.twiml import EMPTY_TWIML, twiml_for
from flows.engine import ContactView, Effect, Event, Result, step
from flows.model import EffectKind

log = logging.getLogger(__name__)
HANDOFF_FLOW = "handoff."
HELD = timedelta(days=36500)  # no idle restart while a person has the voter's request

# Twilio's Advanced Opt-Out already answered these keywords; we record them and stay quiet.
ADVANCED_OPT_OUT = {
    "STOP": EffectKind.OPT_OUT,
    "START": EffectKind.OPT_IN,
    "HELP": EffectKind.HELP,
}
MAX_LOOKUPS = 3  # a flow may ask, get an answer, and ask again (name, then date of birth)


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
class Rendered:
    """A reply as sent: its catalog key and its text in the contact's language."""

    key: str
    text: str


@dataclass(frozen=True)
class Handled:
    """What the webhook answers with: the TwiML, and the replies when first processed."""

    twiml: str
    replies: list[Rendered]
    duplicate: bool = False


def _run_engine(
    conn: Connection,
    rt: Runtime,
    msg: Inbound,
    contact: ContactState,
    state: dict[str, Any] | None,
    now: datetime,
    waiting: bool,
) -> Result:
    kind = ADVANCED_OPT_OUT.get((msg.opt_out_type or "").upper())
    if kind:
        kept = None if kind is EffectKind.OPT_OUT else state
        return Result(kept, [], [Effect(kind, source="twilio")])
    detected = None
    if contact.language is None and msg.body.strip():
        detected = rt.identifier.detect(msg.body).language
    view = ContactView(contact.language, contact.opted_out, contact.reminders)
    event = Event(text=msg.body, media_count=msg.num_media, detected_language=detected)
    # While a person has the voter's request, the conversation waits for them however long.
    idle = HELD if waiting else rt.idle
    result = step(rt.flows, rt.lexicon, state, event, view, now, idle)
    for _ in range(MAX_LOOKUPS):
        request = next((e for e in result.effects if e.kind is EffectKind.LOOKUP), None)
        if request is None:
            break
        language = (
            next(
                (e.value for e in result.effects if e.kind is EffectKind.SET_LANGUAGE),
                view.language,
            )
            or rt.settings.default_language
        )
        found = lookups.answer(rt, conn, request, contact_id=contact.id, language=language, now=now)
        view = ContactView(language, view.opted_out, view.reminders)
        more = step(rt.flows, rt.lexicon, result.state, Event(lookup=found), view, now, idle)
        effects = [e for e in result.effects if e is not request]
        result = Result(more.state, [*result.replies, *more.replies], effects + more.effects)
    return result


def _reply_rows(
    rt: Runtime,
    msg: Inbound,
    contact: ContactState,
    inbound_id: int,
    result: Result,
    now: datetime,
) -> list[dict[str, Any]]:
    language = contact.language or rt.settings.default_language
    return [
        {
            "contact_id": contact.id,
            "inbound_id": inbound_id,
            "channel": msg.sender.channel,
            "to_address": msg.sender.twilio,
            "body": rt.render(r.key, language, r.params),
            "message_key": r.key,
            "language": language,
            "status": "replied",
            "twilio_sid": None,
            "error_code": None,
            "created_at": now,
            "updated_at": now,
        }
        for r in result.replies
    ]


class Duplicate(Exception):
    """This MessageSid was processed before: roll back whatever this transaction did and
    answer with `duplicate_reply`."""


def duplicate_reply(conn: Connection, msg: Inbound) -> Handled:
    """The reply recorded the first time, for the texter who sent it; nothing for anyone else
    who sends the same SID (it would be someone else's conversation)."""
    metrics.DUPLICATES.inc()
    stored = conn.execute(
        select(INBOUND.c.reply_twiml, CONTACTS.c.phone)
        .join(CONTACTS, CONTACTS.c.id == INBOUND.c.contact_id)
        .where(INBOUND.c.message_sid == msg.message_sid)
    ).first()
    if stored is None or stored.phone != msg.sender.phone:
        log.warning(
            "inbound duplicate SID from another sender %s: not answered", mask(msg.sender.phone)
        )
        return Handled(twiml=EMPTY_TWIML, replies=[], duplicate=True)
    log.info("inbound duplicate from %s answered as the first time", mask(msg.sender.phone))
    return Handled(twiml=stored.reply_twiml or EMPTY_TWIML, replies=[], duplicate=True)


def _open_request(conn: Connection, contact_id: int, state: dict[str, Any] | None) -> Any:
    """The contact's open request for a person, looked for only when their conversation is in
    the handoff flow (the hot path of everyone else pays nothing)."""
    if not state or not str(state.get("node", "")).startswith(HANDOFF_FLOW):
        return None
    return handoffs.open_for(conn, contact_id)


def _follow_request(
    conn: Connection,
    msg: Inbound,
    contact: ContactState,
    request: Any,
    state: dict[str, Any] | None,
    now: datetime,
) -> None:
    """Open or touch the voter's request for a person; close it when they left the handoff
    flow (STOP, MENU): the bot is theirs again."""
    if contact.handoff:
        handoffs.open_or_touch(
            conn,
            contact_id=contact.id,
            channel=msg.sender.channel,
            language=contact.language,
            now=now,
        )
        return
    still = bool(state) and str((state or {}).get("node", "")).startswith(HANDOFF_FLOW)
    if request is not None and not still:
        reason = "stop" if contact.opted_out else "menu"
        handoffs.close(conn, request_id=int(request.id), reason=reason, now=now)


def handle_inbound(
    conn: Connection, rt: Runtime, msg: Inbound, now: datetime, status_url: str | None = None
) -> Handled:
    """Process one inbound message exactly once, in the caller's transaction. A MessageSid
    seen before raises `Duplicate`: the caller rolls back (so that the repeat changes nothing:
    no contact made, no WhatsApp window moved) and answers with `duplicate_reply`."""
    inbound = {
        "message_sid": msg.message_sid,
        "channel": msg.sender.channel,
        "to_address": msg.to_address,
        "body": msg.body,
        "num_media": msg.num_media,
        "received_at": now,
    }
    contact, state, inbound_id = begin_inbound(
        conn, msg.sender.channel, msg.sender.phone, inbound, now
    )
    if inbound_id is None:
        raise Duplicate(msg.message_sid)
    rt.translations.refresh(conn)  # a clock reading; a look every second or after a review
    request = _open_request(conn, contact.id, state)
    result = _run_engine(conn, rt, msg, contact, state, now, waiting=request is not None)
    apply_effects(contact, result.effects, msg.sender.channel, msg.body, now)
    rows = _reply_rows(rt, msg, contact, inbound_id, result, now)
    twiml = twiml_for([row["body"] for row in rows], status_url, inbound_id)
    write_back(conn, contact, result.state, rows, inbound_id, twiml, now)
    _follow_request(conn, msg, contact, request, result.state, now)
    metrics.INBOUND.labels(msg.sender.channel).inc()
    if rows:
        metrics.REPLIES.labels(msg.sender.channel, contact.language or "-").inc(len(rows))
    log.info(
        "inbound %s from %s: %d replies, effects %s",
        msg.sender.channel,
        mask(msg.sender.phone),
        len(rows),
        ",".join(e.kind for e in result.effects) or "-",
    )
    log.debug("inbound body from %s: %r", mask(msg.sender.phone), msg.body)
    return Handled(twiml=twiml, replies=[Rendered(row["message_key"], row["body"]) for row in rows])
