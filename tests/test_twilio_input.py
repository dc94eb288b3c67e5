"""What a stranger (or Twilio) can send the webhooks, on both databases: every value checked
at the edge with a 400 that names the field, never a 500, nothing half-stored; a repeated
MessageSid changes nothing; values from requests never become log lines or metric labels."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from bot.clock import utcnow
from bot.logs import RedactPhones
from bot.models import Contact, InboundMessage, OutboundMessage
from bot.tables import CONTACTS, INBOUND, OUTBOUND
from bot.twilio.codes import MESSAGE_STATUSES
from tests.helpers.webhook import Signer, bodies, count, fields, sid

pytestmark = pytest.mark.db
HUGE = "9223372036854775808"  # 2**63: past a 64-bit integer


@pytest.fixture
def records() -> Iterator[list[logging.LogRecord]]:
    """Every log record above DEBUG while the test runs."""
    kept: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            kept.append(record)

    handler = Keep(logging.INFO)
    logging.getLogger().addHandler(handler)
    try:
        yield kept
    finally:
        logging.getLogger().removeHandler(handler)


def _stored(engine: Engine) -> tuple[int, int]:
    return count(engine, InboundMessage), count(engine, Contact)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"NumMedia": "-1"}, "NumMedia"),
        ({"NumMedia": HUGE}, "NumMedia"),
        ({"NumMedia": "²"}, "NumMedia"),
        ({"MessageSid": "SM" + "a" * 100_000}, "MessageSid"),
        ({"MessageSid": "SM\x00" + "a" * 31}, "MessageSid"),
        ({"To": "+1500555" + "0" * 100_000}, "To"),
        ({"To": "+15005550006\x00"}, "To"),
        ({"From": "messenger:12135550123"}, "From"),
        ({"From": "1-800-FLOWERS"}, "From"),
        ({"From": "+12135550123 x55"}, "From"),
        ({"Body": "x" * 1601}, "Body"),
    ],
)
def test_inbound_values_we_cannot_take_are_400(
    post_signed: Signer, engine: Engine, changes: dict[str, str], field: str
) -> None:
    response = post_signed("/twilio/messages", {**fields("hola"), **changes})
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert detail.startswith(field) and len(detail) < 200  # said where, nothing echoed back
    assert _stored(engine) == (0, 0)


def test_control_characters_are_dropped_and_digits_of_any_script_read(
    post_signed: Signer, engine: Engine
) -> None:
    data = fields("ho\x00la\x07\n", sender="+1٢١٣٥٥٥٠١٢٣")
    response = post_signed("/twilio/messages", data)
    assert response.status_code == 200 and len(bodies(response)) == 2  # greeted, and the menu
    with engine.connect() as conn:
        phone, body = conn.execute(
            select(CONTACTS.c.phone, INBOUND.c.body).join(
                INBOUND, INBOUND.c.contact_id == CONTACTS.c.id
            )
        ).one()
    assert (phone, body) == ("+12135550123", "hola\n")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"?o={HUGE}", "query parameter o"),
        ("?o=2147483648", "query parameter o"),
        ("?o=0", "query parameter o"),
        ("?o=%C2%B2", "query parameter o"),  # ²: a digit to str.isdigit, not to int()
        ("?o=%E2%91%A0", "query parameter o"),  # ①
        ("?o=-3", "query parameter o"),
        (f"?i={HUGE}&n=0", "query parameter i"),
        ("?i=1&n=1000", "query parameter n"),
    ],
)
def test_callback_ids_out_of_range_are_400(
    post_signed: Signer, engine: Engine, query: str, field: str
) -> None:
    data = {"MessageSid": sid(), "MessageStatus": "delivered"}
    response = post_signed(f"/twilio/status{query}", data)
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith(field)


def test_an_error_code_past_64_bits_is_400(post_signed: Signer) -> None:
    data = {"MessageSid": sid(), "MessageStatus": "failed", "ErrorCode": HUGE}
    response = post_signed("/twilio/status", data)
    assert response.status_code == 400 and response.json()["detail"].startswith("ErrorCode")


def _reply(post_signed: Signer, engine: Engine) -> tuple[int, int]:
    """A texter's first message; (inbound id, the first reply's id)."""
    response = post_signed("/twilio/messages", fields("hola", sender="+12135550150"))
    assert response.status_code == 200
    with engine.connect() as conn:
        inbound_id = conn.execute(select(INBOUND.c.id)).scalar_one()
        reply_id = conn.execute(select(OUTBOUND.c.id).order_by(OUTBOUND.c.id)).scalars().first()
    assert reply_id is not None
    return int(inbound_id), int(reply_id)


def test_every_documented_status_fits_partially_delivered_included(
    post_signed: Signer, engine: Engine
) -> None:
    inbound_id, reply_id = _reply(post_signed, engine)
    twilio_sid = sid()
    for status in ("sent", "partially_delivered"):
        data = {"MessageSid": twilio_sid, "MessageStatus": status}
        response = post_signed(f"/twilio/status?i={inbound_id}&n=0", data)
        assert response.status_code == 200, response.text
    with engine.connect() as conn:
        row = conn.execute(select(OUTBOUND).where(OUTBOUND.c.id == reply_id)).one()
    assert (row.status, row.twilio_sid) == ("partially_delivered", twilio_sid)


def test_an_unknown_status_changes_nothing_and_is_neither_logged_nor_a_label(
    post_signed: Signer, engine: Engine, records: list[logging.LogRecord]
) -> None:
    inbound_id, reply_id = _reply(post_signed, engine)
    forged = "delivered\n2026-12-02 INFO bot: texted +12135550150 'vote for X'"
    for n, status in enumerate([forged, "x" * 100_000, *[f"made-up-{i}" for i in range(30)]]):
        data = {"MessageSid": sid(), "MessageStatus": status}
        response = post_signed(f"/twilio/status?i={inbound_id}&n=0", data)
        assert response.status_code == 200, (n, response.text)
    with engine.connect() as conn:
        row = conn.execute(select(OUTBOUND).where(OUTBOUND.c.id == reply_id)).one()
    assert (row.status, row.twilio_sid) == ("replied", None)
    lines = [r.getMessage() for r in records]
    assert not [line for line in lines if "made-up" in line or "vote for X" in line or "\n" in line]
    labels = {
        sample.labels["status"]
        for metric in REGISTRY.collect()
        if metric.name == "turnout_status_callbacks"
        for sample in metric.samples
    }
    assert labels <= MESSAGE_STATUSES | {"unknown"} and "unknown" in labels


def test_a_repeated_sid_from_someone_else_creates_nothing_and_gets_nothing(
    post_signed: Signer, engine: Engine
) -> None:
    first = fields("hola", sender="+12135550151")
    assert bodies(post_signed("/twilio/messages", first))  # greeted
    again = post_signed("/twilio/messages", {**first, "From": "+12135550152", "Body": "STOP"})
    assert again.status_code == 200 and bodies(again) == []
    with engine.connect() as conn:
        phones = list(conn.execute(select(CONTACTS.c.phone)).scalars())
        opted = conn.execute(select(CONTACTS.c.opted_out)).scalar_one()
    assert (phones, opted) == (["+12135550151"], False)
    assert count(engine, OutboundMessage) == 2  # the greeting and the menu, once


def test_a_repeated_whatsapp_sid_does_not_move_the_window(
    post_signed: Signer, engine: Engine
) -> None:
    first = fields("hola", sender="whatsapp:+12135550153")
    post_signed("/twilio/messages", first)
    with engine.connect() as conn:
        opened = conn.execute(select(CONTACTS.c.whatsapp_last_inbound_at)).scalar_one()
    repeated = post_signed("/twilio/messages", first)
    assert repeated.status_code == 200 and len(bodies(repeated)) == 2  # the same answer
    with engine.connect() as conn:
        after = conn.execute(select(CONTACTS.c.whatsapp_last_inbound_at)).scalar_one()
    assert after == opened


def test_database_errors_reach_the_logs_without_phone_numbers(engine: Engine) -> None:
    now = utcnow()
    row: dict[str, Any] = {"phone": "+12135550154", "opted_out": False, "reminders": False}
    row |= {"created_at": now, "updated_at": now}
    with engine.begin() as conn:
        conn.execute(insert(CONTACTS), row)
    with pytest.raises(IntegrityError) as raised, engine.begin() as conn:
        conn.execute(insert(CONTACTS), row)  # the same phone again: a unique violation
    assert "SQL parameters hidden" in str(raised.value)  # never the row's values
    # PostgreSQL's own message may quote the key: the handlers mask it, traceback included.
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactPhones())
    logger = logging.getLogger("tests.redact")
    logger.propagate = False  # this one record is meant to carry a number: only here
    logger.addHandler(handler)
    try:
        logger.error("insert failed: %s", raised.value, exc_info=raised.value)
    finally:
        logger.removeHandler(handler)
    assert "+12135550154" not in out.getvalue() and "insert failed" in out.getvalue()


def test_the_metrics_page_stays_small_whatever_is_sent(
    post_signed: Signer, client: TestClient
) -> None:
    before = len(client.get("/metrics").text)
    for i in range(50):
        post_signed("/twilio/status", {"MessageSid": sid(), "MessageStatus": f"weird-{i}"})
    after = client.get("/metrics").text
    assert "weird" not in after and len(after) - before < 2_000
