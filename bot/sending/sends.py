"""Sends: create a blast (or a test of one), preview its audience and cost, start it (one
outbox row per recipient, in one transaction), count what became of it, pause, resume and
cancel it. Everything takes a connection and `now`; the caller commits."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import zipcodes
from sqlalchemy import (
    Connection,
    Engine,
    Select,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    update,
)

from bot.clock import utcnow
from bot.db import read_only
from bot.errors import Conflict, Invalid
from bot.lift.assign import hold_out
from bot.tables import CONTACTS, MEMBERSHIPS, OUTBOX, SENDS
from bot.tables import ORGANIZATIONS as ORGS
from flows.text import normalize

KINDS = ("blast", "reminder", "test")
OPEN = ("scheduled", "sending", "paused")  # a send that may still send something
# Outbox rows still to be decided, and those a dispatcher holds.
WAITING = ("pending", "deferred")
IN_FLIGHT = ("claimed", "sending")
MAX_TEXT = 1600  # Twilio's limit for one message body
ANALYZE_AFTER = 1000  # outbox rows a send adds before PostgreSQL's statistics are refreshed


class SendError(Invalid):
    """A send cannot be made or changed as asked; the message says why."""


def fold_tag(tag: str) -> str:
    """A tag as stored and matched: folded like headers, spaces to hyphens."""
    return "-".join(normalize(tag).split())


def tags_value(tags: Iterable[str]) -> str | None:
    """Tags as a membership stores them: "|a|b|" (sorted, folded), or None."""
    folded = sorted({fold_tag(t) for t in tags if fold_tag(t)})
    return f"|{'|'.join(folded)}|" if folded else None


@lru_cache(maxsize=1)
def _county_zips() -> dict[str, frozenset[str]]:
    """County name, folded and without "county" (and "county, ST"), to its ZIP codes."""
    found: dict[str, set[str]] = {}
    for entry in zipcodes.list_all():  # type: ignore[no-untyped-call]
        county = normalize(str(entry.get("county") or "")).removesuffix(" county").strip()
        if not county:
            continue
        state = str(entry.get("state") or "").lower()
        for key in (county, f"{county} {state}"):
            found.setdefault(key, set()).add(str(entry["zip_code"]))
    return {key: frozenset(zips) for key, zips in found.items()}


def county_zips(county: str) -> frozenset[str]:
    """The ZIP codes of a county: "Maricopa", "Maricopa County" or "Maricopa County, AZ"."""
    key = normalize(county.replace(",", " ")).replace(" county ", " ").removesuffix(" county")
    return _county_zips().get(" ".join(key.split()), frozenset())


@dataclass(frozen=True)
class Audience:
    """Who a blast goes to: members of these organizations (all, for a coalition admin's
    blast that names none) who speak these languages, live in these ZIPs or counties, carry
    one of these tags. Opted-out contacts never."""

    organizations: tuple[int, ...] = ()
    languages: tuple[str, ...] = ()
    zips: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, value: Mapping[str, Any] | None) -> Audience:
        """From a send's `audience` column."""
        value = value or {}
        return cls(**{k: tuple(value.get(k) or ()) for k in cls.__dataclass_fields__})

    def to_json(self) -> dict[str, list[Any]]:
        """For a send's `audience` column."""
        return {k: list(getattr(self, k)) for k in self.__dataclass_fields__}

    def zip_codes(self) -> set[str]:
        """The ZIPs named, and those of the counties named; empty for "anywhere"."""
        found = {z.strip()[:5] for z in self.zips}
        for county in self.counties:
            zips = county_zips(county)
            if not zips:
                raise SendError(f"unknown county {county!r}: write it as 'Maricopa County, AZ'")
            found |= zips
        return found


def audience_query(
    send_kind: str, audience: Audience, default_language: str, contact_id: int | None = None
) -> Select[Any]:
    """(contact_id, language, zip) of every recipient, one row per contact however many
    lists they are on."""
    c, m = CONTACTS.c, MEMBERSHIPS.c
    language = func.coalesce(c.language, func.min(m.language), literal(default_language))
    listed = func.count(m.id) > 0
    base = select(
        c.id.label("contact_id"),
        language.label("language"),
        func.min(m.zip).label("zip"),
        listed.label("listed"),
    )
    if send_kind == "test":
        query = base.select_from(CONTACTS.outerjoin(MEMBERSHIPS, m.contact_id == c.id))
        query = query.where(c.id == contact_id)
    elif send_kind == "reminder":
        query = base.select_from(CONTACTS.outerjoin(MEMBERSHIPS, m.contact_id == c.id))
        query = query.where(c.reminders.is_(True), c.opted_out.is_(False))
    else:
        query = base.select_from(CONTACTS.join(MEMBERSHIPS, m.contact_id == c.id))
        query = query.where(c.opted_out.is_(False))
        if audience.organizations:
            query = query.where(m.organization_id.in_(audience.organizations))
        zips = audience.zip_codes()
        if zips:
            query = query.where(func.substr(m.zip, 1, 5).in_(sorted(zips)))
        if audience.tags:
            query = query.where(or_(*(m.tags.like(f"%|{fold_tag(t)}|%") for t in audience.tags)))
    query = query.group_by(c.id, c.language)
    if audience.languages and send_kind == "blast":
        inner = query.subquery()
        return select(inner).where(inner.c.language.in_(audience.languages))
    return query


