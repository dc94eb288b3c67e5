"""Twilio status callbacks: move an outbound row along, and honor carrier opt-outs (21610)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from bot import metrics
from bot.consent import opt_out
from bot.models import Contact, OutboundMessage
from bot.phones import AddressError, mask, parse_address

log = logging.getLogger(__name__)

# Twilio's statuses, in the order a message moves through them; a late callback never
# moves a row backwards (callbacks can arrive out of order).
RANK = {
    "replied": 0,
    "pending": 0,
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "read": 6,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
}
UNSUBSCRIBED = 21610  # the recipient replied STOP to the carrier: never text them again
WHATSAPP_WINDOW_CLOSED = 63016  # free text outside WhatsApp's 24-hour window


@dataclass(frozen=True)
class StatusUpdate:
    """The fields of a status callback we use."""

    message_sid: str
    status: str
    error_code: int | None = None
    to: str | None = None


def _find(
    session: Session, update: StatusUpdate, outbound_id: int | None
) -> OutboundMessage | None:
    conditions = [col(OutboundMessage.twilio_sid) == update.message_sid]
    if outbound_id is not None:
        conditions.append(col(OutboundMessage.id) == outbound_id)
    return session.scalars(select(OutboundMessage).where(or_(*conditions))).first()


def handle_status(
    session: Session, update: StatusUpdate, outbound_id: int | None, now: datetime, region: str
) -> OutboundMessage | None:
    """Apply one status callback; return the row it updated, if any."""
    metrics.STATUS_CALLBACKS.labels(update.status or "unknown").inc()
    row = _find(session, update, outbound_id)
    if row is not None:
        if row.twilio_sid is None:
            row.twilio_sid = update.message_sid
        if RANK.get(update.status, 0) >= RANK.get(row.status, 0):
            row.status = update.status
        if update.error_code is not None:
            row.error_code = update.error_code
        row.updated_at = now
    if update.error_code == UNSUBSCRIBED:
        contact = _contact_for(session, row, update.to, region)
        if contact is not None and not contact.opted_out:
            opt_out(
                session,
                contact,
                channel=row.channel if row else "sms",
                source="carrier",
                text=f"Twilio error {UNSUBSCRIBED}",
                now=now,
            )
    log.info(
        "status %s for outbound %s to %s (error %s)",
        update.status,
        row.id if row else "unknown",
        mask(update.to),
        update.error_code or "-",
    )
    return row


def _contact_for(
    session: Session, row: OutboundMessage | None, to: str | None, region: str
) -> Contact | None:
    if row is not None:
        return session.get(Contact, row.contact_id)
    if not to:
        return None
    try:
        phone = parse_address(to, region).phone
    except AddressError:
        return None
    return session.scalars(select(Contact).where(col(Contact.phone) == phone)).first()
