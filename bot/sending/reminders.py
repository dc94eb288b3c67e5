"""The reminders service: each election's plan of reminders (see `bot.sending.plans`), read by
any organization like the election itself; a coalition admin moves a step, gives it WhatsApp
templates or its own texts, and pauses, resumes or cancels it. Defining an election makes (or
moves) its plan at once.

Reminders go to contacts who said YES to reminders, in their language, with the election's
facts. Keyword-only functions over a connection; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from bot.access import Caller
from bot.errors import Conflict, Invalid, NotFound
from bot.sending.drafts import (
    SendContext,
    Template,
    Text,
    check_languages,
    check_texts,
    check_time,
    utc,
)
from bot.sending.plans import edit_reminder, ensure_plan, reminders_of
from bot.sending.sends import (
    Audience,
    audience_query,
    counts,
    language_counts,
    set_state,
    wait_in_flight,
)
from bot.sending.views import Counts
from bot.statuses import SendKind, SendStatus
from bot.tables import ELECTIONS, SENDS
from bot.voter.elections import (
    ORGANIZER_SOURCES,
    find_election,
    replace_election,
    save_election,
    upcoming_election,
)

log = logging.getLogger(__name__)
EDITABLE = (SendStatus.SCHEDULED, SendStatus.PAUSED)


class ReminderOut(BaseModel):
    """One step of an election's reminder plan."""

    id: int
    reminder: str = Field(
        description="registration_deadline, early_voting, eve, morning or closing"
    )
    name: str
    election_date: dt.date
    status: str = Field(description="scheduled, sending, paused, done or cancelled")
    send_at: dt.datetime
    expires_at: dt.datetime | None = Field(description="not sent after this")
    edited: bool = Field(description="moved by an organizer: the plan leaves its time alone")
    message_key: str | None
    texts: dict[str, str] | None = Field(description="the organizers' own texts, if any")
    templates: dict[str, str] | None
    recipients: int | None
    counts: Counts


class ReminderEdit(BaseModel):
    """What to change of a reminder; what is left out stays."""

    model_config = ConfigDict(extra="forbid")

    send_at: AwareDatetime | None = Field(None, description="with its offset or Z")
    templates: dict[str, Template] | None = Field(
        None, description="WhatsApp Content SIDs per language; {} removes them"
    )
    texts: dict[str, Text] | None = Field(
        None,
        description="the organizers' own text per language instead of the catalog message "
        "(the election's facts are then not filled in); {} goes back to the catalog message",
    )

    @model_validator(mode="after")
    def _something(self) -> ReminderEdit:
        if self.send_at is None and self.templates is None and self.texts is None:
            raise ValueError("give send_at, templates or texts")
        return self


def plan_election(conn: Connection, date: dt.date, *, default_zone: str, now: dt.datetime) -> int:
    """Make (or bring up to date) the reminder plan of the election on `date`; the steps
    created. Nothing for a date that is not the next election's from that day."""
    info = upcoming_election(conn, today=date)
    if info is None or info.date != date:
        return 0
    return ensure_plan(conn, info, default_zone=default_zone, now=now)


def plan_in_transaction(
    conn: Connection, date: dt.date, *, default_zone: str, now: dt.datetime
) -> int:
    """`plan_election` inside the caller's transaction (after it wrote the election), in a
    savepoint: a plan another request made at the same moment is not an error."""
    try:
        with conn.begin_nested():
            return plan_election(conn, date, default_zone=default_zone, now=now)
    except IntegrityError:
        log.info("the reminder plan of %s was made by another request", date)
        return 0


def plan_now(engine: Engine, date: dt.date, *, default_zone: str, now: dt.datetime) -> int:
    """`plan_election` in a transaction of its own."""
    try:
        with engine.begin() as conn:
            return plan_election(conn, date, default_zone=default_zone, now=now)
    except IntegrityError:
        log.info("the reminder plan of %s was made by another request", date)
        return 0


def define_election(
    conn: Connection,
    *,
    caller: Caller,
    values: Mapping[str, Any],
    source: str,
    default_zone: str,
    now: dt.datetime,
) -> tuple[int, int]:
    """Define an election (or update the one with its name and date) and make or move its
    reminder plan (coalition admins); returns the election's id and the steps planned."""
    caller.require_admin()
    election_id = save_election(conn, values=dict(values), source=source, now=now)
    planned = plan_in_transaction(conn, values["date"], default_zone=default_zone, now=now)
    return election_id, planned


def reminder_view(conn: Connection, row: Any) -> ReminderOut:
    """The view of a reminder row."""
    return ReminderOut(
        id=row.id,
        reminder=row.reminder or "",
        name=row.name,
        election_date=row.election_date,
        status=row.status,
        send_at=utc(row.send_at),
        expires_at=utc(row.expires_at),
        edited=bool(row.edited),
        message_key=row.message_key,
        texts=row.texts or None,
        templates=row.templates or None,
        recipients=row.recipients,
        counts=Counts(**counts(conn, row.id)),
    )


def find_reminder(conn: Connection, *, reminder_id: int, lock: bool = False) -> Any:
    """A reminder step by id; NotFound otherwise."""
    s = SENDS.c
    query = select(SENDS).where(s.id == reminder_id, s.kind == SendKind.REMINDER)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound()
    return row


