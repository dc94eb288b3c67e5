"""Feed parsers against the two real sample feeds (Albemarle VIP 5.2, Maricopa VIP 6.0), a VIP 6
CSV feed and a places CSV made for these tests, and broken files."""

from __future__ import annotations

import datetime as dt
import time
import tracemalloc
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from bot.voter.places.address import match_segment, parse_address
from bot.voter.places.hours import parse_hours_text, parse_time
from bot.voter.records import FeedError, FeedProblem, Hours, PollingPlace
from bot.voter.vip.feed import Feed, parse_feed

SHARED = Path(__file__).resolve().parent / "data" / "vip"  # copies of ../shared/vip
ALBEMARLE = SHARED / "sample_feed_v5.xml"
MARICOPA = SHARED / "sample_feed_v6_maricopa_2020.zip"
DATA = Path(__file__).resolve().parent / "data" / "vip"
EDT, EST = dt.timezone(dt.timedelta(hours=-4)), dt.timezone(dt.timedelta(hours=-5))
MST, MDT = dt.timezone(dt.timedelta(hours=-7)), dt.timezone(dt.timedelta(hours=-6))
PST, PDT = dt.timezone(dt.timedelta(hours=-8)), dt.timezone(dt.timedelta(hours=-7))


def _hours(place: PollingPlace) -> list[tuple[str | None, str, str]]:
    return [
        (h.day.isoformat() if h.day else None, f"{h.opens:%H:%M}", f"{h.closes:%H:%M}")
        for h in place.hours
    ]


@pytest.fixture(scope="module")
def albemarle() -> Feed:
    return parse_feed(ALBEMARLE)


@pytest.fixture(scope="module")
def maricopa() -> Feed:
    return parse_feed(MARICOPA)


@pytest.fixture(scope="module")
def maricopa_places(maricopa: Feed) -> dict[str, PollingPlace]:
    return {place.source_id: place for place in maricopa.polling_places()}


# --- Albemarle County, VA, 2013: VIP 5.2 -------------------------------------------------------


def test_albemarle_format_and_counts(albemarle: Feed) -> None:
    assert albemarle.format == "vip5-xml"
    counts = albemarle.counts
    expected = {"Election": 1, "PollingLocation": 27, "Precinct": 32, "StreetSegment": 13}
    expected |= {"HoursOpen": 3, "Locality": 2, "State": 1, "Source": 1, "Candidate": 28}
    assert {kind: counts[kind] for kind in expected} == expected
    assert len(list(albemarle.polling_places())) == 27
    assert len(list(albemarle.precincts())) == 32
    assert len(list(albemarle.street_segments())) == 13
    assert [loc.name for loc in albemarle.localities()] == ["ALBEMARLE COUNTY", "Fairfax COUNTY"]


def test_albemarle_election(albemarle: Feed) -> None:
    (election,) = albemarle.elections()
    assert (election.source_id, election.name) == ("ele30000", "2013 Virginia General Election")
    assert (election.date, election.state, election.state_name) == (
        dt.date(2013, 11, 5),
        "VA",
        "Virginia",
    )
    assert election.registration_deadline == dt.date(2013, 10, 15)
    assert election.absentee_request_deadline == dt.date(2013, 10, 30)
    assert election.has_election_day_registration is False
    assert election.hours == (Hours(dt.date(2013, 11, 5), dt.time(6), dt.time(19), EST),)
    assert election.feed_vip_id == "51"
    assert election.feed_source_name == "State Board of Elections, Commonwealth of Virginia"


