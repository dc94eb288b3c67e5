"""Election reminders: each election's plan (made at once when the election is defined, and
kept in step with its facts by the scheduler), readable by any organization's key like the
election itself; a coalition admin moves a step, gives it WhatsApp templates or its own texts,
and pauses, resumes or cancels it.

Reminders go to contacts who said YES to reminders, in their language, with the election's
facts; see `bot.sending.reminders` for the plan.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.api.blasts import (
    ContextDep,
    Counts,
    SendContext,
    Template,
    Text,
    check_languages,
    check_texts,
    check_time,
    utc,
)
from bot.api.deps import AdminDep, EngineDep, PrincipalDep, SessionDep
from bot.api.errors import Conflict, Invalid, NotFound
from bot.clock import utcnow
from bot.sending.reminders import edit_reminder, ensure_plan, reminders_of
from bot.sending.sends import SendError, counts, set_state
from bot.tables import ELECTIONS as _ELECTIONS
from bot.tables import SENDS
from bot.voter.elections import upcoming_election

log = logging.getLogger(__name__)
router = APIRouter(prefix="/elections/{election_id}/reminders", tags=["reminders"])
EDITABLE = ("scheduled", "paused")


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


def reminder_view(conn: Connection, row: Any) -> ReminderOut:
    """The public view of a reminder row."""
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


def find_reminder(conn: Connection, reminder_id: int, *, lock: bool = False) -> Any:
    """A reminder step by id; NotFound otherwise."""
    s = SENDS.c
    query = select(SENDS).where(s.id == reminder_id, s.kind == "reminder")
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise NotFound()
    return row


def election_date(conn: Connection, election_id: int) -> dt.date:
    """The date of an election by id; NotFound otherwise."""
    found = conn.execute(
        select(_ELECTIONS.c.date).where(_ELECTIONS.c.id == election_id)
    ).scalar_one_or_none()
    if found is None:
        raise NotFound()
    assert isinstance(found, dt.date)
    return found


def _of_election(conn: Connection, election_id: int, reminder_id: int, lock: bool = False) -> Any:
    date = election_date(conn, election_id)
    row = find_reminder(conn, reminder_id, lock=lock)
    if row.election_date != date:
        raise NotFound()
    return row


def edit(
    conn: Connection, row: Any, body: ReminderEdit, ctx: SendContext, now: dt.datetime
) -> None:
    """Apply an edit to a reminder, every rule checked (Conflict once it has started)."""
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


def steer(conn: Connection, reminder_id: int, action: str, now: dt.datetime) -> str:
    """Pause, resume or cancel a reminder; Conflict when its state does not allow it."""
    try:
        return set_state(conn, reminder_id, action, now)
    except SendError as exc:
        raise Conflict(str(exc)) from None


@router.get("", response_model=list[ReminderOut], summary="An election's reminder plan")
def reminders(
    election_id: int,
    _caller: PrincipalDep,
    session: SessionDep,
    engine: EngineDep,
    ctx: ContextDep,
) -> list[ReminderOut]:
    """The steps of the election's reminder plan, in time order (a new election's default
    plan is made first). Any organization's key may read it."""
    conn = session.connection()
    date = election_date(conn, election_id)
    session.commit()  # nothing of ours is pending; the plan is written on its own connection
    plan_now(engine, date, default_zone=ctx.settings.timezone, now=utcnow())
    conn = session.connection()
    return [reminder_view(conn, row) for row in reminders_of(conn, date)]


@router.patch("/{reminder_id}", response_model=ReminderOut)
def edit_step(
    election_id: int,
    reminder_id: int,
    body: ReminderEdit,
    _admin: AdminDep,
    session: SessionDep,
    ctx: ContextDep,
) -> ReminderOut:
    """Move a step, give it WhatsApp templates or the organizers' own texts (coalition
    admins). A moved step keeps its time when the election's dates change."""
    conn = session.connection()
    row = _of_election(conn, election_id, reminder_id, lock=True)
    edit(conn, row, body, ctx, utcnow())
    return reminder_view(conn, find_reminder(conn, reminder_id))


def _action(election_id: int, reminder_id: int, action: str, session: Session) -> ReminderOut:
    conn = session.connection()
    _of_election(conn, election_id, reminder_id, lock=True)
    steer(conn, reminder_id, action, utcnow())
    return reminder_view(conn, find_reminder(conn, reminder_id))


@router.post("/{reminder_id}/pause", response_model=ReminderOut)
def pause_step(
    election_id: int, reminder_id: int, _admin: AdminDep, session: SessionDep
) -> ReminderOut:
    """Hold a step (coalition admins); 409 when it is done or cancelled."""
    return _action(election_id, reminder_id, "pause", session)


@router.post("/{reminder_id}/resume", response_model=ReminderOut)
def resume_step(
    election_id: int, reminder_id: int, _admin: AdminDep, session: SessionDep
) -> ReminderOut:
    """Carry on with a paused step (coalition admins); 409 otherwise."""
    return _action(election_id, reminder_id, "resume", session)


@router.post("/{reminder_id}/cancel", response_model=ReminderOut)
def cancel_step(
    election_id: int, reminder_id: int, _admin: AdminDep, session: SessionDep
) -> ReminderOut:
    """Cancel a step (coalition admins): it is not sent, and the plan does not bring it
    back."""
    return _action(election_id, reminder_id, "cancel", session)
