"""VIP elements to records, the same for the XML and the CSV flavors.

Each flavor hands its element or row over as `Fields`, named the XML way ("AddressStructured/
Line1", "LatLng/Latitude"); the CSV flavor maps those names onto its own columns.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from bot.voter.places import checks as places
from bot.voter.places.hours import expand_schedule, parse_date, sort_hours
from bot.voter.records import (
    Election,
    Hours,
    Locality,
    OddEvenBoth,
    PollingPlace,
    Precinct,
    StreetSegment,
)
from bot.voter.states import state_abbr, state_name
from bot.voter.vip.base import FeedIndex, Fields, Problems, flag, ids

_LAST_LINE = re.compile(r"^(?P<city>.*?),?\s+(?P<state>[A-Za-z]{2})\.?\s+(?P<zip>[\d-]{5,10})$")
# One address_line cell (the CSV flavor): "2775 Hydraulic Rd, Charlottesville, VA 22901".
_ONE_LINE = re.compile(r"^(?P<street>.+?),\s*(?P<rest>[^,]+,?\s+[A-Za-z]{2}\.?\s+[\d-]{5,10})$")


def to_state(f: Fields) -> tuple[str | None, str | None]:
    """A State's (abbreviation, name), the abbreviation from its OCD id, FIPS code or name."""
    name = f.text("Name")
    for _, value in f.external_ids():
        abbr = state_abbr(value)
        if abbr:
            return abbr, name
    return state_abbr(name), name


def to_locality(f: Fields) -> Locality:
    """A Locality; its state is resolved once the whole index is read."""
    return Locality(
        source_id=f.source_id,
        name=f.text("Name") or f.source_id,
        state=None,
        kind=f.text("Type"),
        polling_place_ids=ids(f.text("PollingLocationIds")),
    )


def resolve_localities(index: FeedIndex, state_ids: dict[str, str], problems: Problems) -> None:
    """Give localities their states and drop the place ids that name no place."""
    for loc_id, loc in list(index.localities.items()):
        unknown = [pid for pid in loc.polling_place_ids if pid not in index.place_ids]
        if unknown:
            missing = " ".join(unknown)
            problems.add("Locality", loc_id, f"PollingLocationIds name no place: {missing}")
        index.localities[loc_id] = dataclasses.replace(
            loc,
            state=index.states.get(state_ids.get(loc_id, ""), (None, None))[0],
            polling_place_ids=tuple(p for p in loc.polling_place_ids if p in index.place_ids),
        )
    index.finish()


def schedule_hours(
    f: Fields, spans: list[tuple[str | None, str | None]], owner: str, problems: Problems
) -> list[Hours]:
    """One Schedule (XML) or schedule row (CSV) as concrete hours."""
    hours, bad = expand_schedule(
        parse_date(f.text("StartDate")),
        parse_date(f.text("EndDate")),
        spans,
        appointment_only=flag(f.text("IsOnlyByAppointment")) is True,
        subject_to_change=flag(f.text("IsSubjectToChange")) is True,
    )
    for problem in bad:
        problems.add("HoursOpen", owner, problem)
    return hours


def to_election(f: Fields, index: FeedIndex, problems: Problems) -> Election | None:
    """An Election, or None (with a problem) when it has no readable date."""
    when = parse_date(f.text("Date"))
    if when is None:
        problems.add("Election", f.source_id, f"no readable Date ({f.text('Date')!r})")
        return None
    abbr, name = index.states.get(f.text("StateId") or "", (None, None))
    abbr = abbr or state_abbr(index.source.get("vip_id"))
    kind = f.intl("ElectionType")
    return Election(
        source_id=f.source_id,
        # VIP 6 makes Name optional (Maricopa has none): say what the feed does say instead.
        name=f.intl("Name") or _election_name(name, kind, when),
        date=when,
        state=abbr,
        state_name=name or state_name(abbr),
        election_type=kind,
        registration_deadline=parse_date(f.text("RegistrationDeadline")),
        absentee_request_deadline=parse_date(f.text("AbsenteeRequestDeadline")),
        has_election_day_registration=flag(f.text("HasElectionDayRegistration")),
        hours=_hours_for(f, "Election", index, problems),
        feed_vip_id=index.source.get("vip_id"),
        feed_source_name=index.source.get("name"),
        feed_date_time=index.source.get("date_time"),
    )


def _election_name(state: str | None, kind: str | None, when: dt.date) -> str:
    """Say what the feed does say when it names no election ("Arizona general election ...")."""
    state = state.title() if state and state.isupper() else state
    return " ".join(filter(None, [state, (kind or "").lower(), "election", when.isoformat()]))


def _hours_for(f: Fields, element: str, index: FeedIndex, problems: Problems) -> tuple[Hours, ...]:
    ref = f.text("HoursOpenId")
    hint = f.intl("PollingHours") if element == "Election" else None
    if ref is None and hint in index.hours:
        # Maricopa's feed puts the HoursOpen id in PollingHours' text: follow it, but say so.
        problems.add(element, f.source_id, f"PollingHours holds HoursOpen id {hint}; followed")
        ref = hint
    if ref is None:
        return ()
    if ref not in index.hours:
        problems.add(element, f.source_id, f"HoursOpenId {ref} names no HoursOpen")
        return ()
    return index.hours[ref]


