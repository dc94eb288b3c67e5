"""Where do I vote: a voter's text → street segment → precinct → places, or the places nearest
the ZIP's centroid (vote-center counties, or an address no segment covers).

Of the segments an address falls in, the most specific decide its precinct (a house-number range
over a whole street over a county-wide catch-all); a precinct that only offers early voting or
drop boxes adds its places instead of competing. Precincts still tied, which nothing the voter
left out would tell apart, are all answered ("candidates") rather than asked about again.

Every query is indexed: segments by (zip, street) or (city, street), places by precinct or by a
latitude band, hours by place. Only rows of active sources answer.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy import Connection, Row, select, union_all

from bot.tables import PLACE_HOURS as _H
from bot.tables import POLLING_PLACES as _P
from bot.tables import PRECINCT_PLACES as _PP
from bot.tables import PRECINCTS as _PR
from bot.tables import STREET_SEGMENTS as _S
from bot.voter.answers import OfficeContact, OpenHours, PlaceAnswer, PlacesAnswer, PlacesOutcome
from bot.voter.elections import upcoming_election
from bot.voter.geo import haversine_miles, zip_centroid, zip_info
from bot.voter.places.address import (
    AddressQuery,
    _parts,
    match_segment,
    most_specific,
    parse_address,
)
from bot.voter.places.sources import ActiveSource, active_sources
from bot.voter.places.usps import fold
from bot.voter.records import StreetSegment

NEAR_MILES, MAX_MILES = 10.0, 50.0  # look near first; farther than MAX is not an answer
MILES_PER_DEGREE = 69.0
_PLACE_COLUMNS = [
    _P.c[name]
    for name in (
        "id",
        "source_id",
        "source_ref",
        "name",
        "address",
        "city",
        "state",
        "zip",
        "lat",
        "lng",
        "located_by",
        "is_polling_place",
        "is_vote_center",
        "is_early_voting",
        "is_drop_box",
        "languages",
        "accessible",
        "notes",
    )
]


@dataclass
class _Group:
    """The rows of one address: Maricopa lists a vote center, an early voting site and a drop
    box at one school as three places; a voter hears of it once."""

    rows: list[Row[Any]] = field(default_factory=list)
    miles: float | None = None
    shared: bool = True

    @property
    def in_person(self) -> bool:
        return any(r.is_polling_place or r.is_vote_center or r.is_early_voting for r in self.rows)

    @property
    def election_day(self) -> bool:
        return any(map(_election_day, self.rows))


@dataclass(frozen=True)
class _Match:
    """The precincts of an address's most specific segments, and the places to answer with."""

    precincts: list[int]
    places: list[tuple[Row[Any], bool]]  # (place, shared); early-only catch-alls' are shared
    zip_would_tell: bool  # the tied segments lie in different ZIPs


def _election_day(row: Row[Any]) -> bool:
    # The importer marks a vote center only when it is neither early voting nor a drop box.
    return bool(row.is_polling_place or row.is_vote_center)


def find_polling_places(
    conn: Connection,
    *,
    text_or_query: str | AddressQuery,
    today: dt.date,
    language: str,
    limit: int = 3,
) -> PlacesAnswer:
    """Places for a voter's address or ZIP, with today's or election day's hours."""
    sources = active_sources(conn)
    if not sources:
        return PlacesAnswer("no_data")
    query = parse_address(text_or_query) if isinstance(text_or_query, str) else text_or_query
    if query is None:
        return PlacesAnswer("need_address")
    origin = zip_centroid(query.zip) if query.zip else None
    if query.has_street:
        if not query.zip and not query.city:
            return PlacesAnswer("ambiguous", disambiguate=("zip",))
        match = _match(conn, query, sources)
        if len(match.precincts) > 1 and match.zip_would_tell and not query.zip:
            # Only the ZIP is asked for: the city was given, and never tells ZIPs apart.
            given = tuple(name for name in ("zip", "city") if getattr(query, name))
            return PlacesAnswer("ambiguous", disambiguate=_missing(query), given=given)
        groups = _street_groups(match, origin)[:limit]
        if groups:
            outcome: PlacesOutcome = "found" if len(match.precincts) == 1 else "candidates"
            name = _precinct_name(conn, match.precincts)
            return _found(conn, groups, sources, today, language, precinct=name, outcome=outcome)
    if origin is not None:
        groups = _nearest_groups(conn, origin, sources, limit)
        if groups:
            return _found(conn, groups, sources, today, language, precinct=None)
    return PlacesAnswer("not_found", office=_office(conn, today))


def _missing(query: AddressQuery) -> tuple[str, ...]:
    """What the voter left out that would tell the precincts apart."""
    missing = [name for name in ("zip", "city", "unit") if not getattr(query, name)]
    return tuple(missing) or ("house_number",)


