"""The values of status columns, as enums: a typo is a type error, and each set is closed.

Each enum is a `StrEnum`, so a member compares equal to (and is stored as) its value.
"""

from __future__ import annotations

from enum import StrEnum


class SendKind(StrEnum):
    """What a row of `sends` is."""

    BLAST = "blast"
    REMINDER = "reminder"
    TEST = "test"
    REPLY = "reply"  # a person's answer to a voter who asked for one


class SendStatus(StrEnum):
    """A send: scheduled -> sending -> done; paused (and resumed); cancelled."""

    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    """One recipient of one send (see `bot.sending.outbox`)."""

    PENDING = "pending"
    DEFERRED = "deferred"  # quiet hours: waits for the recipient's allowed hours
    CLAIMED = "claimed"  # held by one dispatcher, rules being checked or checked
    SENDING = "sending"  # written before the request to Twilio
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    SKIPPED = "skipped"  # with a SkipReason
    REVIEW = "review"  # in doubt after a crash and Twilio could not say: a person decides


class SkipReason(StrEnum):
    """Why an outbox row was not sent."""

    OPTED_OUT = "opted_out"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    FREQUENCY_CAP = "frequency_cap"
    WHATSAPP_WINDOW = "whatsapp_window"
    NO_CHANNEL = "no_channel"
    NO_TEXT = "no_text"


class HandoffStatus(StrEnum):
    """A voter's request for a person."""

    OPEN = "open"
    CLOSED = "closed"


class ImportStatus(StrEnum):
    """A contact import."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


# Outbox rows still to be decided, and those a dispatcher holds.
WAITING = (OutboxStatus.PENDING, OutboxStatus.DEFERRED)
IN_FLIGHT = (OutboxStatus.CLAIMED, OutboxStatus.SENDING)
# A send that may still send something.
OPEN_SENDS = (SendStatus.SCHEDULED, SendStatus.SENDING, SendStatus.PAUSED)