@pytest.mark.parametrize(
    ("source_id", "name", "line", "city", "zip_code", "lat", "kind"),
    [
        (
            "pl81274",
            "ALBEMARLE HIGH SCHOOL",
            "2775 Hydraulic Rd",
            "Charlottesville",
            "22901-8917",
            38.075578,
            "polling_place",
        ),
        (
            "pl00000",
            "2775 Hydraulic Rd",
            "2775 Hydraulic Rd",
            "CHARLOTTESVILLE",
            "22901",
            38.009939,
            "drop_box",
        ),
        (
            "pl81273",
            "ALBEMARLE HIGH SCHOOL",
            "2775 Hydraulic Rd",
            "Charlottesville",
            "22901-8917",
            38.075578,
            "early_voting",
        ),
        (
            "pl81191",
            "ST ANNE'S-BELFIELD LWR SCHOOL - Convocation Ctr.",
            "799 Faulconer Drive",
            "Charlottesville",
            "22903",
            38.055801,
            "polling_place",
        ),
        (
            "pl82204",
            "CROZET ELEMENTARY SCHOOL",
            "1407 Crozet Ave",
            "Crozet",
            "22932-2722",
            38.074684,
            "polling_place",
        ),
        # Geocoded to Stony Point, NY, 319 miles from its ZIP: the position is dropped.
        (
            "pl81516",
            "STONY POINT ELEM SCHOOL",
            "3893 Stony Point Rd",
            "Keswick",
            "22947-1503",
            None,
            "polling_place",
        ),
    ],
)
def test_albemarle_places(
    albemarle: Feed,
    source_id: str,
    name: str,
    line: str,
    city: str,
    zip_code: str,
    lat: float | None,
    kind: str,
) -> None:
    place = {p.source_id: p for p in albemarle.polling_places()}[source_id]
    assert (place.name, place.address_line, place.city, place.state, place.zip) == (
        name,
        line,
        city,
        "VA",
        zip_code,
    )
    assert (place.lat, place.kind, place.timezone) == (lat, kind, "America/New_York")


def test_albemarle_hours_follow_the_clock_change(albemarle: Feed) -> None:
    places = {p.source_id: p for p in albemarle.polling_places()}
    early = places["pl00000"].hours
    # 21-26 Oct and 28 Oct-2 Nov at EDT, then 4 Nov at EST after clocks fell back on 3 Nov.
    assert len(early) == 13
    assert early[0] == Hours(dt.date(2013, 10, 21), dt.time(7), dt.time(19), EDT)
    assert dt.date(2013, 10, 27) not in {h.day for h in early}
    assert early[-1] == Hours(dt.date(2013, 11, 4), dt.time(7), dt.time(19), EST)
    assert _hours(places["pl82204"]) == [("2013-11-05", "06:00", "19:00")]


def test_albemarle_problems(albemarle: Feed) -> None:
    list(albemarle.records())
    assert albemarle.problems == [
        FeedProblem(
            "PollingLocation",
            "pl81516",
            "LatLng 41.229539,-73.987085 is 319 miles from ZIP 22947; dropped",
        )
    ]


def test_albemarle_address_to_precinct_to_polling_place(albemarle: Feed) -> None:
    segments = list(albemarle.street_segments())
    query = parse_address("I live at 250 Patterson Mill Lane, Crozet VA 22932")
    assert query is not None
    (segment,) = match_segment(query, segments)
    assert (segment.source_id, segment.precinct_id) == ("ss321552", "pre92145")
    precinct = {p.source_id: p for p in albemarle.precincts()}[segment.precinct_id]
    assert (precinct.name, precinct.locality_name) == ("601 - CROZET", "ALBEMARLE COUNTY")
    places = {p.source_id: p for p in albemarle.polling_places()}
    own = [places[i] for i in precinct.polling_place_ids]
    assert [(p.name, p.address_line) for p in own if p.kind == "polling_place"] == [
        ("CROZET ELEMENTARY SCHOOL", "1407 Crozet Ave")
    ]
    # Past the segment's last house (521) the address is in no segment of the sample.
    beyond = parse_address("600 Patterson Mill Ln, Crozet VA 22932")
    assert beyond is not None and match_segment(beyond, segments) == []


