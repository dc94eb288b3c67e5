"""Running an import: batch by batch, each one a transaction that merges its rows, records
their problems and moves the import's position and counts forward together. A crash leaves an
import whose counts describe exactly the rows before its position; running it again resumes.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, or_, update
from sqlmodel import Session

from bot.clock import utcnow
from bot.contacts.imports import merge
from bot.contacts.imports.batches import Batch, batches, prefetch, skip
from bot.contacts.imports.columns import Columns, MappingProblem, resolve
from bot.contacts.imports.copytext import copy_text
from bot.contacts.imports.intake import consent_text
from bot.contacts.imports.languages import LanguageNames
from bot.contacts.imports.normalize import RowNormalizer, consent_datetime
from bot.contacts.imports.reader import FileProblem, open_table
from bot.db import is_sqlite
from bot.errors import Conflict
from bot.models import ContactImport
from bot.tables import IMPORT_ERRORS as ERRORS
from bot.tables import IMPORTS

log = logging.getLogger(__name__)
COUNTED = (
    "rows",
    "new_contacts",
    "new_memberships",
    "updated",
    "unchanged",
    "duplicates",
    "rejected",
    "suppressed",
    "warnings",
)
STALE = timedelta(minutes=10)  # a running import not heard from for this long has crashed
Progress = Callable[[int, int], None]
T = TypeVar("T")


class ImportBusy(Conflict):
    """The import is finished, or another process is running it."""


@dataclass(frozen=True)
class ImportOptions:
    """What every import needs from the operator's settings."""

    region: str
    languages: LanguageNames
    batch_rows: int = 10_000
    clock: Callable[[], datetime] = utcnow


def claim(engine: Engine, import_id: int, now: datetime, *, force: bool = False) -> None:
    """Mark an import running, unless it is done or another process is at it (ImportBusy)."""
    status = IMPORTS.c.status
    startable = or_(
        status.in_(("pending", "failed")),
        (status == "running") & (IMPORTS.c.updated_at < now - STALE),
    )
    if force:
        startable = status != "done"
    with engine.begin() as conn:
        claimed = conn.execute(
            update(IMPORTS)
            .where(IMPORTS.c.id == import_id, startable)
            .values(status="running", updated_at=now, error=None)
        ).rowcount
    if not claimed:
        raise ImportBusy(f"import {import_id} is finished, missing, or running elsewhere")


def _finish(engine: Engine, import_id: int, now: datetime, error: str | None = None) -> None:
    values: dict[str, Any] = {
        "updated_at": now,
        "status": "failed" if error else "done",
        "error": error,
        "finished_at": None if error else now,
    }
    with engine.begin() as conn:
        conn.execute(update(IMPORTS).where(IMPORTS.c.id == import_id).values(values))


class Stopwatch:
    """Seconds spent per step of an import, for the benchmark and the closing log line."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time a step (added to earlier ones of the same name)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - started

    def timed(self, items: Iterator[T], name: str) -> Iterator[T]:
        """Iterate, timing each wait for the next item."""
        while True:
            with self.step(name):
                item = next(items, None)
            if item is None:
                return
            yield item


def _merge(
    conn: Connection, imp: ContactImport, batch: Batch, now: datetime, watch: Stopwatch
) -> dict[str, int]:
    """The batch's rows into the database (or, in a dry run, only counted); the counts."""
    assert imp.id is not None
    found = {"new_contacts": 0}
    with watch.step("stage"):
        merge.stage(conn, batch.staged, batch.payload)
    if not imp.dry_run:
        with watch.step("contacts"):
            found["new_contacts"] = merge.insert_contacts(conn, now)
    with watch.step("resolve"):
        merge.resolve(
            conn, organization_id=imp.organization_id, import_id=imp.id, dry_run=imp.dry_run
        )
        found.update(merge.counts(conn))
    if imp.dry_run:
        found["new_contacts"] = found["unknown_phones"]
        return found
    with watch.step("memberships+consent"):
        merge.write(
            conn,
            organization_id=imp.organization_id,
            import_id=imp.id,
            consent_text=consent_text(imp),
            now=now,
        )
    return found


def _record(conn: Connection, imp: ContactImport, batch: Batch, found: dict[str, int]) -> None:
    """The batch's problems, and the import's position and counts moved past it."""
    if batch.problems:
        conn.execute(
            ERRORS.insert(),
            [
                {
                    "import_id": imp.id,
                    "row_number": p.row,
                    "column_name": p.column,
                    "value": p.value,
                    "problem": p.problem[:500],
                    "rejected": p.rejected,
                }
                for p in batch.problems
            ],
        )
    found.update(rows=batch.rows, rejected=batch.rejected, warnings=batch.warnings)
    counted = {name: IMPORTS.c[name] + found.get(name, 0) for name in COUNTED}
    conn.execute(
        update(IMPORTS).where(IMPORTS.c.id == imp.id).values(position=batch.position, **counted)
    )


