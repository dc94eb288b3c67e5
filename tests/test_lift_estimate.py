"""The lift estimator on simulated elections with a known effect, and the report on both
databases.

Simulations: 30,000 contacts in 6 blocks (organization × language) with baselines from 50% to
60% (55% on average), 20% held back per block exactly, a true lift of 2.0 points; 200 seeded
simulations. The simulations call `itt` on its within-block path (`dense_cells=0`): the
statsmodels fit of the block dummies gives the same numbers (checked below on several data sets)
but takes a third of a second per fit on this machine, 200 × 2 of them two minutes.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy.stats import norm  # type: ignore[import-untyped]
from sqlalchemy import Engine, insert

from bot import tables
from bot.access import Caller, Role
from bot.clock import utcnow
from bot.lift.assign import Member, assign, ensure_experiment
from bot.lift.estimate import itt, lift_report, report_rows
from bot.lift.mde import minimum_detectable_effect
from tests.helpers.lift import election
from tests.helpers.lift import people as make_people
from tests.helpers.sending import organization

N, BLOCKS, SHARE, LIFT, SIMULATIONS = 30_000, 6, 0.2, 0.02, 200


def _election(seed: int, lift: float, n: int = N) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, BLOCKS, n)
    treated = np.ones(n)
    for b in range(BLOCKS):
        members = np.flatnonzero(blocks == b)
        held = rng.permutation(members)[: int(len(members) * SHARE + 0.5)]
        treated[held] = 0.0
    baseline = 0.50 + 0.02 * blocks  # 0.50 ... 0.60
    voted = (rng.random(n) < baseline + lift * treated).astype(float)
    return voted, treated, blocks


def test_the_interval_covers_the_true_lift_about_95_percent_of_the_time() -> None:
    covered = 0
    estimates: list[float] = []
    for seed in range(SIMULATIONS):
        effect = itt(*_election(seed, LIFT), dense_cells=0)
        assert effect.ci_low is not None and effect.ci_high is not None
        assert effect.itt is not None
        covered += effect.ci_low <= LIFT <= effect.ci_high
        estimates.append(effect.itt)
    rate = covered / SIMULATIONS
    assert 0.90 <= rate <= 0.99, rate
    assert abs(float(np.mean(estimates)) - LIFT) < 0.002  # unbiased


def test_no_effect_is_significant_about_5_percent_of_the_time() -> None:
    quiet = sum(
        (itt(*_election(1000 + seed, 0.0), dense_cells=0).p_value or 0) > 0.05
        for seed in range(SIMULATIONS)
    )
    assert 0.90 <= quiet / SIMULATIONS <= 0.99, quiet


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_statsmodels_and_the_within_block_solution_agree(seed: int) -> None:
    voted, treated, blocks = _election(seed, LIFT, n=5000)
    households = np.random.default_rng(seed).integers(0, 2500, 5000)
    dense = itt(voted, treated, blocks)
    within = itt(voted, treated, blocks, dense_cells=0)
    assert dense.itt == pytest.approx(within.itt, abs=1e-12)
    assert dense.se == pytest.approx(within.se, rel=1e-9)
    assert dense.errors == within.errors == "HC2"
    clustered = itt(voted, treated, blocks, households=list(households))
    clustered_within = itt(voted, treated, blocks, households=list(households), dense_cells=0)
    assert clustered.errors == "cluster (household)"
    assert clustered.se == pytest.approx(clustered_within.se, rel=1e-9)


def test_complier_effect_and_too_few_voters() -> None:
    voted, treated, blocks = _election(5, LIFT)
    delivered = treated * (np.random.default_rng(5).random(N) < 0.8)
    effect = itt(voted, treated, blocks, delivered=delivered, dense_cells=0)
    assert effect.itt is not None and effect.ci_low is not None and effect.delivered_share
    assert effect.delivered_share == pytest.approx(0.8, abs=0.01)
    assert effect.complier == pytest.approx(effect.itt / effect.delivered_share)
    assert effect.complier_low == pytest.approx(effect.ci_low / effect.delivered_share)
    assert not effect.too_few
    small = itt(voted[:400], treated[:400], blocks[:400])
    assert small.ci_high is not None and small.ci_low is not None
    assert small.too_few and small.ci_high - small.ci_low > 0.10
    nobody_held = itt(voted[:100], np.ones(100), blocks[:100])
    assert nobody_held.itt is None and nobody_held.too_few


def test_minimum_detectable_effect_has_80_percent_power() -> None:
    found = minimum_detectable_effect(30_000, 0.1, 0.55)
    assert found.mde is not None
    assert (found.treated, found.control) == (27_000, 3_000)
    assert found.mde == pytest.approx(0.0268, abs=0.0002)
    se = np.sqrt(0.55 * 0.45 * (1 / 27_000 + 1 / 3_000))
    assert norm.cdf(found.mde / se - norm.ppf(0.975)) == pytest.approx(0.80, abs=1e-6)
    assert minimum_detectable_effect(30_000, 0.0).mde is None
    half = minimum_detectable_effect(30_000, 0.5).mde
    assert half is not None and half < found.mde


@pytest.mark.db
def test_report_per_organization_and_a_partner_sees_its_own(engine: Engine) -> None:
    a, b = organization(engine, "asian-voters"), organization(engine, "latino-vote")
    now = utcnow()
    date = dt.date.today() + dt.timedelta(days=30)
    rng = np.random.default_rng(11)
    election_id = election(engine, date)
    specs = [
        {
            "phone": f"+1415{i:07d}",
            "language": "zh" if i < 400 else "es",
            "org": a if i < 400 else b,
        }
        for i in range(800)
    ]
    ids = make_people(engine, specs)
    members = [Member(cid, str(spec["language"])) for cid, spec in zip(ids, specs, strict=True)]
    with engine.begin() as conn:
        experiment = ensure_experiment(conn, election_date=date, share=0.5, now=now, seed=1)
        assign(conn, experiment, members, now)
        arms = dict(
            (int(cid), arm)
            for cid, arm in conn.execute(
                tables.LIFT_ASSIGNMENTS.select().with_only_columns(
                    tables.LIFT_ASSIGNMENTS.c.contact_id, tables.LIFT_ASSIGNMENTS.c.arm
                )
            )
        )
        rows = []
        for member in members:
            p = 0.5 + (0.3 if arms[member.contact_id] == "treated" else 0.0)
            rows.append(
                {
                    "label": date.isoformat(),
                    "election_date": date,
                    "contact_id": member.contact_id,
                    "voted": bool(rng.random() < p),
                    "matched_by": "voter_id",
                    "confidence": 1.0,
                }
            )
        conn.execute(insert(tables.LIFT_VOTES), rows)
    admin = Caller(organization_id=a, role=Role.ADMIN, slug="hq")
    with engine.connect() as conn:
        report = lift_report(conn, caller=admin, election_id=election_id)
        partner = lift_report(
            conn, caller=Caller(organization_id=b, role=Role.ORGANIZER), election_id=election_id
        )
    table = {(r["group"], r["value"]): r for r in report_rows(report)}
    overall = table[("all", "all")]
    assert (overall["treated"], overall["control"]) == (400, 400)
    assert 0.2 < overall["itt"] < 0.4 and overall["p_value"] < 1e-6
    assert overall["matched_treated"] == overall["matched_control"] == 1.0
    assert {("organization", "asian-voters"), ("organization", "latino-vote")} <= set(table)
    assert {("language", "zh"), ("language", "es"), ("channel", "sms")} <= set(table)
    own = {(r["group"], r["value"]): r for r in report_rows(partner)}
    assert own[("all", "all")]["treated"] + own[("all", "all")]["control"] == 400
    assert ("organization", "asian-voters") not in own
    assert ("language", "zh") not in own
