"""The measured lift: turnout among treated and control contacts of an election's holdout and
the intent-to-treat effect, estimated by least squares on the treatment and one indicator per
block (organization × language × voter history), with HC2 heteroskedasticity-robust standard
errors, or standard errors clustered by household where the history gave addresses; a 95%
interval and a two-sided p-value (normal reference, as statsmodels gives for robust
covariances). Per organization, language, channel and voter history too.

A contact assigned but not found in the vote history counts as not having voted: the
assignment was random, so being found is balanced between the arms (the report shows the
match rate per arm to check). The complier effect divides the ITT (and its interval) by the
share of treated contacts who had at least one message delivered (or accepted by Twilio
without a failure report); its interval treats that share as known.

Small problems are fitted by statsmodels (OLS on the treatment and the block dummies,
`cov_type="HC2"` or `"cluster"`); larger ones are solved within blocks (Frisch-Waugh-Lovell:
the same coefficient and residuals, the HC2 leverage being 1/n_block + t̃²/Σt̃², the cluster
correction statsmodels' G/(G-1)·(N-1)/(N-K)), so 200,000 contacts need no 200,000 × blocks
design matrix. The two agree to rounding (tests/test_lift_estimate.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, and_, select

from bot.access import Caller
from bot.errors import NotFound
from bot.tables import (
    ELECTIONS,
    LIFT_ASSIGNMENTS,
    LIFT_EXPERIMENTS,
    LIFT_SENDS,
    LIFT_VOTES,
    MEMBERSHIPS,
    OUTBOX,
)
from bot.tables import ORGANIZATIONS as ORGS

LEVEL = 0.95
TOO_WIDE = 0.10  # an interval wider than 10 points: "too few voters to tell"
# Contacts × blocks up to which statsmodels fits the block dummies directly; beyond, the
# within-block solution (the same numbers: tests/test_lift_estimate.py checks it).
DENSE_CELLS = 200_000
Array = npt.NDArray[Any]


@dataclass(frozen=True)
class Effect:
    """One comparison of treated and control contacts."""

    treated: int
    control: int
    turnout_treated: float | None
    turnout_control: float | None
    itt: float | None
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    delivered_share: float | None
    complier: float | None
    complier_low: float | None
    complier_high: float | None
    too_few: bool
    errors: str  # HC2, cluster (household), or none

    def as_dict(self) -> dict[str, Any]:
        """For JSON and CSV."""
        return dict(self.__dict__)


def _fit_dense(y: Array, t: Array, codes: Array, clusters: Array | None) -> tuple[float, float]:
    import statsmodels.api as sm  # type: ignore[import-untyped]  # (heavy: when needed)

    blocks = int(codes.max()) + 1
    dummies = np.zeros((len(y), blocks))
    dummies[np.arange(len(y)), codes] = 1.0
    design = np.column_stack([t, dummies])
    model = sm.OLS(y, design)
    if clusters is not None:
        fit = model.fit(cov_type="cluster", cov_kwds={"groups": clusters})
    else:
        fit = model.fit(cov_type="HC2")
    return float(fit.params[0]), float(fit.bse[0])


def _fit_within(y: Array, t: Array, codes: Array, clusters: Array | None) -> tuple[float, float]:
    sizes = np.bincount(codes)
    y_dm = y - (np.bincount(codes, weights=y) / sizes)[codes]
    t_dm = t - (np.bincount(codes, weights=t) / sizes)[codes]
    sxx = float(t_dm @ t_dm)
    beta = float(t_dm @ y_dm) / sxx
    resid = y_dm - beta * t_dm
    if clusters is None:
        leverage = 1.0 / sizes[codes] + t_dm**2 / sxx
        meat = float(np.sum(t_dm**2 * resid**2 / np.clip(1.0 - leverage, 1e-12, None)))
        return beta, float(np.sqrt(meat) / sxx)
    _, groups = np.unique(clusters, return_inverse=True)
    scores = np.bincount(groups, weights=t_dm * resid)
    g, n, k = len(scores), len(y), int(codes.max()) + 2
    correction = g / (g - 1) * (n - 1) / (n - k) if g > 1 and n > k else 1.0
    return beta, float(np.sqrt(correction * float(scores @ scores)) / sxx)


def itt(
    voted: Sequence[float] | Array,
    treated: Sequence[float] | Array,
    blocks: Sequence[Any] | Array,
    *,
    households: Sequence[Any] | Array | None = None,
    delivered: Sequence[float] | Array | None = None,
    too_wide: float = TOO_WIDE,
    level: float = LEVEL,
    dense_cells: int = DENSE_CELLS,
) -> Effect:
    """The ITT of treatment on turnout within blocks (regression on block indicators, HC2 or
    household-clustered errors), its interval and p-value, and the complier effect."""
    y = np.asarray(voted, dtype=float)
    t = np.asarray(treated, dtype=float)
    _, codes = np.unique(np.asarray(blocks), return_inverse=True)
    n_t, n_c = int(t.sum()), int(len(t) - t.sum())
    rate_t = float(y[t == 1].mean()) if n_t else None
    rate_c = float(y[t == 0].mean()) if n_c else None
    share = None
    if delivered is not None and n_t:
        share = float(np.asarray(delivered, dtype=float)[t == 1].mean())
    # Only blocks with both arms say anything about the effect.
    has_t = np.bincount(codes, weights=t) > 0
    has_c = np.bincount(codes, weights=1 - t) > 0
    keep = (has_t & has_c)[codes]
    nothing = Effect(
        n_t,
        n_c,
        rate_t,
        rate_c,
        None,
        None,
        None,
        None,
        None,
        share,
        None,
        None,
        None,
        True,
        "none",
    )
    if keep.sum() < 3 or t[keep].sum() < 1 or (1 - t[keep]).sum() < 1:
        return nothing
    y, t, codes = y[keep], t[keep], np.unique(codes[keep], return_inverse=True)[1]
    groups = None
    errors = "HC2"
    if households is not None:
        found = np.asarray(households, dtype=object)[keep]
        if any(h is not None for h in found):
            # Contacts without an address are their own household.
            ids: dict[Any, int] = {}
            groups = np.array(
                [
                    ids.setdefault(h if h is not None else ("c", i), len(ids))
                    for i, h in enumerate(found)
                ],
                dtype=np.int64,
            )
            errors = "cluster (household)"
    if len(y) * (int(codes.max()) + 1) <= dense_cells:
        beta, se = _fit_dense(y, t, codes, groups)
    else:
        beta, se = _fit_within(y, t, codes, groups)
    if not np.isfinite(se) or se <= 0:
        return nothing
    from scipy.stats import norm  # type: ignore[import-untyped]  # (heavy: when needed)

    z = float(norm.ppf(0.5 + level / 2))
    low, high = beta - z * se, beta + z * se
    p_value = float(2 * norm.sf(abs(beta / se)))
    complier = complier_low = complier_high = None
    if share:
        complier, complier_low, complier_high = beta / share, low / share, high / share
    return Effect(
        treated=n_t,
        control=n_c,
        turnout_treated=rate_t,
        turnout_control=rate_c,
        itt=beta,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=p_value,
        delivered_share=share,
        complier=complier,
        complier_low=complier_low,
        complier_high=complier_high,
        too_few=(high - low) > too_wide,
        errors=errors,
    )


@dataclass
class Units:
    """The assigned contacts of an experiment, one entry each."""

    contact_ids: Array
    treated: Array
    voted: Array
    matched: Array
    delivered: Array
    blocks: list[str]
    organizations: list[int | None]
    languages: list[str]
    channels: list[str]
    history: list[str]
    households: list[int | None]


def load_units(conn: Connection, experiment: Any, *, organization_id: int | None = None) -> Units:
    """The experiment's assigned contacts with their turnout (unmatched: not voted), whether
    a message reached them, and their blocks; a partner's: its own contacts only."""
    a, v, o, ls = LIFT_ASSIGNMENTS.c, LIFT_VOTES.c, OUTBOX.c, LIFT_SENDS.c
    label = experiment.election_date.isoformat()
    query = (
        select(
            a.contact_id,
            a.arm,
            a.block,
            a.organization_id,
            a.language,
            a.channel,
            a.history_class,
            v.voted,
            v.household,
        )
        .select_from(
            LIFT_ASSIGNMENTS.outerjoin(
                LIFT_VOTES, and_(v.contact_id == a.contact_id, v.label == label)
            )
        )
        .where(a.experiment_id == experiment.id)
        .order_by(a.contact_id)
    )
    if organization_id is not None:
        m = MEMBERSHIPS.c
        own = select(m.contact_id).where(m.organization_id == organization_id)
        query = query.where(a.contact_id.in_(own.scalar_subquery()))
    sends = select(ls.send_id).where(ls.experiment_id == experiment.id).scalar_subquery()
    reached = set(
        conn.execute(
            select(o.contact_id)
            .where(o.send_id.in_(sends), o.status.in_(("sent", "delivered")))
            .distinct()
        ).scalars()
    )
    # Streamed, each repeated text kept once: 200,000 contacts stay a few arrays.
    shared: dict[Any, Any] = {}
    ids: list[int] = []
    treated: list[bool] = []
    voted: list[bool] = []
    matched: list[bool] = []
    units = Units(
        contact_ids=np.zeros(0),
        treated=np.zeros(0),
        voted=np.zeros(0),
        matched=np.zeros(0),
        delivered=np.zeros(0),
        blocks=[],
        organizations=[],
        languages=[],
        channels=[],
        history=[],
        households=[],
    )
    result = conn.execution_options(yield_per=20_000).execute(query)
    for r in result:
        ids.append(r.contact_id)
        treated.append(r.arm == "treated")
        voted.append(bool(r.voted))
        matched.append(r.voted is not None)
        units.blocks.append(shared.setdefault(r.block, r.block))
        units.organizations.append(shared.setdefault(("o", r.organization_id), r.organization_id))
        units.languages.append(shared.setdefault(r.language, r.language))
        units.channels.append(shared.setdefault(r.channel, r.channel))
        units.history.append(shared.setdefault(r.history_class, r.history_class))
        units.households.append(r.household)
    units.contact_ids = np.array(ids, dtype=np.int64)
    units.treated = np.array(treated, dtype=float)
    units.voted = np.array(voted, dtype=float)
    units.matched = np.array(matched, dtype=float)
    units.delivered = np.array([cid in reached for cid in ids], dtype=float)
    return units