def language_counts(conn: Connection, query: Select[Any]) -> Counter[str]:
    """Recipients per language of an audience query."""
    inner = query.subquery()
    rows = conn.execute(select(inner.c.language, func.count()).group_by(inner.c.language))
    return Counter({str(lang): int(n) for lang, n in rows})


def start_send(conn: Connection, send_id: int, *, default_language: str, now: dt.datetime) -> int:
    """Create the outbox rows of a due send and mark it sending, in the caller's transaction
    (all rows or none). Returns how many recipients it has."""
    send = conn.execute(select(SENDS).where(SENDS.c.id == send_id)).one()
    audience = Audience.from_json(send.audience)
    contact_id = (send.audience or {}).get("contact_id")
    query = audience_query(send.kind, audience, default_language, contact_id)
    if send.kind == "test" and (send.audience or {}).get("language"):
        inner = query.subquery()
        language = literal(send.audience["language"]).label("language")
        query = select(inner.c.contact_id, language, inner.c.zip, inner.c.listed)
    inner = query.subquery()
    rows = select(
        literal(send_id),
        inner.c.contact_id,
        inner.c.language,
        inner.c.zip,
        inner.c.listed,
        literal("pending"),
        literal(now),
        literal(0),
        literal(now),
        literal(now),
    )
    columns = [
        "send_id",
        "contact_id",
        "language",
        "zip",
        "listed",
        "status",
        "available_at",
        "attempts",
        "created_at",
        "updated_at",
    ]
    # psycopg reports no rowcount for INSERT ... SELECT unless asked to keep it.
    statement = insert(OUTBOX).from_select(columns, rows)
    result = conn.execute(statement.execution_options(preserve_rowcount=True))
    count = int(result.rowcount or 0)
    if send.kind in ("blast", "reminder"):
        hold_out(conn, send_id, now)  # a lift holdout's contacts: skipped, reason `holdout`
    if count >= ANALYZE_AFTER and conn.dialect.name == "postgresql":
        # Autovacuum has not seen these rows yet: without fresh statistics the planner
        # scans the outbox for every claim and every frequency-cap count (measured: 4 times
        # the database's CPU, 0.70 of the throughput; docs/benchmarks.md).
        conn.execute(text("ANALYZE outbox"))
    conn.execute(
        update(SENDS)
        .where(SENDS.c.id == send_id)
        .values(status="sending", started_at=now, updated_at=now, recipients=count)
    )
    return count


def due_sends(conn: Connection, now: dt.datetime) -> list[int]:
    """Sends whose time has come and that have not started."""
    query = select(SENDS.c.id).where(SENDS.c.status == "scheduled", SENDS.c.send_at <= now)
    return list(conn.execute(query.order_by(SENDS.c.send_at, SENDS.c.id)).scalars())


def finish_sends(conn: Connection, now: dt.datetime) -> list[int]:
    """Mark done the started sends with nothing left to send; returns their ids."""
    waiting = (
        select(OUTBOX.c.id)
        .where(OUTBOX.c.send_id == SENDS.c.id, OUTBOX.c.status.in_(WAITING + IN_FLIGHT))
        .exists()
    )
    ids = list(
        conn.execute(select(SENDS.c.id).where(SENDS.c.status == "sending", ~waiting)).scalars()
    )
    if ids:
        conn.execute(
            update(SENDS)
            .where(SENDS.c.id.in_(ids))
            .values(status="done", finished_at=now, updated_at=now)
        )
    return ids


# What the counts of a send call each outbox status.
COUNT_NAMES = {
    "pending": "queued",
    "deferred": "deferred",
    "claimed": "queued",
    "sending": "sending",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "review": "review",
}


def counts(conn: Connection, send_id: int) -> dict[str, Any]:
    """What became of a send's messages: queued, deferred, sending, sent, delivered, failed
    (with Twilio's error codes), in review, and skipped by reason."""
    out: dict[str, Any] = {
        "recipients": 0,
        "queued": 0,
        "deferred": 0,
        "sending": 0,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        "review": 0,
        "skipped": {},
        "failed_by_error": {},
    }
    o = OUTBOX.c
    rows = conn.execute(
        select(o.status, o.reason, o.error_code, func.count())
        .where(o.send_id == send_id)
        .group_by(o.status, o.reason, o.error_code)
    )
    for status, reason, error_code, n in rows:
        out["recipients"] += n
        if status == "skipped":
            key = reason or "unknown"
            out["skipped"][key] = out["skipped"].get(key, 0) + n
            continue
        name = COUNT_NAMES.get(status, status)
        out[name] = out.get(name, 0) + n
        if name == "failed":
            key = str(error_code or reason or "unknown")
            out["failed_by_error"][key] = out["failed_by_error"].get(key, 0) + n
    return out


