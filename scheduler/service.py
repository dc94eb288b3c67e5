"""The APScheduler process: in `turnout serve` (background) or alone (`turnout scheduler`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from bot.clock import utcnow
from bot.db import session_scope
from bot.settings import Settings
from scheduler.jobs import expire_conversations

log = logging.getLogger(__name__)

# A run missed while the process was down is caught up once (coalesced), not skipped, if it
# is at most this late; the jobs read the database, so one catch-up run does all the work.
MISFIRE_GRACE = 3600


def _expire(engine: Engine, idle: timedelta) -> None:
    with session_scope(engine) as session:
        count = expire_conversations(session, now=utcnow(), idle=idle)
    if count:
        log.info("reset %d idle conversations", count)


def build_scheduler(engine: Engine, settings: Settings, *, blocking: bool) -> BaseScheduler:
    """A scheduler with Turnout's jobs, not yet started."""
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC")
    )
    idle = timedelta(minutes=settings.conversation_idle_minutes)
    scheduler.add_job(
        _expire,
        "interval",
        minutes=5,
        args=[engine, idle],
        id="expire_conversations",
        coalesce=True,
        misfire_grace_time=MISFIRE_GRACE,
        max_instances=1,
        replace_existing=True,
    )
    return scheduler