def test_albemarle_special_segments(albemarle: Feed) -> None:
    segments = {s.source_id: s for s in albemarle.street_segments()}
    assert segments["ss000000"].includes_all_streets and segments["ss000000"].street_name is None
    assert segments["ss999999"].includes_all_addresses
    assert segments["ss999999"].start_house_number is None
    assert (segments["ss1"].start_house_number, segments["ss1"].end_house_number) == (1, 1)
    assert segments["ss305809"].street_name == "Steubin"


# --- Maricopa County, AZ, 2020: VIP 6.0 in a zip -----------------------------------------------


def test_maricopa_format_and_counts(maricopa: Feed) -> None:
    assert (maricopa.format, maricopa.member) == ("vip6-xml", "vipfeed-04013-2020-11-03.xml")
    assert maricopa.counts == {
        "Election": 1,
        "ExternalFile": 1,
        "HoursOpen": 386,
        "Locality": 1,
        "PollingLocation": 560,
        "Precinct": 748,
        "Source": 1,
        "State": 1,
    }


def test_maricopa_places(maricopa_places: dict[str, PollingPlace]) -> None:
    assert len(maricopa_places) == 560
    kinds = Counter(place.kind for place in maricopa_places.values())
    assert kinds == {"drop_box": 210, "early_voting": 175, "vote_center": 175}
    assert sum(len(place.hours) for place in maricopa_places.values()) == 2572
    assert {place.timezone for place in maricopa_places.values()} == {"America/Phoenix"}
    assert all(place.lat is None for place in maricopa_places.values())  # the feed has none


@pytest.mark.parametrize(
    ("source_id", "name", "line", "city", "zip_code", "kind", "hours"),
    [
        (
            "ev10042_0",
            "THUNDERBIRD ADVENTIST ACADEMY",
            "7410 E SUTTON DR",
            "SCOTTSDALE",
            "85260",
            "early_voting",
            [
                ("2020-10-29", "09:00", "19:00"),
                ("2020-10-30", "09:00", "16:00"),
                ("2020-11-02", "09:00", "17:00"),
                ("2020-11-03", "06:00", "19:00"),
            ],
        ),
        (
            "pl10042_0",
            "THUNDERBIRD ADVENTIST ACADEMY",
            "7410 E SUTTON DR",
            "SCOTTSDALE",
            "85260",
            "vote_center",
            [("2020-11-03", "06:00", "19:00")],
        ),
        (
            "db12812_0",
            "SHILOH COMMUNITY CHURCH",
            "19021 N 32ND ST",
            "PHOENIX",
            "85050",
            "drop_box",
            [("2020-11-02", "09:00", "17:00"), ("2020-11-03", "06:00", "19:00")],
        ),
        # "1  KAKA VILLAGE " in the feed: white space collapsed.
        (
            "db13481_0",
            "KAKA VILLAGE COMMUNITY CENTER",
            "1 KAKA VILLAGE",
            "GILA BEND",
            "85337",
            "drop_box",
            [("2020-11-03", "06:00", "19:00")],
        ),
    ],
)
def test_maricopa_place_details(
    maricopa_places: dict[str, PollingPlace],
    source_id: str,
    name: str,
    line: str,
    city: str,
    zip_code: str,
    kind: str,
    hours: list[tuple[str, str, str]],
) -> None:
    place = maricopa_places[source_id]
    assert (place.name, place.address_line, place.city, place.state, place.zip, place.kind) == (
        name,
        line,
        city,
        "AZ",
        zip_code,
        kind,
    )
    assert _hours(place) == hours


def test_maricopa_offsets_are_kept_as_given(maricopa_places: dict[str, PollingPlace]) -> None:
    hours = maricopa_places["ev10042_0"].hours
    assert [h.tz for h in hours] == [MST, MST, MDT, MDT]  # the feed's, though Arizona keeps MST


