"""A coalition's month of activity for the reports and the dashboard: texts, lookups,
consent, handoffs and blasts of three organizations, each row kept as a `Fact` so that a test
computes what a report must say from what was inserted, never from numbers written by hand;
and the people who read it in the console."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, insert

from bot.clock import utcnow
from bot.reports import figures
from bot.tables import (
    CONSENT,
    CONTACTS,
    HANDOFFS,
    INBOUND,
    MEMBERSHIPS,
    ORGANIZATIONS,
    OUTBOUND,
    OUTBOX,
    SENDS,
)
from bot.voter.geo import zip_info
from tests.helpers.console import Person, make_user, person

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


PEOPLE_IN_CONSOLE = {
    "admin@coalition.org": ("coalition", "admin", "en"),
    "ana@alpha.org": ("alpha", "organizer", "en"),
    "vic@alpha.org": ("alpha", "viewer", "es"),
    "bo@beta.org": ("beta", "organizer", "en"),
}


class SeededWorld:
    """The seeded coalition and the people of PEOPLE_IN_CONSOLE, signed in on demand."""

    def __init__(self, engine: Engine, client: TestClient) -> None:
        with engine.begin() as conn:
            self.seed: Seed = plant(conn, utcnow())
        self.engine, self.client = engine, client
        self.made: set[str] = set()

    def sign_in(self, email: str) -> Person:
        """A fresh browser for this person (made on first use: hashing is slow)."""
        if email not in self.made:
            org, role, language = PEOPLE_IN_CONSOLE[email]
            make_user(self.engine, email, self.seed.orgs[org], role, ui_language=language)
            self.made.add(email)
        self.client.cookies.clear()
        return person(self.client, self.engine, email)
