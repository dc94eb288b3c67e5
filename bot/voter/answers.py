"""What the lookups answer: plain values for the conversation to render, nothing from the roll
but an outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from bot.voter.elections import ElectionInfo

# "candidates": the address is in one of several precincts the voter's text cannot tell apart
# (it gave all it could); their places are the answer rather than another question.
PlacesOutcome = Literal["no_data", "need_address", "found", "candidates", "ambiguous", "not_found"]
RegistrationOutcome = Literal["active", "inactive", "not_found", "bad_date", "limit", "no_roll"]


@dataclass(frozen=True)
class OpenHours:
    """When a place is open: today (early voting) or on election day (`day` None: undated)."""

    day: dt.date | None
    opens: dt.time
    closes: dt.time
    is_today: bool


@dataclass(frozen=True)
class PlaceAnswer:
    """One place to tell a voter about; co-located kinds (vote center + drop box) are merged."""

    name: str
    address: str  # one line: "1407 Crozet Ave, Crozet, VA 22932"
    maps_url: str
    is_polling_place: bool
    is_vote_center: bool
    is_early_voting: bool
    is_drop_box: bool
    hours: OpenHours | None
    miles: float | None  # from the ZIP's centroid, when the answer came from a ZIP
    speaks_language: bool | None  # None: the source says nothing of languages
    accessible: bool | None
    notes: str | None
    ref: str | None = None  # the feed's id of the place (stable across re-imports)


@dataclass(frozen=True)
class OfficeContact:
    """The county election office, from the election settings."""

    name: str | None
    phone: str | None
    url: str | None


@dataclass(frozen=True)
class PlacesAnswer:
    """A polling-place lookup's outcome and what goes with it."""

    outcome: PlacesOutcome
    places: tuple[PlaceAnswer, ...] = ()
    source_name: str | None = None
    updated: dt.date | None = None  # "updated <date>"
    precinct: str | None = None
    disambiguate: tuple[str, ...] = ()  # what to ask for: "zip", "city", "unit", "house_number"
    given: tuple[str, ...] = ()  # what the address already had of "zip", "city": never asked
    office: OfficeContact | None = None


@dataclass(frozen=True)
class NextSteps:
    """The upcoming election's registration facts, from the election settings (never the roll)."""

    election_name: str | None = None
    election_date: dt.date | None = None
    registration_deadline: dt.date | None = None
    same_day_registration: bool | None = None
    same_day_where: str | None = None
    lookup_url: str | None = None

    @classmethod
    def of(cls, election: ElectionInfo | None, language: str) -> NextSteps:
        """The facts of an election, with the official lookup link in the voter's language."""
        if election is None:
            return cls()
        return cls(
            election_name=election.name,
            election_date=election.date,
            registration_deadline=election.registration_deadline,
            same_day_registration=election.same_day_registration,
            same_day_where=election.same_day_where,
            lookup_url=election.link("registration_lookup", language),
        )


@dataclass(frozen=True)
class RegistrationAnswer:
    """A registration check's outcome: only a status word, never a roll entry's data."""

    outcome: RegistrationOutcome
    next_steps: NextSteps
    checks_left: int | None = None  # today's remaining checks for this contact