def _apply(
    conn: Connection, imp: ContactImport, batch: Batch, now: datetime, watch: Stopwatch
) -> None:
    """One batch, one transaction: merge, problems, position and counts."""
    transaction = conn.begin()
    try:
        # Written first so that SQLite takes its write lock before reading anything: a read
        # snapshot that later wants to write fails at once if someone else wrote meanwhile.
        conn.execute(update(IMPORTS).where(IMPORTS.c.id == imp.id).values(updated_at=now))
        found = _merge(conn, imp, batch, now, watch) if batch.staged else {}
        with watch.step("bookkeeping"):
            _record(conn, imp, batch, found)
        with watch.step("commit"):
            transaction.commit()
    except BaseException:
        transaction.rollback()
        raise


def _load(engine: Engine, import_id: int) -> ContactImport:
    with Session(engine, expire_on_commit=False) as session:
        imp = session.get(ContactImport, import_id)
        if imp is None or not imp.stored_path:
            raise ImportBusy(f"import {import_id} does not exist")
        return imp


def _with_copy_text(produced: Iterator[Batch]) -> Iterator[Batch]:
    for batch in produced:
        batch.payload = copy_text(batch.staged)
        yield batch


def row_normalizer(
    imp: ContactImport, columns: Columns, options: ImportOptions, now: datetime
) -> RowNormalizer:
    """How an import reads its rows: its columns, the operator's region and languages, its
    consent date and source."""
    return RowNormalizer(
        columns=columns,
        region=options.region,
        languages=options.languages,
        opted_in_at=consent_datetime(imp.consent_date),
        source=imp.consent_source,
        now=now,
    )


def _run(
    engine: Engine, imp: ContactImport, options: ImportOptions, report: Progress, watch: Stopwatch
) -> None:
    with open_table(Path(imp.stored_path or "")) as table:
        columns = resolve(table.header, imp.mapping)
        normalize = row_normalizer(imp, columns, options, options.clock())
        produced = batches(
            skip(table.rows, imp.position), normalize, size=options.batch_rows, start=imp.position
        )
        with engine.connect() as conn:
            merge.create_work_tables(conn)
            conn.commit()
            # Reading ahead in a thread pays where the driver waits on a server (PostgreSQL);
            # with SQLite both threads want the interpreter, and it only costs.
            ahead = produced if is_sqlite(engine) else prefetch(_with_copy_text(produced))
            try:
                for batch in watch.timed(ahead, "read+normalize"):
                    _apply(conn, imp, batch, options.clock(), watch)
                    report(*table.progress())
            finally:
                merge.drop_work_tables(conn)
                conn.commit()


def run_import(
    *,
    engine: Engine,
    import_id: int,
    options: ImportOptions,
    progress: Progress | None = None,
    force: bool = False,
    timings: dict[str, float] | None = None,
) -> ContactImport:
    """Run (or resume) an import to the end; returns it as finished. A file that turns out
    unreadable part-way fails the import with the reason; other errors are raised.
    `timings`, when given, receives the seconds spent per step."""
    claim(engine, import_id, options.clock(), force=force)
    imp = _load(engine, import_id)
    log.info(
        "import %d: running for organization %d from position %d",
        import_id,
        imp.organization_id,
        imp.position,
    )
    watch = Stopwatch()
    try:
        with watch.step("total"):
            _run(engine, imp, options, progress or (lambda _done, _total: None), watch)
    except (FileProblem, MappingProblem) as exc:
        _finish(engine, import_id, options.clock(), error=str(exc))
    except BaseException as exc:
        _finish(
            engine,
            import_id,
            options.clock(),
            error=f"interrupted ({type(exc).__name__}); resume it to continue",
        )
        raise
    else:
        _finish(engine, import_id, options.clock())
    if timings is not None:
        timings.update(watch.seconds)
    done = _load(engine, import_id)
    log.info(
        "import %d: %s, %d rows in %.1f s",
        import_id,
        done.status,
        done.rows,
        watch.seconds["total"],
    )
    return done


def run_detached(engine: Engine, import_id: int, options: ImportOptions, path: Path) -> None:
    """Run an import after the response that started it; an interrupted one keeps its file
    to be resumed (`turnout contacts resume ID`), a finished one removes it."""
    try:
        run_import(engine=engine, import_id=import_id, options=options)
    except Exception as exc:
        # Only the kind at ERROR: database errors quote the rows (phones) they failed on.
        log.error(
            "import %d interrupted (%s); resume it with `turnout contacts resume %d`",
            import_id,
            type(exc).__name__,
            import_id,
        )
        log.debug("import %d interrupted", import_id, exc_info=True)
        return
    path.unlink(missing_ok=True)
