"""The scheduler role: of several `turnout scheduler` processes on PostgreSQL, one at a time
plans reminders and starts due sends (a session-level advisory lock, held on a connection of
its own); every process drains the outbox. SQLite runs one process, which holds the role."""

from __future__ import annotations

import contextlib
import logging
import threading

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)
LOCK_KEY = 0x7475726E6F7574  # "turnout"


class Role:
    """Whether this process is the scheduler; asks again each time until it is."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def held(self) -> bool:
        """True when this process holds the role (taking it if it is free)."""
        if self.engine.dialect.name != "postgresql":
            return True
        with self._lock:
            try:
                if self._conn is not None:
                    self._conn.execute(select(1))
                    return True
                conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
                got = bool(conn.execute(select(func.pg_try_advisory_lock(LOCK_KEY))).scalar())
                if got:
                    self._conn = conn
                    log.info("this process holds the scheduler role")
                else:
                    conn.close()
                return got
            except DBAPIError:
                log.warning("lost the database connection holding the scheduler role")
                self._drop()
                return False

    def release(self) -> None:
        """Give the role up (at shutdown)."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(DBAPIError):  # a dead connection has lost it already
                # The connection goes back to the pool: the lock must not go with it.
                self._conn.execute(select(func.pg_advisory_unlock(LOCK_KEY)))
                self._conn.close()
            self._conn = None
