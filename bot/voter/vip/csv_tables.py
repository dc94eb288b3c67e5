"""VIP 6 CSV flavor: one table a file (`polling_location.txt`, `schedule.txt`, ...) in a zip or a
folder, read row by row and converted by the same code as the XML flavor."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from bot.voter.records import FeedError, Hours, Record
from bot.voter.vip import convert as conv
from bot.voter.vip.base import FeedIndex, Problems, ids

# Table file name (without .txt or .csv) and the XML element its rows are.
TABLES = {
    "source": "Source",
    "election": "Election",
    "state": "State",
    "locality": "Locality",
    "polling_location": "PollingLocation",
    "hours_open": "HoursOpen",
    "schedule": "Schedule",
    "precinct": "Precinct",
    "street_segment": "StreetSegment",
}
_COLUMNS = {
    "AddressStructured/LocationName": "structured_location_name",
    "AddressStructured/Line1": "structured_line_1",
    "AddressStructured/Line2": "structured_line_2",
    "AddressStructured/Line3": "structured_line_3",
    "AddressStructured/City": "structured_city",
    "AddressStructured/State": "structured_state",
    "AddressStructured/Zip": "structured_zip",
    "LatLng/Latitude": "latitude",
    "LatLng/Longitude": "longitude",
}


def _column(name: str) -> str:
    if name in _COLUMNS:
        return _COLUMNS[name]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.rpartition("/")[2]).lower()


class CsvFields:
    """One CSV row, read by XML-style names."""

    def __init__(self, row: dict[str, str | None]) -> None:
        self.row = row
        self.source_id = (row.get("id") or "").strip()

    def text(self, name: str) -> str | None:
        """The stripped cell for an XML-style name, None when missing or empty."""
        value = " ".join((self.row.get(_column(name)) or "").split())
        return value or None

    def intl(self, name: str) -> str | None:
        """CSV cells hold one language only."""
        return self.text(name)

    def texts(self, name: str) -> list[str]:
        """A repeated XML element is one cell in CSV."""
        value = self.text(name)
        return [value] if value else []

    def external_ids(self) -> list[tuple[str, str]]:
        """The row's one external identifier, if any."""
        kind, value = self.text("ExternalIdentifierType"), self.text("ExternalIdentifierValue")
        return [(kind or "", value)] if value else []


class Tables:
    """The feed's tables, in a zip or a folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        names = _zip_names(path) if path.is_file() else [p.name for p in path.iterdir()]
        self.members: dict[str, str] = {}
        for member in names:
            stem, _, ext = PurePosixPath(member).name.lower().rpartition(".")
            if ext in ("txt", "csv") and stem in TABLES and "__MACOSX" not in member:
                self.members[stem] = member

    def rows(self, table: str) -> Iterator[CsvFields]:
        """The rows of one table (none when the feed lacks it)."""
        member = self.members.get(table)
        if member is None:
            return
        name = f"{self.path.name}!{member}" if self.path.is_file() else str(self.path / member)
        with self._open(member) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            reader = csv.DictReader(text)
            try:
                for row in reader:
                    yield CsvFields(row)
            except (csv.Error, UnicodeDecodeError) as exc:
                raise FeedError(f"{name}: line {reader.line_num}: {exc}") from exc

    @contextmanager
    def _open(self, member: str) -> Iterator[IO[bytes]]:
        if self.path.is_dir():
            with (self.path / member).open("rb") as stream:
                yield stream
            return
        with zipfile.ZipFile(self.path) as archive, archive.open(member) as stream:
            yield stream


def _zip_names(path: Path) -> list[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except zipfile.BadZipFile as exc:
        raise FeedError(f"{path}: not a readable zip ({exc})") from exc


def build_index(tables: Tables, problems: Problems) -> FeedIndex:
    """First pass: counts, hours, states, localities, the source, and the ids records cite."""
    index = FeedIndex()
    for table, element in TABLES.items():
        index.counts[element] = sum(1 for _ in tables.rows(table))
    index.counts = +index.counts  # tables the feed lacks are not counted as zero
    for f in tables.rows("source"):
        index.source = {key: f.text(name) or "" for key, name in _SOURCE.items()}
    for f in tables.rows("state"):
        index.states[f.source_id] = conv.to_state(f)
        index.state_place_ids[f.source_id] = ids(f.text("PollingLocationIds"))
    locality_states: dict[str, str] = {}
    for f in tables.rows("locality"):
        index.localities[f.source_id] = conv.to_locality(f)
        locality_states[f.source_id] = f.text("StateId") or ""
    for table, known in (("polling_location", index.place_ids), ("precinct", index.precinct_ids)):
        for f in tables.rows(table):
            if f.source_id in known:
                problems.add(TABLES[table], f.source_id, "id used twice; the later one wins")
            known.add(f.source_id)
    index.hours = _hours(tables, problems)
    conv.resolve_localities(index, locality_states, problems)
    return index


_SOURCE = {"vip_id": "VipId", "name": "Name", "date_time": "DateTime"}


def _hours(tables: Tables, problems: Problems) -> dict[str, tuple[Hours, ...]]:
    hours: dict[str, list[Hours]] = defaultdict(list)
    for f in tables.rows("schedule"):
        owner = f.text("HoursOpenId") or ""
        span = (f.text("StartTime"), f.text("EndTime"))
        hours[owner] += conv.schedule_hours(f, [span], owner, problems)
    return {owner: tuple(found) for owner, found in hours.items()}


_CONVERTERS = {
    "election": conv.to_election,
    "polling_location": conv.to_place,
    "precinct": conv.to_precinct,
    "street_segment": conv.to_segment,
}


def records(
    tables: Tables, index: FeedIndex, problems: Problems, kinds: frozenset[str]
) -> Iterator[Record]:
    """Second pass: the records of the kinds asked for, table by table."""
    if "Locality" in kinds:
        yield from index.localities.values()
    for table, convert in _CONVERTERS.items():
        if TABLES[table] not in kinds:
            continue
        for f in tables.rows(table):
            record = convert(f, index, problems)
            if record is not None:
                yield record
