"""Addresses as voters text them, street normalization, street-segment matching, and geography."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from bot.voter.geo import haversine_km, haversine_miles, nearest, zip_centroid, zip_info
from bot.voter.places.address import AddressQuery, looks_like_zip, match_segment, parse_address
from bot.voter.places.usps import normalize_direction, normalize_street, normalize_suffix
from bot.voter.records import OddEvenBoth, StreetSegment

Q = AddressQuery


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123 main st apt 4", Q(123, "MAIN", "ST", unit="4")),
        (
            "123 Main Street, Los Angeles 90057",
            Q(123, "MAIN", "ST", city="LOS ANGELES", zip="90057"),
        ),
        ("90057", Q(zip="90057")),
        (
            "123 N. Main St. #4B, LA, CA 90057-1234",
            Q(123, "MAIN", "ST", "N", unit="4B", city="LA", state="CA", zip="90057", zip4="1234"),
        ),
        (
            "123 MAIN ST APT 4 LOS ANGELES CA",
            Q(123, "MAIN", "ST", unit="4", city="LOS ANGELES", state="CA"),
        ),
        ("123 main los angeles 90057", Q(123, "MAIN", city="LOS ANGELES", zip="90057")),
        (
            "1600 Pennsylvania Avenue NW, Washington, DC 20500",
            Q(
                1600,
                "PENNSYLVANIA",
                "AVE",
                post_direction="NW",
                city="WASHINGTON",
                state="DC",
                zip="20500",
            ),
        ),
        (
            "123 fifth avenue new york ny 10003",
            Q(123, "5TH", "AVE", city="NEW YORK", state="NY", zip="10003"),
        ),
        ("123 Twenty-First St", Q(123, "21ST", "ST")),
        ("12 e 3rd st unit b", Q(12, "3RD", "ST", "E", unit="B")),
        ("45 St Marks Pl", Q(45, "ST MARKS", "PL")),
        ("55 North Ave", Q(55, "NORTH", "AVE")),
        ("100 Avenue B", Q(100, "AVENUE B")),
        ("12 1/2 Main St", Q(12, "MAIN", "ST")),
        # Framing words, in English, Spanish, Vietnamese, Chinese, Korean and Tagalog.
        (
            "my address is 4500 W Sunset Blvd Los Angeles CA 90027",
            Q(4500, "SUNSET", "BLVD", "W", city="LOS ANGELES", state="CA", zip="90027"),
        ),
        ("I'm 25 and I live at 456 Oak Ave", Q(456, "OAK", "AVE")),
        ("vivo en 123 Main St 90057", Q(123, "MAIN", "ST", zip="90057")),
        (
            "Mi dirección es 500 S Broadway, Los Angeles, CA 90013",
            Q(500, "BROADWAY", None, "S", city="LOS ANGELES", state="CA", zip="90013"),
        ),
        (
            "vivo en 123 calle Main apto 5, 90057 gracias",
            Q(123, "CALLE MAIN", unit="5", zip="90057"),
        ),
        (
            "tôi ở 123 Bolsa Ave, Westminster CA 92683",
            Q(123, "BOLSA", "AVE", city="WESTMINSTER", state="CA", zip="92683"),
        ),
        (
            "địa chỉ của tôi là 9200 Bolsa Ave Westminster 92683",
            Q(9200, "BOLSA", "AVE", city="WESTMINSTER", zip="92683"),
        ),
        ("住在 123 Main St", Q(123, "MAIN", "ST")),
        (
            "我住在１２３ Main St, Alhambra, CA 91801",
            Q(123, "MAIN", "ST", city="ALHAMBRA", state="CA", zip="91801"),
        ),
        ("나는 3500 W 6th St 에 살아요", Q(3500, "6TH", "ST", "W")),
        ("3500 W 6th St에 살아요", Q(3500, "6TH", "ST", "W")),
        (
            "nakatira ako sa 1200 Temple St Los Angeles po",
            Q(1200, "TEMPLE", "ST", city="LOS ANGELES"),
        ),
        (
            "Ang address ko ay 742 Evergreen Terrace, Springfield",
            Q(742, "EVERGREEN", "TER", city="SPRINGFIELD"),
        ),
        ("my zip is 90057", Q(zip="90057")),
        ("mi código postal es 90057-1234", Q(zip="90057", zip4="1234")),
        # Nothing address-like.
        ("hello", None),
        ("yes", None),
        ("123", None),
        ("213-555-0100", None),
        ("90057, 90026", None),  # two ZIPs: which one?
        ("I have 2 kids", None),
        ("yes 1 more question", None),
        ("123 Broadway", Q(123, "BROADWAY")),
        ("", None),
    ],
)
def test_parse_address(text: str, expected: AddressQuery | None) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Main Street", "MAIN ST"),
        ("North Fifth Street", "N 5TH ST"),
        ("north east 5th", "NE 5TH"),
        ("Fifth", "5TH"),
        ("5", "5TH"),
        ("21", "21ST"),
        ("112", "112TH"),
        ("Twenty-Second Avenue", "22ND AVE"),
        ("Saint Marks Place", "ST MARKS PL"),
        ("St. Mary's Rd.", "ST MARYS RD"),
        ("Cañada Boulevard", "CANADA BLVD"),
        ("Court Street", "COURT ST"),
        ("Avenue B", "AVENUE B"),
        ("West", "WEST"),
        ("Misty Mountain", "MISTY MTN"),
        ("Highway 101", "HIGHWAY 101"),
        ("Martin Luther King Jr Parkway", "MARTIN LUTHER KING JR PKWY"),
        ("Lake Shore Drive", "LAKE SHR DR"),
    ],
)
def test_normalize_street(name: str, expected: str) -> None:
    assert normalize_street(name) == expected
    assert normalize_street(expected) == expected  # normal forms stay put


@pytest.mark.parametrize(
    ("word", "suffix", "direction"),
    [
        ("Street", "ST", None),
        ("Avenue", "AVE", None),
        ("Boulevard", "BLVD", None),
        ("Road", "RD", None),
        ("Drive", "DR", None),
        ("Lane", "LN", None),
        ("Court", "CT", None),
        ("Place", "PL", None),
        ("Circle", "CIR", None),
        ("Highway", "HWY", None),
        ("Parkway", "PKWY", None),
        ("Terrace", "TER", None),
        ("Way", "WAY", None),
        ("Trail", "TRL", None),
        ("Av.", "AVE", None),
        ("Crossing", "XING", None),
        ("North", None, "N"),
        ("south west", None, "SW"),
        ("NE", None, "NE"),
        ("Main", None, None),
    ],
)
def test_suffixes_and_directions(word: str, suffix: str | None, direction: str | None) -> None:
    assert (normalize_suffix(word), normalize_direction(word)) == (suffix, direction)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90057", True),
        (" 90057-1234 ", True),
        ("９００５７", True),
        ("9005", False),
        ("900571", False),
        ("90057 please", False),
        ("abcde", False),
    ],
)
def test_looks_like_zip(text: str, expected: bool) -> None:
    assert looks_like_zip(text) is expected


def _segment(
    source_id: str,
    name: str | None,
    numbers: tuple[int, int] | None,
    oeb: OddEvenBoth = "both",
    *,
    precinct: str = "P1",
    direction: str | None = None,
    suffix: str | None = "ST",
    zip_code: str | None = "90057",
    city: str = "LOS ANGELES",
    all_streets: bool = False,
) -> StreetSegment:
    start, end = numbers if numbers else (None, None)
    return StreetSegment(
        source_id,
        precinct,
        start,
        end,
        oeb,
        name,
        city,
        "CA",
        zip_code,
        street_direction=direction,
        street_suffix=suffix,
        includes_all_addresses=numbers is None and not all_streets,
        includes_all_streets=all_streets,
    )


SEGMENTS = [
    _segment("main-odd", "Main", (101, 199), "odd", precinct="P1"),
    _segment("main-even", "Main", (100, 198), "even", precinct="P2"),
    _segment("n-main", "Main", (1, 99), direction="N", precinct="P3"),
    _segment("s-main", "Main", (1, 99), direction="S", precinct="P4"),
    _segment("fifth", "5TH", (1, 999), suffix="Avenue", precinct="P5"),
    _segment("oak-all", "Oak", None, suffix="Ave", precinct="P6"),
    _segment("embedded", "W SUNSET BLVD", (4000, 4999), suffix=None, precinct="P7"),
    _segment("other-zip", "Main", (101, 199), "odd", precinct="P8", zip_code="90026"),
    _segment("elm-city", "Elm", (1, 50), zip_code=None, city="Glendale", precinct="P9"),
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123 Main St 90057", ["main-odd"]),
        ("124 Main St 90057", ["main-even"]),
        ("124 main 90057", ["main-even"]),  # suffix left out
        ("123 Main Ave 90057", []),  # suffix given and different
        ("123 Main St 90026", ["other-zip"]),
        ("123 Main St", ["main-odd", "other-zip"]),  # no ZIP: two precincts, ambiguous
        ("50 N Main St 90057", ["n-main"]),
        ("50 Main St 90057", ["n-main", "s-main"]),  # direction left out: ambiguous
        ("50 East Main St 90057", []),
        ("300 Main St 90057", []),  # past every range
        ("700 Fifth Ave 90057", ["fifth"]),
        ("1 Oak Avenue 90057", ["oak-all"]),
        ("4500 West Sunset Boulevard 90057", ["embedded"]),
        ("4500 Sunset Blvd 90057", ["embedded"]),
        ("10 Elm St, Glendale", ["elm-city"]),
        ("10 Elm St, Burbank", []),
        ("10 Elm St 91205", ["elm-city"]),  # 91205 is Glendale's
        ("10 Elm St 90057", []),
        ("90057", ["main-odd", "main-even", "n-main", "s-main", "fifth", "oak-all", "embedded"]),
    ],
)
def test_match_segment(text: str, expected: list[str]) -> None:
    query = parse_address(text)
    assert query is not None
    assert [s.source_id for s in match_segment(query, SEGMENTS)] == expected


def test_match_segment_city_wide() -> None:
    everywhere = _segment("all", None, None, all_streets=True, zip_code=None, precinct="P0")
    query = parse_address("77 Anything Rd, Los Angeles")
    assert query is not None
    assert match_segment(query, [everywhere]) == [everywhere]


# --- Geography ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((33.9425, -118.4081), (40.6398, -73.7789), 3974.2),  # LAX to JFK, on the sphere
        ((38.0293, -78.4767), (38.0293, -78.4767), 0.0),
        ((0.0, 0.0), (0.0, 180.0), math.pi * 6371.0088),  # half the equator
    ],
)
def test_haversine(a: tuple[float, float], b: tuple[float, float], km: float) -> None:
    assert haversine_km(*a, *b) == pytest.approx(km, rel=2e-3, abs=1e-9)
    assert haversine_miles(*a, *b) == pytest.approx(km / 1.609344, rel=2e-3, abs=1e-9)


@dataclass(frozen=True)
class _Spot:
    name: str
    lat: float | None
    lng: float | None


def test_nearest() -> None:
    spots = [
        _Spot("far", 34.20, -118.60),
        _Spot("unknown", None, None),
        _Spot("near", 34.062, -118.276),
        _Spot("middle", 34.10, -118.30),
        _Spot("near-twin", 34.062, -118.276),
    ]
    found = nearest(34.0622, -118.2763, spots, n=3)
    assert [spot.name for _, spot in found] == ["near", "near-twin", "middle"]
    assert found[0][0] < 0.1 and 2 < found[2][0] < 4
    assert nearest(34.0, -118.0, spots, n=0) == []


@pytest.mark.parametrize(
    ("code", "lat", "lng", "state", "county", "zone"),
    [
        ("90057", 34.0622, -118.2763, "CA", "Los Angeles County", "America/Los_Angeles"),
        ("22932-2722", 38.1296, -78.7106, "VA", "Albemarle County", "America/New_York"),
        ("85260", 33.6042, -111.8885, "AZ", "Maricopa County", "America/Phoenix"),
    ],
)
def test_zip_info(code: str, lat: float, lng: float, state: str, county: str, zone: str) -> None:
    info = zip_info(code)
    assert info is not None
    assert (info.lat, info.lng) == pytest.approx((lat, lng), abs=0.05)
    assert (info.state, info.county, info.timezone) == (state, county, zone)
    assert zip_centroid(code) == (info.lat, info.lng)


@pytest.mark.parametrize("code", ["00000", "abcde", "123", ""])
def test_zip_unknown(code: str) -> None:
    assert zip_info(code) is None and zip_centroid(code) is None