def test_maricopa_election(maricopa: Feed) -> None:
    (election,) = maricopa.elections()
    assert election.name == "Arizona general election 2020-11-03"  # the feed has no Name
    assert (election.date, election.state, election.election_type) == (
        dt.date(2020, 11, 3),
        "AZ",
        "GENERAL",
    )
    assert election.registration_deadline == dt.date(2020, 10, 5)
    assert election.hours == (Hours(dt.date(2020, 11, 3), dt.time(6), dt.time(19), MDT),)
    assert (election.feed_vip_id, election.feed_source_name) == (
        "04013",
        "MARICOPA COUNTY BOARD OF ELECTIONS",
    )


def test_maricopa_precincts_share_the_county_vote_centers(maricopa: Feed) -> None:
    precincts = list(maricopa.precincts())
    assert len(precincts) == 748
    assert all(not p.polling_place_ids for p in precincts)
    assert {len(p.shared_polling_place_ids) for p in precincts} == {560}
    first = precincts[0]
    assert (first.source_id, first.name, first.number, first.locality_name) == (
        "pr0006",
        "AGUA FRIA",
        "0006",
        "MARICOPA",
    )


def test_maricopa_problems(maricopa: Feed, maricopa_places: dict[str, PollingPlace]) -> None:
    list(maricopa.elections())
    problems = maricopa.problems
    offsets = [p for p in problems if "America/Phoenix is at UTC-07:00" in p.problem]
    assert len(offsets) == 557 and len(problems) == 558
    assert (
        FeedProblem(
            "PollingLocation",
            "ev10042_0",
            "hours on 2 day(s) from 2020-11-02 to 2020-11-03 say UTC-06:00 "
            "but America/Phoenix is at UTC-07:00; the wall-clock times are kept",
        )
        in offsets
    )
    assert (
        FeedProblem(
            "Election", "ele401311032020", "PollingHours holds HoursOpen id hopl1; followed"
        )
        in problems
    )


def test_maricopa_parses_in_seconds() -> None:
    started = time.perf_counter()
    feed = parse_feed(MARICOPA)
    total = sum(1 for _ in feed.records())
    assert total == 1 + 560 + 748 + 1  # election, places, precincts, locality
    assert time.perf_counter() - started < 10


