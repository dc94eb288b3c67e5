"""The reports' figures: reach and response by day, language, organization and county.

Every figure comes from rows of one bounded window (at most `scoping.MAX_DAYS` local days),
read with SQLAlchemy Core and bucketed here by the coalition's local day, so that SQLite and
PostgreSQL give the same numbers. What each figure counts:

- inbound: texts voters sent; texters: the voters who sent them (each once per bucket);
- answered: voters the bot replied to;
- where_to_vote / registration: voters who got a polling-place or registration answer
  (a reply with a `polling.*` or `registration.*` message);
- reminders: voters who said YES to election reminders; opt_outs: voters who opted out
  (both from the consent log);
- handoffs: requests for a person opened; answered_handoffs: those a person answered, and the
  minutes from the request to the first answer;
- messages / delivered / failed: the blasts' and reminders' messages that went to Twilio, were
  delivered, failed or were undelivered (by the day they were sent).

An organization's voters are the contacts on its list (the coalition's own organization also
answers for the unlisted); a contact on two lists counts for both, so organizations side by
side may add up to more than the coalition's total. A blast counts for the organization that
sent it; a reminder (the coalition's) for its recipients' organizations.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import zipcodes
from sqlalchemy import Connection, and_, case, func, literal, select

from bot.reports.scoping import Scope, Window, contacts_clause, sends_clause
from bot.statuses import OutboxStatus, SendKind
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
from bot.voter.geo import zip5, zip_info

# Each figure, and whether it counts rows (texts, requests, messages) or distinct voters.
METRICS: tuple[tuple[str, bool], ...] = (
    ("inbound", False),
    ("texters", True),
    ("answered", True),
    ("where_to_vote", True),
    ("registration", True),
    ("reminders", True),
    ("opt_outs", True),
    ("handoffs", False),
    ("answered_handoffs", False),
    ("messages", False),
    ("delivered", False),
    ("failed", False),
)
METRIC_NAMES = tuple(name for name, _ in METRICS)
DISTINCT = frozenset(name for name, distinct in METRICS if distinct)
SENT = (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED, OutboxStatus.FAILED)
FAILED = (OutboxStatus.FAILED, OutboxStatus.UNDELIVERED)
BLAST_KINDS = (SendKind.BLAST, SendKind.REMINDER)
OPT_OUT_AFTER = dt.timedelta(hours=72)  # an opt-out this soon after a blast counts against it
CHUNK = 500
FEW_ZIPS = 8  # each costs a scan of the ZIP data; more read the whole table once
UNKNOWN = ""  # the key of a language or county nobody knows


@dataclass(frozen=True)
class Event:
    """One thing that happened to one voter."""

    metric: str
    at: dt.datetime
    contact_id: int
    organization_id: int | None = None  # a blast's organization (else the contact's lists)
    minutes: float | None = None  # answered_handoffs: minutes to the first answer
    weight: int = 1  # rows counted at once (texts of one voter on one day)


@dataclass
class Tally:
    """The figures of one bucket (a day, a language, an organization, a county)."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRIC_NAMES, 0))
    voters: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    minutes: list[float] = field(default_factory=list)

    def add(self, event: Event) -> None:
        """Count one event."""
        if event.metric in DISTINCT:
            self.voters[event.metric].add(event.contact_id)
        else:
            self.rows[event.metric] += event.weight
        if event.minutes is not None:
            self.minutes.append(event.minutes)

    def figures(self) -> Figures:
        """The counts."""
        counts = dict(self.rows)
        for name in DISTINCT:
            counts[name] = len(self.voters.get(name, ()))
        median = statistics.median(self.minutes) if self.minutes else None
        return Figures(counts, median)


@dataclass(frozen=True)
class Figures:
    """One bucket's counts, and the median minutes to a person's first answer."""

    counts: dict[str, int]
    median_minutes: float | None = None

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    @property
    def opt_out_rate(self) -> float | None:
        """Opt-outs per blast message sent, when any was sent."""
        sent = self.counts["messages"]
        return self.counts["opt_outs"] / sent if sent else None


@dataclass(frozen=True)
class Voter:
    """What the reports group a voter by."""

    language: str
    county: str
    organizations: tuple[int, ...]


