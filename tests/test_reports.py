"""The reports' and the dashboard's figures on SQLite and PostgreSQL: what a seeded coalition
did (texts, lookups, consent, handoffs, blasts), counted by local day, language, county and
organization. Every expected number is computed from the rows this test inserted, by the
rules the reports document, never written out by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, insert

from bot.access import Caller, Role
from bot.errors import NotFound
from bot.reports import attention, figures, overview, scoping
from bot.settings import Settings
from bot.tables import (
    IMPORTS,
    OUTBOX,
    SENDS,
)
from tests.helpers.reports import NOW, ZONE, Seed, living, on, plant, speaking

pytestmark = pytest.mark.db


@pytest.fixture
def seed(engine: Engine) -> Seed:
    with engine.begin() as conn:
        return plant(conn, NOW)


def _report(engine: Engine, scope: scoping.Scope, days: int = 7) -> figures.Report:
    with engine.connect() as conn:
        return figures.report(conn, scope=scope, win=scoping.window(days, zone=ZONE, now=NOW))


def _scope(engine: Engine, seed: Seed, org: str | None) -> scoping.Scope:
    admin = Caller(seed.orgs["coalition"], Role.ADMIN)
    with engine.connect() as conn:
        return scoping.resolve(conn, caller=admin, organization_id=seed.orgs[org] if org else None)


@pytest.mark.parametrize("org", [None, "coalition", "alpha", "beta"])
def test_totals_and_days_match_what_was_inserted(
    engine: Engine, seed: Seed, org: str | None
) -> None:
    found = _report(engine, _scope(engine, seed, org))
    assert [d for d, _ in found.by_day] == found.window.dates and len(found.by_day) == 7
    for metric in figures.METRIC_NAMES:
        assert found.total[metric] == seed.expect(metric, org), metric
        for day, figs in found.by_day:
            wanted = seed.expect(metric, org, keep=on(day))
            assert figs[metric] == wanted, (metric, day)
    assert found.total["inbound"] > 0 or org == "coalition"


def test_the_local_day_decides_the_bucket(engine: Engine, seed: Seed) -> None:
    found = _report(engine, _scope(engine, seed, "alpha"))
    days = dict(found.by_day)
    today, yesterday = found.window.dates[-1], found.window.dates[-2]
    # a2 texted half an hour before and after local midnight: one text on each local day.
    assert seed.expect("inbound", "alpha", keep=on(yesterday, "a2")) == 1
    assert seed.expect("inbound", "alpha", keep=on(today, "a2")) == 1
    assert days[today]["inbound"] == seed.expect("inbound", "alpha", keep=on(today))


def test_a_longer_window_counts_older_texts(engine: Engine, seed: Seed) -> None:
    week = _report(engine, _scope(engine, seed, None))
    month = _report(engine, _scope(engine, seed, None), days=30)
    assert month.total["inbound"] == seed.expect("inbound", None, days=30)
    assert month.total["inbound"] > week.total["inbound"]
    assert len(month.by_day) == 30


def test_languages_and_counties(engine: Engine, seed: Seed) -> None:
    for org in (None, "beta"):
        found = _report(engine, _scope(engine, seed, org))
        languages = dict(found.by_language)
        counties = dict(found.by_county)
        for metric in ("inbound", "texters", "where_to_vote", "opt_outs", "messages"):
            for language, figs in languages.items():
                wanted = seed.expect(metric, org, keep=speaking(language))
                assert figs[metric] == wanted, (org, metric, language)
            for county, figs in counties.items():
                wanted = seed.expect(metric, org, keep=living(seed, county, org))
                assert figs[metric] == wanted, (org, metric, county)
        assert sum(f["inbound"] for f in languages.values()) == found.total["inbound"]
    beta = dict(_report(engine, _scope(engine, seed, "beta")).by_county)
    # ab is on beta's list with a New York ZIP: beta sees it there, the coalition in LA.
    assert "New York County, NY" in beta
    everyone = dict(_report(engine, _scope(engine, seed, None)).by_county)
    assert "New York County, NY" not in everyone and "" in everyone  # u: no ZIP


def test_organizations_side_by_side_for_the_coalition(engine: Engine, seed: Seed) -> None:
    found = _report(engine, _scope(engine, seed, None))
    assert [n for _, n, _ in found.by_organization] == ["Alpha", "Beta", "Coalition"]
    for org_id, _name, figs in found.by_organization:
        slug = next(k for k, v in seed.orgs.items() if v == org_id)
        alone = _report(engine, _scope(engine, seed, slug)).total
        for metric in figures.METRIC_NAMES:
            assert figs[metric] == seed.expect(metric, slug) == alone[metric], (slug, metric)
    assert _report(engine, _scope(engine, seed, "alpha")).by_organization == []


def test_time_to_first_answer(engine: Engine, seed: Seed) -> None:
    found = _report(engine, _scope(engine, seed, None))
    minutes = sorted(f.minutes for f in seed.facts if f.minutes is not None)
    assert found.total.median_minutes == pytest.approx((minutes[0] + minutes[1]) / 2)
    alpha = _report(engine, _scope(engine, seed, "alpha"))
    assert alpha.total.median_minutes == pytest.approx(
        next(f.minutes for f in seed.facts if f.minutes is not None and f.who == "a1")
    )


def test_opt_outs_per_blast_and_failures_by_code(engine: Engine, seed: Seed) -> None:
    found = _report(engine, _scope(engine, seed, None))
    blasts = {b.name: b for b in found.blasts}
    assert set(blasts) == {"alpha blast", "beta blast"}  # reminders are not blasts
    for name, row in blasts.items():
        reached = [f for f in seed.facts if f.metric == "messages" and f.blast == name]
        opted = {
            f.who
            for f in seed.facts
            for r in reached
            if f.metric == "opt_outs"
            and f.who == r.who
            and dt.timedelta(0) <= f.at - r.at <= figures.OPT_OUT_AFTER
        }
        assert row.sent == len(reached) and row.opt_outs == len(opted), name
    assert blasts["alpha blast"].opt_outs == 1 and blasts["alpha blast"].rate == pytest.approx(
        1 / blasts["alpha blast"].sent
    )
    codes: dict[str, int] = {}
    for f in seed.facts:
        if f.metric == "failed":
            codes[str(f.status)] = codes.get(str(f.status), 0) + 1
    assert dict(found.failures) == codes
    beta = _report(engine, _scope(engine, seed, "beta"))
    assert [b.name for b in beta.blasts] == ["beta blast"]
    assert dict(beta.failures) == {
        c: n
        for c, n in {
            str(f.status): sum(
                1
                for g in seed.facts
                if g.metric == "failed" and seed.in_scope(g, "beta") and g.status == f.status
            )
            for f in seed.facts
            if f.metric == "failed" and seed.in_scope(f, "beta")
        }.items()
    }


def test_a_partner_sees_only_its_own(engine: Engine, seed: Seed) -> None:
    alpha = Caller(seed.orgs["alpha"], Role.ORGANIZER)
    with engine.connect() as conn:
        assert (
            scoping.resolve(conn, caller=alpha, organization_id=None).organization_id
            == (seed.orgs["alpha"])
        )
        with pytest.raises(NotFound):
            scoping.resolve(conn, caller=alpha, organization_id=seed.orgs["beta"])
        with pytest.raises(NotFound):
            scoping.resolve(
                conn, caller=Caller(seed.orgs["coalition"], Role.ADMIN), organization_id=99999
            )
        assert scoping.organizations(conn, caller=alpha) == [(seed.orgs["alpha"], "Alpha")]


def test_the_dashboard(engine: Engine, seed: Seed) -> None:
    local = ZoneInfo(ZONE)
    today = NOW.astimezone(local).date()
    for org in (None, "alpha", "beta"):
        scope = _scope(engine, seed, org)
        with engine.connect() as conn:
            found = overview.overview(conn, scope=scope, zone=ZONE, now=NOW)
        for metric in overview.SHOWN:
            assert found.week[metric] == seed.expect(metric, org), (org, metric)
            assert found.today[metric] == seed.expect(metric, org, keep=on(today))
        opened = seed.expect("handoffs", org) - seed.expect("answered_handoffs", org)
        assert found.open_requests == opened
        names = {p.name for p in found.in_flight}
        assert names == {
            "alpha blast" if org in (None, "alpha") else "",
            "beta blast" if org in (None, "beta") else "",
        } - {""}
    with engine.connect() as conn:
        everyone = overview.overview(conn, scope=_scope(engine, seed, None), zone=ZONE, now=NOW)
    alpha = next(p for p in everyone.in_flight if p.name == "alpha blast")
    assert (alpha.recipients, alpha.done, alpha.delivered, alpha.failed) == (3, 3, 1, 2)
    assert alpha.percent == 100


def test_next_scheduled_sends(engine: Engine, seed: Seed) -> None:
    scopes = {org: _scope(engine, seed, org) for org in (None, "alpha")}
    with engine.begin() as conn:
        for name, kind, org, hours in [
            ("later", "blast", "beta", 5),
            ("soon", "blast", "alpha", 1),
            ("eve", "reminder", None, 3),
        ]:
            at = NOW + dt.timedelta(hours=hours)
            conn.execute(
                insert(SENDS).values(
                    kind=kind,
                    name=name,
                    status="scheduled",
                    send_at=at,
                    created_at=NOW,
                    updated_at=NOW,
                    organization_id=seed.orgs[org] if org else None,
                )
            )
        everyone = overview.upcoming(conn, scopes[None], NOW)
        alpha = overview.upcoming(conn, scopes["alpha"], NOW)
    assert [u.name for u in everyone] == ["soon", "eve", "later"]
    assert [u.name for u in alpha] == ["soon", "eve"]


def _settings(**values: str) -> Settings:
    return Settings(DATABASE_URL="sqlite://", _env_file=None, **values)  # type: ignore[arg-type]


def test_warnings(engine: Engine, seed: Seed) -> None:
    with engine.begin() as conn:
        for org, status, rejected in [
            ("alpha", "done", 3),
            ("beta", "failed", 0),
            ("alpha", "done", 0),
        ]:
            conn.execute(
                insert(IMPORTS).values(
                    organization_id=seed.orgs[org],
                    status=status,
                    filename=f"{org}.csv",
                    consent_basis="signed up",
                    consent_language="en",
                    rejected=rejected,
                    error="the file ended early" if status == "failed" else None,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        conn.execute(
            insert(OUTBOX).values(
                send_id=seed.sends["alpha blast"],
                contact_id=seed.contacts["u"],
                language="en",
                status="failed",
                error_code=20003,
                available_at=NOW,
                created_at=NOW,
                updated_at=NOW,
            )
        )
    unset = _settings()
    ready = _settings(
        TWILIO_ACCOUNT_SID="AC" + "0" * 32, TWILIO_AUTH_TOKEN="x", TWILIO_SMS_FROM="+15005550006"
    )
    over = [("es", "polling.found", 4, 3)]

    def kinds(
        org: str | None, settings: Settings, admin: bool
    ) -> dict[str, list[attention.Warning]]:
        scope = _scope(engine, seed, org)
        with engine.connect() as conn:
            found = attention.warnings(
                conn,
                scope=scope,
                settings=settings,
                over_budget=over,
                admin=admin,
                now=NOW,
            )
        grouped: dict[str, list[attention.Warning]] = {}
        for w in found:
            grouped.setdefault(w.kind, []).append(w)
        return grouped

    everyone = kinds(None, unset, True)
    assert [w.subject for w in everyone["review"]] == ["reminder"]
    assert [w.count for w in everyone["import_rejected"]] == [3]
    assert [w.subject for w in everyone["import_failed"]] == ["beta.csv"]
    assert everyone["twilio_settings"][0].items == (
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID",
    )
    assert [(w.subject, w.count) for w in everyone["twilio_error"]] == [("20003", 1)]
    assert everyone["budget"][0].items == ("es:polling.found (4/3)",)
    alpha = kinds("alpha", ready, False)
    assert "twilio_settings" not in alpha and "budget" not in alpha and "import_failed" not in alpha
    assert [w.count for w in alpha["import_rejected"]] == [3]
    assert "review" not in alpha  # b1's message in review is beta's voter
    assert "review" in kinds("beta", ready, False)
