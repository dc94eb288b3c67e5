"""Imports: both sample feeds, the places CSV, atomic replacement, and the voter roll."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.voter.bulk import ImportFailed
from bot.voter.places.finder import find_polling_places
from bot.voter.places.importer import import_places
from bot.voter.records import FeedError
from bot.voter.roll.loader import import_voters, purge_voters
from tests.helpers.voter import ALBEMARLE, MARICOPA, NOW, ROLL, write_roll

pytestmark = pytest.mark.db
PLACES = "id,name,address,city,state,zip,lat,lng,kind,hours\n"


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_albemarle_feed(engine: Engine) -> None:
    report = import_places(engine=engine, path=ALBEMARLE, now=NOW)
    assert report.status == "active"
    assert report.counts == {
        "drop_box": 1,
        "early_voting": 1,
        "polling_place": 25,
        "hours": 51,
        "precincts": 32,
        "street_segments": 13,
        "elections": 1,
    }
    assert [(p.element, p.source_id) for p in report.problems] == [("PollingLocation", "pl81516")]
    with engine.connect() as conn:
        source = conn.execute(text("SELECT name, kind, status, feed_date FROM place_sources")).one()
        election = conn.execute(text("SELECT name, state, source FROM elections")).one()
    assert tuple(source[:3]) == (
        "State Board of Elections, Commonwealth of Virginia (VIP 51)",
        "vip5",
        "active",
    )
    assert str(source[3]) == "2013-10-24"
    assert tuple(election) == ("2013 Virginia General Election", "VA", source[0])


def test_maricopa_feed(engine: Engine) -> None:
    report = import_places(engine=engine, path=MARICOPA, now=NOW)
    assert {k: report.counts[k] for k in ("vote_center", "early_voting", "drop_box")} == {
        "vote_center": 175,
        "early_voting": 175,
        "drop_box": 210,
    }
    assert report.counts["precincts"] == 748 and report.problem_count == 558
    # Every precinct shares the county's 560 places; no place of the feed has a position, so
    # every one is placed at its ZIP's centroid.
    assert _count(engine, "SELECT COUNT(*) FROM precinct_places") == 748 * 560
    assert _count(engine, "SELECT COUNT(*) FROM polling_places WHERE located_by = 'zip'") == 560


def _places(path: Path, name: str) -> Path:
    path.write_text(
        PLACES
        + f"a,{name},1 Main St,Los Angeles,CA,90057,34.06,-118.27,polling_place,07:00-20:00\n"
        + "b,Far Away,2 Main St,Los Angeles,CA,90012,34.06,-118.24,drop_box,\n",
        encoding="utf-8",
    )
    return path


def _first_name(engine: Engine) -> str:
    with engine.connect() as conn:
        answer = find_polling_places(
            conn, text_or_query="90057", today=dt.date(2024, 11, 5), language="en"
        )
    return answer.places[0].name


def test_reimport_replaces_at_once_and_the_old_set_answers_meanwhile(
    engine: Engine, tmp_path: Path
) -> None:
    import_places(engine=engine, path=_places(tmp_path / "la.csv", "Old Library"), now=NOW)
    seen: list[str] = []

    def during(stage: str, _done: int) -> None:
        seen.append(_first_name(engine))  # another connection, while the new set is written

    new = _places(tmp_path / "la.csv", "New Library")
    report = import_places(engine=engine, path=new, now=NOW, on_progress=during)
    assert seen and set(seen) == {"Old Library"}
    assert _first_name(engine) == "New Library"
    statuses = _count(engine, "SELECT COUNT(*) FROM place_sources WHERE status = 'replaced'")
    assert (report.status, statuses) == ("active", 1)
    assert _count(engine, "SELECT COUNT(*) FROM polling_places") == 2  # the old rows are gone


def test_a_failed_import_leaves_the_old_set(engine: Engine, tmp_path: Path) -> None:
    import_places(engine=engine, path=_places(tmp_path / "la.csv", "Old Library"), now=NOW)

    def crash(stage: str, _done: int) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        import_places(
            engine=engine, path=_places(tmp_path / "la.csv", "New"), now=NOW, on_progress=crash
        )
    assert _first_name(engine) == "Old Library"
    assert _count(engine, "SELECT COUNT(*) FROM place_sources WHERE status = 'failed'") == 1
    assert _count(engine, "SELECT COUNT(*) FROM polling_places") == 2


def test_a_file_that_is_no_feed_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n", encoding="utf-8")
    with pytest.raises(FeedError, match="missing columns"):
        import_places(engine=engine, path=bad, now=NOW)
    assert _count(engine, "SELECT COUNT(*) FROM place_sources") == 0


def test_roll_import_keeps_only_what_checks_need(engine: Engine, tmp_path: Path) -> None:
    bad = [
        ["5", "Bad", "", "Date", "", "1980-02-30", "", "", "90057", "", "A", "", "", ""],
        ["6", "No", "", "Status", "", "1980-02-03", "", "", "90057", "", "Z", "", "", ""],
        ["7", "No", "", "Zip", "", "1980-02-03", "", "", "", "", "A", "", "", ""],
    ]
    report = import_voters(engine=engine, path=write_roll(tmp_path / "r.csv", ROLL + bad), now=NOW)
    assert report.counts == {"rows": 7, "imported": 3, "rejected": 3, "not_registered": 1}
    assert [(e.row, e.column) for e in report.row_errors] == [(6, "dob"), (7, "status"), (8, "zip")]
    assert "1980" not in str(report.row_errors)  # no personal data in the report
    with engine.connect() as conn:
        stored = " ".join(str(row) for row in conn.execute(text("SELECT * FROM voters")))
        zips = sorted(conn.execute(text("SELECT zip FROM voters")).scalars())
    for word in ("Garc", "Jos", "Elm", "DEM", "213555", "Nguy", "Cruz"):
        assert word not in stored
    assert zips == ["85004", "90057", "90057"]
    assert _count(engine, "SELECT COUNT(*) FROM voter_keys") >= 3


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_roll_encodings(engine: Engine, tmp_path: Path, encoding: str) -> None:
    rows = [[*ROLL[0][:1], "José", "", "Núñez", *ROLL[0][4:]]]
    path = write_roll(tmp_path / "r.csv", rows, encoding=encoding)
    assert import_voters(engine=engine, path=path, now=NOW).counts["imported"] == 1


def test_roll_without_required_columns_writes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("first_name,last_name,zip\nAna,Ruiz,90057\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="row 1: missing columns dob, status"):
        import_voters(engine=engine, path=path, now=NOW)
    assert _count(engine, "SELECT COUNT(*) FROM voter_rolls") == 0


def test_roll_reimport_replaces_and_purge_empties(engine: Engine, tmp_path: Path) -> None:
    path = write_roll(tmp_path / "r.csv", ROLL)
    import_voters(engine=engine, path=path, now=NOW)
    import_voters(engine=engine, path=write_roll(tmp_path / "r2.csv", ROLL[:1]), now=NOW)
    assert _count(engine, "SELECT COUNT(*) FROM voters") == 1
    assert _count(engine, "SELECT COUNT(*) FROM voter_rolls WHERE status = 'active'") == 1
    assert purge_voters(engine=engine) == 1
    assert _count(engine, "SELECT COUNT(*) FROM voters") == 0
    assert _count(engine, "SELECT COUNT(*) FROM voter_keys") == 0
