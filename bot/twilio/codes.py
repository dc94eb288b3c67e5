"""Twilio's error codes and message statuses, and what each means to Turnout: one table each.

Statuses are Twilio's documented set (the Message resource's `status`); a callback with any
other value is answered, counted as `unknown` and changes nothing.
"""

from __future__ import annotations

from typing import Final

from bot.statuses import OutboxStatus

# Errors that end a message for good, and what they mean for the contact.
UNSUBSCRIBED: Final = 21610  # the recipient replied STOP to the carrier: opted out everywhere
INVALID_NUMBER: Final = 21211
TOO_MANY_REQUESTS: Final = 20429  # slow down (with HTTP 429): try again later
FILTERED: Final = 30007  # the carrier filtered it as spam: report it, do not retry
WHATSAPP_WINDOW_CLOSED: Final = 63016  # free text outside WhatsApp's 24 hours: try SMS

# Why an outbox row failed, by Twilio's error code.
REASONS: Final = {
    UNSUBSCRIBED: "opted_out",
    INVALID_NUMBER: "invalid_number",
    FILTERED: "filtered",
    WHATSAPP_WINDOW_CLOSED: "whatsapp_window",
}

# Twilio's message statuses, in the order a message moves through them; a late callback never
# moves a reply backwards (callbacks can arrive out of order). `replied`/`pending` are ours.
REPLY_RANK: Final = {
    "replied": 0,
    "pending": 0,
    "accepted": 1,
    "scheduled": 1,
    "queued": 2,
    "sending": 3,
    "sent": 4,
    "delivered": 5,
    "read": 6,
    "partially_delivered": 5,
    "undelivered": 5,
    "failed": 5,
    "canceled": 5,
}
# Statuses of an outbound message that Twilio documents (inbound ones are not sent to us).
MESSAGE_STATUSES: Final = frozenset(REPLY_RANK) - {"replied", "pending"} | {
    "receiving",
    "received",
}

# Twilio's statuses, as the outbox counts them.
OUTBOX_STATUS: Final = {
    "accepted": OutboxStatus.SENT,
    "scheduled": OutboxStatus.SENT,
    "queued": OutboxStatus.SENT,
    "sending": OutboxStatus.SENT,
    "sent": OutboxStatus.SENT,
    "delivered": OutboxStatus.DELIVERED,
    "read": OutboxStatus.DELIVERED,
    "partially_delivered": OutboxStatus.DELIVERED,
    "undelivered": OutboxStatus.UNDELIVERED,
    "failed": OutboxStatus.FAILED,
    "canceled": OutboxStatus.FAILED,
}
# The outbox's statuses in the order a row moves; a late callback never moves one back.
OUTBOX_RANK: Final = {
    OutboxStatus.PENDING: 0,
    OutboxStatus.DEFERRED: 0,
    OutboxStatus.CLAIMED: 1,
    OutboxStatus.SENDING: 2,
    OutboxStatus.REVIEW: 2,
    OutboxStatus.SENT: 3,
    OutboxStatus.DELIVERED: 4,
    OutboxStatus.UNDELIVERED: 4,
    OutboxStatus.FAILED: 4,
}


def reason_for(code: int | None) -> str:
    """Why an outbox row failed, from Twilio's error code."""
    return REASONS.get(code or 0, "twilio_error")


def known_status(value: str) -> str | None:
    """A status as Twilio documents it, or None for anything else (never stored as is)."""
    status = value.strip().lower()
    return status if status in MESSAGE_STATUSES else None
