"""Twilio status callbacks: move an outbound row along, and honor carrier opt-outs (21610)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.conversation.consent import carrier_opt_out
from bot.conversation.store import outbound_at
from bot.models import Contact, OutboundMessage
from bot.phones import AddressError, mask, parse_address
from bot.twilio.codes import REPLY_RANK, UNSUBSCRIBED

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StatusUpdate:
    """The fields of a status callback we use."""

    message_sid: str
    status: str | None  # None: a status Twilio does not document (nothing is changed)
    error_code: int | None = None
    to: str | None = None


def _find(
    session: Session, update: StatusUpdate, reply: tuple[int, int] | None
) -> OutboundMessage | None:
    """The outbound row: by Twilio's SID once known, else as the n-th reply to an inbound."""
    found = session.scalars(
        select(OutboundMessage).where(col(OutboundMessage.twilio_sid) == update.message_sid)
    ).first()
    if found is None and reply is not None:
        outbound_id = outbound_at(session.connection(), *reply)
        found = session.get(OutboundMessage, outbound_id) if outbound_id else None
    return found


def handle_status(
    session: Session,
    update: StatusUpdate,
    reply: tuple[int, int] | None,
    now: datetime,
    region: str,
) -> OutboundMessage | None:
    """Apply one status callback; return the row it updated, if any. A callback naming another
    SID than the reply's own changes nothing."""
    if update.status is None:
        return None
    row = _find(session, update, reply)
    if row is not None and row.twilio_sid not in (None, update.message_sid):
        row = None
    if row is not None:
        if row.twilio_sid is None:
            row.twilio_sid = update.message_sid
        if REPLY_RANK.get(update.status, 0) >= REPLY_RANK.get(row.status, 0):
            row.status = update.status
        if update.error_code is not None:
            row.error_code = update.error_code
        row.updated_at = now
    if update.error_code == UNSUBSCRIBED:
        _carrier_opt_out(session, row, update.to, region, now)
    log.info(
        "status %s for outbound %s to %s (error %s)",
        update.status,
        row.id if row else "unknown",
        mask(update.to),
        update.error_code or "-",
    )
    return row


def _carrier_opt_out(
    session: Session, row: OutboundMessage | None, to: str | None, region: str, now: datetime
) -> None:
    """The carrier says the recipient texted STOP to it: never text them again."""
    contact_id = _contact_id(session, row, to, region)
    if contact_id is not None:
        carrier_opt_out(session.connection(), contact_id, row.channel if row else "sms", now)


def _contact_id(
    session: Session, row: OutboundMessage | None, to: str | None, region: str
) -> int | None:
    if row is not None:
        return row.contact_id
    if not to:
        return None
    try:
        phone = parse_address(to, region).phone
    except AddressError:
        return None
    return session.scalars(select(Contact.id).where(col(Contact.phone) == phone)).first()
