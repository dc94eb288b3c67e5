"""A voter who asked where to vote with their own address gets reminders that name their
polling place; the bot keeps which place it is, never the address."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, update

from bot import tables
from bot.clock import utcnow
from bot.sending.plans import edit_reminder, ensure_plans, reminders_of
from bot.voter.elections import save_election
from bot.voter.places.importer import import_places
from scheduler.process import Sending
from tests.helpers.sending import ACCOUNT, drain, sending_settings
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.voter import ALBEMARLE, MARICOPA, NOW
from tests.helpers.webhook import AUTH_TOKEN, Signer, bodies, fields

pytestmark = pytest.mark.db
PHONE = "+12135550178"


@pytest.fixture
def double() -> Iterator[TwilioDouble]:
    with TwilioDouble(ACCOUNT, AUTH_TOKEN, callbacks=False) as d:
        yield d


def _say(post_signed: Signer, text: str) -> list[str]:
    return bodies(post_signed("/twilio/messages", fields(text, sender=PHONE)))


def _ref(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(tables.CONTACTS.c.polling_place_ref).where(tables.CONTACTS.c.phone == PHONE)
        ).scalar()


def test_reminders_name_the_polling_place_the_voters_address_matched(
    post_signed: Signer, engine: Engine, double: TwilioDouble
) -> None:
    import_places(engine=engine, path=ALBEMARLE, now=NOW)
    _say(post_signed, "English")
    _say(post_signed, "2")
    reply = _say(post_signed, "250 Patterson Mill Lane, Crozet VA 22932")
    assert reply[0].startswith("Where you can vote:\nCROZET ELEMENTARY SCHOOL")
    ref = _ref(engine)
    assert ref is not None and ref.startswith("State Board of Elections")
    assert "Patterson" not in ref  # the feed's id of the place, not the voter's address

    now = utcnow()
    day = (now + dt.timedelta(days=20)).date()
    with engine.begin() as conn:
        conn.execute(update(tables.CONTACTS).values(reminders=True))
        save_election(
            conn,
            values={"name": "General Election", "date": day, "polls_open": dt.time(6)},
            source="cli",
            now=now,
        )
        ensure_plans(conn, default_zone="America/New_York", now=now)
        eve = next(r for r in reminders_of(conn, day) if r.reminder == "eve")
        edit_reminder(conn, eve.id, now=now, send_at=now)
    drain(Sending.from_settings(engine, sending_settings(engine, double.url, "http://x.invalid")))

    (message,) = double.created
    assert "Your polling place: CROZET ELEMENTARY SCHOOL, 1407 Crozet Ave" in message["body"]
    assert message["body"].startswith("Voter Power Coalition: tomorrow,")


def test_a_zip_alone_does_not_tell_the_voters_polling_place(
    post_signed: Signer, engine: Engine
) -> None:
    import_places(engine=engine, path=MARICOPA, now=NOW)
    _say(post_signed, "English")
    _say(post_signed, "2")
    reply = _say(post_signed, "85004")
    assert reply and "PHOENIX" in reply[0].upper()
    assert _ref(engine) is None  # nearby vote centers, not the voter's own place