def set_state(conn: Connection, send_id: int, action: str, now: dt.datetime) -> str:
    """Pause, resume or cancel a send; returns its new status. Pausing puts back every
    message not yet launched; cancelling skips them. Requests already out finish: see
    `wait_in_flight` for when."""
    query = select(SENDS).where(SENDS.c.id == send_id)
    if conn.dialect.name == "postgresql":  # against a scheduler starting it right now
        query = query.with_for_update()
    send = conn.execute(query).one()
    status = send.status
    if action == "pause":
        if status not in ("scheduled", "sending"):
            raise Conflict(f"a {status} send cannot be paused")
        new = "paused"
        # Messages a dispatcher holds but has not launched wait again (`outbox.launch`
        # refuses any it still tries, once this commits).
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.send_id == send_id, OUTBOX.c.status == "claimed")
            .values(status="pending", claimed_by=None, lease_until=None, sending_at=None)
            .values(channel=None, updated_at=now)
        )
    elif action == "resume":
        if status != "paused":
            raise Conflict(f"only a paused send can be resumed; this one is {status}")
        new = "sending" if send.started_at is not None else "scheduled"
    elif action == "cancel":
        if status not in OPEN:
            raise Conflict(f"a {status} send cannot be cancelled")
        new = "cancelled"
        conn.execute(
            update(OUTBOX)
            .where(OUTBOX.c.send_id == send_id, OUTBOX.c.status.in_((*WAITING, "claimed")))
            .values(status="skipped", reason="cancelled", claimed_by=None, updated_at=now)
        )
    else:
        raise SendError(f"unknown action {action!r}")
    values: dict[str, Any] = {"status": new, "updated_at": now}
    if new == "cancelled":
        values["finished_at"] = now
    conn.execute(update(SENDS).where(SENDS.c.id == send_id).values(**values))
    return new


def create_send(conn: Connection, values: Mapping[str, Any], now: dt.datetime) -> int:
    """Insert a send (already validated) and return its id."""
    row = {"status": "scheduled", "edited": False, **values, "created_at": now, "updated_at": now}
    return int(conn.execute(insert(SENDS).returning(SENDS.c.id), row).scalar_one())


def tests_since(conn: Connection, organization_id: int | None, since: dt.datetime) -> int:
    """Test sends an organization made since `since`."""
    s = SENDS.c
    query = select(func.count()).where(
        s.kind == "test", s.organization_id == organization_id, s.created_at >= since
    )
    return int(conn.execute(query).scalar_one())


def contact_for_phone(conn: Connection, phone: str, language: str | None, now: dt.datetime) -> int:
    """The contact with this E.164 phone, created (without any consent) for a test send."""
    found = conn.execute(select(CONTACTS.c.id).where(CONTACTS.c.phone == phone)).scalar()
    if found is not None:
        return int(found)
    row = {
        "phone": phone,
        "language": language,
        "language_source": "test" if language else None,
        "opted_out": False,
        "reminders": False,
        "created_at": now,
        "updated_at": now,
    }
    return int(conn.execute(insert(CONTACTS).returning(CONTACTS.c.id), row).scalar_one())


def member_for_phone(conn: Connection, organization_id: int, phone: str) -> int | None:
    """The contact with this phone on an organization's list, if there is one."""
    c, m = CONTACTS.c, MEMBERSHIPS.c
    found = conn.execute(
        select(c.id)
        .join(MEMBERSHIPS, m.contact_id == c.id)
        .where(c.phone == phone, m.organization_id == organization_id)
    ).scalar()
    return int(found) if found is not None else None


def organization_ids(conn: Connection, slugs: Iterable[str]) -> dict[str, int]:
    """Organization ids by slug, for the slugs that exist."""
    wanted = list(slugs)
    rows = conn.execute(select(ORGS.c.slug, ORGS.c.id).where(ORGS.c.slug.in_(wanted)))
    return {slug: int(oid) for slug, oid in rows}


def in_flight(conn: Connection, send_id: int, now: dt.datetime) -> int:
    """A send's messages whose requests are out (launched, not yet answered, lease alive)."""
    o = OUTBOX.c
    query = select(func.count()).where(
        o.send_id == send_id, o.status == "sending", o.lease_until > now
    )
    return int(conn.execute(query).scalar_one())


def wait_in_flight(engine: Engine, send_id: int, *, timeout: float = 10.0) -> int:
    """After a pause or a cancel has committed: wait until the send's requests already out
    are answered (then nothing more of it reaches Twilio); returns how many are still out
    when `timeout` seconds have passed (a dispatcher that died mid-request: reconciled)."""
    deadline = time.monotonic() + timeout
    while True:
        with read_only(engine.connect()) as conn:
            left = in_flight(conn, send_id, utcnow())
        if left == 0 or time.monotonic() >= deadline:
            return left
        time.sleep(0.02)