@dataclass(frozen=True)
class BlastOptOuts:
    """A blast, its messages sent, and the voters who opted out within OPT_OUT_AFTER."""

    send_id: int
    name: str
    organization_id: int | None
    started_at: dt.datetime | None
    sent: int
    opt_outs: int

    @property
    def rate(self) -> float | None:
        """Opt-outs per message sent."""
        return self.opt_outs / self.sent if self.sent else None


@dataclass(frozen=True)
class Report:
    """Every figure of a window, for a scope."""

    scope: Scope
    window: Window
    total: Figures
    by_day: list[tuple[dt.date, Figures]]
    by_language: list[tuple[str, Figures]]
    by_county: list[tuple[str, Figures]]
    by_organization: list[tuple[int, str, Figures]]  # an admin's coalition view only
    blasts: list[BlastOptOuts]
    failures: list[tuple[str, int]]  # (Twilio error code or reason, messages)


def _aware(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def day_index(column: Any, starts: Sequence[dt.datetime]) -> Any:
    """A SQL expression: which of the days (by their starts in UTC, oldest first) a moment of
    the window falls on, 0 for the first."""
    if len(starts) == 1:
        return literal(0)
    return case(
        *[(column < starts[n + 1], n) for n in range(len(starts) - 1)], else_=len(starts) - 1
    )


def events(conn: Connection, scope: Scope, win: Window) -> list[Event]:
    """Everything that happened to the scope's voters in the window."""
    start, end = win.start, win.now
    found: list[Event] = []
    starts = win.day_starts
    i = INBOUND.c
    # The many rows (texts, replies) are grouped by the database: one per voter and local day
    # (the day found by comparing with each day's start in UTC, the same on both databases).
    texts = select(day_index(i.received_at, starts).label("day"), i.contact_id).where(
        i.received_at >= start,
        i.received_at <= end,
        i.contact_id.is_not(None),
        contacts_clause(scope, i.contact_id),
    )
    sub = texts.subquery()
    rows = conn.execute(
        select(sub.c.day, sub.c.contact_id, func.count()).group_by(sub.c.day, sub.c.contact_id)
    )
    for day, cid, n in rows:
        at = starts[int(day)]
        found += [Event("inbound", at, int(cid), weight=int(n)), Event("texters", at, int(cid))]
    o = OUTBOUND.c
    kind = case(
        (o.message_key.like("polling.%"), "where_to_vote"),
        (o.message_key.like("registration.%"), "registration"),
        else_="answered",
    )
    answers = (
        select(day_index(o.created_at, starts).label("day"), o.contact_id, kind.label("kind"))
        .where(
            o.created_at >= start,
            o.created_at <= end,
            o.inbound_id.is_not(None),
            contacts_clause(scope, o.contact_id),
        )
        .subquery()
    )
    replies = conn.execute(
        select(answers.c.day, answers.c.contact_id, answers.c.kind).group_by(
            answers.c.day, answers.c.contact_id, answers.c.kind
        )
    )
    for day, cid, what in replies:
        at = starts[int(day)]
        found.append(Event("answered", at, int(cid)))
        if what != "answered":
            found.append(Event(str(what), at, int(cid)))
    c = CONSENT.c
    kinds = {"reminders_opt_in": "reminders", "opt_out": "opt_outs"}
    consents = conn.execute(
        select(c.created_at, c.contact_id, c.kind).where(
            c.created_at >= start,
            c.created_at <= end,
            c.kind.in_(list(kinds)),
            contacts_clause(scope, c.contact_id),
        )
    )
    found += [Event(kinds[str(kind)], _aware(at), int(cid)) for at, cid, kind in consents]
    h = HANDOFFS.c
    requests = conn.execute(
        select(h.created_at, h.contact_id, h.first_answer_at).where(
            h.created_at >= start, h.created_at <= end, contacts_clause(scope, h.contact_id)
        )
    )
    for at, cid, answer in requests:
        when = _aware(at)
        found.append(Event("handoffs", when, int(cid)))
        if answer is not None:
            minutes = max(0.0, (_aware(answer) - when).total_seconds() / 60)
            found.append(Event("answered_handoffs", when, int(cid), minutes=minutes))
    found += _messages(conn, scope, win)
    return found


def _messages(conn: Connection, scope: Scope, win: Window) -> list[Event]:
    x, s = OUTBOX.c, SENDS.c
    at = func.coalesce(x.sent_at, x.updated_at)
    rows = conn.execute(
        select(at.label("at"), x.contact_id, x.status, s.organization_id)
        .join(SENDS, s.id == x.send_id)
        .where(
            s.kind.in_(BLAST_KINDS),
            x.status.in_(SENT),
            at >= win.start,
            at <= win.now,
            sends_clause(scope, x.contact_id),
        )
    )
    found = []
    for when, cid, status, org in rows:
        moment, contact, sender = _aware(when), int(cid), int(org) if org is not None else None
        found.append(Event("messages", moment, contact, sender))
        if status == OutboxStatus.DELIVERED:
            found.append(Event("delivered", moment, contact, sender))
        elif status in FAILED:
            found.append(Event("failed", moment, contact, sender))
    return found


def voters(conn: Connection, scope: Scope, contact_ids: Iterable[int]) -> dict[int, Voter]:
    """Language, county and lists of each contact (lists and ZIP as the scope sees them)."""
    ids = sorted(set(contact_ids))
    admin_orgs = [
        int(v)
        for v in conn.execute(
            select(ORGANIZATIONS.c.id).where(ORGANIZATIONS.c.is_admin.is_(True))
        ).scalars()
    ]
    languages: dict[int, str] = {}
    lists: dict[int, list[int]] = defaultdict(list)
    zips: dict[int, str] = {}
    m = MEMBERSHIPS.c
    for chunk in _chunks(ids):
        for cid, language in conn.execute(
            select(CONTACTS.c.id, CONTACTS.c.language).where(CONTACTS.c.id.in_(chunk))
        ):
            languages[int(cid)] = str(language or UNKNOWN)
        for cid, org, zip_code in conn.execute(
            select(m.contact_id, m.organization_id, m.zip)
            .where(m.contact_id.in_(chunk))
            .order_by(m.contact_id, m.id)
        ):
            lists[int(cid)].append(int(org))
            mine = scope.coalition or org == scope.organization_id
            if zip_code and mine and int(cid) not in zips:
                zips[int(cid)] = str(zip_code)
    counties = counties_of(set(zips.values()))
    found = {}
    for cid in ids:
        county = counties.get(zips[cid], UNKNOWN) if cid in zips else UNKNOWN
        orgs = tuple(lists.get(cid, ())) or tuple(admin_orgs[:1])
        found[cid] = Voter(languages.get(cid, UNKNOWN), county, orgs)
    return found


@lru_cache(maxsize=1)
def _county_by_zip() -> dict[str, str]:
    """Every ZIP code's county ("Los Angeles County, CA"), from the bundled ZIP data."""
    found = {}
    for entry in zipcodes.list_all():  # type: ignore[no-untyped-call]
        if entry.get("county"):
            found[str(entry["zip_code"])] = f"{entry['county']}, {entry['state']}"
    return found


def counties_of(zips: Iterable[str]) -> dict[str, str]:
    """The county of each ZIP (as lists hold them: "90012", "90012-1234"); unknown ones left
    out. A few ZIPs are looked up one by one; more, in the whole table (read once)."""
    wanted = {z: zip5(z) for z in zips}
    if len(wanted) <= FEW_ZIPS:
        found = {}
        for raw, five in wanted.items():
            info = zip_info(five) if five else None
            if info and info.county:
                found[raw] = f"{info.county}, {info.state}"
        return found
    table = _county_by_zip()
    return {raw: table[five] for raw, five in wanted.items() if five and five in table}


def blast_opt_outs(conn: Connection, scope: Scope, win: Window) -> list[BlastOptOuts]:
    """Each blast started in the window: messages sent, and the recipients who opted out
    within OPT_OUT_AFTER of their message."""
    s, x, c = SENDS.c, OUTBOX.c, CONSENT.c
    query = select(s.id, s.name, s.organization_id, s.started_at).where(
        s.kind == SendKind.BLAST, s.started_at >= win.start, s.started_at <= win.now
    )
    if not scope.coalition:
        query = query.where(s.organization_id == scope.organization_id)
    blasts = list(conn.execute(query.order_by(s.started_at, s.id)))
    if not blasts:
        return []
    ids = [int(b.id) for b in blasts]
    sent: dict[int, int] = defaultdict(int)
    opted: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(ids):
        for send_id, n in conn.execute(
            select(x.send_id, func.count())
            .where(x.send_id.in_(chunk), x.status.in_(SENT))
            .group_by(x.send_id)
        ):
            sent[int(send_id)] = int(n)
        joined = (
            select(x.send_id, x.contact_id, func.coalesce(x.sent_at, x.updated_at), c.created_at)
            .join(CONSENT, and_(c.contact_id == x.contact_id, c.kind == "opt_out"))
            .where(x.send_id.in_(chunk), x.status.in_(SENT))
        )
        for send_id, cid, when, opted_at in conn.execute(joined):
            after = _aware(opted_at) - _aware(when)
            if dt.timedelta(0) <= after <= OPT_OUT_AFTER:
                opted[int(send_id)].add(int(cid))
    return [
        BlastOptOuts(
            int(b.id),
            str(b.name),
            b.organization_id,
            _aware(b.started_at) if b.started_at else None,
            sent[int(b.id)],
            len(opted[int(b.id)]),
        )
        for b in blasts
    ]


def failures(conn: Connection, scope: Scope, win: Window) -> list[tuple[str, int]]:
    """Blast and reminder messages that failed or were undelivered, by Twilio's error code
    (or Turnout's reason when Twilio gave none), the most frequent first."""
    x, s = OUTBOX.c, SENDS.c
    at = func.coalesce(x.sent_at, x.updated_at)
    rows = conn.execute(
        select(x.error_code, x.reason, func.count())
        .join(SENDS, s.id == x.send_id)
        .where(
            s.kind.in_(BLAST_KINDS),
            x.status.in_(FAILED),
            at >= win.start,
            at <= win.now,
            sends_clause(scope, x.contact_id),
        )
        .group_by(x.error_code, x.reason)
    )
    found: dict[str, int] = defaultdict(int)
    for code, reason, n in rows:
        found[str(code) if code is not None else str(reason or "unknown")] += int(n)
    return sorted(found.items(), key=lambda item: (-item[1], item[0]))


def report(conn: Connection, *, scope: Scope, win: Window) -> Report:
    """The report of a scope over a window."""
    found = events(conn, scope, win)
    people = voters(conn, scope, {e.contact_id for e in found})
    everything = Tally()
    days: dict[dt.date, Tally] = defaultdict(Tally)
    languages: dict[str, Tally] = defaultdict(Tally)
    counties: dict[str, Tally] = defaultdict(Tally)
    per_org: dict[int, Tally] = defaultdict(Tally)
    for e in found:  # one pass: every bucket of every event
        voter = people[e.contact_id]
        everything.add(e)
        days[win.day_of(e.at)].add(e)
        languages[voter.language].add(e)
        counties[voter.county].add(e)
        if scope.coalition:
            for org in (e.organization_id,) if e.organization_id else voter.organizations:
                per_org[org].add(e)
    empty = Tally().figures()
    by_organization: list[tuple[int, str, Figures]] = []
    if scope.coalition:
        names = conn.execute(
            select(ORGANIZATIONS.c.id, ORGANIZATIONS.c.name).order_by(ORGANIZATIONS.c.name)
        )
        by_organization = [
            (int(i), str(n), per_org[int(i)].figures() if int(i) in per_org else empty)
            for i, n in names
        ]

    def ordered(buckets: dict[str, Tally]) -> list[tuple[str, Figures]]:
        return [(k, buckets[k].figures()) for k in sorted(buckets, key=lambda k: (k == UNKNOWN, k))]

    return Report(
        scope=scope,
        window=win,
        total=everything.figures(),
        by_day=[(d, days[d].figures() if d in days else empty) for d in win.dates],
        by_language=ordered(languages),
        by_county=ordered(counties),
        by_organization=by_organization,
        blasts=blast_opt_outs(conn, scope, win),
        failures=failures(conn, scope, win),
    )
