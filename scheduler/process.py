"""The APScheduler process: in `turnout serve` (background) or alone (`turnout scheduler`).

APScheduler drives the timing; the database says what is due. Jobs:

    plan_reminders   (scheduler role) every election's default reminder plan      10 min
    start_sends      (scheduler role) due blasts and reminders -> outbox rows       5 s
    dispatch         (every process)  settle rows in doubt, then drain the outbox   1 s
    expire           (scheduler role) reset idle conversations                      5 min
    close_unanswered (scheduler role) hand voters back whose request waited too long 5 min

Every job coalesces missed runs into one and has a misfire grace of an hour, so a run
missed while the process was down (or busy) is caught up, not skipped; since the jobs read
what is due from the database, one catch-up run does all the missed work. A reminder missed
by more than that still goes when the scheduler is back, until the reminder's own expiry.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine, func, select

from bot.clock import utcnow
from bot.contacts.imports.languages import LanguageNames
from bot.contacts.imports.restart import resume_stalled
from bot.contacts.imports.runner import ImportOptions
from bot.db import read_only, session_scope
from bot.sending import replies, sends
from bot.sending.plans import ensure_plans
from bot.sending.render import Renderer
from bot.sending.senders import ConsoleSender, Sender
from bot.settings import Settings
from bot.tables import OUTBOX, SENDS
from bot.translations.live import LiveTranslations
from bot.twilio.client import TwilioSender
from messages.catalog import Catalogs
from scheduler.dispatcher import Dispatcher, Stats
from scheduler.jobs import expire_conversations
from scheduler.role import Role

log = logging.getLogger(__name__)

# A run missed while the process was down is caught up once (coalesced), not skipped, if it
# is at most this late; the jobs read the database, so one catch-up run does all the work.
MISFIRE_GRACE = 3600


def make_sender_factory(settings: Settings) -> tuple[Callable[[], Sender], frozenset[str]]:
    """How this process sends (Twilio when configured, else the console) and its channels.
    A sender is made per pass: its connections belong to that pass's event loop."""
    if settings.twilio_account_sid and settings.twilio_auth_token:
        channels = TwilioSender.from_settings(settings).channels
        return (lambda: TwilioSender.from_settings(settings)), channels
    log.warning("Twilio is not configured: sends are printed on the console")
    return ConsoleSender, frozenset({"sms", "whatsapp"})


@dataclass
class Sending:
    """Blasts and reminders: the scheduler role's jobs and the dispatcher's passes."""

    engine: Engine
    settings: Settings
    make_sender: Callable[[], Sender]
    available: frozenset[str]
    role: Role
    renderer: Renderer
    stop: threading.Event = field(default_factory=threading.Event)
    _warned: bool = field(default=False, repr=False)
    translations: LiveTranslations | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.translations is None:  # the coalition's reviewed texts, in what it sends too
            self.translations = LiveTranslations(self.renderer.catalogs)

    @classmethod
    def from_settings(cls, engine: Engine, settings: Settings) -> Sending:
        """The sending side of a scheduler process."""
        from bot.runtime import operator_params  # the runtime's params, without its langid

        catalogs = Catalogs.load()
        make_sender, available = make_sender_factory(settings)
        renderer = Renderer(settings, catalogs, operator_params(settings, catalogs))
        return cls(engine, settings, make_sender, available, Role(engine), renderer)

    @property
    def status_url(self) -> str | None:
        """Where Twilio posts the status of what we send."""
        base = self.settings.public_base_url
        return f"{base}/twilio/status" if base else None

    def plan_reminders(self) -> int:
        """Make or update every upcoming election's reminder plan (scheduler role only)."""
        if not self.role.held():
            return 0
        with self.engine.begin() as conn:
            return ensure_plans(conn, default_zone=self.settings.timezone, now=utcnow())

    def start_sends(self) -> int:
        """Start every due send: its outbox rows, all at once (scheduler role only); mark
        done the sends with nothing left."""
        if not self.role.held():
            return 0
        started = 0
        with self.engine.connect() as conn:
            due = sends.due_sends(conn, utcnow())
        for send_id in due:
            with self.engine.begin() as conn:
                # Re-checked inside the transaction: paused or cancelled meanwhile, or
                # started by a scheduler that held the role a moment ago.
                status = conn.execute(select(SENDS.c.status).where(SENDS.c.id == send_id)).scalar()
                if status != "scheduled":
                    continue
                count = sends.start_send(
                    conn, send_id, default_language=self.settings.default_language, now=utcnow()
                )
            log.info("send %d started: %d recipients", send_id, count)
            started += 1
        with self.engine.begin() as conn:
            for send_id in sends.finish_sends(conn, utcnow()):
                log.info("send %d done", send_id)
        return started

    def dispatcher(self, sender: Sender) -> Dispatcher:
        """A dispatcher for one pass."""
        return Dispatcher(
            self.engine,
            self.settings,
            sender,
            self.renderer,
            self.available,
            self.status_url,
            lease=timedelta(seconds=self.settings.send_lease_seconds),
        )

    async def pass_once(self) -> Stats:
        """Settle rows in doubt, then send everything due."""
        assert self.translations is not None
        if self.translations.due():  # a review since the last look takes effect now
            with self.engine.connect() as conn:  # a read: beside SQLite's writer, not behind it
                self.translations.refresh(read_only(conn))
        self.renderer.clear()
        sender = self.make_sender()
        try:
            dispatcher = self.dispatcher(sender)
            settled = await dispatcher.reconcile()
            if settled:
                log.info("reconciled outbox rows: %s", dict(settled))
            stats = await dispatcher.drain(self.stop)
        finally:
            await sender.close()
        if stats.sent or stats.failed or stats.skipped or stats.deferred:
            log.info(
                "dispatched: %d sent, %d failed, %d retried, %d deferred, skipped %s",
                stats.sent,
                stats.failed,
                stats.retried,
                stats.deferred,
                dict(stats.skipped),
            )
        return stats

    def dispatch(self) -> None:
        """One dispatcher pass (an APScheduler job, in its own event loop)."""
        if self.make_sender is not ConsoleSender and self.status_url is None:
            if not self._warned:  # once, not every second
                log.error("not sending: set PUBLIC_BASE_URL so that Twilio can report delivery")
                self._warned = True
            return
        asyncio.run(self.pass_once())

    def busy(self) -> bool:
        """Whether anything is due now or in flight (`turnout dispatch --until-idle`)."""
        now = utcnow()
        o = OUTBOX.c
        due = (o.status.in_(sends.WAITING) & (o.available_at <= now)) | o.status.in_(
            sends.IN_FLIGHT
        )
        with self.engine.connect() as conn:
            open_rows = conn.execute(select(func.count()).where(due)).scalar_one()
            started = conn.execute(
                select(func.count()).where(SENDS.c.status == "scheduled", SENDS.c.send_at <= now)
            ).scalar_one()
        return bool(open_rows or started)


