"""Senders: how the dispatcher hands messages out, many at once, and finds one again after a
crash (`find`), so that a message whose outcome we never heard is reconciled instead of sent
twice. Twilio's sender is `bot.twilio.client.TwilioSender`; the console's is here.

    async with TwilioSender.from_settings(settings) as sender:
        result = await sender.send(Outgoing("+14155550100", "sms", "Polls close at 8pm",
                                            status_callback=url))
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TextIO

from bot.phones import mask

# What a send that reached nobody looks like: no SID, and the request never left (connection
# refused): safe to try again. A timeout or a dropped connection after the request went out is
# different: Twilio may have created the message, so the row is left for reconciliation.
NOT_SENT = "not_sent"
IN_DOUBT = "in_doubt"
SKIPPED = "skipped"  # not sent, for the reason in error_message (decided just before sending)


@dataclass(frozen=True)
class SendResult:
    """What a sender answered: the message's SID and status, or the error that stopped it."""

    sid: str | None
    status: str  # queued, sent, failed, not_sent, in_doubt, skipped ...
    error_code: int | None = None
    error_message: str | None = None
    retryable: bool = False  # 429 / 20429 / 5xx / refused connection: try again later


@dataclass(frozen=True)
class Outgoing:
    """One message to create: free text (`body`) or an approved WhatsApp template."""

    to: str  # E.164, without the whatsapp: prefix
    channel: str  # sms | whatsapp
    body: str | None = None
    content_sid: str | None = None  # WhatsApp template (Content API), outside the 24 h window
    content_variables: Mapping[str, str] | None = None
    status_callback: str | None = None


class Sender(Protocol):
    """Something that creates messages and can find one it may have created."""

    async def send(self, message: Outgoing) -> SendResult:
        """Create the message; errors come back in the result, never as an exception."""
        ...

    async def find(self, message: Outgoing, since: datetime) -> str | bool | None:
        """The SID of this message if it was created since `since`; None when it was not;
        False when the sender cannot tell (Twilio unreachable): try again later."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@dataclass
class ConsoleSender:
    """Prints each message: `turnout serve --demo` without Twilio."""

    stream: TextIO = field(default_factory=lambda: sys.stdout)
    channels: frozenset[str] = frozenset({"sms", "whatsapp"})

    async def send(self, message: Outgoing) -> SendResult:
        """Write the message to the stream."""
        text = message.body or f"[template {message.content_sid}]"
        self.stream.write(f"--> {message.channel} {mask(message.to)}\n{text}\n\n")
        self.stream.flush()
        return SendResult(f"CO{uuid.uuid4().hex}", "delivered")  # unique across passes

    async def find(self, message: Outgoing, since: datetime) -> str | bool | None:
        """The console keeps nothing: a message in doubt was printed or not; say not."""
        return None

    async def close(self) -> None:
        """Nothing to release."""
