"""Small builders for the voter-tools tests: a roll CSV, a contact, a hand-made place source."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from bot.tables import (
    CONTACTS,
    PLACE_SOURCES,
    POLLING_PLACES,
    PRECINCT_PLACES,
    PRECINCTS,
    STREET_SEGMENTS,
)

NOW = dt.datetime(2024, 10, 1, 12, tzinfo=dt.UTC)
ALBEMARLE = Path(__file__).resolve().parent.parent / "data" / "vip" / "sample_feed_v5.xml"
MARICOPA = ALBEMARLE.parent / "sample_feed_v6_maricopa_2020.zip"
ROLL_HEADER = [
    "voter_id",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "dob",
    "address",
    "city",
    "zip",
    "county",
    "status",
    "registration_date",
    "party",
    "phone",
]
# Accents, hyphens, two-part and particle surnames; one inactive; one cancelled (left out).
ROLL = [
    [
        "1",
        "José",
        "María",
        "García-López",
        "",
        "1980-03-05",
        "12 Elm St",
        "Los Angeles",
        "90057",
        "Los Angeles",
        "A",
        "2010-01-02",
        "DEM",
        "2135550100",
    ],
    [
        "2",
        "Nguyễn",
        "",
        "Thị Hoa",
        "",
        "04/30/1975",
        "9 Oak Ave",
        "Los Angeles",
        "90057",
        "Los Angeles",
        "ACTIVE",
        "2012-05-06",
        "REP",
        "2135550101",
    ],
    [
        "3",
        "Ana",
        "",
        "de la Cruz Ruiz",
        "",
        "19900115",
        "1 Pine Rd",
        "Phoenix",
        "85004",
        "Maricopa",
        "I",
        "",
        "",
        "",
    ],
    [
        "4",
        "Seán",
        "",
        "O'Brien",
        "Jr",
        "1966-07-08",
        "5 Main St",
        "Boston",
        "2134",
        "Suffolk",
        "C",
        "",
        "",
        "",
    ],
]


def write_roll(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> Path:
    """A roll CSV with the documented columns plus ones the import must drop."""
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(ROLL_HEADER)
        writer.writerows(rows)
    return path


def add_contact(engine: Engine, phone: str = "+12135550123") -> int:
    """A contact, as the webhook would have made it; returns its id."""
    row: dict[str, Any] = {"phone": phone, "opted_out": False, "reminders": False}
    row |= {"created_at": NOW, "updated_at": NOW}
    with engine.begin() as conn:
        return int(conn.execute(insert(CONTACTS).returning(CONTACTS.c.id), row).scalar_one())


def split_street(engine: Engine) -> None:
    """An active source where 100-198 Main St, Charlottesville is in two precincts by ZIP."""
    sources, precincts, places = PLACE_SOURCES, PRECINCTS, POLLING_PLACES
    with engine.begin() as conn:
        source: dict[str, Any] = {"name": "hand", "file_name": "hand", "kind": "csv"}
        source |= {"status": "active", "problems": 0, "imported_at": NOW}
        sid = conn.execute(insert(sources).returning(sources.c.id), source).scalar_one()
        for n, zip5 in ((1, "22901"), (2, "22902")):
            pid = conn.execute(
                insert(precincts).returning(precincts.c.id),
                {"source_id": sid, "source_ref": f"p{n}", "name": f"Precinct {n}"},
            ).scalar_one()
            place = {"source_id": sid, "source_ref": f"pl{n}", "name": f"School {n}"}
            place |= {"address": f"{n} School Rd", "city": "Charlottesville", "zip": zip5}
            place_id = conn.execute(insert(places).returning(places.c.id), place).scalar_one()
            conn.execute(
                insert(PRECINCT_PLACES),
                {"precinct_id": pid, "place_id": place_id, "shared": False},
            )
            segment = {"source_id": sid, "precinct_id": pid, "source_ref": f"s{n}"}
            segment |= {"start_house": 100, "end_house": 198, "odd_even": "both"}
            segment |= {"street_name": "MAIN", "street_suffix": "ST", "city": "CHARLOTTESVILLE"}
            segment |= {"state": "VA", "zip": zip5, "includes_all_addresses": False}
            conn.execute(insert(STREET_SEGMENTS), segment)