def _match(conn: Connection, query: AddressQuery, sources: dict[int, ActiveSource]) -> _Match:
    """The address's precincts by the most specific segments it falls in, and their places."""
    segments = _segments(conn, query, sources)
    links = _links(conn, {int(s.precinct_id) for s in segments})
    # A precinct with only early voting or drop boxes (a county-wide early voting center's
    # catch-all) is open to the voter beside their own: it joins the answer, it is no rival.
    extra = {p for p, rows in links.items() if not any(_election_day(r) for r, _ in rows)}
    rivals = [s for s in segments if int(s.precinct_id) not in extra] or segments
    best = most_specific(rivals)
    chosen = sorted({int(s.precinct_id) for s in best})
    places: dict[int, tuple[Row[Any], bool]] = {}
    for precinct in [*chosen, *sorted(extra - set(chosen))]:
        for row, shared in links.get(precinct, []):
            shared = shared or precinct not in chosen
            seen = places.get(row.id)
            places[row.id] = (row, shared and (seen is None or seen[1]))
    return _Match(chosen, list(places.values()), len({s.zip for s in best}) > 1)


def _links(conn: Connection, precincts: set[int]) -> dict[int, list[tuple[Row[Any], bool]]]:
    """Each precinct's places, with whether the place is shared (its locality's) or its own."""
    if not precincts:
        return {}
    statement = (
        select(_PP.c.precinct_id, _PP.c.shared, *_PLACE_COLUMNS)
        .join_from(_PP, _P, _P.c.id == _PP.c.place_id)
        .where(_PP.c.precinct_id.in_(sorted(precincts)))
    )
    links: dict[int, list[tuple[Row[Any], bool]]] = {}
    for row in conn.execute(statement):
        links.setdefault(int(row.precinct_id), []).append((row, bool(row.shared)))
    return links


def _precinct_name(conn: Connection, precincts: list[int]) -> str | None:
    """The precinct's name when the address is in one; a tie names none."""
    if len(precincts) != 1:
        return None
    name = conn.execute(select(_PR.c.name).where(_PR.c.id == precincts[0])).scalar()
    return str(name) if name is not None else None


def _segments(
    conn: Connection, query: AddressQuery, sources: dict[int, ActiveSource]
) -> list[StreetSegment]:
    """Candidate segments by one indexed query, then the matcher's own rules."""
    core = _parts(
        query.street_name or "", query.pre_direction, query.street_suffix, query.post_direction
    )[1]
    cities = {query.city} if query.city else set()
    info = zip_info(query.zip) if query.zip else None
    if info:
        cities.add(fold(info.city))
    parts = []
    for area in ([_S.c.zip == query.zip] if query.zip else []) + (
        [_S.c.city.in_(sorted(cities))] if cities else []
    ):
        parts.append(select(_S).where(area, _S.c.street_name == core))
        parts.append(select(_S).where(area, _S.c.street_name.is_(None)))
    rows = {row.id: row for row in conn.execute(union_all(*parts)) if row.source_id in sources}
    return match_segment(query, [_as_record(row) for row in rows.values()])


def _as_record(row: Row[Any]) -> StreetSegment:
    return StreetSegment(
        source_id=str(row.id),
        precinct_id=str(row.precinct_id),
        start_house_number=row.start_house,
        end_house_number=row.end_house,
        odd_even_both=row.odd_even,
        street_name=row.street_name,
        city=row.city,
        state=row.state,
        zip=row.zip,
        street_direction=row.street_direction,
        street_suffix=row.street_suffix,
        address_direction=row.address_direction,
        includes_all_addresses=row.includes_all_addresses,
        includes_all_streets=row.street_name is None,
        unit_number=row.unit,
    )


def _group(
    rows: Sequence[tuple[Row[Any], bool]], origin: tuple[float, float] | None
) -> list[_Group]:
    """Places by address, each with whether every row of it is shared, and its distance."""
    groups: dict[tuple[str, str | None], _Group] = {}
    for row, shared in rows:
        group = groups.setdefault((" ".join(row.address.upper().split()), row.zip), _Group())
        group.rows.append(row)
        group.shared = group.shared and shared
        if origin is not None and row.lat is not None and row.lng is not None:
            miles = haversine_miles(origin[0], origin[1], row.lat, row.lng)
            group.miles = miles if group.miles is None else min(group.miles, miles)
    return list(groups.values())


