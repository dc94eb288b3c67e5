"""Import a voter roll (CSV) for registration checks, streamed, beside the active roll.

Columns (a header row; any order; names case-insensitive; others are ignored):
first_name, last_name, dob, zip, status (required); middle_name, suffix, county,
registration_date (optional); address, city and anything else (party, phone, ...) are read past
and never stored. UTF-8 (a BOM is fine) or Windows-1252. Dates as YYYY-MM-DD, MM/DD/YYYY or
YYYYMMDD. Status: active (A, ACTIVE), inactive (I, INACTIVE, SUSPENSE, PENDING), or cancelled
(C, CANCELLED, REMOVED, PURGED, DECEASED), which leaves the row out.

Rows go in batches, each its own transaction, under a roll in status `importing`; the last
transaction makes it `active` and the previous roll `replaced`, whose rows are then deleted.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, insert, text, update

from bot.tables import VOTER_ROLLS as _ROLLS
from bot.voter.bulk import (
    ImportFailed,
    ImportReport,
    RowError,
    analyze,
    insert_rows,
    reserve_ids,
)
from bot.voter.roll.keys import roll_status, voter_keys

REQUIRED = ("first_name", "last_name", "dob", "zip", "status")
OPTIONAL = ("middle_name", "county", "registration_date")
BATCH = 20_000
VOTER_COLUMNS = ("id", "roll_id", "dob", "zip", "county", "status", "registration_date")
_STALE = "SELECT id FROM voter_rolls WHERE status IN ('replaced', 'failed', 'purged')"
Staged = tuple[tuple[Any, ...], set[int]]  # (dob, zip, county, status, registration), keys


def detect_encoding(path: Path) -> str:
    """utf-8-sig with a BOM, utf-8 when every byte decodes as such, else Windows-1252."""
    with path.open("rb") as stream:
        if stream.read(3) == codecs.BOM_UTF8:
            return "utf-8-sig"
        stream.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := stream.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def parse_roll_date(value: str) -> dt.date | None:
    """YYYY-MM-DD (a time after it is ignored), MM/DD/YYYY or YYYYMMDD; else None."""
    value = value.strip()
    try:
        if len(value) >= 10 and value[4] == "-":
            return dt.date.fromisoformat(value[:10])
        if value.count("/") == 2:
            month, day, year = value.split("/")
            return dt.date(int(year), int(month), int(day)) if len(year) == 4 else None
        if len(value) == 8 and value.isdigit():
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None
    return None


def roll_zip(value: str) -> str | None:
    """The five-digit ZIP; spreadsheets drop New England's leading zero ("2134"): put back."""
    digits = value.strip().split("-")[0]
    if not digits.isdigit():
        return None
    if len(digits) == 9:
        digits = digits[:5]
    return digits.zfill(5) if 3 <= len(digits) <= 5 else None


class _Columns:
    def __init__(self, header: list[str], path: Path) -> None:
        names = [name.strip().lower().lstrip("\ufeff") for name in header]
        missing = [name for name in REQUIRED if name not in names]
        if missing:
            raise ImportFailed(f"{path}: row 1: missing columns {', '.join(missing)}")
        at = {name: names.index(name) for name in (*REQUIRED, *OPTIONAL) if name in names}
        self.width = len(names)
        self.first, self.last, self.dob = at["first_name"], at["last_name"], at["dob"]
        self.zip, self.status = at["zip"], at["status"]
        self.middle, self.county = at.get("middle_name"), at.get("county")
        self.registered = at.get("registration_date")


def _stage(cells: list[str], c: _Columns, row: int, today: dt.date) -> Staged | RowError | None:
    """A row as stored, a RowError, or None for a cancelled registration (left out)."""
    if len(cells) < c.width:
        cells = cells + [""] * (c.width - len(cells))
    status = roll_status(cells[c.status])
    if status is None:
        return RowError(row, "status", f"status {cells[c.status].strip()[:20]!r} is unknown")
    if status == "gone":
        return None
    dob = parse_roll_date(cells[c.dob])
    if dob is None or dob.year < 1880 or dob > today:
        return RowError(row, "dob", "not a date of birth (YYYY-MM-DD or MM/DD/YYYY)")
    zip5 = roll_zip(cells[c.zip])
    if zip5 is None:
        return RowError(row, "zip", "not a ZIP code")
    given = f"{cells[c.first]} {cells[c.middle] if c.middle is not None else ''}".strip()
    keys = voter_keys(given, cells[c.last], dob, zip5)
    if not keys:
        column = "first_name" if not given else "last_name"
        return RowError(row, column, "no usable given and family name")
    county = cells[c.county].strip()[:100] or None if c.county is not None else None
    registered = parse_roll_date(cells[c.registered]) if c.registered is not None else None
    return (dob, zip5, county, status, registered), keys


