"""Elections: defined by organizers (`turnout elections add`) or read from a feed, and the one
coming up, as the lookups and the bot tell it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Connection, insert, select, update

from bot.tables import ELECTIONS as _TABLE
from bot.voter import records

ORGANIZER_SOURCES = ("cli", "api")  # their values win over a feed's for the same date
LINK_KINDS = ("registration_lookup", "county_office", "ballot_tracking", "polling_place_lookup")


@dataclass(frozen=True)
class ElectionInfo:
    """The upcoming election as lookups use it; organizers' values first, then feeds'."""

    name: str
    date: dt.date
    state: str | None = None
    polls_open: dt.time | None = None
    polls_close: dt.time | None = None
    timezone: str | None = None
    registration_deadline: dt.date | None = None
    same_day_registration: bool | None = None
    same_day_where: str | None = None
    early_voting_start: dt.date | None = None
    early_voting_end: dt.date | None = None
    links: dict[str, Any] | None = None
    office_name: str | None = None
    office_phone: str | None = None
    office_url: str | None = None

    def link(self, kind: str, language: str) -> str | None:
        """The official link of a kind in a language, else its default, else English."""
        return link_for(self.links, kind, language)


def link_for(links: dict[str, Any] | None, kind: str, language: str) -> str | None:
    """A link from an election's `links`: {kind: url} or {kind: {"default"|lang: url}}."""
    found = (links or {}).get(kind)
    if isinstance(found, str) or found is None:
        return found
    for key in (language, "default", "en"):
        if found.get(key):
            return str(found[key])
    return next((str(url) for url in found.values() if url), None)


def upcoming_election(conn: Connection, *, today: dt.date) -> ElectionInfo | None:
    """The next election on or after today, merged field by field over its definitions."""
    date = _TABLE.c.date
    first = select(date).where(date >= today).order_by(date).limit(1)
    rows = list(conn.execute(select(_TABLE).where(date == first.scalar_subquery())).all())
    if not rows:
        return None
    # Organizers' definitions first: they correct and complete what a feed says.
    rows.sort(key=lambda row: (row.source not in ORGANIZER_SOURCES, row.id))
    values: dict[str, Any] = {}
    for spec in fields(ElectionInfo):
        values[spec.name] = next(
            (getattr(row, spec.name) for row in rows if getattr(row, spec.name) is not None), None
        )
    return ElectionInfo(**values)


def save_election(
    conn: Connection, *, values: dict[str, Any], source: str, now: dt.datetime
) -> int:
    """Insert or update the election of this source, name and date; returns its id."""
    key = (_TABLE.c.source == source) & (_TABLE.c.name == values["name"])
    key &= _TABLE.c.date == values["date"]
    found = conn.execute(select(_TABLE.c.id).where(key)).scalar_one_or_none()
    if found is not None:
        conn.execute(update(_TABLE).where(_TABLE.c.id == found).values(**values, updated_at=now))
        return int(found)
    row = {**values, "source": source, "created_at": now, "updated_at": now}
    return int(conn.execute(insert(_TABLE).returning(_TABLE.c.id), row).scalar_one())


def save_feed_election(
    conn: Connection,
    *,
    election: records.Election,
    source: str,
    timezone: str | None,
    now: dt.datetime,
) -> int:
    """Upsert what a feed says of its election (its hours, deadline, same-day registration)."""
    hours = election.hours[0] if election.hours else None
    values = {
        "name": election.name[:200],
        "date": election.date,
        "state": election.state,
        "polls_open": hours.opens if hours else None,
        "polls_close": hours.closes if hours else None,
        "timezone": timezone,
        "registration_deadline": election.registration_deadline,
        "same_day_registration": election.has_election_day_registration,
    }
    return save_election(conn, values=values, source=source[:100], now=now)


def list_elections(conn: Connection) -> list[Any]:
    """Every election, by date, for `turnout elections list`."""
    return list(conn.execute(select(_TABLE).order_by(_TABLE.c.date, _TABLE.c.id)).all())
