"""Read polling-place feeds: VIP 5.x XML, VIP 6.0 XML (alone or in a zip), VIP 6 CSV (a zip
or folder of tables) and the places CSV (`bot.voter.places.places_csv`).

    feed = parse_feed(Path("vipfeed-04013-2020-11-03.zip"))
    for place in feed.polling_places():
        ...
    feed.counts, feed.problems

Records come lazily, read from the file as they are asked for: a first pass gathers what
records refer to (hours, localities, states, ids), then each iterator is one more pass. Nothing
is loaded whole, so a state's feed of millions of street segments streams like a county's.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Literal, Protocol, TypeVar

from bot.voter.places import places_csv
from bot.voter.records import (
    Election,
    FeedError,
    FeedProblem,
    Locality,
    PollingPlace,
    Precinct,
    Record,
    StreetSegment,
)
from bot.voter.vip import csv_tables as vip_csv
from bot.voter.vip import xml_stream as vip_xml
from bot.voter.vip.base import FeedIndex, Problems

FeedFormat = Literal["vip5-xml", "vip6-xml", "vip6-csv", "places-csv"]
RecordT = TypeVar("RecordT", bound=Record)
_KIND_OF = {
    Election: "Election",
    PollingPlace: "PollingLocation",
    Precinct: "Precinct",
    StreetSegment: "StreetSegment",
    Locality: "Locality",
}


class _Source(Protocol):
    def index(self, problems: Problems) -> FeedIndex: ...

    def records(
        self, index: FeedIndex, problems: Problems, kinds: frozenset[str]
    ) -> Iterator[Record]: ...


class Feed:
    """One feed file: lazy iterators over its records, its element counts and its problems."""

    def __init__(self, path: Path, format: FeedFormat, source: _Source, member: str | None):
        self.path = path
        self.format: FeedFormat = format
        self.member = member  # the file inside the zip that was read, if any
        self._source = source
        self._problems = Problems()
        self._index: FeedIndex | None = None

    def _ensure_index(self) -> FeedIndex:
        if self._index is None:
            self._index = self._source.index(self._problems)
        return self._index

    def _records(self, kind: type[RecordT]) -> Iterator[RecordT]:
        index = self._ensure_index()
        for record in self._source.records(index, self._problems, frozenset([_KIND_OF[kind]])):
            if isinstance(record, kind):
                yield record

    def elections(self) -> Iterator[Election]:
        """The feed's elections (a VIP feed has one)."""
        return self._records(Election)

    def polling_places(self) -> Iterator[PollingPlace]:
        """Polling places, vote centers, early voting sites and drop boxes."""
        return self._records(PollingPlace)

    def precincts(self) -> Iterator[Precinct]:
        """Precincts, each with the ids of the places its voters may use."""
        return self._records(Precinct)

    def street_segments(self) -> Iterator[StreetSegment]:
        """Street segments (house-number ranges) and their precincts."""
        return self._records(StreetSegment)

    def localities(self) -> Iterator[Locality]:
        """Counties and cities, with the places open to all their voters."""
        return self._records(Locality)

    def records(self) -> Iterator[Record]:
        """Every record of every kind in one pass, for importers of large feeds."""
        index = self._ensure_index()
        return self._source.records(index, self._problems, frozenset(_KIND_OF.values()))

    @property
    def counts(self) -> dict[str, int]:
        """How many of each top-level element (or table row) the file holds, read or not."""
        return dict(sorted(self._ensure_index().counts.items()))

    @property
    def problems(self) -> list[FeedProblem]:
        """Problems found so far: the first pass's at once, each record's once it was read."""
        self._ensure_index()
        return self._problems.all()


class _XmlSource:
    def __init__(self, opener: vip_xml.Opener, name: str) -> None:
        self.opener, self.name = opener, name

    def index(self, problems: Problems) -> FeedIndex:
        return vip_xml.build_index(self.opener, self.name, problems)

    def records(
        self, index: FeedIndex, problems: Problems, kinds: frozenset[str]
    ) -> Iterator[Record]:
        return vip_xml.records(self.opener, self.name, index, problems, kinds)


class _CsvSource:
    def __init__(self, tables: vip_csv.Tables) -> None:
        self.tables = tables

    def index(self, problems: Problems) -> FeedIndex:
        return vip_csv.build_index(self.tables, problems)

    def records(
        self, index: FeedIndex, problems: Problems, kinds: frozenset[str]
    ) -> Iterator[Record]:
        return vip_csv.records(self.tables, index, problems, kinds)


class _PlacesSource:
    def __init__(self, path: Path) -> None:
        self.path = path

    def index(self, problems: Problems) -> FeedIndex:
        return places_csv.build_index(self.path)

    def records(
        self, index: FeedIndex, problems: Problems, kinds: frozenset[str]
    ) -> Iterator[Record]:
        if "PollingLocation" in kinds:
            yield from places_csv.records(self.path, problems)


def parse_feed(path: Path | str) -> Feed:
    """Open a feed, telling its format from its content; FeedError if it is none we read."""
    path = Path(path)
    if path.is_dir():
        tables = vip_csv.Tables(path)
        if not tables.members:
            raise FeedError(f"{path}: a folder without VIP CSV tables (polling_location.txt...)")
        return Feed(path, "vip6-csv", _CsvSource(tables), None)
    if not path.is_file():
        raise FeedError(f"{path}: no such file")
    if zipfile.is_zipfile(path):
        return _from_zip(path)
    with path.open("rb") as stream:
        head = stream.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return _xml_feed(path, lambda: path.open("rb"), str(path), None)
    return Feed(path, "places-csv", _PlacesSource(path), None)


def _from_zip(path: Path) -> Feed:
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if not _is_litter(n)]
    xml_members = [n for n in names if n.lower().endswith(".xml")]
    if xml_members:
        # Several XML files: the feed is the one whose root is VipObject (others are metadata).
        for member in xml_members:
            try:
                return _xml_feed(path, _member_opener(path, member), f"{path}!{member}", member)
            except FeedError:
                if member == xml_members[-1]:
                    raise
    tables = vip_csv.Tables(path)
    if tables.members:
        return Feed(path, "vip6-csv", _CsvSource(tables), None)
    raise FeedError(f"{path}: no VIP XML file and no VIP CSV tables among {', '.join(names)}")


def _is_litter(name: str) -> bool:
    # macOS's zip tool adds __MACOSX/ and ._ files: resource forks, not data.
    return name.startswith("__MACOSX/") or Path(name).name.startswith("._") or name.endswith("/")


def _member_opener(path: Path, member: str) -> vip_xml.Opener:
    @contextmanager
    def opener() -> Iterator[IO[bytes]]:
        with zipfile.ZipFile(path) as archive, archive.open(member) as stream:
            yield stream

    return opener


def _xml_feed(path: Path, opener: vip_xml.Opener, name: str, member: str | None) -> Feed:
    tag, attrib = vip_xml.root_of(opener, name)
    if tag != "VipObject":
        raise FeedError(f"{name}: line 1: the root element is <{tag}>, not VIP's <VipObject>")
    version = attrib.get("schemaVersion", "")
    if version.startswith("5"):
        return Feed(path, "vip5-xml", _XmlSource(opener, name), member)
    if version.startswith("6"):
        return Feed(path, "vip6-xml", _XmlSource(opener, name), member)
    raise FeedError(f"{name}: line 1: VIP schemaVersion {version!r} is not supported (5.x, 6.x)")
