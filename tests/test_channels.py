"""How messages leave Turnout: the Twilio sender against a Twilio double at the HTTP boundary
(nothing of ours is patched), and the console for `turnout chat` and the demo."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import Any

import pytest

from bot.sending.senders import ConsoleSender, Outgoing, SendResult
from bot.settings import Settings
from bot.twilio.client import TwilioSender
from tests.helpers.twilio_double import TwilioDouble

SID, TOKEN = "AC" + "1" * 32, "channel-test-token"


@pytest.fixture
def double() -> Iterator[TwilioDouble]:
    with TwilioDouble(SID, TOKEN) as d:
        yield d


def _settings(double: TwilioDouble, **extra: str) -> Settings:
    values: dict[str, Any] = {
        "TWILIO_ACCOUNT_SID": SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_API_BASE_URL": double.url,
        **extra,
    }
    return Settings(**values, _env_file=None)


def _send(settings: Settings, message: Outgoing) -> SendResult:
    async def send() -> SendResult:
        async with TwilioSender.from_settings(settings) as sender:
            return await sender.send(message)

    return asyncio.run(send())


def test_sms_goes_to_the_configured_base_url(double: TwilioDouble) -> None:
    message = Outgoing(
        "+12135550123", "sms", "Polls close at 8 pm. 投票", status_callback="https://x/s?o=7"
    )
    result = _send(_settings(double, TWILIO_SMS_FROM="+15005550006"), message)
    assert result.sid and result.sid.startswith("SM") and result.status == "queued"
    assert double.requests == [
        {
            "To": "+12135550123",
            "From": "+15005550006",
            "Body": "Polls close at 8 pm. 投票",
            "StatusCallback": "https://x/s?o=7",
        }
    ]


def test_messaging_service_is_preferred_for_sms(double: TwilioDouble) -> None:
    service = "MG" + "2" * 32
    settings = _settings(
        double, TWILIO_SMS_FROM="+15005550006", TWILIO_MESSAGING_SERVICE_SID=service
    )
    _send(settings, Outgoing("+12135550123", "sms", "hi"))
    assert double.requests[0]["MessagingServiceSid"] == service
    assert "From" not in double.requests[0]


def test_whatsapp_prefixes_both_addresses(double: TwilioDouble) -> None:
    settings = _settings(double, TWILIO_WHATSAPP_FROM="+14155238886")
    _send(settings, Outgoing("+12135550123", "whatsapp", "hola"))
    assert double.requests[0]["To"] == "whatsapp:+12135550123"
    assert double.requests[0]["From"] == "whatsapp:+14155238886"


@pytest.mark.parametrize(
    ("status", "code", "retryable"),
    [(400, 21211, False), (400, 21610, False), (429, 20429, True), (503, 20500, True)],
)
def test_errors_come_back_as_results(
    double: TwilioDouble, status: int, code: int, retryable: bool
) -> None:
    double.fail_for["+12135550999"] = (status, code, f"error {code}")
    settings = _settings(double, TWILIO_SMS_FROM="+15005550006")
    result = _send(settings, Outgoing("+12135550999", "sms", "hi"))
    assert (result.sid, result.status, result.error_code) == (None, "failed", code)
    assert result.error_message == f"error {code}"
    assert result.retryable is retryable


def test_wrong_credentials_are_reported(double: TwilioDouble) -> None:
    settings = _settings(double, TWILIO_SMS_FROM="+15005550006")
    settings = settings.model_copy(update={"twilio_auth_token": "wrong"})
    result = _send(settings, Outgoing("+12135550123", "sms", "hi"))
    assert (result.status, result.error_code, result.retryable) == ("failed", 20003, False)


def test_missing_credentials_or_sender_are_clear_errors(double: TwilioDouble) -> None:
    with pytest.raises(RuntimeError, match="TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"):
        TwilioSender.from_settings(Settings(_env_file=None))
    settings = _settings(double)
    assert TwilioSender.from_settings(settings).channels == frozenset()
    sms = _send(settings, Outgoing("+12135550123", "sms", "hi"))
    assert sms.status == "failed" and "TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID" in str(
        sms.error_message
    )
    whatsapp = _send(settings, Outgoing("+12135550123", "whatsapp", "hi"))
    assert "TWILIO_WHATSAPP_FROM" in str(whatsapp.error_message)
    assert double.requests == []  # nothing left for Twilio


def test_console_sender_masks_the_number() -> None:
    printed = io.StringIO()
    result = asyncio.run(ConsoleSender(printed).send(Outgoing("+12135550123", "sms", "Vote")))
    assert result.status == "delivered" and result.sid and result.sid.startswith("CO")
    assert printed.getvalue() == "--> sms …0123\nVote\n\n"  # the number masked
