"""Engines, sessions and units of work for SQLite (embedded default) and PostgreSQL (production).

SQLite has one writer at a time. Left to itself, a transaction that reads first and writes
later takes the write lock halfway through (or fails with "database is locked" when another
writer got in between), and waiting writers poll with sleeps of up to 100 ms. So every SQLite
transaction of this process:

- starts with `BEGIN IMMEDIATE` (it holds the write lock from its first statement, so a
  read-then-write, such as a cap's count and its insert, cannot be overtaken), unless its
  connection is marked read-only (`read_only(conn)`), which begins a plain deferred
  transaction that WAL lets run beside the writer;
- first takes the engine's writer lock, a Python lock handed over in order, instead of
  polling SQLite's lock; it waits at most `WRITE_WAIT` seconds, then `DatabaseBusy`;
- never runs on the event loop: `run_db` hands the work to a worker thread, so the loop keeps
  serving while a writer waits, and no writer ever waits for the loop.

Another process (`turnout contacts import` beside `turnout serve`) is kept out by SQLite's
own lock, with a busy timeout shorter than a webhook's budget.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import Session

from bot.errors import TurnoutError

T = TypeVar("T")
WRITE_WAIT = 5.0  # seconds a transaction waits for SQLite's writer, in this process or another
READ_ONLY = "turnout_read_only"  # execution option: a plain BEGIN, no writer lock
_HELD = "turnout_writer"  # on a pooled connection's info: the writer lock it holds


class DatabaseBusy(TurnoutError):
    """The database's one writer stayed busy longer than a request may wait."""

    default = "the database is busy; try again in a moment"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Transactions are ours (BEGIN IMMEDIATE below), not the driver's.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; NORMAL is durable across process crashes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(WRITE_WAIT * 1000)}")
    cursor.close()


def _writer(engine: Engine) -> threading.Lock:
    lock: threading.Lock = engine.__dict__.setdefault("_turnout_writer", threading.Lock())
    return lock


def _begin(conn: Connection) -> None:
    """Every SQLite transaction: the writer lock, then BEGIN IMMEDIATE (or a read-only BEGIN)."""
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
        return
    lock = _writer(conn.engine)
    if not lock.acquire(timeout=WRITE_WAIT):
        raise DatabaseBusy()
    conn.connection.info[_HELD] = lock
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        _let_go(conn)
        raise


def _let_go(conn: Connection) -> None:
    try:
        info = conn.connection.info
    except Exception:
        return
    lock = info.pop(_HELD, None)
    if lock is not None:
        lock.release()


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    """A connection back in the pool still marked as the writer (a Connection dropped without
    closing it, or one invalidated mid-transaction): the pool has rolled it back; let go."""
    lock = record.info.pop(_HELD, None)
    if lock is not None:
        lock.release()


def _finish(action: str) -> Callable[[Connection], None]:
    def finish(conn: Connection) -> None:
        """Commit or roll back now, then hand the writer lock on: the next writer's BEGIN
        IMMEDIATE must not find this transaction still open. (SQLAlchemy's own commit, which
        follows, finds nothing left to do.)"""
        try:
            if not conn.invalidated:
                dbapi = conn.connection.dbapi_connection
                if dbapi is not None and dbapi.in_transaction:
                    getattr(dbapi, action)()
        finally:
            _let_go(conn)

    return finish


def is_sqlite(engine: Engine) -> bool:
    """True for the embedded SQLite engine."""
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    """An engine for a database URL, with SQLite's one writer handed over in order."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": WRITE_WAIT},
            hide_parameters=True,  # errors never quote a row's values (phones, texts)
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin)
        event.listen(engine, "commit", _finish("commit"))
        event.listen(engine, "rollback", _finish("rollback"))
        event.listen(engine.pool, "checkin", _checked_in)
        return engine
    # pre-ping costs a round trip per transaction; recycling connections and the pool's
    # invalidation on a disconnect error recover from a database restart instead.
    return create_engine(
        url, pool_size=10, max_overflow=10, pool_recycle=1800, hide_parameters=True
    )


def read_only(conn: Connection) -> Connection:
    """Mark a connection (before its first statement) as one that only reads: on SQLite it
    runs beside the writer instead of queueing for it."""
    return conn.execution_options(**{READ_ONLY: True})


def make_async_engine(engine: Engine) -> AsyncEngine:
    """The async twin of a PostgreSQL engine (psycopg's async mode), for the web workers."""
    url = engine.url.render_as_string(hide_password=False)
    return create_async_engine(
        url, pool_size=20, max_overflow=10, pool_recycle=1800, hide_parameters=True
    )


def transaction(engine: Engine, work: Callable[[Connection], T]) -> T:
    """`work` in one transaction of its own: committed when it returns, rolled back if not."""
    with engine.begin() as conn:
        return work(conn)


async def run_db(
    engine: Engine, async_engine: AsyncEngine | None, work: Callable[[Connection], T]
) -> T:
    """Run a unit of work in one transaction from async code. On PostgreSQL, on the async
    driver (the same sync code, run through SQLAlchemy's greenlet bridge), so the event loop
    serves other requests during every round trip. On SQLite, in a worker thread: the loop
    never waits for the writer lock, and the writer never waits for the loop."""
    if async_engine is None:
        return await asyncio.to_thread(transaction, engine, work)
    async with async_engine.begin() as conn:
        return await conn.run_sync(work)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error. Services only flush."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