def election_date(conn: Connection, *, election_id: int) -> dt.date:
    """The date of an election by id; NotFound otherwise."""
    found = conn.execute(
        select(ELECTIONS.c.date).where(ELECTIONS.c.id == election_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    assert isinstance(found, dt.date)
    return found


def reminder_of(
    conn: Connection, *, election_id: int | None, reminder_id: int, lock: bool = False
) -> Any:
    """A step of an election's plan (of any election's, when `election_id` is None)."""
    row = find_reminder(conn, reminder_id=reminder_id, lock=lock)
    if election_id is not None and row.election_date != election_date(
        conn, election_id=election_id
    ):
        raise NotFound()
    return row


def plan_of(
    engine: Engine, *, election_id: int, default_zone: str, now: dt.datetime
) -> list[ReminderOut]:
    """The steps of an election's plan in time order (a new election's plan made first)."""
    with engine.connect() as conn:
        date = election_date(conn, election_id=election_id)
    plan_now(engine, date, default_zone=default_zone, now=now)
    with engine.connect() as conn:
        return [reminder_view(conn, row) for row in reminders_of(conn, date)]


def edit(
    conn: Connection,
    *,
    caller: Caller,
    election_id: int | None,
    reminder_id: int,
    body: ReminderEdit,
    ctx: SendContext,
    now: dt.datetime,
) -> ReminderOut:
    """Move a step, give it templates or texts, every rule checked (coalition admins;
    Conflict once it has started)."""
    caller.require_admin()
    row = reminder_of(conn, election_id=election_id, reminder_id=reminder_id, lock=True)
    if row.status not in EDITABLE:
        raise Conflict(f"a {row.status} reminder cannot be changed")
    send_at = None
    if body.send_at is not None:
        send_at = check_time("send_at", body.send_at, now)
        expires = utc(row.expires_at)
        if expires is not None and send_at >= expires:
            raise Invalid(
                f"send_at: this reminder is not worth sending after "
                f"{expires:%Y-%m-%d %H:%M} UTC; choose an earlier time"
            )
    if body.templates is not None:
        check_languages("templates", body.templates, ctx.catalogs)
    if body.texts is not None:
        check_texts(conn, body.texts, ctx)
    edit_reminder(
        conn,
        row.id,
        now=now,
        send_at=send_at,
        templates=dict(body.templates) if body.templates is not None else None,
        texts=dict(body.texts) if body.texts is not None else None,
    )
    return reminder_view(conn, find_reminder(conn, reminder_id=reminder_id))


def steer(
    conn: Connection,
    *,
    caller: Caller,
    election_id: int | None,
    reminder_id: int,
    action: str,
    now: dt.datetime,
) -> ReminderOut:
    """Pause, resume or cancel a step (coalition admins); Conflict when its state does not
    allow it."""
    caller.require_admin()
    reminder_of(conn, election_id=election_id, reminder_id=reminder_id, lock=True)
    set_state(conn, reminder_id, action, now)
    return reminder_view(conn, find_reminder(conn, reminder_id=reminder_id))


def settle(engine: Engine, *, reminder_id: int, action: str) -> int:
    """After a pause or a cancel has committed: wait until the requests already out are
    answered; returns those still out."""
    if action not in ("pause", "cancel"):
        return 0
    return wait_in_flight(engine, reminder_id)


def redefine_election(
    conn: Connection,
    *,
    caller: Caller,
    election_id: int,
    values: Mapping[str, Any],
    default_zone: str,
    now: dt.datetime,
) -> tuple[int, int]:
    """Change an election by id (coalition admins; the console's edit form) and move its plan.
    An organizers' election is overwritten; a feed's stays as the feed said and the
    organizers' values go beside it (they win for its date, and the next feed import does not
    undo them). When the date changes and no election is left on the old one, that day's
    unstarted steps are cancelled. Returns the id of the row written and the steps planned."""
    caller.require_admin()
    row = find_election(conn, election_id=election_id)
    if row is None:
        raise NotFound()
    try:
        with conn.begin_nested():
            if row.source in ORGANIZER_SOURCES:
                replace_election(conn, election_id=election_id, values=dict(values), now=now)
                written = election_id
            else:
                written = save_election(conn, values=dict(values), source="console", now=now)
    except IntegrityError:
        raise Invalid(
            "name: another election of this name is on this date already; edit that one"
        ) from None
    same_day = select(ELECTIONS.c.id).where(ELECTIONS.c.date == row.date).limit(1)
    if values["date"] != row.date and conn.execute(same_day).first() is None:
        s = SENDS.c
        stale = conn.execute(
            select(s.id).where(
                s.kind == SendKind.REMINDER, s.election_date == row.date, s.status.in_(EDITABLE)
            )
        ).scalars()
        for send_id in list(stale):
            set_state(conn, int(send_id), "cancel", now)
    planned = plan_in_transaction(conn, values["date"], default_zone=default_zone, now=now)
    return written, planned


def reach(conn: Connection, *, default_language: str) -> dict[str, int]:
    """How many contacts a reminder would go to if it started now, per language: those who
    said YES to reminders and have not opted out (the rules at sending time may still skip
    some: quiet hours defer, WhatsApp's window, a later STOP)."""
    query = audience_query("reminder", Audience(), default_language)
    return dict(sorted(language_counts(conn, query).items()))


def step_texts(
    conn: Connection, row: Any, *, ctx: SendContext, languages: Sequence[str]
) -> dict[str, str | None]:
    """What a step says in each language, rendered as the dispatcher renders it (the
    election's facts filled in; without the recipient's own polling place)."""
    renderer = ctx.renderer()
    return {language: renderer.body(conn, row, language) for language in languages}
