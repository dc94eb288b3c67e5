"""The dispatcher: drains the outbox through a sender, as fast as the sender's pace and
Twilio's concurrency allow, and settles what a crash left in doubt.

One pass (`drain`) runs four kinds of asyncio tasks over one event loop:

    producer   claims due rows and checks every rule (one transaction per batch), makes the
               ones to send ready (channel and text chosen), and queues them with their slot
               in the sender's pace
    launcher   when their slots come, marks them `sending` in one short transaction (before
               any request), but only those whose send still runs and whose contact has not
               opted out since (`outbox.launch`): a paused or cancelled blast stops at once
    workers    (TURNOUT_SEND_CONCURRENCY of them) call Twilio for the launched messages
    recorder   writes Twilio's answers in batches: SIDs, retries with backoff, failures

Database work runs in threads (`asyncio.to_thread`) so that responses keep flowing while a
batch commits. The pace is shared through the database (`sender_pace`), so several
dispatchers together keep one sender's rate.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy import Engine, insert, select, update

from bot.clock import utcnow
from bot.db import DatabaseBusy
from bot.phones import mask
from bot.sending import outbox
from bot.sending.outbox import Job, Outcome
from bot.sending.render import Renderer
from bot.sending.senders import Outgoing, Sender, SendResult
from bot.settings import Settings
from bot.tables import SENDER_PACE as PACE
from bot.twilio.codes import TOO_MANY_REQUESTS

log = logging.getLogger(__name__)
T = TypeVar("T")
AHEAD = 2.0  # seconds of paced sending claimed ahead
LAUNCH_SLACK = 0.005  # messages due this soon after the first go in the same launch
LAUNCH_EVERY = 0.01  # seconds between launches when the workers keep up
BUSY_RETRIES = 20  # tries of a unit of work that found SQLite's writer busy


def worker_name() -> str:
    """This dispatcher's name on the rows it claims: host and process."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def reserve(engine: Engine, sender: str, count: int, rate: float) -> float:
    """Reserve `count` consecutive slots of a sender paced at `rate` messages a second;
    returns the Unix time of the first. Serialized by the pace row's lock."""
    now = time.time()
    with engine.begin() as conn:
        query = select(PACE.c.next_at).where(PACE.c.sender == sender)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update()
        found = conn.execute(query).scalar()
        start = max(float(found or 0.0), now)
        end = start + count / rate
        if found is None:
            try:
                conn.execute(insert(PACE).values(sender=sender, next_at=end))
            except Exception:  # another dispatcher made the row first: take the next turn
                conn.rollback()
                return reserve(engine, sender, count, rate)
        else:
            conn.execute(update(PACE).where(PACE.c.sender == sender).values(next_at=end))
    return start


@dataclass
class Stats:
    """What one pass did."""

    sent: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    deferred: int = 0
    retried: int = 0
    failed: int = 0
    in_doubt: int = 0
    held: int = 0  # not launched: their send was paused
    first_request: float | None = None
    last_request: float | None = None

    def add(self, tally: Counter[str]) -> None:
        """Count what `outbox.record` reported."""
        self.sent += tally["sent"]
        self.retried += tally["retry"]
        self.failed += tally["failed"]
        self.in_doubt += tally["in_doubt"]


