"""On SQLite, status callbacks that arrive together are committed together: a blast's two
callbacks a message would otherwise take the one writer once each, while voters' texts wait
behind them. Each callback is still answered only once its own update is stored."""

from __future__ import annotations

import asyncio

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, event, update
from twilio.request_validator import RequestValidator

from bot import tables
from bot.app import create_app
from bot.clock import utcnow
from bot.sending import sends
from bot.settings import Settings
from tests.helpers.sending import blast, contact, organization, outbox_rows
from tests.helpers.webhook import AUTH_TOKEN

pytestmark = pytest.mark.db
RECIPIENTS = 40


def _sent_rows(engine: Engine) -> dict[int, str]:
    """A blast's outbox rows, each `sent` with its own SID: {outbox id: SID}."""
    org = organization(engine, "org")
    for n in range(RECIPIENTS):
        contact(engine, f"+1213555{n:04d}", orgs=(org,))
    send_id = blast(engine, org, {"en": "Vote"})
    now = utcnow()
    with engine.begin() as conn:
        sends.start_send(conn, send_id, default_language="en", now=now)
    rows = outbox_rows(engine, send_id)
    with engine.begin() as conn:
        for row in rows:
            conn.execute(
                update(tables.OUTBOX)
                .where(tables.OUTBOX.c.id == row.id)
                .values(status="sent", channel="sms", twilio_sid=f"SM{row.id:032d}", sending_at=now)
            )
    return {int(r.id): f"SM{r.id:032d}" for r in rows}


async def _deliver_all(settings: Settings, engine: Engine, rows: dict[int, str]) -> list[int]:
    app = create_app(settings, engine)
    validator = RequestValidator(AUTH_TOKEN)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

        async def one(outbox_id: int, sid: str) -> int:
            path = f"/twilio/status?o={outbox_id}"
            fields = {"MessageSid": sid, "MessageStatus": "delivered"}
            signature = validator.compute_signature(f"http://testserver{path}", fields)
            answer = await client.post(path, data=fields, headers={"X-Twilio-Signature": signature})
            # Answered only after its own row is stored: a retry would otherwise be lost.
            status = _row_status(engine, outbox_id)
            assert answer.status_code == 200 and status == "delivered", (answer.text, status)
            return answer.status_code

        return await asyncio.gather(*(one(i, sid) for i, sid in rows.items()))


def _row_status(engine: Engine, outbox_id: int) -> str:
    with engine.connect() as conn:
        return str(
            conn.execute(
                tables.OUTBOX.select()
                .with_only_columns(tables.OUTBOX.c.status)
                .where(tables.OUTBOX.c.id == outbox_id)
            ).scalar_one()
        )


def test_callbacks_arriving_together_share_a_transaction(
    engine: Engine, settings: Settings
) -> None:
    rows = _sent_rows(engine)
    commits = {"n": 0}

    def counted(_conn: object) -> None:
        commits["n"] += 1

    event.listen(engine, "commit", counted)
    try:
        answers = asyncio.run(_deliver_all(settings, engine, rows))
    finally:
        event.remove(engine, "commit", counted)
    assert answers == [200] * RECIPIENTS
    assert {_row_status(engine, i) for i in rows} == {"delivered"}
    if engine.dialect.name == "sqlite":  # grouped: fewer turns of the writer than callbacks
        assert 1 <= commits["n"] < RECIPIENTS
    # PostgreSQL takes row locks, not one writer: each callback commits alone, on the app's
    # asynchronous engine (which this engine's events do not see); all are stored all the same.
