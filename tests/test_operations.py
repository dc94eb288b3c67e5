"""Health, metrics, and logs that never carry a full phone number or a message body at INFO."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from bot.app import create_app
from bot.phones import mask
from bot.settings import Settings
from tests.helpers.webhook import Signer, fields

pytestmark = pytest.mark.db


def test_healthz_reports_the_database(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_healthz_is_503_when_the_database_is_down(settings: Settings) -> None:
    dead = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with TestClient(create_app(settings, dead)) as c:
        response = c.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "down"


def test_metrics_count_messages_and_opt_outs(client: TestClient, post_signed: Signer) -> None:
    def value(name: str, labels: str) -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith(f"{name}{{{labels}}}"):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    inbound = value("turnout_inbound_messages_total", 'channel="sms"')
    opt_outs = value("turnout_opt_outs_total", 'source="keyword"')
    post_signed("/twilio/messages", fields("English", sender="+12135550161"))
    post_signed("/twilio/messages", fields("STOP", sender="+12135550161"))
    assert value("turnout_inbound_messages_total", 'channel="sms"') == inbound + 2
    assert value("turnout_opt_outs_total", 'source="keyword"') == opt_outs + 1
    text = client.get("/metrics").text
    assert 'turnout_webhook_latency_seconds_bucket{le="0.1",route="messages"}' in text


def test_info_logs_mask_phones_and_omit_bodies(
    post_signed: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "my secret address is 123 Main St"
    with caplog.at_level(logging.INFO):
        post_signed("/twilio/messages", fields("English", sender="+12135550142"))
        post_signed("/twilio/messages", fields(secret, sender="+12135550142"))
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("…0142" in line for line in info)
    joined = "\n".join(info)
    assert "2135550142" not in joined
    assert secret not in joined and "Main St" not in joined


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("+12135550142", "…0142"), ("whatsapp:+447700900123", "…0123"), (None, "-"), ("12", "…")],
)
def test_mask(phone: str | None, masked: str) -> None:
    assert mask(phone) == masked
