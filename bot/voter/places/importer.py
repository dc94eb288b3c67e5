"""Import a polling-place file (VIP 5/6 XML, VIP 6 CSV, the places CSV) beside the active data.

The new source is written in status `importing` (lookups ignore it), in batches of their own
transactions so that SQLite's one writer is never held for long; one last transaction makes it
`active` and the previous source of the same name `replaced`. Until that moment the old places
answer; a failure marks the new source `failed`. Rows of replaced and failed sources are
deleted afterwards.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, insert, update

from bot.tables import PLACE_SOURCES as _SOURCES
from bot.tables import POLLING_PLACES as _PLACES
from bot.tables import PRECINCTS as _PRECINCTS
from bot.voter import records
from bot.voter.bulk import ImportReport, analyze, insert_rows
from bot.voter.elections import save_feed_election
from bot.voter.geo import zip5, zip_centroid
from bot.voter.places.sources import SEGMENT_COLUMNS, delete_stale_sources, segment_row
from bot.voter.vip.feed import Feed, parse_feed

Progress = Callable[[str, int], None]
T = TypeVar("T")
BATCH = 2000  # places or precincts a transaction
SEGMENT_BATCH = 20_000
PLACE_TABLES = ("polling_places", "place_hours", "precincts", "precinct_places", "street_segments")
KINDS = {"vip5-xml": "vip5", "vip6-xml": "vip6", "vip6-csv": "vip6-csv", "places-csv": "csv"}


def import_places(
    *, engine: Engine, path: Path | str, now: dt.datetime, on_progress: Progress | None = None
) -> ImportReport:
    """Import a feed or places CSV and swap it in for the source of the same name, at once."""
    started, path = time.perf_counter(), Path(path)
    feed = parse_feed(path)
    _ = feed.counts  # the first pass reads the whole file: a broken one fails before any write
    election = next(iter(feed.elections()), None)
    name = _source_name(path, election)
    with engine.begin() as conn:
        source_id = _create_source(conn, name=name, path=path, feed=feed, now=now)
    report = ImportReport(source_id=source_id, status="importing")
    progress = on_progress or (lambda _stage, _n: None)
    try:
        places, timezone = _write_places(engine, feed, source_id, report, progress)
        precincts = _write_precincts(engine, feed, source_id, places, report, progress)
        _write_segments(engine, feed, source_id, precincts, report, progress)
        report.problems = feed.problems + report.problems
        report.problem_count = len(report.problems)
        with engine.begin() as conn:
            _activate(conn, report, name=name, election=election, timezone=timezone, now=now)
    except BaseException as exc:
        with engine.begin() as conn:
            conn.execute(
                update(_SOURCES)
                .where(_SOURCES.c.id == source_id)
                .values(status="failed", error=str(exc)[:2000], finished_at=now)
            )
        delete_stale_sources(engine)
        raise
    delete_stale_sources(engine)
    analyze(engine, PLACE_TABLES)
    report.seconds = time.perf_counter() - started
    return report


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _source_name(path: Path, election: records.Election | None) -> str:
    """A feed's publisher and VIP id, so that next week's file replaces this one; else the
    file's name."""
    if election is not None and election.feed_vip_id:
        publisher = election.feed_source_name or "VIP feed"
        return f"{publisher} (VIP {election.feed_vip_id})"[:200]
    return path.name[:200]


def _feed_date(election: records.Election | None, now: dt.datetime) -> dt.date:
    stamp = (election.feed_date_time or "")[:10] if election else ""
    try:
        return dt.date.fromisoformat(stamp)
    except ValueError:
        return now.date()


def _create_source(conn: Connection, *, name: str, path: Path, feed: Feed, now: dt.datetime) -> int:
    election = next(iter(feed.elections()), None)
    row = {
        "name": name,
        "file_name": path.name[:255],
        "kind": KINDS[feed.format],
        "status": "importing",
        "feed_date": _feed_date(election, now),
        "problems": 0,
        "imported_at": now,
    }
    return int(conn.execute(insert(_SOURCES).returning(_SOURCES.c.id), row).scalar_one())


def _place_row(source_id: int, place: records.PollingPlace) -> dict[str, Any]:
    lat, lng = place.lat, place.lng
    located_by: str | None = "feed"
    if lat is None or lng is None:
        # Without a position (Maricopa's feed has none), the ZIP's centroid ranks places by
        # distance: rough, and said so by `located_by`.
        centroid = zip_centroid(place.zip) if place.zip else None
        lat, lng = centroid if centroid else (None, None)
        located_by = "zip" if centroid else None
    return {
        "source_id": source_id,
        "source_ref": place.source_id[:100],
        "name": place.name[:300],
        "address": place.address_line[:300],
        "city": place.city[:100] if place.city else None,
        "state": place.state,
        "zip": zip5(place.zip),
        "lat": lat,
        "lng": lng,
        "located_by": located_by,
        "is_polling_place": place.kind == "polling_place",
        "is_vote_center": place.is_vote_center,
        "is_early_voting": place.is_early_voting,
        "is_drop_box": place.is_drop_box,
        "languages": "|".join(place.languages)[:100] or None,
        "accessible": place.accessible,
        "timezone": place.timezone,
        "notes": place.directions,
    }


