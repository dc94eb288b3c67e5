"""`/api/v1/elections/{id}/reminders`: an election's reminder plan, readable by any key; a
coalition admin edits and steers its steps. Thin routes over `bot.sending.reminders`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from bot.access import Caller
from bot.api.blasts import ContextDep
from bot.api.deps import AdminDep, CallerDep, EngineDep, Id, SessionDep
from bot.api.errors import ERRORS
from bot.api.links import link, links
from bot.clock import utcnow
from bot.sending import reminders
from bot.sending.reminders import ReminderEdit, ReminderOut

router = APIRouter(
    prefix="/elections/{election_id}/reminders", tags=["reminders"], responses=ERRORS
)
STEP = "/elections/{election_id}/reminders/{reminder_id}"
ELECTION = "$request.path.election_id"


def _step_links(reminder_id: str) -> dict[int | str, dict[str, Any]]:
    """Links from a response about a step (the plan's first, or the one changed)."""
    ids = {"election_id": ELECTION, "reminder_id": reminder_id}
    return links(
        200,
        edit=link(STEP, "patch", "move or reword the step", **ids),
        pause=link(f"{STEP}/pause", "post", "hold the step", **ids),
        resume=link(f"{STEP}/resume", "post", "carry on with the step", **ids),
        cancel=link(f"{STEP}/cancel", "post", "cancel the step", **ids),
    )


PLAN_LINKS = _step_links("$response.body#/0/id")
STEP_LINKS = _step_links("$request.path.reminder_id")


@router.get(
    "",
    response_model=list[ReminderOut],
    summary="An election's reminder plan",
    responses=PLAN_LINKS,
)
def plan(
    election_id: Id, _caller: CallerDep, engine: EngineDep, ctx: ContextDep
) -> list[ReminderOut]:
    """The steps of the election's reminder plan, in time order (a new election's default
    plan is made first). Any organization's key may read it."""
    return reminders.plan_of(
        engine, election_id=election_id, default_zone=ctx.settings.timezone, now=utcnow()
    )


@router.patch("/{reminder_id}", response_model=ReminderOut, responses=STEP_LINKS)
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


@router.post("/{reminder_id}/pause", response_model=ReminderOut, responses=STEP_LINKS)
def pause_step(
    election_id: Id, reminder_id: Id, admin: AdminDep, session: SessionDep, engine: EngineDep
) -> ReminderOut:
    """Hold a step (coalition admins); 409 when it is done or cancelled."""
    return _steer(election_id, reminder_id, "pause", admin, session, engine)


@router.post("/{reminder_id}/resume", response_model=ReminderOut, responses=STEP_LINKS)
def resume_step(
    election_id: Id, reminder_id: Id, admin: AdminDep, session: SessionDep, engine: EngineDep
) -> ReminderOut:
    """Carry on with a paused step (coalition admins); 409 otherwise."""
    return _steer(election_id, reminder_id, "resume", admin, session, engine)


@router.post("/{reminder_id}/cancel", response_model=ReminderOut, responses=STEP_LINKS)
def cancel_step(
    election_id: Id, reminder_id: Id, admin: AdminDep, session: SessionDep, engine: EngineDep
) -> ReminderOut:
    """Cancel a step (coalition admins): it is not sent, and the plan does not bring it
    back."""
    return _steer(election_id, reminder_id, "cancel", admin, session, engine)
