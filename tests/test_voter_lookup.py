"""Lookups: an Albemarle address to its polling place, a Maricopa ZIP to its nearest vote
centers, the other outcomes, and registration checks (privacy, the daily limit)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.voter.answers import OpenHours, RegistrationAnswer
from bot.voter.elections import save_election
from bot.voter.places.finder import find_polling_places
from bot.voter.places.importer import import_places
from bot.voter.roll.checker import check_registration
from bot.voter.roll.loader import import_voters
from tests.helpers.voter import (
    ALBEMARLE,
    MARICOPA,
    NOW,
    ROLL,
    add_contact,
    split_street,
    write_roll,
)

pytestmark = pytest.mark.db
CROZET = "I live at 250 Patterson Mill Lane, Crozet VA 22932"


def _find(engine: Engine, text: str, today: dt.date, language: str = "en") -> Any:
    with engine.connect() as conn:
        return find_polling_places(conn, text_or_query=text, today=today, language=language)


def test_albemarle_address_to_its_polling_place(engine: Engine) -> None:
    import_places(engine=engine, path=ALBEMARLE, now=NOW)
    answer = _find(engine, CROZET, dt.date(2013, 11, 5))
    assert (answer.outcome, answer.precinct, answer.updated) == (
        "found",
        "601 - CROZET",
        dt.date(2013, 10, 24),
    )
    assert answer.source_name.startswith("State Board of Elections")
    first = answer.places[0]
    assert (first.name, first.address) == (
        "CROZET ELEMENTARY SCHOOL",
        "1407 Crozet Ave, Crozet, VA 22932",
    )
    assert first.hours == OpenHours(dt.date(2013, 11, 5), dt.time(6), dt.time(19), is_today=True)
    assert first.maps_url == "https://maps.google.com/?q=1407+Crozet+Ave%2C+Crozet%2C+VA+22932"
    # In early voting, the early voting site says today's hours; the polling place election day's.
    early = _find(engine, CROZET, dt.date(2013, 10, 22))
    by_name = {p.name: p for p in early.places}
    high = by_name["ALBEMARLE HIGH SCHOOL"]
    assert (high.is_early_voting, high.is_drop_box, high.hours.is_today) == (True, True, True)
    assert by_name["CROZET ELEMENTARY SCHOOL"].hours.day == dt.date(2013, 11, 5)
    # Past the segment's last house, the ZIP's nearest places answer instead.
    beyond = _find(engine, "600 Patterson Mill Ln, Crozet VA 22932", dt.date(2013, 11, 5))
    assert beyond.outcome == "found" and beyond.precinct is None
    assert beyond.places[0].miles is not None


def test_maricopa_zip_to_three_nearest_vote_centers(engine: Engine) -> None:
    import_places(engine=engine, path=MARICOPA, now=NOW)
    answer = _find(engine, "85260", dt.date(2020, 10, 29), language="es")
    assert answer.outcome == "found" and len(answer.places) == 3
    # The feed has no coordinates: places sit at their ZIP's centre, which ranks them but
    # is no distance to tell a voter.
    assert all(p.miles is None for p in answer.places)
    assert all(p.is_vote_center for p in answer.places)
    # Thunderbird Adventist Academy: vote center, early voting site and drop box, told once.
    (academy,) = [p for p in answer.places if p.name == "THUNDERBIRD ADVENTIST ACADEMY"]
    assert (academy.is_early_voting, academy.is_drop_box) == (True, True)
    assert academy.hours is not None and academy.hours.is_today
    assert (academy.hours.opens, academy.hours.closes) == (dt.time(9), dt.time(19))
    assert academy.speaks_language is None  # the feed says nothing of languages
    assert answer.source_name == "MARICOPA COUNTY BOARD OF ELECTIONS (VIP 04013)"


def test_outcomes_without_a_place(engine: Engine) -> None:
    today = dt.date(2024, 10, 1)
    assert _find(engine, "85260", today).outcome == "no_data"
    split_street(engine)
    assert _find(engine, "what do I do?", today).outcome == "need_address"
    ambiguous = _find(engine, "150 Main St, Charlottesville VA", today)
    assert (ambiguous.outcome, ambiguous.disambiguate) == ("ambiguous", ("zip", "unit"))
    found = _find(engine, "150 Main St, Charlottesville VA 22902", today)
    assert (found.outcome, found.places[0].name) == ("found", "School 2")
    assert _find(engine, "150 Main St", today).disambiguate == ("zip",)
    with engine.begin() as conn:
        values = {"name": "General", "date": dt.date(2024, 11, 5), "state": "CA"}
        values |= {"office_name": "LA County Registrar", "office_phone": "800-815-2666"}
        save_election(conn, values=values, source="cli", now=NOW)
    missing = _find(engine, "99501", today)  # Anchorage: nothing within 50 miles
    assert missing.outcome == "not_found" and missing.office is not None
    assert (missing.office.name, missing.office.phone) == ("LA County Registrar", "800-815-2666")


def _check(
    engine: Engine,
    contact: int,
    *who: str,
    language: str = "en",
    today: dt.date = dt.date(2024, 10, 1),
) -> RegistrationAnswer:
    first, last, dob, zip5 = who
    with engine.begin() as conn:
        return check_registration(
            conn,
            contact_id=contact,
            first=first,
            last=last,
            dob_text=dob,
            zip=zip5,
            language=language,
            today=today,
        )


def _election(engine: Engine) -> None:
    with engine.begin() as conn:
        values: dict[str, Any] = {"name": "General", "date": dt.date(2024, 11, 5), "state": "CA"}
        values |= {"registration_deadline": dt.date(2024, 10, 21), "same_day_registration": True}
        values |= {"same_day_where": "any vote center"}
        values["links"] = {
            "registration_lookup": {"default": "https://ca.gov", "es": "https://ca.gov/es"}
        }
        save_election(conn, values=values, source="cli", now=NOW)


def test_registration_checks_tolerate_how_names_are_typed(engine: Engine, tmp_path: Path) -> None:
    _election(engine)
    contact = add_contact(engine)
    assert _check(engine, contact, "Ana", "Cruz", "1/15/1990", "85004").outcome == "no_roll"
    import_voters(engine=engine, path=write_roll(tmp_path / "roll.csv", ROLL), now=NOW)
    cases = [
        ("jose", "garcia lopez", "3/5/1980", "90057", "en", "active"),  # accents, hyphen
        ("García", "José", "05/03/1980", "90057-1234", "es", "active"),  # swapped, day first
        ("Maria", "Lopez", "1980-03-05", "90057", "en", "active"),  # middle name, 2nd surname
        ("Hoa", "Nguyen", "April 30 1975", "90057", "en", "active"),  # family name first
        ("Ana", "Cruz", "1/15/1990", "85004", "en", "inactive"),  # "de la" left out
    ]
    for first, last, dob, zip5, language, outcome in cases:
        contact = add_contact(engine, f"+1213555{len(first):02d}{len(last):02d}{ord(dob[0])}")
        assert _check(engine, contact, first, last, dob, zip5, language=language).outcome == outcome
    other = add_contact(engine, "+12135559999")
    assert _check(engine, other, "José", "García", "1980-03-05", "90058").outcome == "not_found"
    assert _check(engine, other, "Seán", "O'Brien", "1966-07-08", "02134").outcome == "not_found"
    assert _check(engine, other, "José", "García", "31/31/1980", "90057").outcome == "bad_date"


def test_answers_carry_nothing_from_the_roll(engine: Engine, tmp_path: Path) -> None:
    _election(engine)
    import_voters(engine=engine, path=write_roll(tmp_path / "roll.csv", ROLL), now=NOW)
    answer = _check(
        engine, add_contact(engine), "José", "García", "1980-03-05", "90057", language="es"
    )
    assert answer.outcome == "active"
    assert answer.next_steps.lookup_url == "https://ca.gov/es"
    assert answer.next_steps.registration_deadline == dt.date(2024, 10, 21)
    flat = str(dataclasses.asdict(answer))
    for roll_value in ("1980", "2010-01-02", "Los Angeles", "Elm", "DEM", "García"):
        assert roll_value not in flat


def test_five_checks_a_day_per_contact(engine: Engine, tmp_path: Path) -> None:
    import_voters(engine=engine, path=write_roll(tmp_path / "roll.csv", ROLL), now=NOW)
    contact, other = add_contact(engine), add_contact(engine, "+12135550999")
    outcomes = [_check(engine, contact, "A", "B", "1980-01-01", "90057").outcome for _ in range(6)]
    assert outcomes == ["not_found"] * 5 + ["limit"]
    # Even a right answer is refused past the limit; another contact, or tomorrow, is not.
    assert _check(engine, contact, "José", "García", "1980-03-05", "90057").outcome == "limit"
    assert _check(engine, other, "José", "García", "1980-03-05", "90057").outcome == "active"
    tomorrow = dt.date(2024, 10, 2)
    answer = _check(engine, contact, "José", "García", "1980-03-05", "90057", today=tomorrow)
    assert (answer.outcome, answer.checks_left) == ("active", 4)
