"""Exactly once under `kill -9`: a dispatcher process is killed at random moments of a blast,
again and again, and restarted; in the end every recipient got the blast once, and every
outbox row holds the SID of the one message Twilio (the double) created for it."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from bot import tables
from bot.sending import sends
from tests.helpers.sending import ACCOUNT, blast, contact, open_hours, organization, outbox_rows
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.webhook import AUTH_TOKEN

pytestmark = pytest.mark.db
RECIPIENTS = 80
DISPATCH = [sys.executable, "-m", "bot.cli.main", "dispatch"]


@pytest.fixture
def double() -> Iterator[TwilioDouble]:
    # Latency keeps requests in flight when the kill comes: Twilio has the message, we do not
    # have its SID. No callbacks: only the reconciliation may settle such rows.
    with TwilioDouble(ACCOUNT, AUTH_TOKEN, latency=0.05, callbacks=False) as d:
        yield d


def _env(engine: Engine, double: TwilioDouble) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "TWILIO_ACCOUNT_SID": ACCOUNT,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_SMS_FROM": "+15005550006",
        "TWILIO_API_BASE_URL": double.url,
        "PUBLIC_BASE_URL": "http://127.0.0.1:9",  # callbacks are off in the double
        "TURNOUT_QUIET_HOURS": open_hours(),
        "TURNOUT_SEND_RATE": "0",
        "TURNOUT_SEND_CONCURRENCY": "4",
        "TURNOUT_SEND_LEASE_SECONDS": "1",
    }


@pytest.mark.parametrize("seed", [1, 2])
def test_killing_the_dispatcher_loses_and_duplicates_nothing(
    engine: Engine, double: TwilioDouble, seed: int
) -> None:
    rng = random.Random(seed)
    org = organization(engine, "org")
    phones = [f"+1213555{2000 + i:04d}" for i in range(RECIPIENTS)]
    for phone in phones:
        contact(engine, phone, orgs=(org,))
    send_id = blast(engine, org, {"en": "Election day is Tuesday. Polls open 7am-8pm."})
    env = _env(engine, double)

    kills = 0
    for _ in range(10):
        before = len(double.requests)
        process = subprocess.Popen(
            DISPATCH, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # Kill it once it has made a random number of requests (or after a while).
        target = before + rng.randint(1, 12)
        deadline = time.monotonic() + 20
        while len(double.requests) < target and time.monotonic() < deadline:
            if process.poll() is not None:
                break
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.06))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=10)
        if len(double.created) >= RECIPIENTS or kills >= 6:
            break
    assert kills >= 3, "the dispatcher was not killed mid-blast often enough to mean anything"
    # What the kills left in doubt: rows launched (`sending`: the request went, no SID came
    # back) whose message the double has. How many depends on where the kills landed (maybe
    # none); every dispatcher is dead now, so only Twilio's list can settle them.
    at_double = {m["to"] for m in double.created}
    in_doubt = {
        r.to_address
        for r in outbox_rows(engine, send_id)
        if r.status == "sending" and r.to_address in at_double
    }

    # Then one run to the end: it settles what the killed ones left in doubt.
    finished = subprocess.run(
        [*DISPATCH, "--until-idle"], env=env, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr[-2000:]

    counts = double.count_by_to()
    assert sorted(counts) == sorted(phones), "someone never got the blast"
    assert set(counts.values()) == {1}, f"sent twice: {[p for p, n in counts.items() if n > 1]}"
    sid_for = {m["to"]: m["sid"] for m in double.created}
    rows = outbox_rows(engine, send_id)
    assert len(rows) == RECIPIENTS
    assert {r.status for r in rows} == {"sent"}
    assert all(r.twilio_sid == sid_for[r.to_address] for r in rows)
    with engine.connect() as conn:
        assert sends.counts(conn, send_id)["sent"] == RECIPIENTS
        status = conn.execute(
            select(tables.SENDS.c.status).where(tables.SENDS.c.id == send_id)
        ).scalar_one()
    assert status == "done"
    # Messages Twilio created whose answer a kill cut off were found again (their SID
    # recovered from Twilio's list), not sent twice.
    recovered = {r.to_address for r in rows if r.reason == "recovered"}
    assert in_doubt <= recovered, f"not recovered: {sorted(in_doubt - recovered)}"
