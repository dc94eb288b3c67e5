"""`/api/v1/elections/{id}/holdout` and `/api/v1/elections/{id}/lift`: an election's
reminder holdout (a coalition admin sets it; any key reads it) and its measured lift (a
partner's key: its own contacts only). Thin routes over `bot.lift`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from bot.api.blasts import ContextDep
from bot.api.deps import AdminDep, CallerDep, Id, SessionDep
from bot.api.errors import ERRORS
from bot.clock import utcnow
from bot.lift.estimate import lift_report, report_rows
from bot.lift.holdouts import reminder_holdout, set_reminder_holdout
from bot.sending.views import HoldoutOut

router = APIRouter(prefix="/elections/{election_id}", tags=["lift"], responses=ERRORS)


class HoldoutIn(BaseModel):
    """The share of an election's reminders' audience held back, per block."""

    model_config = ConfigDict(extra="forbid")

    holdout_share: float = Field(
        ge=0.0,
        le=0.5,
        description="0 to 0.5; fixed once set (the assignment is never redrawn)",
        examples=[0.1],
    )


class LiftRow(BaseModel):
    """One line of the lift report: everyone, or one organization, language, channel or
    kind of voter. Shares are 0 to 1; the effect in turnout share (0.02 = 2 points)."""

    group: str
    value: str
    treated: int
    control: int
    turnout_treated: float | None
    turnout_control: float | None
    itt: float | None = Field(description="intent-to-treat effect within blocks")
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    delivered_share: float | None
    complier: float | None = Field(description="ITT ÷ the share of treated reached")
    complier_low: float | None
    complier_high: float | None
    too_few: bool = Field(description="the 95% interval is wider than the stated limit")
    errors: str
    matched_treated: float | None
    matched_control: float | None
    first_time_treated: float | None
    first_time_control: float | None


class LiftOut(BaseModel):
    """An election's measured lift."""

    election_date: dt.date
    election_name: str
    share: float
    history_imported: bool
    too_wide: float = Field(description="intervals wider than this: too few voters to tell")
    rows: list[LiftRow]


class HoldoutState(BaseModel):
    """An election's holdout, if it has one."""

    holdout: HoldoutOut | None


@router.get("/holdout", response_model=HoldoutState, summary="An election's holdout")
def holdout(election_id: Id, _caller: CallerDep, session: SessionDep) -> HoldoutState:
    """The election's holdout: its share and treated/control counts per block."""
    return HoldoutState(holdout=reminder_holdout(session.connection(), election_id=election_id))


@router.put("/holdout", response_model=HoldoutState, summary="Hold back a share of reminders")
def set_holdout(
    election_id: Id, body: HoldoutIn, admin: AdminDep, session: SessionDep, ctx: ContextDep
) -> HoldoutState:
    """Hold back a share of each block of the election's reminder audience (coalition
    admins); 409 when it already holds back another share."""
    view = set_reminder_holdout(
        session.connection(),
        caller=admin,
        election_id=election_id,
        share=body.holdout_share,
        default_language=ctx.settings.default_language,
        now=utcnow(),
    )
    return HoldoutState(holdout=view)


@router.get("/lift", response_model=LiftOut, summary="An election's measured lift")
def lift(election_id: Id, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    """Turnout among treated and control contacts and the lift with its 95% interval,
    overall and per organization, language, channel and voter history (a partner: its own
    contacts only)."""
    report = lift_report(session.connection(), caller=caller, election_id=election_id)
    return {
        "election_date": report.election_date,
        "election_name": report.election_name,
        "share": report.share,
        "history_imported": report.history_imported,
        "too_wide": report.too_wide,
        "rows": report_rows(report),
    }