def import_voters(
    *,
    engine: Engine,
    path: Path | str,
    now: dt.datetime,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import a roll CSV and swap it in for the active roll at once; rejected rows reported."""
    started, path = time.perf_counter(), Path(path)
    if not path.is_file():
        raise ImportFailed(f"{path}: no such file")
    encoding = detect_encoding(path)
    with path.open(encoding=encoding, errors="replace", newline="") as stream:
        reader = csv.reader(stream)
        columns = _Columns(next(reader, []), path)
        with engine.begin() as conn:
            row = {"file_name": path.name[:255], "status": "importing", "imported_at": now}
            roll_id = int(conn.execute(insert(_ROLLS).returning(_ROLLS.c.id), row).scalar_one())
        report = ImportReport(source_id=roll_id, status="importing")
        try:
            _load(engine, enumerate(reader, start=2), columns, report, now.date(), on_progress)
            with engine.begin() as conn:
                _activate(conn, report, now)
        except BaseException as exc:
            _fail(engine, roll_id, exc, now)
            if isinstance(exc, csv.Error):
                raise ImportFailed(f"{path}: row {reader.line_num}: {exc}") from exc
            raise
    delete_stale_rolls(engine)
    analyze(engine, ("voters", "voter_keys"))
    report.seconds = time.perf_counter() - started
    return report


def _load(
    engine: Engine,
    rows: Iterator[tuple[int, list[str]]],
    columns: _Columns,
    report: ImportReport,
    today: dt.date,
    on_progress: Callable[[int], None] | None,
) -> None:
    counts = report.counts
    counts.update(rows=0, imported=0, rejected=0, not_registered=0)
    batch: list[Staged] = []
    for number, cells in rows:
        if not any(cell.strip() for cell in cells):
            continue
        counts["rows"] += 1
        staged = _stage(cells, columns, number, today)
        if isinstance(staged, RowError):
            counts["rejected"] += 1
            report.add_row_error(staged)
        elif staged is None:
            counts["not_registered"] += 1
        else:
            batch.append(staged)
        if len(batch) >= BATCH:
            _flush(engine, report.source_id, batch, counts)
            if on_progress:
                on_progress(counts["rows"])
    _flush(engine, report.source_id, batch, counts)


def _flush(engine: Engine, roll_id: int, batch: list[Staged], counts: dict[str, int]) -> None:
    if not batch:
        return
    with engine.begin() as conn:
        ids = reserve_ids(conn, "voters", len(batch))
        voters = ((i, roll_id, *values) for i, (values, _) in zip(ids, batch, strict=True))
        insert_rows(conn, "voters", VOTER_COLUMNS, voters)
        keys = ((key, i) for i, (_, found) in zip(ids, batch, strict=True) for key in found)
        insert_rows(conn, "voter_keys", ("key", "voter_id"), keys)
    counts["imported"] += len(batch)
    batch.clear()


def _activate(conn: Connection, report: ImportReport, now: dt.datetime) -> None:
    """The swap: one transaction makes the new roll the one checks read."""
    conn.execute(update(_ROLLS).where(_ROLLS.c.status == "active").values(status="replaced"))
    counts = report.counts
    conn.execute(
        update(_ROLLS)
        .where(_ROLLS.c.id == report.source_id)
        .values(
            status="active",
            rows=counts["rows"],
            imported=counts["imported"],
            rejected=counts["rejected"],
            not_registered=counts["not_registered"],
            finished_at=now,
        )
    )
    report.status = "active"


def _fail(engine: Engine, roll_id: int, exc: BaseException, now: dt.datetime) -> None:
    with engine.begin() as conn:
        values = {"status": "failed", "error": str(exc)[:2000], "finished_at": now}
        conn.execute(update(_ROLLS).where(_ROLLS.c.id == roll_id).values(**values))
    delete_stale_rolls(engine)


def delete_stale_rolls(engine: Engine) -> None:
    """Delete the rows of replaced, failed and purged rolls (the rolls stay, as history)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                "DELETE FROM voter_keys WHERE voter_id IN"  # noqa: S608
                f" (SELECT id FROM voters WHERE roll_id IN ({_STALE}))"
            )
        )
        conn.execute(text(f"DELETE FROM voters WHERE roll_id IN ({_STALE})"))  # noqa: S608


def purge_voters(*, engine: Engine) -> int:
    """Delete the whole roll (every voter and key); returns how many voters were deleted."""
    with engine.begin() as conn:
        count = int(conn.execute(text("SELECT COUNT(*) FROM voters")).scalar_one())
        conn.execute(
            update(_ROLLS)
            .where(_ROLLS.c.status.in_(("active", "replaced", "failed")))
            .values(status="purged")
        )
        conn.execute(text("DELETE FROM voter_keys"))
        conn.execute(text("DELETE FROM voters"))
    return count
