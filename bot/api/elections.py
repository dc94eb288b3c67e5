"""`/api/v1/elections`: what registration checks and reminders tell voters (dates, hours,
official links). Any organization's key may read them; only a coalition admin defines them (a
VIP feed's Election element fills them too). Thin routes over `bot.voter.elections` and
`bot.sending.reminders`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlmodel import Session

from bot.api.blasts import ContextDep
from bot.api.deps import AdminDep, CallerDep, Id, SessionDep
from bot.api.errors import ERRORS
from bot.api.links import link, links
from bot.clock import utcnow
from bot.errors import NotFound
from bot.sending.reminders import define_election
from bot.voter.elections import ElectionFacts, ElectionView, list_elections
from bot.voter.schema import Election

router = APIRouter(tags=["elections"], responses=ERRORS)
MADE = "$response.body#/id"
CREATED_LINKS = links(
    201,
    show=link("/elections/{election_id}", "get", "the election", election_id=MADE),
    reminders=link(
        "/elections/{election_id}/reminders", "get", "its reminder plan", election_id=MADE
    ),
)


def _found(session: Session, election_id: int) -> Election:
    found = session.get(Election, election_id)
    if found is None:
        raise NotFound()
    return found


@router.get("/elections", response_model=list[ElectionView], summary="Every election")
def elections(_caller: CallerDep, session: SessionDep) -> list[Any]:
    """Every election, by date (any organization's key)."""
    return list_elections(session.connection())


@router.get("/elections/{election_id}", response_model=ElectionView)
def election(election_id: Id, _caller: CallerDep, session: SessionDep) -> Election:
    """One election."""
    return _found(session, election_id)


@router.post("/elections", response_model=ElectionView, status_code=201, responses=CREATED_LINKS)
def new_election(
    body: ElectionFacts, admin: AdminDep, session: SessionDep, ctx: ContextDep
) -> Election:
    """Define an election, or update the one with this name and date (coalition admins); its
    reminder plan is made (or moved with its dates) at once:
    `GET /api/v1/elections/{id}/reminders`."""
    election_id, _ = define_election(
        session.connection(),
        caller=admin,
        values=body.values(),
        source="api",
        default_zone=ctx.settings.timezone,
        now=utcnow(),
    )
    return _found(session, election_id)
