"""Elections: defined by organizers (`turnout elections add`) or read from a feed, and the one
coming up, as the lookups and the bot tell it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
    model_validator,
)
from sqlalchemy import Connection, insert, select, update

from bot.clock import zone
from bot.tables import ELECTIONS as _TABLE
from bot.voter import records

ORGANIZER_SOURCES = ("cli", "api", "console")  # their values win over a feed's for the same date
LINK_KINDS = ("registration_lookup", "county_office", "ballot_tracking", "polling_place_lookup")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # an election outside these is a typo
# Text from a client never holds control characters (NUL, escape, C1 codes): PostgreSQL
# refuses NUL, and a phone shows the others as garbage. A line has no line breaks either; the
# front ends say so in words (`is_text_pattern`).
ONE_LINE = r"^[^\x00-\x1f\x7f-\x9f]*$"
LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
Url = Annotated[HttpUrl, Field(max_length=500)]
Line = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=ONE_LINE),
]


def is_text_pattern(pattern: object) -> bool:
    """Whether a pattern is one of the control-character rules above."""
    return pattern in (ONE_LINE, LINES)


class ElectionView(BaseModel):
    """An election as stored (by organizers or from a feed), to show."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    source: str
    name: str
    date: dt.date
    state: str | None
    counties: list[str] | None
    polls_open: dt.time | None
    polls_close: dt.time | None
    timezone: str | None
    registration_deadline: dt.date | None
    same_day_registration: bool | None
    same_day_where: str | None
    early_voting_start: dt.date | None
    early_voting_end: dt.date | None
    links: dict[str, Any] | None
    office_name: str | None
    office_phone: str | None
    office_url: str | None


class ElectionFacts(BaseModel):
    """The facts of an election as organizers define them (the API, the console), each
    checked against the others: dates in order, polls opening before they close, local times
    without an offset (the election's `timezone` says where they are)."""

    name: Line
    date: dt.date
    state: str | None = Field(default=None, pattern=r"^[A-Za-z]{2}$", examples=["CA"])
    counties: list[Annotated[str, StringConstraints(max_length=100, pattern=ONE_LINE)]] | None = (
        Field(default=None, max_length=100)
    )
    polls_open: dt.time | None = Field(default=None, examples=["07:00"])
    polls_close: dt.time | None = Field(default=None, examples=["20:00"])
    timezone: str | None = Field(
        default=None, max_length=64, pattern=ONE_LINE, examples=["America/Los_Angeles"]
    )
    registration_deadline: dt.date | None = None
    same_day_registration: bool | None = None
    same_day_where: str | None = Field(default=None, max_length=1000, pattern=LINES)
    early_voting_start: dt.date | None = None
    early_voting_end: dt.date | None = None
    # {"registration_lookup": {"default": "https://...", "es": "https://..."}, ...}
    links: (
        dict[str, dict[Annotated[str, StringConstraints(max_length=16, pattern=ONE_LINE)], Url]]
        | None
    ) = None
    office_name: Line | None = None
    office_phone: str | None = Field(default=None, max_length=32, pattern=ONE_LINE)
    office_url: Url | None = None

    @field_validator("date", "registration_deadline", "early_voting_start", "early_voting_end")
    @classmethod
    def _plausible_year(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValueError(f"a year between {EARLIEST_YEAR} and {LATEST_YEAR}")
        return value

    @field_validator("state")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @field_validator("polls_open", "polls_close")
    @classmethod
    def _local_time(cls, value: dt.time | None) -> dt.time | None:
        if value is not None and value.tzinfo is not None:
            raise ValueError("the local time without an offset (the timezone field says where)")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        if value is not None and zone(value) is None:
            raise ValueError(f"not an IANA time zone: {value[:64]!r}")
        return value

    @field_validator("links")
    @classmethod
    def _kinds(cls, value: dict[str, Any] | None) -> Any:
        unknown = set(value or {}) - set(LINK_KINDS)
        if unknown:
            shown = sorted(k[:40] for k in unknown)[:5]
            raise ValueError(f"unknown link kind(s) {shown}; known: {list(LINK_KINDS)}")
        return value

    @model_validator(mode="after")
    def _in_order(self) -> ElectionFacts:
        if self.polls_open and self.polls_close and self.polls_open >= self.polls_close:
            raise ValueError("polls_open: the polls must open before they close")
        start, end = self.early_voting_start, self.early_voting_end
        if start and end and start > end:
            raise ValueError("early_voting_start: early voting must start before it ends")
        for name in ("registration_deadline", "early_voting_start", "early_voting_end"):
            value = getattr(self, name)
            if value is not None and value > self.date:
                raise ValueError(f"{name}: after the election ({self.date})")
        return self

    def values(self) -> dict[str, Any]:
        """The values `save_election` stores: dates and times as objects, links as text."""
        values = self.model_dump(mode="json", exclude_none=True)
        dates = {
            "date",
            "polls_open",
            "polls_close",
            "registration_deadline",
            "early_voting_start",
            "early_voting_end",
        }
        values.update(self.model_dump(include=dates, exclude_none=True))
        return values


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


def find_election(conn: Connection, *, election_id: int) -> Any:
    """One election's row by id, or None."""
    return conn.execute(select(_TABLE).where(_TABLE.c.id == election_id)).first()


def replace_election(
    conn: Connection, *, election_id: int, values: dict[str, Any], now: dt.datetime
) -> None:
    """Overwrite an organizers' election with every value given (a value left out is
    cleared): the console's edit form, which shows them all."""
    every = {spec.name: None for spec in fields(ElectionInfo)} | {"counties": None}
    conn.execute(
        update(_TABLE).where(_TABLE.c.id == election_id).values(**(every | values), updated_at=now)
    )
