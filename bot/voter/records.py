"""Plain records that the feed parsers yield: no database, no framework, only values.

Every record is a frozen dataclass so that importers can hash, compare and store them as they
come; sequences are tuples for the same reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from bot.errors import Invalid

OddEvenBoth = Literal["odd", "even", "both"]
PlaceKind = Literal["polling_place", "vote_center", "early_voting", "drop_box"]


class FeedError(Invalid):
    """The file cannot be read at all (not a feed, broken XML, missing columns)."""


@dataclass(frozen=True)
class FeedProblem:
    """Something wrong with one element or row; the parser skipped or repaired it and went on."""

    element: str
    source_id: str
    problem: str


@dataclass(frozen=True)
class Hours:
    """One opening window: `day` is None when the feed gives no date (election day)."""

    day: dt.date | None
    opens: dt.time
    closes: dt.time
    tz: dt.timezone | None = None
    appointment_only: bool = False
    subject_to_change: bool = False


@dataclass(frozen=True)
class Election:
    """An election as the feed describes it, with the feed's own origin."""

    source_id: str
    name: str
    date: dt.date
    state: str | None
    state_name: str | None = None
    election_type: str | None = None
    registration_deadline: dt.date | None = None
    absentee_request_deadline: dt.date | None = None
    has_election_day_registration: bool | None = None
    hours: tuple[Hours, ...] = ()
    feed_vip_id: str | None = None
    feed_source_name: str | None = None
    feed_date_time: str | None = None


@dataclass(frozen=True)
class PollingPlace:
    """A place to vote or drop off a ballot; `hours` are sorted by day then opening time."""

    source_id: str
    name: str
    address_line: str
    city: str | None
    state: str | None
    zip: str | None
    lat: float | None = None
    lng: float | None = None
    is_drop_box: bool = False
    is_early_voting: bool = False
    is_vote_center: bool = False
    languages: tuple[str, ...] = ()
    accessible: bool | None = None
    hours: tuple[Hours, ...] = ()
    directions: str | None = None
    timezone: str | None = None

    @property
    def kind(self) -> PlaceKind:
        """The place's main kind, in the order a voter cares: drop box, early, vote center."""
        if self.is_drop_box:
            return "drop_box"
        if self.is_early_voting:
            return "early_voting"
        return "vote_center" if self.is_vote_center else "polling_place"


@dataclass(frozen=True)
class Locality:
    """A county or city; its polling places are open to every voter in it (vote centers)."""

    source_id: str
    name: str
    state: str | None
    kind: str | None
    polling_place_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Precinct:
    """A precinct (or one part of a split precinct) and where its voters vote.

    `polling_place_ids` are the precinct's own; `shared_polling_place_ids` come from its
    locality and state (vote centers, early voting sites, drop boxes open to all of them).
    """

    source_id: str
    name: str
    number: str | None = None
    locality_id: str | None = None
    locality_name: str | None = None
    ward: str | None = None
    split_name: str | None = None
    is_mail_only: bool = False
    polling_place_ids: tuple[str, ...] = ()
    shared_polling_place_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class StreetSegment:
    """A range of house numbers on one street, all in one precinct."""

    source_id: str
    precinct_id: str
    start_house_number: int | None
    end_house_number: int | None
    odd_even_both: OddEvenBoth
    street_name: str | None
    city: str | None
    state: str | None
    zip: str | None
    street_direction: str | None = None
    street_suffix: str | None = None
    address_direction: str | None = None
    includes_all_addresses: bool = False
    includes_all_streets: bool = False
    unit_number: str | None = None


Record = Election | PollingPlace | Precinct | StreetSegment | Locality
