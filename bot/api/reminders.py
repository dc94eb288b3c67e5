"""`/api/v1/elections/{id}/reminders`: an election's reminder plan, readable by any key; a
coalition admin edits and steers its steps. Thin routes over `bot.sending.reminders`."""

from __future__ import annotations

from fastapi import APIRouter

from bot.access import Caller
from bot.api.blasts import ContextDep
from bot.api.deps import AdminDep, CallerDep, EngineDep, Id, SessionDep
from bot.api.errors import ERRORS
from bot.clock import utcnow
from bot.sending import reminders
from bot.sending.reminders import ReminderEdit, ReminderOut

router = APIRouter(
    prefix="/elections/{election_id}/reminders", tags=["reminders"], responses=ERRORS
)


@router.get("", response_model=list[ReminderOut], summary="An election's reminder plan")
def plan(
    election_id: Id, _caller: CallerDep, engine: EngineDep, ctx: ContextDep
) -> list[ReminderOut]:
    """The steps of the election's reminder plan, in time order (a new election's default
    plan is made first). Any organization's key may read it."""
    return reminders.plan_of(
        engine, election_id=election_id, default_zone=ctx.settings.timezone, now=utcnow()
    )


@router.patch("/{reminder_id}", response_model=ReminderOut)
def edit_step(
    election_id: Id,
    reminder_id: Id,
    body: ReminderEdit,
    admin: AdminDep,
    session: SessionDep,
    ctx: ContextDep,
) -> ReminderOut:
    """Move a step, give it WhatsApp templates or the organizers' own texts (coalition
    admins). A moved step keeps its time when the election's dates change."""
    return reminders.edit(
        session.connection(),
        caller=admin,
        election_id=election_id,
        reminder_id=reminder_id,
        body=body,
        ctx=ctx,
        now=utcnow(),
    )


def _steer(
    election_id: int,
    reminder_id: int,
    action: str,
    admin: Caller,
    session: SessionDep,
    engine: EngineDep,
) -> ReminderOut:
    reminders.steer(
        session.connection(),
        caller=admin,
        election_id=election_id,
        reminder_id=reminder_id,
        action=action,
        now=utcnow(),
    )
    session.commit()  # the dispatchers see it from now on; then wait for what is already out
    reminders.settle(engine, reminder_id=reminder_id, action=action)
    found = reminders.find_reminder(session.connection(), reminder_id=reminder_id)
    return reminders.reminder_view(session.connection(), found)


@router.post("/{reminder_id}/pause", response_model=ReminderOut)
def pause_step(
    election_id: Id, reminder_id: Id, admin: AdminDep, session: SessionDep, engine: EngineDep
) -> ReminderOut:
    """Hold a step (coalition admins); 409 when it is done or cancelled."""
    return _steer(election_id, reminder_id, "pause", admin, session, engine)


@router.post("/{reminder_id}/resume", response_model=ReminderOut)
def resume_step(
    election_id: Id, reminder_id: Id, admin: AdminDep, session: SessionDep, engine: EngineDep
) -> ReminderOut:
    """Carry on with a paused step (coalition admins); 409 otherwise."""
    return _steer(election_id, reminder_id, "resume", admin, session, engine)


@router.post("/{reminder_id}/cancel", response_model=ReminderOut)
def cancel_step(
    election_id: Id, reminder_id: Id, admin: AdminDep, session: SessionDep, engine: EngineDep
) -> ReminderOut:
    """Cancel a step (coalition admins): it is not sent, and the plan does not bring it
    back."""
    return _steer(election_id, reminder_id, "cancel", admin, session, engine)
