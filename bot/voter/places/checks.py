"""Checks every polling place gets, whatever file it came from: ZIP shape, coordinates that
agree with the ZIP, the ZIP's time zone, and hours whose UTC offsets agree with that zone."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable

from bot.clock import zone as named_zone
from bot.voter.geo import haversine_miles, zip_info
from bot.voter.records import PollingPlace

# Farther than this from its ZIP's centroid, a place's coordinates are a geocoding slip (the
# Albemarle sample puts a Keswick, VA school in Stony Point, NY); rural ZIPs span ~50 miles.
MAX_MILES_FROM_ZIP = 75.0

_ZIP = re.compile(r"^\s*(\d{5})(?:[-\s]?(\d{4}))?\s*$")

AddProblem = Callable[[str, str, str], None]


def normalize_zip(text: str | None) -> str | None:
    """ "90057" or "90057-1234" from the shapes feeds use ("900571234", "90057 1234"), else None."""
    found = _ZIP.match(text or "")
    if not found:
        return None
    return f"{found[1]}-{found[2]}" if found[2] else found[1]


def checked(place: PollingPlace, element: str, add: AddProblem) -> PollingPlace:
    """The place with implausible coordinates dropped and its ZIP's time zone, problems added."""
    info = zip_info(place.zip) if place.zip else None
    lat, lng = place.lat, place.lng
    if (lat is None) != (lng is None) or not _on_earth(lat, lng):
        add(element, place.source_id, f"LatLng {lat},{lng} is not a position; dropped")
        lat = lng = None
    elif lat is not None and lng is not None and info is not None:
        miles = haversine_miles(lat, lng, info.lat, info.lng)
        if miles > MAX_MILES_FROM_ZIP:
            add(
                element,
                place.source_id,
                f"LatLng {lat},{lng} is {miles:.0f} miles from ZIP {info.zip5}; dropped",
            )
            lat = lng = None
    zone = info.timezone if info else None
    if zone:
        problem = offset_problem(place, zone)
        if problem:
            add(element, place.source_id, problem)
    return dataclasses.replace(place, lat=lat, lng=lng, timezone=zone)


def _on_earth(lat: float | None, lng: float | None) -> bool:
    if lat is None or lng is None:
        return True
    # (0, 0) is in the Gulf of Guinea: it means "not geocoded", not a US polling place.
    return -90 <= lat <= 90 and -180 <= lng <= 180 and (lat, lng) != (0.0, 0.0)


def offset_problem(place: PollingPlace, zone_name: str) -> str | None:
    """A problem when the hours' UTC offsets disagree with the place's time zone on those days."""
    zone = named_zone(zone_name)
    if zone is None:
        return None
    wrong: dict[dt.date, tuple[dt.timedelta | None, dt.timedelta | None]] = {}
    for hours in place.hours:
        if hours.day is None or hours.tz is None:
            continue
        given = hours.tz.utcoffset(None)
        actual = dt.datetime.combine(hours.day, hours.opens, zone).utcoffset()
        if given != actual:
            wrong.setdefault(hours.day, (given, actual))
    if not wrong:
        return None
    first, last = min(wrong), max(wrong)
    said, real = wrong[first]
    return (
        f"hours on {len(wrong)} day(s) from {first} to {last} say UTC{_fmt(said)} but "
        f"{zone_name} is at UTC{_fmt(real)}; the wall-clock times are kept"
    )


def _fmt(offset: dt.timedelta | None) -> str:
    if offset is None:
        return "?"
    minutes = int(offset.total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
