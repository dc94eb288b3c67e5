"""Channels: what a send answers, and the console channel of `turnout chat`.

Messages Turnout sends on its own (blasts, reminders, tests) go through `bot.twilio.sender`: the
Twilio sender (SMS and WhatsApp, up to a hundred requests in flight) and the console sender of
`turnout serve` without Twilio. Replies to inbound messages go back in the webhook's TwiML,
with no network call inside the request's transaction.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Protocol, TextIO

TWILIO_API = "https://api.twilio.com"


@dataclass(frozen=True)
class SendResult:
    """What a channel answered: Twilio's SID and status, or the error that stopped it."""

    sid: str | None
    status: str  # queued, sent, failed ...
    error_code: int | None = None
    error_message: str | None = None
    retryable: bool = False  # 429 / 20429 / 5xx: try again later


class Channel(Protocol):
    """Something that can deliver one text to one address, at once."""

    name: str

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SendResult:
        """Send `body` to the E.164 number `to`."""
        ...


@dataclass
class ConsoleChannel:
    """Prints messages to a terminal: `turnout chat`."""

    stream: TextIO = field(default_factory=lambda: sys.stdout)
    name: str = "console"

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SendResult:
        """Write the message to the stream."""
        self.stream.write(f"{body}\n\n")
        self.stream.flush()
        return SendResult(None, "delivered")
