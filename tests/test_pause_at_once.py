"""Pause and cancel stop a blast at once: when the API answers, nothing more of that blast
reaches Twilio (counted at the Twilio double), at a long code's 5 messages a second and a short
code's 100; a paused blast resumed then reaches every recipient exactly once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from bot.app import create_app
from bot.settings import Settings
from bot.tables import OUTBOX
from scheduler.process import Sending
from tests.helpers.partners import bearer, make_org
from tests.helpers.sending import ACCOUNT, blast, contact, free_port, sending_settings, served
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.webhook import AUTH_TOKEN

pytestmark = pytest.mark.db


def _wait(predicate: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def _statuses(engine: Engine, send_id: int) -> dict[str, int]:
    o = OUTBOX.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.status, func.count()).where(o.send_id == send_id).group_by(o.status)
        )
        return {str(status): int(n) for status, n in rows}


class Dispatching:
    """A dispatcher process's passes, in a thread, until stopped."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.sending = Sending.from_settings(engine, settings)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.sending.stop.is_set():
            self.sending.start_sends()
            asyncio.run(self.sending.pass_once())
            time.sleep(0.02)
        self.done.set()

    def __enter__(self) -> Dispatching:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.sending.stop.set()
        self.thread.join(timeout=30)
        self.sending.role.release()


@pytest.fixture
def double() -> Iterator[TwilioDouble]:
    with TwilioDouble(ACCOUNT, AUTH_TOKEN, latency=0.05) as d:
        yield d


@pytest.mark.parametrize("rate", [5, 100])
@pytest.mark.parametrize("action", ["pause", "cancel"])
def test_nothing_more_reaches_twilio_once_the_answer_comes(
    engine: Engine, double: TwilioDouble, rate: int, action: str
) -> None:
    port = free_port()
    settings = sending_settings(
        engine, double.url, f"http://127.0.0.1:{port}", TURNOUT_SEND_RATE=str(rate)
    )
    org_id, _, key = make_org(engine, "Coalition", admin=True)
    recipients = rate * 4  # four seconds of sending
    for i in range(recipients):
        contact(engine, f"+1213555{i:04d}", orgs=(org_id,))
    send_id = blast(engine, org_id, {"en": "Early voting starts Saturday"})
    with (
        served(settings, engine, port),
        TestClient(create_app(settings, engine)) as api,
        Dispatching(engine, settings),
    ):
        _wait(lambda: len(double.requests) >= rate, "a second of sending")
        answer = api.post(f"/api/v1/blasts/{send_id}/{action}", headers=bearer(key))
        received = len(double.requests)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == {"pause": "paused", "cancel": "cancelled"}[action]
        # The dispatcher goes on: what it held ahead is refused at launch, and it then finds
        # nothing due. Wait until it holds nothing of the blast.
        _wait(
            lambda: not {"claimed", "sending"} & set(_statuses(engine, send_id)),
            "the dispatcher to let go of the blast",
        )
        passes = double.requests[:]
    assert len(passes) == received, f"{len(passes) - received} reached Twilio after the answer"
    left = _statuses(engine, send_id)
    stopped = left.get("pending", 0) if action == "pause" else left.get("skipped", 0)
    assert 0 < received < recipients and stopped == recipients - received, left


def test_a_resumed_blast_reaches_everyone_once(engine: Engine, double: TwilioDouble) -> None:
    port = free_port()
    settings = sending_settings(
        engine, double.url, f"http://127.0.0.1:{port}", TURNOUT_SEND_RATE="50"
    )
    org_id, _, key = make_org(engine, "Coalition", admin=True)
    phones = [f"+1213556{i:04d}" for i in range(150)]
    for phone in phones:
        contact(engine, phone, orgs=(org_id,))
    send_id = blast(engine, org_id, {"en": "Polls close at 8"})
    with (
        served(settings, engine, port),
        TestClient(create_app(settings, engine)) as api,
        Dispatching(engine, settings),
    ):
        _wait(lambda: len(double.requests) >= 20, "some sending")
        paused = api.post(f"/api/v1/blasts/{send_id}/pause", headers=bearer(key))
        assert paused.json()["status"] == "paused"
        resumed = api.post(f"/api/v1/blasts/{send_id}/resume", headers=bearer(key))
        assert resumed.json()["status"] == "sending"
        _wait(lambda: len(double.requests) >= len(phones), "everyone", timeout=60)
        _wait(lambda: _statuses(engine, send_id).get("delivered") == len(phones), "delivery")
    assert sorted(r["To"] for r in double.requests) == sorted(phones)