def to_place(f: Fields, index: FeedIndex, problems: Problems) -> PollingPlace | None:
    """A PollingLocation, or None (with a problem) when it has no address, as VIP requires."""
    line, city, state, zip_code = _address(f)
    if not line:
        problems.add("PollingLocation", f.source_id, "no address; skipped")
        return None
    is_drop_box = flag(f.text("IsDropBox")) is True
    is_early = flag(f.text("IsEarlyVoting")) is True
    place = PollingPlace(
        source_id=f.source_id,
        name=f.text("Name") or f.text("AddressStructured/LocationName") or line,
        address_line=line,
        city=city,
        state=state,
        zip=zip_code,
        lat=_float(f.text("LatLng/Latitude")),
        lng=_float(f.text("LatLng/Longitude")),
        is_drop_box=is_drop_box,
        is_early_voting=is_early,
        is_vote_center=not (is_drop_box or is_early) and f.source_id in index.shared_place_ids,
        hours=tuple(sort_hours(_hours_for(f, "PollingLocation", index, problems))),
        directions=f.intl("Directions"),
    )
    return places.checked(place, "PollingLocation", problems.add)


def _address(f: Fields) -> tuple[str, str | None, str | None, str | None]:
    parts = [f.text(f"AddressStructured/Line{n}") for n in (1, 2, 3)]
    line = " ".join(" ".join(filter(None, parts)).split())
    if line:
        return (
            line,
            f.text("AddressStructured/City"),
            state_abbr(f.text("AddressStructured/State")),
            places.normalize_zip(f.text("AddressStructured/Zip")),
        )
    lines = [" ".join(text.split()) for text in f.texts("AddressLine")]
    one = _ONE_LINE.match(lines[0]) if len(lines) == 1 else None
    lines = [one["street"], one["rest"]] if one else lines
    found = _LAST_LINE.match(lines[-1]) if len(lines) > 1 else None
    if found and state_abbr(found["state"]):
        zip_code = places.normalize_zip(found["zip"])
        return ", ".join(lines[:-1]), found["city"] or None, state_abbr(found["state"]), zip_code
    return ", ".join(lines), None, None, None


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def to_precinct(f: Fields, index: FeedIndex, problems: Problems) -> Precinct:
    """A Precinct with its own and its locality's and state's polling places."""
    own = _known_places(f, "Precinct", index, problems)
    locality = index.localities.get(f.text("LocalityId") or "")
    shared = locality.polling_place_ids if locality else ()
    for state_ids in index.state_place_ids.values():
        shared += state_ids
    return Precinct(
        source_id=f.source_id,
        name=f.text("Name") or f.source_id,
        number=f.text("Number"),
        locality_id=f.text("LocalityId"),
        locality_name=locality.name if locality else None,
        ward=f.text("Ward"),
        split_name=f.text("PrecinctSplitName"),
        is_mail_only=flag(f.text("IsMailOnly")) is True,
        polling_place_ids=own,
        shared_polling_place_ids=tuple(p for p in dict.fromkeys(shared) if p in index.place_ids),
    )


def _known_places(f: Fields, element: str, index: FeedIndex, problems: Problems) -> tuple[str, ...]:
    listed = ids(f.text("PollingLocationIds"))
    unknown = [pid for pid in listed if pid not in index.place_ids]
    if unknown:
        problems.add(element, f.source_id, f"PollingLocationIds name no place: {' '.join(unknown)}")
    return tuple(pid for pid in listed if pid in index.place_ids)


def to_segment(f: Fields, index: FeedIndex, problems: Problems) -> StreetSegment | None:
    """A StreetSegment, or None (with a problem) when VIP says to ignore it."""
    precinct = f.text("PrecinctId") or ""
    oeb = (f.text("OddEvenBoth") or "").lower()
    all_streets = flag(f.text("IncludesAllStreets")) is True
    all_addresses = all_streets or flag(f.text("IncludesAllAddresses")) is True
    start, end = _int(f.text("StartHouseNumber")), _int(f.text("EndHouseNumber"))
    problem = (
        f"PrecinctId {precinct!r} names no precinct"
        if precinct not in index.precinct_ids
        else f"OddEvenBoth {oeb!r} is not odd, even or both"
        if oeb not in ("odd", "even", "both")
        else f"house numbers {start}-{end} are not a range"
        if not all_addresses and (start is None or end is None or start > end)
        else "no StreetName"
        if not all_streets and not f.text("StreetName")
        else None
    )
    if problem:
        problems.add("StreetSegment", f.source_id, f"{problem}; skipped")
        return None
    odd_even_both: OddEvenBoth = "odd" if oeb == "odd" else "even" if oeb == "even" else "both"
    return StreetSegment(
        source_id=f.source_id,
        precinct_id=precinct,
        start_house_number=None if all_addresses else start,
        end_house_number=None if all_addresses else end,
        odd_even_both=odd_even_both,
        street_name=None if all_streets else f.text("StreetName"),
        city=f.text("City"),
        state=state_abbr(f.text("State")),
        zip=None if all_streets else places.normalize_zip(f.text("Zip")),
        street_direction=f.text("StreetDirection"),
        street_suffix=f.text("StreetSuffix"),
        address_direction=f.text("AddressDirection"),
        includes_all_addresses=all_addresses,
        includes_all_streets=all_streets,
        unit_number=f.text("UnitNumber"),
    )


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip().isdigit() else None