def _street_groups(match: _Match, origin: tuple[float, float] | None) -> list[_Group]:
    """The precincts' own polling places first (one of each tied precinct before any early
    site), then the places they share and the catch-alls', nearest first."""
    groups = _group(match.places, origin)
    groups.sort(
        key=lambda g: (
            g.shared,
            not g.election_day,
            not g.in_person,
            g.miles or 0.0,
            g.rows[0].name,
        )
    )
    return groups


def _nearest_groups(
    conn: Connection, origin: tuple[float, float], sources: dict[int, ActiveSource], limit: int
) -> list[_Group]:
    """The nearest places to vote in person, then drop boxes, within MAX_MILES."""
    lat, lng = origin
    groups: list[_Group] = []
    for radius in (NEAR_MILES, MAX_MILES):
        dlat = radius / MILES_PER_DEGREE
        dlng = dlat / max(math.cos(math.radians(lat)), 0.01)
        statement = select(*_PLACE_COLUMNS).where(
            _P.c.lat.between(lat - dlat, lat + dlat), _P.c.lng.between(lng - dlng, lng + dlng)
        )
        rows = [(row, True) for row in conn.execute(statement) if row.source_id in sources]
        groups = [g for g in _group(rows, origin) if (g.miles or 0.0) <= MAX_MILES]
        if sum(g.in_person for g in groups) >= limit:
            break
    groups.sort(key=lambda g: (not g.in_person, g.miles or 0.0, g.rows[0].name))
    return groups[:limit]


def _found(
    conn: Connection,
    groups: list[_Group],
    sources: dict[int, ActiveSource],
    today: dt.date,
    language: str,
    *,
    precinct: str | None,
    outcome: PlacesOutcome = "found",
) -> PlacesAnswer:
    ids = [row.id for group in groups for row in group.rows]
    hours: dict[int, list[Row[Any]]] = {}
    for row in conn.execute(select(_H).where(_H.c.place_id.in_(ids)).order_by(_H.c.opens)):
        hours.setdefault(row.place_id, []).append(row)
    source = sources[groups[0].rows[0].source_id]
    election_day = source.election_date
    if election_day is None:
        election = upcoming_election(conn, today=today)
        election_day = election.date if election else None
    answers = tuple(
        _answer(
            group,
            [h for r in group.rows for h in hours.get(r.id, [])],
            today,
            election_day,
            language,
        )
        for group in groups
    )
    return PlacesAnswer(
        outcome, answers, source_name=source.name, updated=source.updated, precinct=precinct
    )


def _open_hours(
    windows: list[Row[Any]], today: dt.date, election_day: dt.date | None
) -> OpenHours | None:
    """Today's hours if open today (early voting), else election day's."""
    for day, is_today in ((today, True), (election_day, False)):
        todays = [w for w in windows if w.day == day] if day else []
        if not is_today:
            todays = todays or [w for w in windows if w.day is None]
        if todays:
            opens, closes = min(w.opens for w in todays), max(w.closes for w in todays)
            return OpenHours(todays[0].day, opens, closes, is_today)
    return None


def _answer(
    group: _Group,
    windows: list[Row[Any]],
    today: dt.date,
    election_day: dt.date | None,
    language: str,
) -> PlaceAnswer:
    rows = group.rows
    first = min(rows, key=lambda r: (r.is_drop_box, not r.is_polling_place))
    state_zip = " ".join(filter(None, [first.state, first.zip]))
    where = ", ".join(filter(None, [first.address, first.city, state_zip]))
    spoken = {code for r in rows if r.languages for code in r.languages.split("|")}
    return PlaceAnswer(
        ref=first.source_ref,
        name=first.name,
        address=where,
        maps_url=f"https://maps.google.com/?q={quote_plus(where)}",
        is_polling_place=any(r.is_polling_place for r in rows),
        is_vote_center=any(r.is_vote_center for r in rows),
        is_early_voting=any(r.is_early_voting for r in rows),
        is_drop_box=any(r.is_drop_box for r in rows),
        hours=_open_hours(windows, today, election_day),
        # A place the feed gave no coordinates for sits at its ZIP's centre: good enough to
        # rank places, not to tell a voter "0.0 mi".
        miles=round(group.miles, 1)
        if group.miles is not None and all(r.located_by == "feed" for r in rows)
        else None,
        # English is spoken at every US polling place; a list names the others.
        speaks_language=(language in spoken or language == "en") if spoken else None,
        accessible=next((r.accessible for r in rows if r.accessible is not None), None),
        notes=first.notes,
    )


def _office(conn: Connection, today: dt.date) -> OfficeContact | None:
    election = upcoming_election(conn, today=today)
    if election is None:
        return None
    url = election.office_url or election.link("county_office", "en")
    if not (election.office_name or election.office_phone or url):
        return None
    return OfficeContact(election.office_name, election.office_phone, url)
