"""`turnout places|voters|elections` as an operator runs them: a real process, a SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.helpers.cli import turnout
from tests.helpers.voter import ALBEMARLE, ROLL, write_roll


def _rows(tmp_path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        return list(conn.execute(sql))


def test_places_import_prints_counts_and_problems(tmp_path: Path) -> None:
    result = turnout(tmp_path, "places", "import", str(ALBEMARLE))
    assert result.returncode == 0, result.stderr
    assert "street segments" in result.stdout and "13" in result.stdout
    assert "PollingLocation pl81516: LatLng" in result.stdout
    assert _rows(tmp_path, "SELECT status FROM place_sources") == [("active",)]


def test_places_import_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n", encoding="utf-8")
    for path in (notes, tmp_path / "missing.xml"):
        result = turnout(tmp_path, "places", "import", str(path))
        assert result.returncode == 1
        assert f"error: {path}" in result.stderr
    assert _rows(tmp_path, "SELECT COUNT(*) FROM place_sources") == [(0,)]


def test_voters_import_and_purge(tmp_path: Path) -> None:
    roll = write_roll(tmp_path / "roll.csv", [*ROLL, ["9", "X", "", "Y", "", "soon", *ROLL[0][6:]]])
    result = turnout(tmp_path, "voters", "import", str(roll))
    assert result.returncode == 0, result.stderr
    assert "row 6, column dob: not a date of birth" in result.stdout
    assert "Imported 3 voters" in result.stderr
    assert _rows(tmp_path, "SELECT COUNT(*) FROM voters") == [(3,)]
    assert turnout(tmp_path, "voters", "purge").returncode != 0  # asks, and stdin says nothing
    assert _rows(tmp_path, "SELECT COUNT(*) FROM voters") == [(3,)]
    purged = turnout(tmp_path, "voters", "purge", "--yes")
    assert purged.returncode == 0 and "Deleted 3 voters" in purged.stderr
    assert _rows(tmp_path, "SELECT COUNT(*) FROM voters") == [(0,)]


def test_elections_add_and_list(tmp_path: Path) -> None:
    base = ["elections", "add", "--name", "General", "--state", "CA"]
    bad = turnout(tmp_path, *base, "--date", "2024-11-31")
    assert bad.returncode != 0 and "--date" in bad.stderr and "2024-11-31" in bad.stderr
    ok = turnout(
        tmp_path,
        *base,
        "--date",
        "2024-11-05",
        "--polls-open",
        "07:00",
        "--polls-close",
        "20:00",
        "--timezone",
        "America/Los_Angeles",
        "--registration-deadline",
        "2024-10-21",
        "--same-day-registration",
        "--same-day-where",
        "any vote center",
        "--registration-lookup",
        "https://voterstatus.sos.ca.gov/",
        "--link",
        "registration_lookup:es=https://voterstatus.sos.ca.gov/es",
        "--county-office-phone",
        "800-815-2666",
    )
    assert ok.returncode == 0, ok.stderr
    listed = turnout(tmp_path, "elections", "list")
    assert "2024-11-05" in listed.stdout and "07:00-20:00" in listed.stdout
    (links,) = _rows(tmp_path, "SELECT links FROM elections")
    assert '"es": "https://voterstatus.sos.ca.gov/es"' in str(links[0])
    assert _rows(tmp_path, "SELECT COUNT(*) FROM elections") == [(1,)]