def _close_unanswered(engine: Engine, timeout: timedelta, role: Role) -> None:
    if not role.held():
        return
    with engine.begin() as conn:
        count = replies.close_unanswered(conn, timeout=timeout, now=utcnow())
    if count:
        log.info("handed %d voters back to the bot: nobody answered their request", count)


def _expire(engine: Engine, idle: timedelta, role: Role) -> None:
    if not role.held():
        return
    with session_scope(engine) as session:
        count = expire_conversations(session, now=utcnow(), idle=idle)
    if count:
        log.info("reset %d idle conversations", count)


def _resume_imports(engine: Engine, settings: Settings, catalogs: Catalogs, role: Role) -> None:
    """Contact imports a crash or a restart interrupted (scheduler role only)."""
    if not role.held():
        return
    options = ImportOptions(
        region=settings.default_region,
        languages=LanguageNames.from_catalogs(catalogs),
        batch_rows=settings.import_batch_rows,
    )
    resume_stalled(engine, options, utcnow())


def build_scheduler(
    engine: Engine, settings: Settings, *, blocking: bool, sending: Sending | None = None
) -> BaseScheduler:
    """A scheduler with Turnout's jobs, not yet started."""
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone="UTC") if blocking else BackgroundScheduler(timezone="UTC")
    )
    sending = sending or Sending.from_settings(engine, settings)
    idle = timedelta(minutes=settings.conversation_idle_minutes)
    waited = timedelta(hours=settings.handoff_timeout_hours)
    jobs: list[tuple[str, Callable[..., object], dict[str, float], list[object]]] = [
        ("expire_conversations", _expire, {"minutes": 5}, [engine, idle, sending.role]),
        ("close_unanswered", _close_unanswered, {"minutes": 5}, [engine, waited, sending.role]),
        ("plan_reminders", sending.plan_reminders, {"minutes": 10}, []),
        ("start_sends", sending.start_sends, {"seconds": 5}, []),
        ("dispatch", sending.dispatch, {"seconds": 1}, []),
        (
            "resume_imports",
            _resume_imports,
            {"minutes": 1},
            [engine, settings, sending.renderer.catalogs, sending.role],
        ),
    ]
    for job_id, func_, interval, args in jobs:
        # Sending starts at once; conversations are reset on their own rhythm.
        first = (
            {}
            if job_id in ("expire_conversations", "close_unanswered")
            else {"next_run_time": utcnow()}
        )
        scheduler.add_job(
            func_,
            "interval",
            args=args,
            id=job_id,
            coalesce=True,
            misfire_grace_time=MISFIRE_GRACE,
            max_instances=1,
            replace_existing=True,
            **first,
            **interval,
        )
    return scheduler
