"""Voter-tools tables: elections, polling places from feeds, and the voter roll.

Place rows belong to a `PlaceSource` and roll rows to a `VoterRoll`; an import writes a new
source (or roll) beside the active one and flips both in one transaction, and lookups read only
active ones. Rows of one source refer to each other without foreign keys (precinct → places,
segment → precinct): they are written and deleted together, and a foreign key without an index
on the child side makes every parent delete scan the child table.

The roll keeps only what a registration check needs: no name, address, party or phone.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Election(SQLModel, table=True):
    """An election as organizers (CLI) or a feed define it: dates, hours, official links."""

    __tablename__ = "elections"
    __table_args__ = (
        UniqueConstraint("source", "name", "date", name="uq_election_source_name_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    date: dt.date = Field(index=True)
    state: str | None = Field(default=None, max_length=2)
    counties: list[str] | None = Field(default=None, sa_column=Column(JSON))
    polls_open: dt.time | None = None
    polls_close: dt.time | None = None
    timezone: str | None = Field(default=None, max_length=64)  # IANA, America/Phoenix
    registration_deadline: dt.date | None = None
    same_day_registration: bool | None = None
    same_day_where: str | None = Field(default=None, sa_column=Column(Text))
    early_voting_start: dt.date | None = None
    early_voting_end: dt.date | None = None
    # {"registration_lookup": {"default": url, "es": url}, "county_office": {...}, ...}
    links: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    office_name: str | None = Field(default=None, max_length=200)
    office_phone: str | None = Field(default=None, max_length=32)
    office_url: str | None = Field(default=None, max_length=500)
    source: str = Field(max_length=100)  # "cli", "api", or the place source's name
    created_at: dt.datetime
    updated_at: dt.datetime


class PlaceSource(SQLModel, table=True):
    """One imported polling-place file; only `active` sources answer lookups."""

    __tablename__ = "place_sources"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)  # a re-import of the same name replaces it
    file_name: str = Field(max_length=255)
    kind: str = Field(max_length=16)  # vip5, vip6, vip6-csv, csv
    status: str = Field(max_length=16)  # importing, active, replaced, failed
    feed_date: dt.date | None = None  # "updated <date>": the feed's own date, else the import's
    election_id: int | None = Field(default=None, foreign_key="elections.id")
    counts: dict[str, int] | None = Field(default=None, sa_column=Column(JSON))
    problems: int = 0
    error: str | None = Field(default=None, sa_column=Column(Text))
    imported_at: dt.datetime
    finished_at: dt.datetime | None = None


class PollingPlace(SQLModel, table=True):
    """A polling place, vote center, early voting site or drop box (flags, not one kind)."""

    __tablename__ = "polling_places"
    __table_args__ = (
        Index("ix_polling_places_source_zip", "source_id", "zip"),
        Index("ix_polling_places_lat_lng", "lat", "lng"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="place_sources.id")
    source_ref: str = Field(max_length=100)  # the feed's id: pl81274, row7
    name: str = Field(max_length=300)
    address: str = Field(max_length=300)
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=2)
    zip: str | None = Field(default=None, max_length=5)
    lat: float | None = None
    lng: float | None = None
    located_by: str | None = Field(default=None, max_length=8)  # feed, or zip (its centroid)
    is_polling_place: bool = False
    is_vote_center: bool = False
    is_early_voting: bool = False
    is_drop_box: bool = False
    languages: str | None = Field(default=None, max_length=100)  # "es|zh"
    accessible: bool | None = None
    timezone: str | None = Field(default=None, max_length=64)
    notes: str | None = Field(default=None, sa_column=Column(Text))


class PlaceHours(SQLModel, table=True):
    """One opening window of a place, wall-clock in its time zone; no day: election day."""

    __tablename__ = "place_hours"
    __table_args__ = (Index("ix_place_hours_place_day", "place_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    place_id: int = Field(foreign_key="polling_places.id")
    day: dt.date | None = None
    opens: dt.time
    closes: dt.time


class Precinct(SQLModel, table=True):
    """A precinct (or split) of a source."""

    __tablename__ = "precincts"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="place_sources.id", index=True)
    source_ref: str = Field(max_length=100)
    name: str = Field(max_length=200)
    locality: str | None = Field(default=None, max_length=200)


class PrecinctPlace(SQLModel, table=True):
    """A place a precinct's voters may use: its own, or shared (vote centers, drop boxes)."""

    __tablename__ = "precinct_places"

    precinct_id: int = Field(primary_key=True)
    place_id: int = Field(primary_key=True)
    shared: bool = False


class StreetSegment(SQLModel, table=True):
    """A house-number range on one street, in one precinct; street parts as Pub 28 spells them.

    `street_name` is the core name (direction and suffix lifted into their columns) and `city`
    is folded upper case, so an address lookup is one indexed equality query.
    """

    __tablename__ = "street_segments"
    __table_args__ = (
        Index("ix_street_segments_zip_street", "zip", "street_name"),
        Index("ix_street_segments_city_street", "city", "street_name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="place_sources.id")
    precinct_id: int  # no foreign key: see the module's docstring
    source_ref: str = Field(max_length=100)
    start_house: int | None = None
    end_house: int | None = None
    odd_even: str = Field(max_length=4)  # odd, even, both
    street_direction: str | None = Field(default=None, max_length=4)
    street_name: str | None = Field(default=None, max_length=100)  # none: every street
    street_suffix: str | None = Field(default=None, max_length=8)
    address_direction: str | None = Field(default=None, max_length=4)
    unit: str | None = Field(default=None, max_length=20)
    includes_all_addresses: bool = False
    city: str | None = Field(default=None, max_length=100)
    state: str | None = Field(default=None, max_length=2)
    zip: str | None = Field(default=None, max_length=5)


class VoterRoll(SQLModel, table=True):
    """One imported voter roll; only the `active` one answers registration checks."""

    __tablename__ = "voter_rolls"

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=255)
    status: str = Field(max_length=16)  # importing, active, replaced, failed, purged
    rows: int = 0
    imported: int = 0
    rejected: int = 0
    not_registered: int = 0  # cancelled, removed: left out
    error: str | None = Field(default=None, sa_column=Column(Text))
    imported_at: dt.datetime
    finished_at: dt.datetime | None = None


class Voter(SQLModel, table=True):
    """A roll entry: no name (only `VoterKey` hashes of it), no address, party or phone."""

    __tablename__ = "voters"

    id: int | None = Field(default=None, primary_key=True)
    roll_id: int = Field(foreign_key="voter_rolls.id")
    dob: dt.date
    zip: str = Field(max_length=5)
    county: str | None = Field(default=None, max_length=100)
    status: str = Field(max_length=16)  # active, inactive
    registration_date: dt.date | None = None  # kept for organizers; never told to a texter


class VoterKey(SQLModel, table=True):
    """A 64-bit hash of (name key, date of birth, ZIP): one indexed probe finds a voter.

    No foreign key to voters: deleting a million voters would check each against this table.
    """

    __tablename__ = "voter_keys"

    key: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    voter_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})


class RegistrationCheck(SQLModel, table=True):
    """How many registration checks a contact made on one day (at most five)."""

    __tablename__ = "registration_checks"

    contact_id: int = Field(foreign_key="contacts.id", primary_key=True)
    checked_on: dt.date = Field(primary_key=True)
    count: int = 0
