"""Election morning in miniature, for the mixed-load test and its benchmark: the web app and the
in-process scheduler as `turnout serve` runs them, the Twilio double posting status callbacks
back, and at the same time a blast going out, voters texting, and an organizer's key firing
test sends at the API. Every request's latency is kept."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx2 as httpx
from sqlalchemy import Engine, func, select
from twilio.request_validator import RequestValidator

from bot.settings import Settings
from bot.tables import OUTBOX, SENDS
from scheduler.process import Sending, build_scheduler
from tests.helpers.partners import bearer, make_org
from tests.helpers.sending import blast, contact, free_port, sending_settings, served
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.webhook import AUTH_TOKEN, TO, sid

TEST_NUMBERS = 40  # test sends fired at once (the daily cap is 20)


@dataclass
class Report:
    """What the load got: each request's kind, status and seconds."""

    calls: list[tuple[str, int, float]] = field(default_factory=list)
    seconds: float = 0.0

    def statuses(self, kind: str) -> list[int]:
        """The statuses answered to one kind of request."""
        return [status for k, status, _ in self.calls if k == kind]

    def server_errors(self) -> list[tuple[str, int, float]]:
        """Every answer of 500 or more."""
        return [call for call in self.calls if call[1] >= 500]

    def quantile(self, q: float, kind: str | None = None) -> float:
        """A latency quantile in seconds (of one kind, or of all)."""
        found = sorted(s for k, _, s in self.calls if kind is None or k == kind)
        if len(found) < 2:
            return found[0] if found else 0.0
        return statistics.quantiles(found, n=100, method="inclusive")[int(q * 100) - 1]


@dataclass
class World:
    """The organizations, the blast and the voters of one run."""

    base: str
    key: str
    blast_id: int
    members: list[str]
    voters: list[str]


def wait_for(predicate: Callable[[], object], what: str, timeout: float = 60.0) -> None:
    """Wait until `predicate()` holds (polling), or fail saying what did not happen."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def outbox_statuses(engine: Engine, *, kind: str) -> dict[str, int]:
    """Outbox rows of every send of a kind, by status."""
    o, s = OUTBOX.c, SENDS.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.status, func.count())
            .join(SENDS, s.id == o.send_id)
            .where(s.kind == kind)
            .group_by(o.status)
        )
        return {str(status): int(n) for status, n in rows}


@contextmanager
def election_morning(
    engine: Engine, *, recipients: int, voters: int, double: TwilioDouble
) -> Iterator[World]:
    """The app and its scheduler on a real port, a partner with `recipients` members and a
    scheduled blast to them, `voters` more phones ready to text."""
    port = free_port()
    settings: Settings = sending_settings(engine, double.url, f"http://127.0.0.1:{port}")
    settings = settings.model_copy(update={"send_lease_seconds": 30})
    org_id, _, key = make_org(engine, "Chinatown Votes")
    members = [f"+1213556{i:04d}" for i in range(recipients)]
    for phone in members:
        contact(engine, phone, orgs=(org_id,))
    blast_id = blast(engine, org_id, {"en": "Polls are open until 8pm. Reply 2 to find yours."})
    phones = [f"+1213557{i:04d}" for i in range(voters)]
    sending = Sending.from_settings(engine, settings)
    scheduler = build_scheduler(engine, settings, blocking=False, sending=sending)
    with served(settings, engine, port) as base:
        scheduler.start()
        try:
            yield World(base, key, blast_id, members, phones)
        finally:
            sending.stop.set()
            scheduler.shutdown(wait=True)
            sending.role.release()


def fire(world: World, *, texts: int, threads: int = 32) -> Report:
    """Voters' texts (each voter two messages, in order) and the organizer's test sends, all
    at once from `threads` threads; returns every answer's status and latency."""
    report = Report()
    lock = threading.Lock()
    validator = RequestValidator(AUTH_TOKEN)
    url = f"{world.base}/twilio/messages"
    client = httpx.Client(base_url=world.base, timeout=60, limits=httpx.Limits(max_connections=64))

    def timed(kind: str, call: Callable[[], Any]) -> None:
        started = time.perf_counter()
        status = call().status_code
        with lock:
            report.calls.append((kind, status, time.perf_counter() - started))

    def voter(phone: str) -> None:
        for body in ("hola", "2")[: max(1, texts)]:
            data = {"MessageSid": sid(), "From": phone, "To": TO, "Body": body, "NumMedia": "0"}
            signature = validator.compute_signature(url, data)
            headers = {"X-Twilio-Signature": signature}
            timed("webhook", partial(client.post, "/twilio/messages", data=data, headers=headers))

    def test_send(n: int) -> None:
        phone = world.members[n % len(world.members)]
        path = f"/api/v1/blasts/{world.blast_id}/test"
        timed(
            "test_send",
            lambda: client.post(path, json={"phone": phone}, headers=bearer(world.key)),
        )

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        jobs = [pool.submit(voter, phone) for phone in world.voters]
        jobs += [pool.submit(test_send, n) for n in range(TEST_NUMBERS)]
        for job in jobs:
            job.result()
    report.seconds = time.perf_counter() - started
    client.close()
    return report