@dataclass
class Row:
    """One line of the report: everyone, or one group."""

    group: str  # all, organization, language, channel, history
    value: str
    effect: Effect
    matched_treated: float | None
    matched_control: float | None
    first_time_treated: float | None
    first_time_control: float | None


@dataclass
class Report:
    """An election's lift, overall and per group."""

    election_date: dt.date
    election_name: str
    share: float
    history_imported: bool
    too_wide: float
    rows: list[Row] = field(default_factory=list)


def _share(values: Array, mask: Array) -> float | None:
    return float(values[mask].mean()) if mask.any() else None


def _row(units: Units, group: str, value: str, mask: Array, too_wide: float) -> Row:
    t = units.treated[mask]
    blocks = np.array(units.blocks, dtype=object)[mask]
    households = np.array(units.households, dtype=object)[mask]
    effect = itt(
        units.voted[mask],
        t,
        blocks,
        households=households,
        delivered=units.delivered[mask],
        too_wide=too_wide,
    )
    matched = units.matched[mask]
    first = np.array([h in ("first_time", "infrequent") for h in units.history])[mask]
    known = np.array([h != "unknown" for h in units.history])[mask]
    return Row(
        group=group,
        value=value,
        effect=effect,
        matched_treated=_share(matched, t == 1),
        matched_control=_share(matched, t == 0),
        first_time_treated=_share(first.astype(float), (t == 1) & known) if known.any() else None,
        first_time_control=_share(first.astype(float), (t == 0) & known) if known.any() else None,
    )


