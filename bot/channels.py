"""Channels: how a message leaves Turnout. Twilio SMS, Twilio WhatsApp, the console, and a
recording channel for tests, all behind one small protocol.

    channel = TwilioChannel.sms(settings)
    result = channel.send("+14155550100", "Polls close at 8pm", status_callback=url)
    result.sid  # Twilio's SM... id, recorded on the outbound row

The scheduler's dispatcher (and `turnout chat`) call `send`; replies to inbound messages go back
in the webhook's TwiML instead, with no network call inside the request's transaction.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.rest import Client

from bot.settings import Settings

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
    """Something that can deliver one text to one address."""

    name: str

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SendResult:
        """Send `body` to the E.164 number `to`."""
        ...


class RebasingHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio ships no types
    """The twilio package's HTTP client, pointed at TWILIO_API_BASE_URL instead of Twilio."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> TwilioResponse:
        """Send the request to the configured base URL."""
        if url.startswith(TWILIO_API):
            url = self.base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


def twilio_client(settings: Settings) -> Client:
    """A Twilio REST client from the settings, honoring TWILIO_API_BASE_URL."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token):
        raise RuntimeError("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to send through Twilio")
    http = None
    if settings.twilio_api_base_url.rstrip("/") != TWILIO_API:
        http = RebasingHttpClient(settings.twilio_api_base_url)
    return Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=http)


def _retryable(exc: TwilioRestException) -> bool:
    return bool(exc.status == 429 or exc.code == 20429 or exc.status >= 500)


@dataclass
class TwilioChannel:
    """Twilio's Messages API, for SMS or WhatsApp (the `whatsapp:` prefix on both ends)."""

    client: Client
    name: str
    from_: str | None = None
    messaging_service_sid: str | None = None

    @classmethod
    def sms(cls, settings: Settings, client: Client | None = None) -> TwilioChannel:
        """SMS from TWILIO_MESSAGING_SERVICE_SID, else TWILIO_SMS_FROM."""
        if not (settings.twilio_messaging_service_sid or settings.twilio_sms_from):
            raise RuntimeError("set TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID to send SMS")
        return cls(
            client or twilio_client(settings),
            "sms",
            from_=settings.twilio_sms_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
        )

    @classmethod
    def whatsapp(cls, settings: Settings, client: Client | None = None) -> TwilioChannel:
        """WhatsApp from TWILIO_WHATSAPP_FROM."""
        sender = settings.twilio_whatsapp_from
        if not sender:
            raise RuntimeError("set TWILIO_WHATSAPP_FROM (whatsapp:+1...) to send on WhatsApp")
        if not sender.startswith("whatsapp:"):
            sender = f"whatsapp:{sender}"
        return cls(client or twilio_client(settings), "whatsapp", from_=sender)

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SendResult:
        """Create the message at Twilio; errors come back as a result, not an exception."""
        kwargs: dict[str, Any] = {"to": self._address(to), "body": body}
        if self.messaging_service_sid and self.name == "sms":
            kwargs["messaging_service_sid"] = self.messaging_service_sid
        else:
            kwargs["from_"] = self.from_
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            return SendResult(None, "failed", exc.code, exc.msg, retryable=_retryable(exc))
        return SendResult(message.sid, str(message.status or "queued"))

    def _address(self, to: str) -> str:
        if self.name == "whatsapp" and not to.startswith("whatsapp:"):
            return f"whatsapp:{to}"
        return to


@dataclass
class ConsoleChannel:
    """Prints messages to a terminal: `turnout chat` and trying Turnout without Twilio."""

    stream: TextIO = field(default_factory=lambda: sys.stdout)
    name: str = "console"
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SendResult:
        """Write the message to the stream."""
        self.stream.write(f"{body}\n\n")
        self.stream.flush()
        return SendResult(f"console-{next(self._ids)}", "delivered")


@dataclass
class RecordingChannel:
    """Remembers every send, for tests: `channel.sent == [(to, body, callback), ...]`."""

    name: str = "recording"
    sent: list[tuple[str, str, str | None]] = field(default_factory=list)

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SendResult:
        """Record the message and report it queued."""
        self.sent.append((to, body, status_callback))
        return SendResult(f"SMrec{len(self.sent):030d}", "queued")
