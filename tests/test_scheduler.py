"""Scheduler jobs on both databases, and how the scheduler is put together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from bot.models import Contact, Conversation
from bot.settings import Settings
from scheduler.jobs import expire_conversations
from scheduler.process import MISFIRE_GRACE, build_scheduler

pytestmark = pytest.mark.db
NOW = datetime(2026, 11, 3, 18, 0, tzinfo=UTC)


def _conversation(session: Session, phone: str, idle: timedelta) -> int:
    contact = Contact(phone=phone, created_at=NOW, updated_at=NOW)
    session.add(contact)
    session.flush()
    assert contact.id is not None
    state = {"node": "reminders.asking", "at": (NOW - idle).isoformat()}
    session.add(Conversation(contact_id=contact.id, state=state, last_activity_at=NOW - idle))
    return contact.id


def test_expire_conversations_resets_only_idle_ones(engine: Engine) -> None:
    with Session(engine) as s:
        stale = _conversation(s, "+12135550301", timedelta(hours=25))
        fresh = _conversation(s, "+12135550302", timedelta(hours=23))
        s.commit()
        assert expire_conversations(s, now=NOW, idle=timedelta(hours=24)) == 1
        s.commit()
    with Session(engine) as s:
        states = dict(
            s.execute(select(col(Conversation.contact_id), col(Conversation.state))).all()
        )
    assert states[stale] is None
    assert states[fresh] == {
        "node": "reminders.asking",
        "at": (NOW - timedelta(hours=23)).isoformat(),
    }


def test_scheduler_catches_up_missed_runs(engine: Engine) -> None:
    settings = Settings(TURNOUT_CONVERSATION_IDLE_MINUTES=90, _env_file=None)
    scheduler = build_scheduler(engine, settings, blocking=False)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    job = jobs["expire_conversations"]
    assert job.misfire_grace_time == MISFIRE_GRACE >= 3600
    assert job.coalesce is True
    assert job.args[1] == timedelta(minutes=90)
