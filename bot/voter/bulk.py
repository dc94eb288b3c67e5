"""Bulk writes for the voter-data imports, and what an import reports.

PostgreSQL takes rows through COPY (psycopg's `cursor.copy()`), SQLite through `executemany`
on the driver's cursor: both skip SQLAlchemy's per-row work, which is most of the time
otherwise spent on a million rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text

from bot.errors import TurnoutError
from bot.voter.records import FeedProblem

MAX_LISTED = 1000  # problems listed in a report; the count is always complete


class ImportFailed(TurnoutError):
    """The file cannot be imported at all (format, columns, encoding); nothing was kept."""


@dataclass(frozen=True)
class RowError:
    """One rejected roll row, numbered as a spreadsheet does (the header is row 1)."""

    row: int
    column: str | None
    problem: str


@dataclass
class ImportReport:
    """What an import did: counts by kind, and every problem with where it was."""

    source_id: int
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[FeedProblem] = field(default_factory=list)  # feeds: element and its id
    row_errors: list[RowError] = field(default_factory=list)  # rolls: row and column
    problem_count: int = 0
    seconds: float = 0.0

    def add_row_error(self, error: RowError) -> None:
        """Count a row error, listing it while the list is short enough to read."""
        self.problem_count += 1
        if len(self.row_errors) < MAX_LISTED:
            self.row_errors.append(error)


def insert_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert rows as they come: COPY on PostgreSQL, executemany on SQLite; returns how many."""
    count = 0

    def counted() -> Iterable[Sequence[Any]]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    names = ", ".join(columns)
    driver: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in counted():
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        cursor = driver.cursor()
        try:
            lite = (tuple(map(_sqlite_value, row)) for row in counted())
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", lite)  # noqa: S608
        finally:
            cursor.close()
    return count


def _sqlite_value(value: Any) -> Any:
    """Dates and times as SQLAlchemy's SQLite types store them (text), so queries compare."""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S.%f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def reserve_ids(conn: Connection, table: str, n: int) -> list[int]:
    """`n` fresh ids for a table, so that rows referring to the new rows can be written with them.

    One import writes a table at a time (the CLI runs one), which is what makes SQLite's
    max + 1 safe; PostgreSQL's sequence is safe anyway.
    """
    if n <= 0:
        return []
    if conn.dialect.name == "postgresql":
        # Table names here are this package's constants, never input.
        sql = f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"  # noqa: S608
        return [row[0] for row in conn.execute(text(sql), {"n": n})]
    top = conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()  # noqa: S608
    return list(range(int(top) + 1, int(top) + 1 + n))


def analyze(engine: Engine, tables: Sequence[str]) -> None:
    """Refresh PostgreSQL's statistics after a bulk load: without them, autovacuum's turn may
    be minutes away, and the planner meanwhile takes a million-row table for an empty one
    (measured: a 50 ms hash join instead of a 0.1 ms index probe)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in tables:
            conn.execute(text(f"ANALYZE {table}"))
