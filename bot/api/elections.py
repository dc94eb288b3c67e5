"""Elections: what registration checks and reminders tell voters (dates, hours, official links).

Elections are public facts, so any organization's key may read them; only a coalition admin
defines them. A VIP feed's Election element fills them too (`turnout places import`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from bot.api.blasts import ContextDep
from bot.api.deps import AdminDep, PrincipalDep, SessionDep
from bot.api.errors import NotFound
from bot.api.reminders import plan_in_transaction
from bot.clock import utcnow, zone
from bot.voter.elections import list_elections, save_election
from bot.voter.schema import Election

router = APIRouter(tags=["elections"])
LINK_KINDS = ("registration_lookup", "county_office", "ballot_tracking")


class ElectionBase(BaseModel):
    """The facts of an election."""

    name: str = Field(min_length=1, max_length=200)
    date: dt.date
    state: str | None = Field(default=None, min_length=2, max_length=2, examples=["CA"])
    counties: list[str] | None = None
    polls_open: dt.time | None = Field(default=None, examples=["07:00"])
    polls_close: dt.time | None = Field(default=None, examples=["20:00"])
    timezone: str | None = Field(default=None, examples=["America/Los_Angeles"])
    registration_deadline: dt.date | None = None
    same_day_registration: bool | None = None
    same_day_where: str | None = None
    early_voting_start: dt.date | None = None
    early_voting_end: dt.date | None = None
    # {"registration_lookup": {"default": "https://...", "es": "https://..."}, ...}
    links: dict[str, dict[str, HttpUrl]] | None = None
    office_name: str | None = None
    office_phone: str | None = None
    office_url: HttpUrl | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and zone(value) is None:
            raise ValueError(f"not an IANA time zone: {value!r}")
        return value

    @field_validator("links")
    @classmethod
    def _kinds(cls, value: dict[str, dict[str, HttpUrl]] | None) -> Any:
        unknown = set(value or {}) - set(LINK_KINDS)
        if unknown:
            raise ValueError(f"unknown link kind(s) {sorted(unknown)}; known: {list(LINK_KINDS)}")
        return value


class ElectionCreate(ElectionBase):
    """An election to define."""


class ElectionPublic(ElectionBase):
    """An election as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str


@router.get("/elections", response_model=list[ElectionPublic], summary="Every election")
def elections(_caller: PrincipalDep, session: SessionDep) -> list[Any]:
    """Every election, by date (any organization's key)."""
    return list_elections(session.connection())


@router.get("/elections/{election_id}", response_model=ElectionPublic)
def election(election_id: int, _caller: PrincipalDep, session: SessionDep) -> Election:
    """One election."""
    found = session.get(Election, election_id)
    if found is None:
        raise NotFound()
    return found


@router.post("/elections", response_model=ElectionPublic, status_code=201)
def new_election(
    body: ElectionCreate, _admin: AdminDep, session: SessionDep, ctx: ContextDep
) -> Election:
    """Define an election, or update the one with this name and date (coalition admins); its
    reminder plan is made (or moved with its dates) at once:
    `GET /api/v1/elections/{id}/reminders`."""
    values = body.model_dump(mode="json", exclude_none=True)
    values.update(
        body.model_dump(
            include={
                "date",
                "polls_open",
                "polls_close",
                "registration_deadline",
                "early_voting_start",
                "early_voting_end",
            },
            exclude_none=True,
        )
    )
    conn, now = session.connection(), utcnow()
    election_id = save_election(conn, values=values, source="api", now=now)
    plan_in_transaction(conn, body.date, default_zone=ctx.settings.timezone, now=now)
    found = session.get(Election, election_id)
    assert found is not None
    return found
