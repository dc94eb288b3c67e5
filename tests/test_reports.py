"""The reports' and the dashboard's figures on SQLite and PostgreSQL: what a seeded coalition
did (texts, lookups, consent, handoffs, blasts), counted by local day, language, county and
organization. Every expected number is computed from the rows this test inserted, by the
rules the reports document, never written out by hand."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Engine, insert

from bot.access import Caller, Role
from bot.errors import NotFound
from bot.reports import attention, figures, overview, scoping
from bot.settings import Settings
from bot.tables import (
    CONSENT,
    CONTACTS,
    HANDOFFS,
    IMPORTS,
    INBOUND,
    MEMBERSHIPS,
    ORGANIZATIONS,
    OUTBOUND,
    OUTBOX,
    SENDS,
)
from bot.voter.geo import zip_info

pytestmark = pytest.mark.db
ZONE = "America/Los_Angeles"
NOW = dt.datetime(2026, 11, 20, 20, 0, tzinfo=dt.UTC)  # noon in Los Angeles
ORGS = ("coalition", "alpha", "beta")
# key: (language, [(organization, ZIP)], phone)
PEOPLE = {
    "a1": ("es", [("alpha", "90012")], "+12135550101"),
    "a2": ("en", [("alpha", "94103")], "+12135550102"),
    "b1": ("en", [("beta", "90012")], "+12135550103"),
    "ab": ("vi", [("alpha", "90012"), ("beta", "10001")], "+12135550104"),
    "u": (None, [], "+12135550105"),
}
REPLY_METRIC = {"polling.found": "where_to_vote", "registration.active": "registration"}


@dataclass(frozen=True)
class Fact:
    """One inserted event, as the reports should count it."""

    metric: str
    who: str
    at: dt.datetime
    sender: str | None = None  # a blast's organization
    minutes: float | None = None
    blast: str | None = None
    status: str | None = None


@dataclass
class Seed:
    """What was inserted: ids, lists and the facts."""

    now: dt.datetime
    orgs: dict[str, int] = field(default_factory=dict)
    contacts: dict[str, int] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)
    sends: dict[str, int] = field(default_factory=dict)

    def lists(self, who: str) -> list[str]:
        return [org for org, _ in PEOPLE[who][1]]

    def in_scope(self, fact: Fact, scope: str | None) -> bool:
        """The reports' rule: an organization's voters are on its list (the coalition's
        organization's: nobody's); a blast counts for its sender, a reminder by list."""
        if scope is None:
            return True
        if fact.metric in ("messages", "delivered", "failed") and fact.sender is not None:
            return fact.sender == scope
        lists = self.lists(fact.who)
        return scope in lists or (scope == "coalition" and not lists)

    def county(self, who: str, scope: str | None) -> str:
        zips = [z for org, z in PEOPLE[who][1] if scope in (None, "coalition") or org == scope]
        info = zip_info(zips[0]) if zips else None
        return f"{info.county}, {info.state}" if info and info.county else ""

    def expect(
        self,
        metric: str,
        scope: str | None = None,
        *,
        days: int = 7,
        keep: Callable[[Fact], bool] = lambda _f: True,
    ) -> int:
        """The figure the reports should give, from the facts."""
        local = ZoneInfo(ZONE)
        today = self.now.astimezone(local).date()
        first = today - dt.timedelta(days=days - 1)
        found = [
            f
            for f in self.facts
            if f.metric == metric
            and first <= f.at.astimezone(local).date() <= today
            and f.at <= self.now
            and self.in_scope(f, scope)
            and keep(f)
        ]
        if metric in figures.DISTINCT:
            return len({f.who for f in found})
        return len(found)


def plant(conn: Connection, now: dt.datetime) -> Seed:
    """Three organizations, five voters and what they did around `now`."""
    seed = Seed(now)
    for slug in ORGS:
        seed.orgs[slug] = int(
            conn.execute(
                insert(ORGANIZATIONS)
                .values(slug=slug, name=slug.title(), is_admin=slug == "coalition", created_at=now)
                .returning(ORGANIZATIONS.c.id)
            ).scalar_one()
        )
    for who, (language, lists, phone) in PEOPLE.items():
        cid = int(
            conn.execute(
                insert(CONTACTS)
                .values(phone=phone, language=language, created_at=now, updated_at=now)
                .returning(CONTACTS.c.id)
            ).scalar_one()
        )
        seed.contacts[who] = cid
        for org, zip_code in lists:
            conn.execute(
                insert(MEMBERSHIPS).values(
                    organization_id=seed.orgs[org],
                    contact_id=cid,
                    zip=zip_code,
                    created_at=now,
                    updated_at=now,
                )
            )
    hours = dt.timedelta(hours=1)
    # Local midnight today, and half an hour before it (yesterday, local; today in UTC).
    midnight = dt.datetime.combine(
        now.astimezone(ZoneInfo(ZONE)).date(), dt.time(0), tzinfo=ZoneInfo(ZONE)
    ).astimezone(dt.UTC)
    texts = [
        ("a1", now - 1 * hours, "polling.found"),
        ("a1", now - 2 * hours, "registration.active"),
        ("a1", now - 50 * hours, "polling.found"),
        ("a2", midnight - dt.timedelta(minutes=30), "main.menu"),
        ("a2", midnight + dt.timedelta(minutes=30), "registration.active"),
        ("b1", now - 26 * hours, "polling.found"),
        ("ab", now - 100 * hours, "main.menu"),
        ("ab", now - 3 * hours, "polling.found"),
        ("u", now - 4 * hours, "registration.active"),
        ("u", now - 200 * hours, "polling.found"),  # outside 7 days, inside 30
        ("b1", now - 900 * hours, "main.menu"),  # outside every window
        ("a1", now + 2 * hours, "main.menu"),  # after now: never counted
    ]
    for n, (who, at, key) in enumerate(texts):
        cid = seed.contacts[who]
        inbound_id = conn.execute(
            insert(INBOUND)
            .values(
                message_sid=f"SM{n:032d}",
                contact_id=cid,
                channel="sms",
                to_address="+15005550006",
                body="hola",
                received_at=at,
            )
            .returning(INBOUND.c.id)
        ).scalar_one()
        conn.execute(
            insert(OUTBOUND).values(
                contact_id=cid,
                inbound_id=inbound_id,
                channel="sms",
                to_address=PEOPLE[who][2],
                body="answer",
                message_key=key,
                language=PEOPLE[who][0],
                status="replied",
                created_at=at,
                updated_at=at,
            )
        )
        seed.facts += [
            Fact("inbound", who, at),
            Fact("texters", who, at),
            Fact("answered", who, at),
        ]
        if key in REPLY_METRIC:
            seed.facts.append(Fact(REPLY_METRIC[key], who, at))
    consent = [
        ("a1", "reminders_opt_in", now - 1 * hours),
        ("ab", "reminders_opt_in", now - 30 * hours),
        ("u", "reminders_opt_in", now - 30 * hours),
        ("a2", "opt_out", now - 3 * hours),  # 2 hours after alpha's blast reached them
        ("b1", "opt_out", now - 10 * hours),  # 110 hours after beta's blast: not its doing
        ("b1", "help", now - 10 * hours),  # not a figure
    ]
    for who, kind, at in consent:
        conn.execute(
            insert(CONSENT).values(
                contact_id=seed.contacts[who],
                kind=kind,
                channel="sms",
                source="keyword",
                created_at=at,
            )
        )
        metric = {"reminders_opt_in": "reminders", "opt_out": "opt_outs"}.get(kind)
        if metric:
            seed.facts.append(Fact(metric, who, at))
    handoffs = [
        ("a1", now - 5 * hours, 12.0),
        ("b1", now - 30 * hours, 90.0),
        ("u", now - 2 * hours, None),
    ]
    for who, at, minutes in handoffs:
        answer = at + dt.timedelta(minutes=minutes) if minutes is not None else None
        conn.execute(
            insert(HANDOFFS).values(
                contact_id=seed.contacts[who],
                status="open" if answer is None else "closed",
                first_answer_at=answer,
                created_at=at,
                updated_at=at,
            )
        )
        seed.facts.append(Fact("handoffs", who, at))
        if minutes is not None:
            seed.facts.append(Fact("answered_handoffs", who, at, minutes=minutes))
    sends: list[tuple[str, str, str | None, dt.datetime]] = [
        ("alpha blast", "blast", "alpha", now - 5 * hours),
        ("beta blast", "blast", "beta", now - 120 * hours),
        ("reminder", "reminder", None, now - 6 * hours),
    ]
    for name, kind, owner, started in sends:
        seed.sends[name] = int(
            conn.execute(
                insert(SENDS)
                .values(
                    kind=kind,
                    organization_id=seed.orgs[owner] if owner else None,
                    name=name,
                    status="sending",
                    send_at=started,
                    started_at=started,
                    created_at=started,
                    updated_at=started,
                )
                .returning(SENDS.c.id)
            ).scalar_one()
        )
    outbox = [
        ("alpha blast", "a1", "delivered", None),
        ("alpha blast", "a2", "failed", 30007),
        ("alpha blast", "ab", "undelivered", 30003),
        ("beta blast", "b1", "delivered", None),
        ("beta blast", "ab", "sent", None),
        ("reminder", "u", "delivered", None),
        ("reminder", "a1", "failed", 21610),
        ("reminder", "b1", "review", None),
        ("reminder", "ab", "pending", None),
    ]
    sender = {"alpha blast": "alpha", "beta blast": "beta", "reminder": None}
    for name, who, status, code in outbox:
        started = next(s[3] for s in sends if s[0] == name)
        sent_at = started if status not in ("pending", "review") else None
        conn.execute(
            insert(OUTBOX).values(
                send_id=seed.sends[name],
                contact_id=seed.contacts[who],
                language=PEOPLE[who][0] or "en",
                status=status,
                available_at=started,
                sent_at=sent_at,
                error_code=code,
                created_at=started,
                updated_at=started,
            )
        )
        if status in ("pending", "review"):
            continue
        base = Fact("messages", who, started, sender[name], blast=name, status=status)
        seed.facts.append(base)
        if status == "delivered":
            seed.facts.append(Fact("delivered", who, started, sender[name], blast=name))
        if status in ("failed", "undelivered"):
            seed.facts.append(
                Fact("failed", who, started, sender[name], blast=name, status=str(code))
            )
    return seed


def on(day: dt.date, who: str | None = None) -> Callable[[Fact], bool]:
    """Facts of one local day (of one voter)."""

    def keep(f: Fact) -> bool:
        return f.at.astimezone(ZoneInfo(ZONE)).date() == day and who in (None, f.who)

    return keep


def speaking(language: str) -> Callable[[Fact], bool]:
    """Facts of voters of one language ("" for unknown)."""

    def keep(f: Fact) -> bool:
        return (PEOPLE[f.who][0] or "") == language

    return keep


def living(seed: Seed, county: str, org: str | None) -> Callable[[Fact], bool]:
    """Facts of voters of one county, as the scope sees their ZIP."""

    def keep(f: Fact) -> bool:
        return seed.county(f.who, org) == county

    return keep


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
