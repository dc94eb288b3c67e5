"""Identity matching for registration checks: name keys, people on a roll, dates of birth."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.voter.roll.match import (
    DobParse,
    Person,
    find_matches,
    name_keys,
    parse_dob,
    parse_dob_detail,
)

TODAY = dt.date(2024, 6, 1)
ROLL_NAME = ("José María", "García-López")


@pytest.mark.parametrize(
    ("first", "last", "same"),
    [
        ("José María", "García-López", True),
        ("jose maria", "garcia lopez", True),
        ("Garcia Lopez, Jose", "", True),  # the whole name in one field, family name first
        ("JOSE", "GARCIA", True),
        ("José", "López", True),  # the mother's surname only
        ("García López", "José María", True),  # given and family names swapped
        ("Jose Maria Garcia Lopez", "", True),
        ("JoseMaria", "GarciaLopez", True),  # typed without spaces
        ("María", "García", True),  # going by the middle name
        ("José María", "de la García-López", True),  # particles come and go
        ("Juan", "García", False),
        ("José", "Martínez", False),
        ("Maria", "Smith", False),
        ("", "García", False),
        ("J", "García", False),  # an initial alone says too little
    ],
)
def test_name_keys(first: str, last: str, same: bool) -> None:
    assert bool(name_keys(first, last) & name_keys(*ROLL_NAME)) is same


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Nguyễn", "Văn An", {"an|nguyen"}),  # "van" is a particle: rolls keep or drop it
        ("Đặng", "Thị", {"dang|thi"}),
        ("Seán", "O'Brien-Ruiz", {"obrien|sean", "ruiz|sean", "obrienruiz|sean"}),
        ("Ana", "", set()),
    ],
)
def test_name_keys_fold(first: str, last: str, expected: set[str]) -> None:
    assert name_keys(first, last) == expected


def test_find_matches_needs_birth_date_and_zip() -> None:
    entry = Person("José María", "García-López", dt.date(1980, 3, 5), "90057")
    namesake = Person("Jose", "Garcia", dt.date(1991, 7, 9), "90057")
    roll = [entry, namesake, Person("Ana", "Ruiz", dt.date(1980, 3, 5), "90057")]
    assert find_matches(Person("JOSE", "GARCIA", dt.date(1980, 3, 5), "90057-1234"), roll) == [
        entry
    ]
    assert find_matches(Person("Garcia Lopez, Jose", "", dt.date(1980, 3, 5), "90057"), roll) == [
        entry
    ]
    assert find_matches(Person("Jose", "Garcia", dt.date(1980, 3, 5), "90026"), roll) == []
    assert find_matches(Person("Jose", "Garcia", dt.date(1980, 5, 3), "90057"), roll) == []
    assert find_matches(Person("Jose", "Garcia", dt.date(1980, 3, 5), ""), roll) == []


D = dt.date


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("1980-03-05", "en", DobParse(D(1980, 3, 5))),
        ("1980/3/5", "es", DobParse(D(1980, 3, 5))),
        ("03/05/1980", "en", DobParse(D(1980, 3, 5), D(1980, 5, 3))),
        ("03/05/1980", "es", DobParse(D(1980, 5, 3), D(1980, 3, 5))),
        ("03/05/1980", "vi", DobParse(D(1980, 5, 3), D(1980, 3, 5))),
        ("03/05/1980", "tl", DobParse(D(1980, 3, 5), D(1980, 5, 3))),  # Filipinos write MM/DD
        ("03/05/1980", "hi", DobParse(D(1980, 5, 3), D(1980, 3, 5))),
        ("05/05/1980", "es", DobParse(D(1980, 5, 5))),  # both readings are the same day
        ("13/05/1980", "en", DobParse(D(1980, 5, 13))),  # only one reading is a date
        ("05/13/1980", "es", DobParse(D(1980, 5, 13))),
        ("3-5-80", "en", DobParse(D(1980, 3, 5), D(1980, 5, 3))),
        ("03.05.1980", "km", DobParse(D(1980, 5, 3), D(1980, 3, 5))),
        ("03051980", "en", DobParse(D(1980, 3, 5), D(1980, 5, 3))),
        ("19800305", "en", DobParse(D(1980, 3, 5))),
        ("March 5, 1980", "en", DobParse(D(1980, 3, 5))),
        ("born on the 5th of March 1980", "en", DobParse(D(1980, 3, 5))),
        ("Mar 5 1980", "es", DobParse(D(1980, 3, 5))),
        ("5 de marzo de 1980", "es", DobParse(D(1980, 3, 5))),
        ("nací el 5 de marzo de 1980", "es", DobParse(D(1980, 3, 5))),
        ("Marso 5, 1980", "tl", DobParse(D(1980, 3, 5))),
        ("ika-5 ng Marso 1980", "tl", DobParse(D(1980, 3, 5))),
        ("ngày 5 tháng 3 năm 1980", "vi", DobParse(D(1980, 3, 5))),
        ("ngay 5 thang 3 nam 1980", "vi", DobParse(D(1980, 3, 5))),
        ("1980年3月5日", "zh", DobParse(D(1980, 3, 5))),
        ("１９８０年３月５日", "ja", DobParse(D(1980, 3, 5))),
        ("1980년 3월 5일", "ko", DobParse(D(1980, 3, 5))),
        ("5 มีนาคม 2523", "th", DobParse(D(1980, 3, 5))),
        ("๕/๓/๒๕๒๓", "th", DobParse(D(1980, 3, 5), D(1980, 5, 3))),
        ("05/03/1980", "th", DobParse(D(1980, 3, 5), D(1980, 5, 3))),  # a CE year stays CE
        ("१५/०८/१९७५", "hi", DobParse(D(1975, 8, 15))),
    ],
)
def test_parse_dob(text: str, language: str, expected: DobParse) -> None:
    found = parse_dob_detail(text, language, today=TODAY)
    assert found == expected
    assert found is not None and found.ambiguous is (expected.alternative is not None)
    assert parse_dob(text, language, today=TODAY) == expected.value


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("02/30/1980", "en"),  # 30 February
        ("1980-02-30", "en"),
        ("13/13/1980", "en"),
        ("06/02/2024", "en"),  # tomorrow
        ("2030-01-01", "en"),  # the future
        ("2009-01-01", "en"),  # 15 years old
        ("1900-01-01", "en"),  # 124 years old
        ("5 มีนาคม 2523", "en"),  # a Buddhist-era year outside Thai
        ("hello", "en"),
        ("", "es"),
        ("March", "en"),
    ],
)
def test_parse_dob_rejects(text: str, language: str) -> None:
    assert parse_dob(text, language, today=TODAY) is None


def test_parse_dob_age_limits_use_today() -> None:
    assert parse_dob("2008-06-01", "en", today=TODAY) == D(2008, 6, 1)  # 16 today
    assert parse_dob("2008-06-02", "en", today=TODAY) is None  # 16 tomorrow
    assert parse_dob("1904-06-01", "en", today=TODAY) == D(1904, 6, 1)  # 120 today
    assert parse_dob("1903-06-01", "en", today=TODAY) is None  # 121 today
    # Two-digit years: the most recent century that gives a plausible age.
    assert parse_dob("01/01/05", "en", today=TODAY) == D(2005, 1, 1)
    assert parse_dob("01/01/10", "en", today=TODAY) == D(1910, 1, 1)  # 2010: only 14
    assert parse_dob("01/01/10", "en", today=dt.date(2030, 1, 1)) == D(2010, 1, 1)