def lift_report(
    conn: Connection, *, caller: Caller, election_id: int, too_wide: float = TOO_WIDE
) -> Report:
    """The election's lift, overall and per organization, language, channel and voter
    history; a partner's caller sees its own contacts only. NotFound without an election
    or a holdout."""
    election = conn.execute(
        select(ELECTIONS.c.date, ELECTIONS.c.name).where(ELECTIONS.c.id == election_id)
    ).first()
    if election is None:
        raise NotFound()
    e = LIFT_EXPERIMENTS.c
    experiment = conn.execute(
        select(LIFT_EXPERIMENTS).where(e.election_date == election.date)
    ).first()
    report = Report(
        election_date=election.date,
        election_name=election.name,
        share=float(experiment.share) if experiment else 0.0,
        history_imported=False,
        too_wide=too_wide,
    )
    if experiment is None:
        return report
    label = election.date.isoformat()
    report.history_imported = (
        conn.execute(select(LIFT_VOTES.c.id).where(LIFT_VOTES.c.label == label).limit(1)).first()
        is not None
    )
    organization = None if caller.is_admin else caller.organization_id
    units = load_units(conn, experiment, organization_id=organization)
    everyone = np.ones(len(units.contact_ids), dtype=bool)
    report.rows.append(_row(units, "all", "all", everyone, too_wide))
    slugs = {int(i): str(s) for i, s in conn.execute(select(ORGS.c.id, ORGS.c.slug))}
    groupings: list[tuple[str, list[Any]]] = [
        ("organization", [slugs.get(o, "") if o else "" for o in units.organizations]),
        ("language", units.languages),
        ("channel", units.channels),
        ("history", units.history),
    ]
    for group, values in groupings:
        column = np.array(values, dtype=object)
        for value in sorted({str(x) for x in values}):
            if group == "history" and value == "unknown":
                continue
            report.rows.append(_row(units, group, value, column == value, too_wide))
    return report


CSV_COLUMNS = (
    "group",
    "value",
    "treated",
    "control",
    "turnout_treated",
    "turnout_control",
    "itt",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "delivered_share",
    "complier",
    "complier_low",
    "complier_high",
    "too_few",
    "errors",
    "matched_treated",
    "matched_control",
    "first_time_treated",
    "first_time_control",
)


def report_rows(report: Report) -> list[dict[str, Any]]:
    """The report as flat rows (CSV, JSON, the command line's table)."""
    out = []
    for row in report.rows:
        values = {"group": row.group, "value": row.value, **row.effect.as_dict()}
        values |= {
            "matched_treated": row.matched_treated,
            "matched_control": row.matched_control,
            "first_time_treated": row.first_time_treated,
            "first_time_control": row.first_time_control,
        }
        out.append({k: values.get(k) for k in CSV_COLUMNS})
    return out