def _write_places(
    engine: Engine, feed: Feed, source_id: int, report: ImportReport, progress: Progress
) -> tuple[dict[str, int], str | None]:
    """Places and their hours; returns the feed's place ids → row ids, and a time zone."""
    ids: dict[str, int] = {}
    kinds: Counter[str] = Counter()
    timezone: str | None = None
    hours = 0
    for chunk in _chunks(feed.polling_places(), BATCH):
        with engine.begin() as conn:
            rows = [_place_row(source_id, place) for place in chunk]
            statement = insert(_PLACES).returning(_PLACES.c.id, sort_by_parameter_order=True)
            new = list(conn.execute(statement, rows).scalars())
            windows = [
                (place_id, h.day, h.opens, h.closes)
                for place_id, place in zip(new, chunk, strict=True)
                for h in place.hours
            ]
            hours += insert_rows(
                conn, "place_hours", ("place_id", "day", "opens", "closes"), windows
            )
        for place_id, place in zip(new, chunk, strict=True):
            ids[place.source_id] = place_id
            kinds[place.kind] += 1
            timezone = timezone or place.timezone
        progress("places", len(ids))
    report.counts.update({kind: kinds[kind] for kind in sorted(kinds)})
    report.counts["hours"] = hours
    return ids, timezone


def _write_precincts(
    engine: Engine,
    feed: Feed,
    source_id: int,
    places: dict[str, int],
    report: ImportReport,
    progress: Progress,
) -> dict[str, int]:
    """Precincts and the places their voters may use; returns feed ids → row ids."""
    ids: dict[str, int] = {}
    for chunk in _chunks(feed.precincts(), BATCH):
        with engine.begin() as conn:
            rows = [
                {
                    "source_id": source_id,
                    "source_ref": p.source_id[:100],
                    "name": (p.name or p.source_id)[:200],
                    "locality": p.locality_name[:200] if p.locality_name else None,
                }
                for p in chunk
            ]
            statement = insert(_PRECINCTS).returning(_PRECINCTS.c.id, sort_by_parameter_order=True)
            new = list(conn.execute(statement, rows).scalars())
            links = [
                link for pid, p in zip(new, chunk, strict=True) for link in _links(pid, p, places)
            ]
            insert_rows(conn, "precinct_places", ("precinct_id", "place_id", "shared"), links)
        ids.update((p.source_id, pid) for pid, p in zip(new, chunk, strict=True))
        progress("precincts", len(ids))
    report.counts["precincts"] = len(ids)
    return ids


def _links(
    precinct_id: int, precinct: records.Precinct, places: dict[str, int]
) -> Iterator[tuple[int, int, bool]]:
    # A place id the feed does not define was reported by the parser; it is left out here.
    seen: set[int] = set()
    for shared, refs in (
        (False, precinct.polling_place_ids),
        (True, precinct.shared_polling_place_ids),
    ):
        for ref in refs:
            place_id = places.get(ref)
            if place_id is not None and place_id not in seen:
                seen.add(place_id)
                yield precinct_id, place_id, shared


def _write_segments(
    engine: Engine,
    feed: Feed,
    source_id: int,
    precincts: dict[str, int],
    report: ImportReport,
    progress: Progress,
) -> None:
    written = 0
    for chunk in _chunks(feed.street_segments(), SEGMENT_BATCH):
        rows = []
        for segment in chunk:
            precinct_id = precincts.get(segment.precinct_id)
            if precinct_id is None:
                report.problems.append(
                    records.FeedProblem(
                        "StreetSegment",
                        segment.source_id,
                        f"precinct {segment.precinct_id} is not in the feed; skipped",
                    )
                )
                continue
            rows.append(segment_row(source_id, precinct_id, segment))
        with engine.begin() as conn:
            written += insert_rows(conn, "street_segments", SEGMENT_COLUMNS, rows)
        progress("street_segments", written)
    report.counts["street_segments"] = written


def _activate(
    conn: Connection,
    report: ImportReport,
    *,
    name: str,
    election: records.Election | None,
    timezone: str | None,
    now: dt.datetime,
) -> None:
    """The swap: one transaction makes the new source the one lookups read."""
    election_id = None
    if election is not None:
        election_id = save_feed_election(
            conn, election=election, source=name, timezone=timezone, now=now
        )
        report.counts["elections"] = 1
    conn.execute(
        update(_SOURCES)
        .where((_SOURCES.c.name == name) & (_SOURCES.c.status == "active"))
        .values(status="replaced")
    )
    conn.execute(
        update(_SOURCES)
        .where(_SOURCES.c.id == report.source_id)
        .values(
            status="active",
            counts=report.counts,
            problems=report.problem_count,
            election_id=election_id,
            finished_at=now,
        )
    )
    report.status = "active"