@dataclass
class Dispatcher:
    """Drains the outbox through a sender under the settings' pace and rules."""

    engine: Engine
    settings: Settings
    sender: Sender
    renderer: Renderer
    available: frozenset[str]
    status_url: str | None
    worker: str = field(default_factory=worker_name)
    lease: timedelta = timedelta(seconds=120)
    clock: Callable[[], datetime] = utcnow

    def rate(self, channel: str) -> float:
        """Messages a second for a channel's sender (0: unpaced)."""
        return self.settings.whatsapp_rate if channel == "whatsapp" else self.settings.sms_rate

    def sender_key(self, channel: str) -> str:
        """The pace row of a channel's sender."""
        settings = self.settings
        if channel == "whatsapp":
            return f"whatsapp:{settings.twilio_whatsapp_from or '-'}"
        return f"sms:{settings.twilio_messaging_service_sid or settings.twilio_sms_from or '-'}"

    def batch_size(self) -> int:
        """Rows claimed at once: about AHEAD seconds of the slowest paced sender, so that a
        rule checked at claim time (an opt-out, quiet hours) is at most that old when the
        message goes; 500 when a channel is unpaced (a paced one's messages are checked
        for an opt-out again just before they go)."""
        rates = [self.rate(c) for c in self.available]
        if not rates or min(rates) <= 0:
            return 500
        return max(1, min(500, int(min(rates) * AHEAD)))

    async def _db(self, fn: Callable[[], T]) -> T:
        # DatabaseBusy comes before the transaction begins (SQLite's writer stayed busy past
        # its wait): nothing was done, so the unit is tried again. Left to fail, it ended the
        # launcher while the producer kept its queue full: the pass never returned and the
        # blast stopped (seen in the election-day benchmark with inbound texts at 200/s).
        for attempt in range(BUSY_RETRIES):
            try:
                return await asyncio.to_thread(fn)
            except DatabaseBusy:
                if attempt == BUSY_RETRIES - 1:
                    raise
                log.warning("dispatcher: the database is busy; trying again")
                await asyncio.sleep(0.1 * (attempt + 1))
        raise AssertionError("unreachable")

    def _claim(self) -> tuple[int, outbox.Prepared]:
        now = self.clock()
        with self.engine.begin() as conn:
            ids = outbox.claim(
                conn, worker=self.worker, now=now, limit=self.batch_size(), lease=self.lease
            )
            prepared = outbox.prepare(
                conn,
                ids,
                settings=self.settings,
                renderer=self.renderer,
                available=self.available,
                now=now,
                lease=self.lease,
                status_url=self.status_url,
            )
        return len(ids), prepared

    def _record(self, outcomes: list[Outcome]) -> Counter[str]:
        with self.engine.begin() as conn:
            return outbox.record(conn, outcomes, settings=self.settings, now=self.clock())

    def _launch(self, jobs: list[Job]) -> tuple[list[Job], Counter[str]]:
        with self.engine.begin() as conn:
            return outbox.launch(conn, jobs, worker=self.worker, now=self.clock(), lease=self.lease)

    async def drain(self, stop: threading.Event | None = None) -> Stats:
        """Send everything due now; return when nothing is due (or when told to stop)."""
        stats = Stats()
        concurrency = self.settings.send_concurrency
        queue: asyncio.Queue[tuple[Job, float] | None] = asyncio.Queue()
        launched: asyncio.Queue[Job | None] = asyncio.Queue()
        outcomes: list[Outcome] = []
        done = asyncio.Event()
        busy = [0]  # requests launched and not yet answered
        freed = asyncio.Event()
        # Claim the next batch while at least two batches' worth are still queued: a claim
        # (rules checked, rows marked) takes a fraction of a second with the event loop
        # busy, and the workers must not run dry meanwhile.
        low_water = max(concurrency * 2, self.batch_size() * 2)

        async def produce() -> None:
            horizon = 0.0  # the latest pace slot queued
            try:
                while not (stop and stop.is_set()):
                    if launcher.done():  # it failed: nobody takes from the queue any more
                        return
                    if queue.qsize() > low_water or horizon - time.time() > AHEAD:
                        await asyncio.sleep(0.01)
                        continue
                    claimed, prepared = await self._db(self._claim)
                    stats.skipped.update(prepared.skipped)
                    stats.deferred += prepared.deferred
                    if not claimed:
                        return
                    horizon = max(horizon, await self._enqueue(queue, prepared.jobs))
            finally:
                queue.put_nowait(None)

        async def launch() -> None:
            waiting: list[tuple[Job, float] | None] = []  # taken from the queue, not launched
            try:
                while True:
                    item = waiting.pop() if waiting else await queue.get()
                    if item is None:
                        return
                    delay = item[1] - time.time()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    while busy[0] >= concurrency:
                        freed.clear()
                        await freed.wait()
                    batch = [item[0]]
                    while len(batch) < concurrency - busy[0] and not queue.empty():
                        nxt = queue.get_nowait()
                        if nxt is None or nxt[1] > time.time() + LAUNCH_SLACK:
                            waiting.append(nxt)
                            break
                        batch.append(nxt[0])
                    go, held = await self._db(partial(self._launch, batch))
                    stats.skipped.update({k: n for k, n in held.items() if k != "paused"})
                    stats.held += held["paused"]
                    busy[0] += len(go)
                    for job in go:
                        launched.put_nowait(job)
                    if not waiting and len(batch) < concurrency:
                        # Let answers come in: fewer, larger launches.
                        await asyncio.sleep(LAUNCH_EVERY)
            finally:
                for _ in range(concurrency):
                    launched.put_nowait(None)

        async def work() -> None:
            while (job := await launched.get()) is not None:
                started = time.time()
                if stats.first_request is None:
                    stats.first_request = started
                stats.last_request = started
                result = await self._send(job)
                outcomes.append(Outcome(job, result, self.clock()))
                busy[0] -= 1
                freed.set()
                if result.retryable and result.error_code == TOO_MANY_REQUESTS:
                    await asyncio.sleep(1.0)  # Twilio says slow down: this worker rests

        async def flush_loop() -> None:
            while not done.is_set():
                await asyncio.sleep(0.2)
                await flush()

        async def flush() -> None:
            if outcomes:
                batch = outcomes[:]
                del outcomes[: len(batch)]
                stats.add(await self._db(lambda: self._record(batch)))

        flusher = asyncio.create_task(flush_loop())
        workers = [asyncio.create_task(work()) for _ in range(concurrency)]
        launcher = asyncio.create_task(launch())
        try:
            await produce()
            await launcher
            await asyncio.gather(*workers)
        finally:
            done.set()
            await flusher
            await flush()
        return stats

    async def _enqueue(
        self, queue: asyncio.Queue[tuple[Job, float] | None], jobs: list[Job]
    ) -> float:
        """Queue jobs with their pace slots, reserved per sender for the whole batch; returns
        the latest slot."""
        latest = 0.0
        by_channel: dict[str, list[Job]] = {}
        for job in jobs:
            by_channel.setdefault(job.message.channel, []).append(job)
        for channel, group in by_channel.items():
            rate = self.rate(channel)
            if rate <= 0:
                for job in group:
                    queue.put_nowait((job, 0.0))
                continue
            start = await asyncio.to_thread(
                reserve, self.engine, self.sender_key(channel), len(group), rate
            )
            for i, job in enumerate(group):
                queue.put_nowait((job, start + i / rate))
            latest = max(latest, start + (len(group) - 1) / rate)
        return latest

    async def _send(self, job: Job) -> SendResult:
        try:
            return await self.sender.send(job.message)
        except Exception as exc:  # a sender bug must not lose the row: it stays in doubt
            log.exception("sending outbox %s to %s failed", job.outbox_id, mask(job.message.to))
            return SendResult(None, "in_doubt", None, f"{type(exc).__name__}: {exc}")

    async def reconcile(self, limit: int = 500) -> Counter[str]:
        """Settle rows a dead dispatcher left: claimed ones are due again (nothing was sent);
        `sending` ones are looked up at Twilio: found, the SID is recorded; not there, due
        again; Twilio unreachable, asked again later, and after a day a person reviews it."""
        tally: Counter[str] = Counter()
        now = self.clock()

        def release() -> int:
            with self.engine.begin() as conn:
                return outbox.release_expired_claims(conn, now)

        tally["released"] = await self._db(release)

        def doubtful() -> list[object]:
            with self.engine.connect() as conn:
                return list(outbox.in_doubt(conn, now, limit))

        for row in await self._db(doubtful):
            message = Outgoing(
                row.to_address,  # type: ignore[attr-defined]
                row.channel,  # type: ignore[attr-defined]
                row.body,  # type: ignore[attr-defined]
                row.content_sid,  # type: ignore[attr-defined]
            )
            sending_at: datetime = row.sending_at  # type: ignore[attr-defined]
            found = await self.sender.find(message, sending_at)
            outcome = await asyncio.to_thread(
                self._settle,
                int(row.id),  # type: ignore[attr-defined]
                found,
                sending_at,
                now,
            )
            tally[outcome] += 1
        return +tally

    def _settle(
        self, outbox_id: int, found: str | bool | None, sending_at: datetime, now: datetime
    ) -> str:
        """Record what Twilio said of a row in doubt (see `reconcile`)."""
        with self.engine.begin() as conn:
            if isinstance(found, str):
                outbox.resolve(conn, outbox_id, "found", now=now, sid=found)
                return "found"
            if found is None:
                outbox.resolve(conn, outbox_id, "resend", now=now)
                return "resend"
            if now - sending_at > timedelta(days=1):
                outbox.resolve(conn, outbox_id, "review", now=now)
                return "review"
            outbox.extend_lease(conn, outbox_id, now + timedelta(minutes=1), now)
            return "later"
