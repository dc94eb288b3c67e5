"""Election morning in miniature on SQLite and PostgreSQL: a blast with its status callbacks,
voters texting and an organizer firing test sends at the API, all at once, against the app and
its in-process scheduler as `turnout serve` runs them.

Holds: no answer of 500 or more; the daily test-send cap (20 an organization) exactly; every
callback recorded (every message delivered, none left `sent`); every voter answered; the
99th percentile of all answers under P99_BOUND seconds (the machines that run the suite have
two cores; docs/benchmarks.md records the figures measured with `python -m bench.mixed_load`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from bot.sending.blasts import TESTS_PER_DAY
from bot.tables import CONTACTS, INBOUND, OUTBOUND
from tests.helpers.load import TEST_NUMBERS, election_morning, fire, outbox_statuses, wait_for
from tests.helpers.sending import ACCOUNT
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.webhook import AUTH_TOKEN

pytestmark = pytest.mark.db
P99_BOUND = 3.0
RECIPIENTS, VOTERS = 200, 40


@pytest.fixture
def double() -> Iterator[TwilioDouble]:
    with TwilioDouble(ACCOUNT, AUTH_TOKEN, latency=0.02) as d:
        yield d


def test_election_morning_in_miniature(engine: Engine, double: TwilioDouble) -> None:
    with election_morning(engine, recipients=RECIPIENTS, voters=VOTERS, double=double) as world:
        report = fire(world, texts=2)
        # The blast and the test sends drain; every message's callbacks come back.
        wait_for(
            lambda: outbox_statuses(engine, kind="blast").get("delivered") == RECIPIENTS,
            "the blast delivered, every callback recorded",
        )
        wait_for(
            lambda: outbox_statuses(engine, kind="test").get("delivered") == TESTS_PER_DAY,
            "the test sends delivered",
        )
    assert report.server_errors() == []
    tests = report.statuses("test_send")
    assert (tests.count(202), tests.count(429)) == (TESTS_PER_DAY, TEST_NUMBERS - TESTS_PER_DAY)
    assert report.statuses("webhook") == [200] * (VOTERS * 2)
    with engine.connect() as conn:
        answered = conn.execute(
            select(func.count(func.distinct(INBOUND.c.id))).join(
                OUTBOUND, OUTBOUND.c.inbound_id == INBOUND.c.id
            )
        ).scalar_one()
        voters = conn.execute(
            select(func.count()).where(CONTACTS.c.phone.in_(world.voters))
        ).scalar_one()
    assert (answered, voters) == (VOTERS * 2, VOTERS)
    # At the double: the blast once to every member, and the twenty tests to members too.
    every = double.count_by_to()
    assert set(every) == set(world.members) and max(every.values()) <= 2
    assert sum(every.values()) == RECIPIENTS + TESTS_PER_DAY
    assert report.quantile(0.99) < P99_BOUND, (report.quantile(0.5), report.quantile(0.99))
