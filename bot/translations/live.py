"""The reviewed translations a process speaks with: a copy of the database's, swapped into the
catalogs whenever the stored version changes.

The hot path pays a clock reading per message: the version (one primary-key read) is looked at
no more often than every `interval` seconds, and the translations are read again only when it
moved. A change made in this process (the console) expires the copy at once, so the next reply
here uses it; other processes follow within `interval`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import Connection, select

from bot.tables import TRANSLATION_VERSION, TRANSLATIONS, USERS
from messages.catalog import Catalogs, Entry

CHECK_EVERY = 1.0  # seconds between two looks at the stored version
VERSION_ROW = 1


def stored_version(conn: Connection) -> int:
    """The version of the reviewed translations in the database (0 before any)."""
    found = conn.execute(
        select(TRANSLATION_VERSION.c.version).where(TRANSLATION_VERSION.c.id == VERSION_ROW)
    ).scalar()
    return int(found or 0)


def reviewed_entries(conn: Connection, catalogs: Catalogs) -> dict[str, dict[str, Entry]]:
    """Every reviewed translation in the database as catalog entries ({language: {key: entry}}),
    with the catalog's translator comment; messages the catalogs no longer have are left out."""
    t, u = TRANSLATIONS.c, USERS.c
    rows = conn.execute(
        select(t.language, t.key, t.reviewed_text, u.name, u.email)
        .outerjoin(USERS, u.id == t.reviewed_by)
        .where(t.reviewed_text.is_not(None))
    )
    found: dict[str, dict[str, Entry]] = {}
    source = catalogs.by_language[catalogs.source].entries
    for row in rows:
        if row.language not in catalogs.by_language or row.key not in source:
            continue
        own = catalogs.by_language[row.language].entries.get(row.key)
        comment = own.comment if own else source[row.key].comment
        reviewer = str(row.name or row.email or "console")
        found.setdefault(row.language, {})[row.key] = Entry(
            str(row.reviewed_text), False, comment, reviewer
        )
    return found


class LiveTranslations:
    """The database's reviewed translations in this process's catalogs, kept current."""

    def __init__(self, catalogs: Catalogs, interval: float = CHECK_EVERY) -> None:
        self.catalogs = catalogs
        self.interval = interval
        self.version = -1  # nothing read yet
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def expire(self) -> None:
        """Look at the stored version at the next message (a change was just committed)."""
        self._checked = float("-inf")

    def due(self) -> bool:
        """Whether the next `refresh` would look at the database (a clock reading)."""
        return time.monotonic() - self._checked >= self.interval

    def refresh(self, conn: Connection) -> None:
        """Bring the catalogs' reviewed translations up to date when they may be stale."""
        now = time.monotonic()
        if now - self._checked < self.interval:
            return
        with self._lock:
            if now - self._checked < self.interval:
                return
            self._checked = now  # an expire() while reading makes the next message look again
            version = stored_version(conn)
            if version != self.version:
                self.catalogs.reviewed = reviewed_entries(conn, self.catalogs)
                self.version = version

    def status(self) -> dict[str, Any]:
        """What this process holds: the version, and how many translations per language."""
        held = {code: len(keys) for code, keys in self.catalogs.reviewed.items()}
        return {"version": self.version, "languages": held}
