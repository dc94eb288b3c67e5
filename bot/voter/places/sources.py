"""Places as stored: street segments' columns, the active sources lookups read, and cleaning
up the others."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from bot.voter import records
from bot.voter.geo import zip5
from bot.voter.places.address import (
    _parts,  # the matcher's own split, so stored names and queries agree
)
from bot.voter.places.usps import fold, normalize_direction, normalize_suffix

STALE = ("replaced", "failed")


@dataclass(frozen=True)
class ActiveSource:
    """An active place source, as an answer names it: "<name>, updated <date>"."""

    id: int
    name: str
    updated: dt.date | None
    election_date: dt.date | None


def active_sources(conn: Connection) -> dict[int, ActiveSource]:
    """The sources lookups read, by id (several names may be active: one feed per county)."""
    rows = conn.execute(
        text(
            "SELECT s.id, s.name, s.feed_date, e.date FROM place_sources s"
            " LEFT JOIN elections e ON e.id = s.election_id WHERE s.status = 'active'"
        )
    ).all()
    return {row[0]: ActiveSource(row[0], row[1], _date(row[2]), _date(row[3])) for row in rows}


def _date(value: object) -> dt.date | None:
    # A raw SQLite query gives dates back as ISO text.
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def delete_stale_sources(engine: Engine) -> None:
    """Delete the rows of replaced and failed sources (the sources themselves stay, as history)."""
    stale = "SELECT id FROM place_sources WHERE status IN ('replaced', 'failed')"
    statements = (
        f"DELETE FROM place_hours WHERE place_id IN"  # noqa: S608
        f" (SELECT id FROM polling_places WHERE source_id IN ({stale}))",
        f"DELETE FROM precinct_places WHERE precinct_id IN"  # noqa: S608
        f" (SELECT id FROM precincts WHERE source_id IN ({stale}))",
        f"DELETE FROM street_segments WHERE source_id IN ({stale})",  # noqa: S608
        f"DELETE FROM precincts WHERE source_id IN ({stale})",  # noqa: S608
        f"DELETE FROM polling_places WHERE source_id IN ({stale})",  # noqa: S608
    )
    with engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


SEGMENT_COLUMNS = (
    "source_id",
    "precinct_id",
    "source_ref",
    "start_house",
    "end_house",
    "odd_even",
    "street_direction",
    "street_name",
    "street_suffix",
    "address_direction",
    "unit",
    "includes_all_addresses",
    "city",
    "state",
    "zip",
)


def segment_row(source_id: int, precinct_id: int, s: records.StreetSegment) -> tuple[Any, ...]:
    """A street segment as stored: Pub 28 parts, the core street name, the city folded."""
    direction, core, suffix, post = _parts(
        s.street_name or "",
        normalize_direction(s.street_direction),
        normalize_suffix(s.street_suffix),
        normalize_direction(s.address_direction),
    )
    every_street = s.includes_all_streets or not s.street_name
    return (
        source_id,
        precinct_id,
        s.source_id[:100],
        s.start_house_number,
        s.end_house_number,
        s.odd_even_both,
        direction,
        None if every_street else core[:100] or None,
        suffix,
        post,
        fold(s.unit_number)[:20] if s.unit_number else None,
        s.includes_all_addresses,
        fold(s.city)[:100] if s.city else None,
        s.state,
        zip5(s.zip),
    )
