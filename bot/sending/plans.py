"""Election reminder plans: each upcoming election gets a default plan, one send per step,
at local times of the election's time zone; organizers may move or cancel a step, and the
plan then leaves that step alone when the election's dates change.

    registration_deadline  the deadline - 3 days, 10:00   (until the deadline ends)
    early_voting           early voting's first day, 10:00 (until it ends)
    eve                    the day before, 17:00           (until polls open)
    morning                election day, when polls open (not before 08:00)   (until close)
    closing                2 hours before polls close      (until they close)

A step whose facts are unknown (no deadline, no closing time) is not planned; a step whose
time has already passed when the plan is made is not planned either (a deadline reminder
after the deadline would mislead). Once planned, a step missed while the scheduler was down
is caught up when it comes back, until the step's expiry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, update

from bot.clock import zone
from bot.sending.rules import local_instant
from bot.sql import upsert_insert
from bot.tables import ELECTIONS as _ELECTIONS
from bot.tables import SENDS
from bot.voter.elections import ElectionInfo, upcoming_election

STEPS = ("registration_deadline", "early_voting", "eve", "morning", "closing")


@dataclass(frozen=True)
class Step:
    """One planned reminder: when it goes and until when it is still worth sending."""

    key: str
    send_at: dt.datetime
    expires_at: dt.datetime
    message_key: str


def plan(info: ElectionInfo, default_zone: str) -> list[Step]:
    """The default plan of an election (steps whose facts it has)."""
    tz = zone(info.timezone) or zone(default_zone) or ZoneInfo("UTC")

    def at(day: dt.date, clock: dt.time) -> dt.datetime:
        return local_instant(day, clock, tz).astimezone(dt.UTC)

    opens = info.polls_open or dt.time(7, 0)
    closes = info.polls_close or dt.time(20, 0)
    steps: list[Step] = []
    if info.registration_deadline:
        deadline = info.registration_deadline
        steps.append(
            Step(
                "registration_deadline",
                at(deadline - dt.timedelta(days=3), dt.time(10, 0)),
                at(deadline + dt.timedelta(days=1), dt.time(0, 0)),
                "reminders.registration_deadline",
            )
        )
    if info.early_voting_start:
        end = info.early_voting_end or info.date - dt.timedelta(days=1)
        steps.append(
            Step(
                "early_voting",
                at(info.early_voting_start, dt.time(10, 0)),
                at(end + dt.timedelta(days=1), dt.time(0, 0)),
                "reminders.early_voting",
            )
        )
    steps.append(
        Step(
            "eve",
            at(info.date - dt.timedelta(days=1), dt.time(17, 0)),
            at(info.date, opens),
            "reminders.eve",
        )
    )
    steps.append(
        Step(
            "morning",
            at(info.date, max(opens, dt.time(8, 0))),
            at(info.date, closes),
            "reminders.morning",
        )
    )
    if info.polls_close:
        close = dt.datetime.combine(info.date, info.polls_close)
        steps.append(
            Step(
                "closing",
                at(info.date, (close - dt.timedelta(hours=2)).time()),
                at(info.date, info.polls_close),
                "reminders.closing",
            )
        )
    return steps


def upcoming_dates(conn: Connection, today: dt.date) -> list[dt.date]:
    """The dates of elections on or after today."""
    query = select(_ELECTIONS.c.date).where(_ELECTIONS.c.date >= today).distinct()
    return sorted(conn.execute(query).scalars())


def ensure_plans(conn: Connection, *, default_zone: str, now: dt.datetime) -> int:
    """Create the missing steps of every upcoming election's plan and move the unedited,
    unstarted ones when the election's facts changed. Returns the steps created."""
    created = 0
    for date in upcoming_dates(conn, now.date() - dt.timedelta(days=1)):
        info = upcoming_election(conn, today=date)
        if info is None or info.date != date:
            continue
        created += ensure_plan(conn, info, default_zone=default_zone, now=now)
    return created


def ensure_plan(
    conn: Connection, info: ElectionInfo, *, default_zone: str, now: dt.datetime
) -> int:
    """Plan one election's reminders (see the module's docstring)."""
    s = SENDS.c
    existing = {
        row.reminder: row
        for row in conn.execute(
            select(SENDS).where(s.kind == "reminder", s.election_date == info.date)
        )
    }
    created = 0
    for step in plan(info, default_zone):
        row = existing.get(step.key)
        if row is None:
            if step.send_at <= now:
                continue
            values: dict[str, Any] = {
                "kind": "reminder",
                "name": f"{info.name}: {step.key.replace('_', ' ')}",
                "status": "scheduled",
                "send_at": step.send_at,
                "expires_at": step.expires_at,
                "message_key": step.message_key,
                "election_date": info.date,
                "reminder": step.key,
                "edited": False,
                "audience": {},
                "created_at": now,
                "updated_at": now,
            }
            # Two planners at once (an API call and the scheduler) make one plan: the second
            # insert finds the step there and does nothing.
            done = conn.execute(
                upsert_insert(conn, SENDS)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["election_date", "reminder"])
                .execution_options(preserve_rowcount=True)
            )
            created += int(done.rowcount or 0)
        elif not row.edited and row.status == "scheduled" and row.send_at != step.send_at:
            conn.execute(
                update(SENDS)
                .where(s.id == row.id)
                .values(send_at=step.send_at, expires_at=step.expires_at, updated_at=now)
            )
    return created


def reminders_of(conn: Connection, date: dt.date) -> list[Any]:
    """The reminder sends of the election on `date`, in time order."""
    s = SENDS.c
    query = select(SENDS).where(s.kind == "reminder", s.election_date == date)
    return list(conn.execute(query.order_by(s.send_at)))


def edit_reminder(
    conn: Connection,
    send_id: int,
    *,
    now: dt.datetime,
    send_at: dt.datetime | None = None,
    templates: dict[str, str] | None = None,
    texts: dict[str, str] | None = None,
) -> None:
    """Move a reminder, give it WhatsApp templates, or replace its text with the organizers'
    own (per language); a moved reminder is left alone by later plan updates."""
    values: dict[str, Any] = {"updated_at": now}
    if send_at is not None:
        values |= {"send_at": send_at, "edited": True}
    if templates is not None:
        values["templates"] = templates
    if texts is not None:
        values["texts"] = texts or None
    conn.execute(update(SENDS).where(SENDS.c.id == send_id).values(**values))