def test_xml_is_streamed_not_loaded(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    segment = (
        '<StreetSegment id="ss{n}"><City>PHOENIX</City><OddEvenBoth>both</OddEvenBoth>'
        "<PrecinctId>pr1</PrecinctId><StartHouseNumber>{n}</StartHouseNumber>"
        "<EndHouseNumber>{n}</EndHouseNumber><State>AZ</State><StreetName>MAIN</StreetName>"
        "<StreetSuffix>ST</StreetSuffix><Zip>85004</Zip></StreetSegment>\n"
    )
    with path.open("w") as out:
        out.write('<VipObject schemaVersion="6.0"><Precinct id="pr1"><Name>ONE</Name></Precinct>\n')
        out.writelines(segment.format(n=n) for n in range(1, 10_001))
        out.write("</VipObject>\n")
    feed = parse_feed(path)
    assert feed.counts["StreetSegment"] == 10_000  # the first pass, outside the measure
    tracemalloc.start()
    try:
        assert sum(1 for _ in feed.street_segments()) == 10_000
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert path.stat().st_size > 2_500_000
    assert peak < 1_000_000  # the whole tree takes about 16 MB


# --- VIP 6 CSV and the places CSV --------------------------------------------------------------


def _zip_tables(tmp_path: Path) -> Path:
    archive = tmp_path / "vip6_csv.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for table in sorted((DATA / "vip6_csv").iterdir()):
            out.write(table, f"feed/{table.name}")
        out.writestr("__MACOSX/feed/._polling_location.txt", b"\x00\x05\x16\x07")
    return archive


@pytest.mark.parametrize("where", ["folder", "zip"])
def test_vip6_csv(tmp_path: Path, where: str) -> None:
    feed = parse_feed(DATA / "vip6_csv" if where == "folder" else _zip_tables(tmp_path))
    assert feed.format == "vip6-csv"
    assert feed.counts["PollingLocation"] == 5 and feed.counts["StreetSegment"] == 6
    (election,) = feed.elections()
    assert (election.name, election.state, election.feed_vip_id) == (
        "2024 General Election",
        "CA",
        "06037",
    )
    assert election.hours == (Hours(dt.date(2024, 11, 5), dt.time(7), dt.time(20), PST),)
    places = {p.source_id: p for p in feed.polling_places()}
    assert sorted(places) == ["db1", "pp1", "pp2", "vc1"]
    assert [places[i].kind for i in ("pp1", "vc1", "db1")] == [
        "polling_place",
        "vote_center",
        "drop_box",
    ]
    assert _hours(places["vc1"]) == [
        ("2024-10-26", "10:00", "19:00"),
        ("2024-10-27", "10:00", "19:00"),
        ("2024-10-28", "10:00", "19:00"),
        ("2024-11-05", "07:00", "20:00"),
    ]
    drop_box = places["db1"].hours[0]
    assert (drop_box.closes, drop_box.subject_to_change, drop_box.tz) == (dt.time.max, True, PDT)
    precincts = {p.source_id: p for p in feed.precincts()}
    assert precincts["pre2a"].polling_place_ids == ("vc1",)
    assert precincts["pre1"].shared_polling_place_ids == ("vc1", "db1")
    assert (precincts["pre1"].ward, precincts["pre2b"].split_name) == ("13", "B")
    assert [s.source_id for s in feed.street_segments()] == ["ss1", "ss2", "ss3"]
    assert [(p.element, p.source_id) for p in feed.problems] == [
        ("HoursOpen", "ho_db"),
        ("PollingLocation", "bad1"),
        ("PollingLocation", "pp2"),
        ("Precinct", "pre2a"),
        ("StreetSegment", "ss4"),
        ("StreetSegment", "ss5"),
        ("StreetSegment", "ss6"),
    ]


def test_places_csv() -> None:
    feed = parse_feed(DATA / "places.csv")
    assert (feed.format, feed.counts) == ("places-csv", {"PollingPlace": 6})
    places = {p.source_id: p for p in feed.polling_places()}
    assert list(places) == ["row1", "vc-7", "row3", "row4", "row6"]
    library = places["row1"]
    assert (library.languages, library.accessible, library.directions) == (
        ("en", "es"),
        True,
        "Side door on Temple",
    )
    assert _hours(library) == [(None, "07:00", "20:00")]  # no dates: election day
    assert (places["vc-7"].kind, places["vc-7"].state, places["vc-7"].zip) == (
        "vote_center",
        "CA",
        "90057-1234",
    )
    assert len(places["vc-7"].hours) == 3
    assert _hours(places["row3"]) == [
        ("2024-10-30", "09:00", "17:00"),
        ("2024-10-31", "09:00", "17:00"),
    ]
    assert (places["row3"].kind, places["row3"].accessible) == ("early_voting", False)
    assert (places["row4"].kind, places["row4"].lat) == ("drop_box", None)
    assert [p.problem for p in feed.problems if p.source_id == "row6"] == [
        "kind 'mystery' is not one of polling_place, vote_center, early_voting, drop_box; "
        "taken as polling_place",
        "state 'Calif' is not a US state",
        "zip '9001' is not a ZIP code",
        "lat 'abc' is not a number",
        "languages english are not ISO 639 codes; left out",
        "accessible 'maybe' is not yes or no",
        "start_date '2024-13-01' is not a date",
        "unreadable hours '7am-8pm'",
    ]
    assert [p.source_id for p in feed.problems if p.source_id != "row6"] == ["row4", "row5"]


# --- Problems in XML, and files that cannot be read --------------------------------------------

PROBLEM_FEED = """<?xml version="1.0"?>
<vip:VipObject xmlns:vip="http://example.org/vip" schemaVersion="6.0">
  <vip:Precinct id="p1"><vip:Name>ONE</vip:Name>
    <vip:PollingLocationIds>pl1 pl9</vip:PollingLocationIds></vip:Precinct>
  <vip:PollingLocation id="pl1"><vip:AddressLine>1 Main St</vip:AddressLine>
    <vip:AddressLine>Phoenix, AZ 85004</vip:AddressLine><vip:HoursOpenId>h1</vip:HoursOpenId>
    <vip:Directions><vip:Text language="es">Puerta norte</vip:Text>
      <vip:Text language="en">North door</vip:Text></vip:Directions></vip:PollingLocation>
  <vip:PollingLocation id="pl2"><vip:Name>NOWHERE</vip:Name></vip:PollingLocation>
  <vip:PollingLocation id="pl3"><vip:AddressLine>2 Main St, Phoenix, AZ 85004</vip:AddressLine>
    <vip:HoursOpenId>h404</vip:HoursOpenId></vip:PollingLocation>
  <vip:HoursOpen id="h1">
    <vip:Schedule><vip:Hours><vip:StartTime>06:00:00-07:00</vip:StartTime>
      <vip:EndTime>12:00:00-07:00</vip:EndTime></vip:Hours>
      <vip:Hours><vip:StartTime>13:00:00-07:00</vip:StartTime>
      <vip:EndTime>19:00:00-07:00</vip:EndTime></vip:Hours>
      <vip:StartDate>2020-11-03</vip:StartDate><vip:EndDate>2020-11-03</vip:EndDate></vip:Schedule>
    <vip:Schedule><vip:Hours><vip:StartTime>09:00:00-07:00</vip:StartTime>
      <vip:EndTime>17:00:00-07:00</vip:EndTime></vip:Hours>
      <vip:StartDate>2020-10-30</vip:StartDate><vip:EndDate>2020-10-01</vip:EndDate></vip:Schedule>
    <vip:Schedule><vip:StartDate>2020-10-31</vip:StartDate></vip:Schedule>
  </vip:HoursOpen>
  <vip:StreetSegment id="s1"><vip:OddEvenBoth>odd</vip:OddEvenBoth>
    <vip:PrecinctId>p1</vip:PrecinctId><vip:StartHouseNumber>1</vip:StartHouseNumber>
    <vip:EndHouseNumber>99</vip:EndHouseNumber><vip:StreetName>MAIN</vip:StreetName>
    <vip:City>PHOENIX</vip:City><vip:State>AZ</vip:State></vip:StreetSegment>
  <vip:StreetSegment id="s2"><vip:OddEvenBoth>odd</vip:OddEvenBoth>
    <vip:PrecinctId>p1</vip:PrecinctId><vip:StreetName>MAIN</vip:StreetName>
    <vip:City>PHOENIX</vip:City><vip:State>AZ</vip:State></vip:StreetSegment>
  <vip:PollingLocation id="pl1"><vip:AddressLine>1 Main St</vip:AddressLine></vip:PollingLocation>
</vip:VipObject>
"""


def test_xml_problems_are_collected_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "problems.xml"
    path.write_text(PROBLEM_FEED, encoding="utf-8")
    feed = parse_feed(path)
    places = list(feed.polling_places())
    assert [p.source_id for p in places] == ["pl1", "pl3", "pl1"]
    first = places[0]
    assert (first.address_line, first.city, first.state, first.zip) == (
        "1 Main St",
        "Phoenix",
        "AZ",
        "85004",
    )
    assert first.directions == "North door"  # English chosen among the languages
    assert _hours(first) == [("2020-11-03", "06:00", "12:00"), ("2020-11-03", "13:00", "19:00")]
    assert (places[1].address_line, places[1].city) == ("2 Main St", "Phoenix")
    (precinct,) = feed.precincts()
    assert precinct.polling_place_ids == ("pl1",)
    assert [s.source_id for s in feed.street_segments()] == ["s1"]
    assert feed.problems == [
        FeedProblem("HoursOpen", "h1", "schedule ends (2020-10-01) before it starts (2020-10-30)"),
        FeedProblem("HoursOpen", "h1", "a Schedule without Hours; skipped"),
        FeedProblem("PollingLocation", "pl1", "id used twice; the later one wins"),
        FeedProblem("PollingLocation", "pl2", "no address; skipped"),
        FeedProblem("PollingLocation", "pl3", "HoursOpenId h404 names no HoursOpen"),
        FeedProblem("Precinct", "p1", "PollingLocationIds name no place: pl9"),
        FeedProblem("StreetSegment", "s2", "house numbers None-None are not a range; skipped"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('<VipObject schemaVersion="6.0">\n<Source id="s">\n<Name>x</Nme>\n', "line 3, column"),
        ("<vip_object schemaVersion='3.0'></vip_object>", "not VIP's <VipObject>"),
        ('<VipObject schemaVersion="4.0"></VipObject>', "schemaVersion '4.0' is not supported"),
        ("name,city\nA,B\n", "line 1: missing columns address, state, zip"),
        (
            '<!DOCTYPE x [<!ENTITY a "aaaa">]><VipObject schemaVersion="6.0">&a;</VipObject>',
            "refused",
        ),
    ],
)
def test_unreadable_files_raise_naming_file_and_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "feed.xml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(FeedError, match=message) as caught:
        feed = parse_feed(path)
        list(feed.records())
    assert str(path) in str(caught.value)


def test_unreadable_zip_and_missing_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as out:
        out.writestr("readme.md", "nothing here")
    with pytest.raises(FeedError, match=r"no VIP XML file and no VIP CSV tables among readme\.md"):
        parse_feed(empty)
    with pytest.raises(FeedError, match="no such file"):
        parse_feed(tmp_path / "missing.xml")


# --- Hours -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06:00:00-07:00", (dt.time(6), MST)),
        ("19:30:00Z", (dt.time(19, 30), dt.UTC)),
        ("08:15:00+05:30", (dt.time(8, 15), dt.timezone(dt.timedelta(hours=5, minutes=30)))),
        ("7:00", (dt.time(7), None)),
        ("24:00:00-05:00", (dt.time.max, EST)),
        ("25:00:00", None),
        ("noon", None),
        ("", None),
    ],
)
def test_parse_time(text: str, expected: tuple[dt.time, dt.timezone | None] | None) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "days", "expected", "problems"),
    [
        ("07:00-20:00", None, [(None, "07:00", "20:00")], []),
        (
            "08:00-17:00",
            ("2020-10-30", "2020-11-01"),
            [
                ("2020-10-30", "08:00", "17:00"),
                ("2020-10-31", "08:00", "17:00"),
                ("2020-11-01", "08:00", "17:00"),
            ],
            [],
        ),
        (
            "2020-10-29 08:00-17:00; 2020-10-28 08:00-12:00;",
            None,
            [("2020-10-28", "08:00", "12:00"), ("2020-10-29", "08:00", "17:00")],
            [],
        ),
        ("2020-02-30 08:00-17:00", None, [], ["impossible date '2020-02-30'"]),
        ("17:00-08:00", None, [], ["closes (08:00) before it opens (17:00)"]),
        (
            "08:00-17:00",
            ("2020-01-01", "2020-12-31"),
            [],
            ["schedule from 2020-01-01 to 2020-12-31 is too long to be real"],
        ),
    ],
)
def test_parse_hours_text(
    text: str,
    days: tuple[str, str] | None,
    expected: list[tuple[str | None, str, str]],
    problems: list[str],
) -> None:
    start, end = (dt.date.fromisoformat(d) for d in days) if days else (None, None)
    hours, found = parse_hours_text(text, start, end)
    place = PollingPlace("x", "x", "x", None, None, None, hours=tuple(hours))
    assert (_hours(place), found) == (expected, problems)
