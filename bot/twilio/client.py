"""Twilio's Messages resource as a sender (`bot.sending.senders.Sender`): create a message, and
find one again after a crash. Up to a hundred requests in flight (Twilio's default
concurrency) over aiohttp.

    async with TwilioSender.from_settings(settings) as sender:
        result = await sender.send(Outgoing("+14155550100", "sms", "Polls close at 8pm",
                                            status_callback=url))
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.sending.senders import IN_DOUBT, NOT_SENT, Outgoing, SendResult
from bot.settings import Settings
from bot.twilio.codes import TOO_MANY_REQUESTS

TWILIO_API = "https://api.twilio.com"
API_VERSION = "2010-04-01"
FORM_HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def _retryable(status: int, code: int | None) -> bool:
    return status == 429 or code == TOO_MANY_REQUESTS or status >= 500


@dataclass
class TwilioSender:
    """Twilio's Messages resource over aiohttp, with one connection per request in flight."""

    account_sid: str
    auth_token: str
    base_url: str = TWILIO_API
    sms_from: str | None = None
    messaging_service_sid: str | None = None
    whatsapp_from: str | None = None
    concurrency: int = 100
    timeout: float = 30.0
    _session: aiohttp.ClientSession | None = field(default=None, init=False, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> TwilioSender:
        """A sender for the configured account and senders."""
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            raise RuntimeError(
                "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN to send through Twilio"
            )
        whatsapp = settings.twilio_whatsapp_from
        if whatsapp and not whatsapp.startswith("whatsapp:"):
            whatsapp = f"whatsapp:{whatsapp}"
        return cls(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            base_url=settings.twilio_api_base_url.rstrip("/"),
            sms_from=settings.twilio_sms_from,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            whatsapp_from=whatsapp,
            concurrency=settings.send_concurrency,
        )

    @property
    def channels(self) -> frozenset[str]:
        """The channels this account has a sender for."""
        found = set()
        if self.sms_from or self.messaging_service_sid:
            found.add("sms")
        if self.whatsapp_from:
            found.add("whatsapp")
        return frozenset(found)

    @property
    def _messages_url(self) -> str:
        return f"{self.base_url}/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            pair = f"{self.account_sid}:{self.auth_token}".encode()
            credentials = base64.b64encode(pair).decode()
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.concurrency),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                headers={
                    "Authorization": f"Basic {credentials}",
                    "User-Agent": "turnout-dispatcher",
                    "Accept": "application/json",
                },
            )
        return self._session

    def form(self, message: Outgoing) -> dict[str, str]:
        """The form Twilio's Messages create takes for this message."""
        whatsapp = message.channel == "whatsapp"
        form = {"To": f"whatsapp:{message.to}" if whatsapp else message.to}
        if whatsapp:
            if not self.whatsapp_from:
                raise RuntimeError("set TWILIO_WHATSAPP_FROM (whatsapp:+1...) to send on WhatsApp")
            form["From"] = self.whatsapp_from
        elif self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        elif self.sms_from:
            form["From"] = self.sms_from
        else:
            raise RuntimeError("set TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID to send SMS")
        if message.content_sid:
            form["ContentSid"] = message.content_sid
            if message.content_variables:
                form["ContentVariables"] = json.dumps(dict(message.content_variables))
        else:
            form["Body"] = message.body or ""
        if message.status_callback:
            form["StatusCallback"] = message.status_callback
        return form

    async def send(self, message: Outgoing) -> SendResult:
        """POST the message; Twilio's error code and whether to retry come back in the result."""
        try:
            form = self.form(message)
        except RuntimeError as exc:
            return SendResult(None, "failed", None, str(exc))
        try:
            # The form encoded here, once: aiohttp's own encoding of a dict costs a fifth of
            # the dispatcher's CPU (measured with py-spy; docs/benchmarks.md).
            body = urlencode(form).encode()
            async with self._client().post(
                self._messages_url, data=body, headers=FORM_HEADERS
            ) as response:
                payload = await _json(response)
                status = response.status
        except aiohttp.ClientConnectorError as exc:  # never reached Twilio
            return SendResult(None, NOT_SENT, None, str(exc), retryable=True)
        except (TimeoutError, aiohttp.ClientError) as exc:  # may have reached Twilio
            return SendResult(None, IN_DOUBT, None, f"{type(exc).__name__}: {exc}")
        if status in (200, 201) and payload.get("sid"):
            return SendResult(str(payload["sid"]), str(payload.get("status") or "queued"))
        code = payload.get("code")
        code = int(code) if isinstance(code, int | str) and str(code).isdigit() else None
        text = str(payload.get("message") or f"HTTP {status}")
        return SendResult(None, "failed", code, text, retryable=_retryable(status, code))

    async def find(self, message: Outgoing, since: datetime) -> str | bool | None:
        """Look the message up by recipient and sending day; match its sender and text."""
        form = self.form(message)
        params = {"To": form["To"], "DateSent>": since.date().isoformat(), "PageSize": "100"}
        try:
            async with self._client().get(self._messages_url, params=params) as response:
                if response.status != 200:
                    return False
                payload = await _json(response)
        except (TimeoutError, aiohttp.ClientError):
            return False
        for found in payload.get("messages") or []:
            if _same(found, form, since):
                return str(found["sid"])
        return None

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> TwilioSender:
        return self

    async def __aexit__(
        self, *exc: type[BaseException] | BaseException | TracebackType | None
    ) -> None:
        await self.close()


async def _json(response: aiohttp.ClientResponse) -> dict[str, Any]:
    try:
        payload = json.loads(await response.read())
    except ValueError:  # not JSON (a proxy's error page): no SID, no code
        return {}
    return payload if isinstance(payload, dict) else {}


def _same(found: Mapping[str, Any], form: Mapping[str, str], since: datetime) -> bool:
    """Whether a message Twilio lists is the one we may have created."""
    if found.get("to") != form["To"]:
        return False
    sender = form.get("From")
    if sender and found.get("from") not in (None, sender):
        return False
    service = form.get("MessagingServiceSid")
    if service and found.get("messaging_service_sid") not in (None, service):
        return False
    if "Body" in form and (found.get("body") or "") != form["Body"]:
        return False
    created = _twilio_time(found.get("date_created"))
    # Twilio's clock and ours may differ by a little; a minute of slack, never a day.
    return created is None or created.timestamp() >= since.timestamp() - 60


def _twilio_time(value: object) -> datetime | None:
    """Twilio's RFC 2822 dates ("Sun, 22 Nov 2026 18:00:00 +0000")."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%a, %d %b %Y %H:%M:%S %z")
    except ValueError:
        return None
