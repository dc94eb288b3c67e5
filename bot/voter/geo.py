"""Distances and ZIP codes, offline: haversine, nearest places, and ZIP centroids from the
`zipcodes` package (US ZIP data bundled in the wheel; no network, no database)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, TypeVar

import zipcodes

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG), which haversine assumes
KM_PER_MILE = 1.609344
_ZIP = re.compile(r"^\s*(\d{5})(?:[-\s]?\d{4})?\s*$")


class Located(Protocol):
    """Anything with an optional position, such as a `PollingPlace`."""

    @property
    def lat(self) -> float | None:
        """Latitude in decimal degrees, None when unknown."""
        ...

    @property
    def lng(self) -> float | None:
        """Longitude in decimal degrees, None when unknown."""
        ...


PlaceT = TypeVar("PlaceT", bound=Located)


@dataclass(frozen=True)
class ZipInfo:
    """What the bundled data says about a ZIP code; the point is its centroid."""

    zip5: str
    lat: float
    lng: float
    city: str
    state: str
    county: str | None
    timezone: str | None


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance between two points, in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def haversine_miles(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance between two points, in statute miles."""
    return haversine_km(lat1, lng1, lat2, lng2) / KM_PER_MILE


def nearest(
    lat: float, lng: float, places: Iterable[PlaceT], n: int = 3
) -> list[tuple[float, PlaceT]]:
    """The `n` places nearest to a point, as (miles, place); places without a position skipped."""
    measured = [
        (haversine_miles(lat, lng, place.lat, place.lng), index, place)
        for index, place in enumerate(places)
        if place.lat is not None and place.lng is not None
    ]
    # The index breaks ties, so equal distances keep the input order and places never compare.
    measured.sort(key=lambda item: (item[0], item[1]))
    return [(miles, place) for miles, _, place in measured[: max(n, 0)]]


def zip5(text: str | None) -> str | None:
    """The five-digit ZIP in "90057", "90057-1234" or "900571234", else None."""
    found = _ZIP.match(text or "")
    return found.group(1) if found else None


@lru_cache(maxsize=4096)
def zip_info(code: str) -> ZipInfo | None:
    """Centroid, city, state, county and time zone of a ZIP code, or None if unknown."""
    five = zip5(code)
    if five is None:
        return None
    rows = zipcodes.matching(five)  # type: ignore[no-untyped-call]
    if not rows or not rows[0].get("lat"):
        return None
    row = rows[0]
    return ZipInfo(
        zip5=five,
        lat=float(row["lat"]),
        lng=float(row["long"]),
        city=str(row["city"]),
        state=str(row["state"]),
        county=str(row["county"]) if row.get("county") else None,
        timezone=str(row["timezone"]) if row.get("timezone") else None,
    )


def zip_centroid(code: str) -> tuple[float, float] | None:
    """The (lat, lng) centroid of a ZIP code, or None if the bundled data does not know it."""
    info = zip_info(code)
    return (info.lat, info.lng) if info else None
