"""The scheduler side of sending: one scheduler role at a time, several dispatchers draining
one outbox without sending anything twice, catching up after downtime, and the jobs."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert, text, update

from bot import tables
from bot.clock import utcnow
from bot.sending import sends
from scheduler.dispatcher import worker_name
from scheduler.process import MISFIRE_GRACE, Sending, build_scheduler
from scheduler.role import Role
from tests.helpers.sending import (
    ACCOUNT,
    blast,
    contact,
    drain,
    organization,
    outbox_rows,
    sending_settings,
)
from tests.helpers.twilio_double import TwilioDouble
from tests.helpers.webhook import AUTH_TOKEN

pytestmark = pytest.mark.db


@pytest.fixture
def double() -> Iterator[TwilioDouble]:
    with TwilioDouble(ACCOUNT, AUTH_TOKEN, latency=0.01, callbacks=False) as d:
        yield d


def test_one_process_at_a_time_holds_the_scheduler_role(engine: Engine) -> None:
    first, second = Role(engine), Role(engine)
    try:
        assert first.held()
        if engine.dialect.name == "postgresql":
            assert not second.held()  # the advisory lock is taken
            first.release()
            assert second.held()  # ... and free again once released
            assert not first.held()
        else:
            assert second.held()  # SQLite runs one scheduler process
    finally:
        first.release()
        second.release()


def test_only_the_role_holder_starts_sends(engine: Engine, double: TwilioDouble) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs a single scheduler process: there is no other to exclude")
    settings = sending_settings(engine, double.url, "http://127.0.0.1:9")
    org = organization(engine, "org")
    contact(engine, "+12135550201", orgs=(org,))
    send_id = blast(engine, org, {"en": "Vote"})
    holder, other = Sending.from_settings(engine, settings), Sending.from_settings(engine, settings)
    try:
        assert holder.role.held()
        assert other.start_sends() == 0
        assert outbox_rows(engine, send_id) == []
        assert holder.start_sends() == 1
        assert len(outbox_rows(engine, send_id)) == 1
    finally:
        holder.role.release()
        other.role.release()


def test_several_dispatchers_drain_one_outbox_once(engine: Engine, double: TwilioDouble) -> None:
    settings = sending_settings(engine, double.url, "http://127.0.0.1:9")
    org = organization(engine, "org")
    phones = [f"+1213555{3000 + i:04d}" for i in range(300)]
    for phone in phones:
        contact(engine, phone, orgs=(org,))
    send_id = blast(engine, org, {"en": "Vote"})
    starter = Sending.from_settings(engine, settings)
    starter.start_sends()
    starter.role.release()
    # Three dispatchers at once, as three `turnout scheduler` processes would run them (on
    # SQLite their transactions take turns; on PostgreSQL rows are claimed SKIP LOCKED).
    passes = [Sending.from_settings(engine, settings) for _ in range(3)]
    stats = []
    threads = [
        threading.Thread(target=lambda s=s: stats.append(asyncio.run(s.pass_once())))
        for s in passes
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(double.count_by_to()) == sorted(phones)
    assert set(double.count_by_to().values()) == {1}
    assert sum(s.sent for s in stats) == len(phones)
    claimed_by = {r.claimed_by for r in outbox_rows(engine, send_id)}
    assert all(r.status == "sent" for r in outbox_rows(engine, send_id))
    assert claimed_by == {worker_name()}  # each row names its dispatcher (host:pid)


def test_a_send_missed_while_down_is_caught_up_and_a_stale_one_expires(
    engine: Engine, double: TwilioDouble
) -> None:
    settings = sending_settings(engine, double.url, "http://127.0.0.1:9")
    org = organization(engine, "org")
    contact(engine, "+12135550211", orgs=(org,))
    now = utcnow()
    late = blast(engine, org, {"en": "Missed at 9"}, send_at=now - dt.timedelta(hours=5))
    with engine.begin() as conn:
        stale = sends.create_send(
            conn,
            {
                "kind": "reminder",
                "name": "polls close soon",
                "send_at": now - dt.timedelta(hours=3),
                "expires_at": now - dt.timedelta(hours=1),  # polls have closed
                "texts": {"en": "Polls close in 2 hours"},
                "audience": {},
            },
            now,
        )
        conn.execute(update(tables.CONTACTS).values(reminders=True))

    drain(Sending.from_settings(engine, settings))

    assert [r.status for r in outbox_rows(engine, late)] == ["sent"]
    assert [(r.status, r.reason) for r in outbox_rows(engine, stale)] == [("skipped", "expired")]
    assert [m["body"] for m in double.created] == ["Missed at 9\nReply STOP to opt out."]


def test_the_scheduler_has_the_sending_jobs_with_a_deliberate_misfire_grace(
    engine: Engine, double: TwilioDouble
) -> None:
    settings = sending_settings(engine, double.url, "http://127.0.0.1:9")
    scheduler = build_scheduler(engine, settings, blocking=False)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "expire_conversations",
        "close_unanswered",
        "plan_reminders",
        "start_sends",
        "dispatch",
        "resume_imports",
    }
    for job in jobs.values():
        assert job.misfire_grace_time == MISFIRE_GRACE
        assert job.coalesce is True
        assert job.max_instances == 1


def test_a_large_send_refreshes_the_outbox_statistics_on_postgresql(engine: Engine) -> None:
    """Without fresh statistics the planner scans the whole outbox for every claim."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's planner keeps no statistics to refresh")
    org = organization(engine, "org")
    now = utcnow()
    with engine.begin() as conn:
        ids = conn.execute(
            insert(tables.CONTACTS).returning(tables.CONTACTS.c.id),
            [
                {"phone": f"+1213556{i:04d}", "created_at": now, "updated_at": now}
                for i in range(sends.ANALYZE_AFTER)
            ],
        ).scalars()
        conn.execute(
            insert(tables.MEMBERSHIPS),
            [
                {"organization_id": org, "contact_id": cid, "created_at": now, "updated_at": now}
                for cid in ids
            ],
        )
    send_id = blast(engine, org, {"en": "Vote"})
    with engine.begin() as conn:
        before = conn.execute(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'outbox'")
        ).scalar()
        assert sends.start_send(conn, send_id, default_language="en", now=now) == 1000
    with engine.connect() as conn:
        after = conn.execute(
            text("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'outbox'")
        ).scalar()
    assert after is not None and after != before


def test_without_public_base_url_nothing_goes_and_nothing_is_lost(
    engine: Engine, double: TwilioDouble, caplog: pytest.LogCaptureFixture
) -> None:
    """Every message must carry its status callback URL: without PUBLIC_BASE_URL the
    dispatcher refuses (once, loudly) and the messages wait."""
    settings = sending_settings(engine, double.url, None)
    org = organization(engine, "org")
    contact(engine, "+12135550221", orgs=(org,))
    send_id = blast(engine, org, {"en": "Vote"})
    sending = Sending.from_settings(engine, settings)
    try:
        sending.start_sends()
        with caplog.at_level("ERROR", logger="scheduler.process"):
            sending.dispatch()
            sending.dispatch()
    finally:
        sending.role.release()
    assert double.requests == []
    assert [r.status for r in outbox_rows(engine, send_id)] == ["pending"]
    refusals = [r for r in caplog.records if "set PUBLIC_BASE_URL" in r.getMessage()]
    assert len(refusals) == 1
