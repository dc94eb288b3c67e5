"""Twilio status callbacks: rows move forward only, 21610 opts out, 63016 is recorded."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from bot.models import ConsentEvent, Contact, OutboundMessage
from tests.helpers.webhook import Signer, fields

pytestmark = pytest.mark.db


def _reply_ids(post_signed: Signer, body: str, sender: str = "+12135550123") -> list[str]:
    """The status-callback queries of the replies' TwiML actions (`i=<inbound>&n=<position>`)."""
    response = post_signed("/twilio/messages", fields(body, sender=sender))
    actions = [m.get("action") or "" for m in ET.fromstring(response.content).findall("Message")]
    assert all(urlparse(a).path == "/twilio/status" for a in actions)
    return [urlparse(a).query for a in actions]


def _status(post_signed: Signer, query: str | None, **data: str) -> int:
    path = f"/twilio/status?{query}" if query is not None else "/twilio/status"
    response = post_signed(path, {"AccountSid": "AC" + "0" * 32, **data})
    return int(response.status_code)


def _row(engine: Engine, query: str) -> OutboundMessage:
    """The outbound row a TwiML action refers to: the n-th reply to the inbound message."""
    params = parse_qs(query)
    inbound_id, position = int(params["i"][0]), int(params["n"][0])
    with Session(engine) as s:
        rows = s.scalars(
            select(OutboundMessage)
            .where(col(OutboundMessage.inbound_id) == inbound_id)
            .order_by(col(OutboundMessage.id))
        ).all()
    return rows[position]


def test_status_moves_forward_and_records_the_sid(post_signed: Signer, engine: Engine) -> None:
    first = _reply_ids(post_signed, "English")[0]
    assert _row(engine, first).status == "replied"
    sid = "SM" + "a" * 32
    for status in ("sent", "delivered", "sent"):  # the late "sent" must not undo "delivered"
        assert _status(post_signed, first, MessageSid=sid, MessageStatus=status) == 200
    row = _row(engine, first)
    assert (row.status, row.twilio_sid) == ("delivered", sid)
    # later callbacks find the row by its SID alone
    assert _status(post_signed, None, MessageSid=sid, MessageStatus="read") == 200
    assert _row(engine, first).status == "read"


def test_21610_marks_the_contact_opted_out(post_signed: Signer, engine: Engine) -> None:
    ids = _reply_ids(post_signed, "English")
    code = _status(
        post_signed,
        ids[0],
        MessageSid="SM" + "b" * 32,
        MessageStatus="undelivered",
        ErrorCode="21610",
        To="+12135550123",
    )
    assert code == 200
    with Session(engine) as s:
        contact = s.scalars(select(Contact)).one()
        event = s.scalars(select(ConsentEvent)).one()
    assert contact.opted_out and contact.opted_out_at is not None
    assert (event.kind, event.source) == ("opt_out", "carrier")
    assert _row(engine, ids[0]).error_code == 21610
    # the bot now stays silent for this contact
    assert _reply_ids(post_signed, "MENU") == []


def test_21610_for_an_unknown_message_still_opts_out_by_number(
    post_signed: Signer, engine: Engine
) -> None:
    _reply_ids(post_signed, "English", sender="+12135550177")
    _status(
        post_signed,
        None,
        MessageSid="SM" + "c" * 32,
        MessageStatus="failed",
        ErrorCode="21610",
        To="+1 (213) 555-0177",
    )
    with Session(engine) as s:
        assert s.scalars(select(Contact)).one().opted_out


def test_63016_is_recorded(post_signed: Signer, engine: Engine) -> None:
    ids = _reply_ids(post_signed, "English", sender="whatsapp:+12135550123")
    _status(
        post_signed,
        ids[0],
        MessageSid="SM" + "d" * 32,
        MessageStatus="failed",
        ErrorCode="63016",
        To="whatsapp:+12135550123",
    )
    row = _row(engine, ids[0])
    assert (row.status, row.error_code) == ("failed", 63016)
    with Session(engine) as s:
        assert not s.scalars(select(Contact)).one().opted_out


SID = "SM" + "1" * 32


@pytest.mark.parametrize(
    ("data", "query", "message"),
    [
        ({"MessageStatus": "sent"}, "", "MessageSid"),
        ({"MessageSid": SID}, "", "MessageStatus"),
        ({"MessageSid": SID, "MessageStatus": "failed", "ErrorCode": "x"}, "", "ErrorCode"),
        ({"MessageSid": SID, "MessageStatus": "sent"}, "?i=abc&n=0", "query parameter i"),
        ({"MessageSid": "SM1", "MessageStatus": "sent"}, "", "MessageSid"),
    ],
)
def test_malformed_callbacks_are_400(
    post_signed: Signer, data: dict[str, str], query: str, message: str
) -> None:
    response = post_signed(f"/twilio/status{query}", data)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_unsigned_callback_changes_nothing(post_signed: Signer, engine: Engine) -> None:
    ids = _reply_ids(post_signed, "English")
    response = post_signed(
        f"/twilio/status?{ids[0]}",
        {"MessageSid": "SM" + "e" * 32, "MessageStatus": "failed", "ErrorCode": "21610"},
        signature="bad",
    )
    assert response.status_code == 403
    assert _row(engine, ids[0]).status == "replied"
    with Session(engine) as s:
        assert not s.scalars(select(Contact)).one().opted_out
