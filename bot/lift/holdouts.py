"""Holdouts on sends: a blast's (at creation) and an election's reminder plan's (when an admin
sets it), their views (treated and control per block) and the preview's minimum detectable
effect. The drawing itself is `bot.lift.assign`; the sends service calls these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Float, cast, func, select

from bot.access import Caller
from bot.errors import NotFound
from bot.lift.assign import (
    BlockCount,
    Member,
    assign,
    block_counts,
    check_share,
    ensure_experiment,
    experiment_of,
    link_send,
)
from bot.lift.mde import DEFAULT_BASELINE, minimum_detectable_effect
from bot.sending.sends import Audience, audience_query
from bot.sending.views import HoldoutBlock, HoldoutOut, HoldoutPreview
from bot.tables import ELECTIONS, LIFT_ASSIGNMENTS, LIFT_VOTES, SENDS
from bot.tables import ORGANIZATIONS as ORGS


def members(conn: Connection, kind: str, audience: Audience, default_language: str) -> list[Member]:
    """A send's audience as it stands now (the eligibility rules of sending: opted in, not
    opted out), to assign."""
    inner = audience_query(kind, audience, default_language).subquery()
    rows = conn.execute(select(inner.c.contact_id, inner.c.language))
    return [Member(int(cid), str(lang)) for cid, lang in rows]


def enroll_blast(
    conn: Connection,
    *,
    send_id: int,
    election_date: dt.date,
    share: float,
    audience: Audience,
    default_language: str,
    now: dt.datetime,
) -> None:
    """Count a new blast toward its election's holdout and draw its audience now."""
    experiment = ensure_experiment(conn, election_date=election_date, share=share, now=now)
    link_send(conn, send_id=send_id, experiment_id=experiment.id)
    assign(conn, experiment, members(conn, "blast", audience, default_language), now)


def set_reminder_holdout(
    conn: Connection,
    *,
    caller: Caller,
    election_id: int,
    share: float,
    default_language: str,
    now: dt.datetime,
) -> HoldoutOut | None:
    """Hold back a share of an election's reminders (coalition admins): the experiment is
    made, every step of the plan counts toward it (steps planned later too), and the
    reminders' audience is drawn now. Conflict when it exists with another share."""
    caller.require_admin()
    share = check_share(share)
    date = conn.execute(
        select(ELECTIONS.c.date).where(ELECTIONS.c.id == election_id)
    ).scalar_one_or_none()
    if date is None:
        raise NotFound()
    if share <= 0 and experiment_of(conn, date) is None:
        return None  # nothing held back, nothing recorded
    experiment = ensure_experiment(conn, election_date=date, share=share, now=now)
    s = SENDS.c
    steps = conn.execute(select(s.id).where(s.kind == "reminder", s.election_date == date))
    for send_id in list(steps.scalars()):
        link_send(conn, send_id=int(send_id), experiment_id=experiment.id)
    if share > 0:
        assign(conn, experiment, members(conn, "reminder", Audience(), default_language), now)
    view = experiment_view(conn, experiment)
    assert view is not None
    return view


def _slugs(conn: Connection) -> dict[int, str]:
    return {int(i): str(slug) for i, slug in conn.execute(select(ORGS.c.id, ORGS.c.slug))}


def holdout_view(conn: Connection, send_id: int) -> HoldoutOut | None:
    """The holdout a send counts toward, with treated and control per block; None without."""
    found = block_counts(conn, send_id)
    if found is None:
        return None
    experiment, blocks = found
    return _view(conn, experiment, blocks)


def experiment_view(conn: Connection, experiment: Any) -> HoldoutOut | None:
    """An experiment's counts per block, everyone assigned so far."""
    a = LIFT_ASSIGNMENTS.c
    table: dict[str, dict[str, Any]] = {}
    rows = conn.execute(
        select(a.block, a.organization_id, a.language, a.history_class, a.arm, func.count())
        .where(a.experiment_id == experiment.id)
        .group_by(a.block, a.organization_id, a.language, a.history_class, a.arm)
    )
    for block, org, language, klass, arm, n in rows:
        entry = table.setdefault(
            block, {"o": org, "l": language, "k": klass, "treated": 0, "control": 0}
        )
        entry[arm] += int(n)
    blocks = [
        BlockCount(b, e["o"], e["l"], e["k"], e["treated"], e["control"])
        for b, e in sorted(table.items())
    ]
    return _view(conn, experiment, blocks)


def _view(conn: Connection, experiment: Any, blocks: list[Any]) -> HoldoutOut:
    slugs = _slugs(conn)
    return HoldoutOut(
        election_date=experiment.election_date,
        share=float(experiment.share),
        treated=sum(b.treated for b in blocks),
        control=sum(b.control for b in blocks),
        blocks=[
            HoldoutBlock(
                organization=slugs.get(b.organization_id) if b.organization_id else None,
                language=b.language,
                history=b.history_class,
                treated=b.treated,
                control=b.control,
            )
            for b in blocks
        ],
    )


def reminder_holdout(conn: Connection, *, election_id: int) -> HoldoutOut | None:
    """An election's reminder holdout (any key may read it), or None."""
    date = conn.execute(
        select(ELECTIONS.c.date).where(ELECTIONS.c.id == election_id)
    ).scalar_one_or_none()
    if date is None:
        raise NotFound()
    experiment = experiment_of(conn, date)
    return experiment_view(conn, experiment) if experiment is not None else None


def default_baseline(conn: Connection, before: dt.date | None = None) -> float:
    """Turnout among the matched contacts of the last election whose history was imported
    (before `before`), else 55%."""
    v = LIFT_VOTES.c
    query = select(v.label, v.election_date).order_by(v.election_date.desc()).limit(1)
    if before is not None:
        query = query.where(v.election_date < before)
    last = conn.execute(query).first()
    if last is None:
        return DEFAULT_BASELINE
    rate = conn.execute(
        select(func.avg(cast(v.voted, Float))).where(v.label == last.label)
    ).scalar()
    value = float(rate) if rate is not None else DEFAULT_BASELINE
    return value if 0.0 < value < 1.0 else DEFAULT_BASELINE


def preview_of(
    conn: Connection,
    *,
    audience: int,
    share: float,
    baseline: float | None = None,
    election_date: dt.date | None = None,
) -> HoldoutPreview | None:
    """The preview of a holdout: arm sizes and the minimum detectable effect; None at 0."""
    if share <= 0:
        return None
    base = baseline if baseline is not None else default_baseline(conn, election_date)
    found = minimum_detectable_effect(audience, share, base)
    return HoldoutPreview(
        share=share,
        treated=found.treated,
        control=found.control,
        baseline=round(base, 4),
        minimum_detectable_effect=round(found.mde, 5) if found.mde is not None else None,
    )
