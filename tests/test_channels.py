"""Channels against a Twilio double at the HTTP boundary (nothing of ours is patched)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from bot.channels import ConsoleChannel, RecordingChannel, TwilioChannel
from bot.settings import Settings
from tests.twilio_double import TwilioDouble

SID, TOKEN = "AC" + "1" * 32, "channel-test-token"


@pytest.fixture
def double() -> Iterator[TwilioDouble]:
    with TwilioDouble(SID, TOKEN) as d:
        yield d


def _settings(double: TwilioDouble, **extra: str) -> Settings:
    return Settings(
        TWILIO_ACCOUNT_SID=SID,
        TWILIO_AUTH_TOKEN=TOKEN,
        TWILIO_API_BASE_URL=double.url,
        _env_file=None,
        **extra,  # type: ignore[call-arg]
    )


def test_sms_goes_to_the_configured_base_url(double: TwilioDouble) -> None:
    channel = TwilioChannel.sms(_settings(double, TWILIO_SMS_FROM="+15005550006"))
    result = channel.send(
        "+12135550123", "Polls close at 8 pm. 投票", status_callback="https://x/s?o=7"
    )
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
    TwilioChannel.sms(settings).send("+12135550123", "hi")
    assert double.requests[0]["MessagingServiceSid"] == service
    assert "From" not in double.requests[0]


def test_whatsapp_prefixes_both_addresses(double: TwilioDouble) -> None:
    channel = TwilioChannel.whatsapp(_settings(double, TWILIO_WHATSAPP_FROM="+14155238886"))
    channel.send("+12135550123", "hola")
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
    result = TwilioChannel.sms(_settings(double, TWILIO_SMS_FROM="+15005550006")).send(
        "+12135550999", "hi"
    )
    assert (result.sid, result.status, result.error_code) == (None, "failed", code)
    assert result.retryable is retryable


def test_wrong_credentials_are_reported(double: TwilioDouble) -> None:
    settings = _settings(double, TWILIO_SMS_FROM="+15005550006")
    settings = settings.model_copy(update={"twilio_auth_token": "wrong"})
    result = TwilioChannel.sms(settings).send("+12135550123", "hi")
    assert (result.status, result.error_code) == ("failed", 20003)


def test_missing_sender_is_a_clear_error() -> None:
    settings = Settings(TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(RuntimeError, match="TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID"):
        TwilioChannel.sms(settings)
    with pytest.raises(RuntimeError, match="TWILIO_WHATSAPP_FROM"):
        TwilioChannel.whatsapp(settings)


def test_console_and_recording_channels() -> None:
    out = io.StringIO()
    assert ConsoleChannel(out).send("+1", "hello").status == "delivered"
    assert out.getvalue() == "hello\n\n"
    recording = RecordingChannel()
    first = recording.send("+12135550123", "a", status_callback="cb")
    assert recording.sent == [("+12135550123", "a", "cb")] and first.sid
