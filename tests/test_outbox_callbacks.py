"""Status callbacks for the outbox (`/twilio/status?o=<id>`), signed as Twilio signs them:
forward only, the SID of the message the row stands for only, and what the error codes mean."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select, update

from bot import tables
from bot.clock import utcnow
from bot.sending import sends
from tests.helpers.sending import blast, contact, organization, outbox_rows
from tests.helpers.webhook import Signer

pytestmark = pytest.mark.db
SID = "SM" + "1" * 32


def _sending_row(engine: Engine, *, channel: str = "sms", sid: str | None = SID) -> int:
    org = organization(engine, "org")
    contact(engine, "+12135550301", orgs=(org,))
    send_id = blast(engine, org, {"en": "Vote"})
    now = utcnow()
    with engine.begin() as conn:
        sends.start_send(conn, send_id, default_language="en", now=now)
        conn.execute(
            update(tables.OUTBOX).values(
                status="sent" if sid else "sending",
                channel=channel,
                to_address="+12135550301",
                twilio_sid=sid,
                sending_at=now,
            )
        )
    (row,) = outbox_rows(engine, send_id)
    return int(row.id)


def _status(engine: Engine, outbox_id: int) -> tuple[str, str | None, int | None, str | None]:
    o = tables.OUTBOX.c
    with engine.connect() as conn:
        row = conn.execute(
            select(o.status, o.twilio_sid, o.error_code, o.reason).where(o.id == outbox_id)
        ).one()
    return row.status, row.twilio_sid, row.error_code, row.reason


def _callback(post_signed: Signer, outbox_id: int, status: str, **extra: str) -> None:
    fields = {"MessageSid": SID, "MessageStatus": status, "To": "+12135550301", **extra}
    response = post_signed(f"/twilio/status?o={outbox_id}", fields)
    assert response.status_code == 200 and "<Response" in response.text


def test_callbacks_move_a_row_forward_only(engine: Engine, post_signed: Signer) -> None:
    outbox_id = _sending_row(engine)
    _callback(post_signed, outbox_id, "delivered")
    _callback(post_signed, outbox_id, "sent")  # late and out of order
    assert _status(engine, outbox_id) == ("delivered", SID, None, None)


def test_a_callback_for_another_message_changes_nothing(
    engine: Engine, post_signed: Signer
) -> None:
    outbox_id = _sending_row(engine)
    fields = {"MessageSid": "SM" + "2" * 32, "MessageStatus": "failed", "ErrorCode": "30007"}
    response = post_signed(f"/twilio/status?o={outbox_id}", fields)
    assert response.status_code == 200
    assert _status(engine, outbox_id) == ("sent", SID, None, None)


def test_a_callback_settles_a_row_left_in_doubt(engine: Engine, post_signed: Signer) -> None:
    outbox_id = _sending_row(engine, sid=None)  # a dispatcher died before it heard the SID
    _callback(post_signed, outbox_id, "sent")
    assert _status(engine, outbox_id) == ("sent", SID, None, None)


def test_an_unsigned_callback_is_refused(engine: Engine, post_signed: Signer) -> None:
    outbox_id = _sending_row(engine)
    fields = {"MessageSid": SID, "MessageStatus": "failed"}
    response = post_signed(f"/twilio/status?o={outbox_id}", fields, signature="forged")
    assert response.status_code == 403
    assert _status(engine, outbox_id) == ("sent", SID, None, None)


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        ("undelivered", "30007", ("undelivered", 30007, "filtered")),
        ("failed", "21610", ("failed", 21610, "opted_out")),
        ("undelivered", "30003", ("undelivered", 30003, "twilio_error")),
    ],
)
def test_error_codes_are_recorded_with_their_meaning(
    engine: Engine,
    post_signed: Signer,
    status: str,
    code: str,
    expected: tuple[str, int, str],
) -> None:
    outbox_id = _sending_row(engine)
    _callback(post_signed, outbox_id, status, ErrorCode=code)
    found = _status(engine, outbox_id)
    assert (found[0], found[2], found[3]) == expected
    with engine.connect() as conn:
        opted = conn.execute(select(tables.CONTACTS.c.opted_out)).scalar()
    assert opted is (code == "21610")


def test_whatsapp_63016_sends_the_row_again_by_sms_and_ignores_late_news(
    engine: Engine, post_signed: Signer
) -> None:
    outbox_id = _sending_row(engine, channel="whatsapp")
    _callback(post_signed, outbox_id, "failed", ErrorCode="63016")
    assert _status(engine, outbox_id) == ("pending", None, 63016, "whatsapp_window")
    _callback(post_signed, outbox_id, "sent")  # the WhatsApp attempt's late "sent"
    assert _status(engine, outbox_id) == ("pending", None, 63016, "whatsapp_window")
