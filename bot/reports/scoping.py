"""Whose figures a report shows: the coalition's (an admin's choice) or one organization's.

An organization's voters are the contacts on its list; the coalition's own (admin)
organization also answers for the contacts nobody listed, as the inbox does. A partner always
sees its own organization: asking for another's is `NotFound`, exactly as a missing one.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, or_, select, true

from bot.access import Caller
from bot.errors import NotFound
from bot.tables import MEMBERSHIPS, ORGANIZATIONS, SENDS

MAX_DAYS = 92
DAY_CHOICES = (7, 30, 90)


@dataclass(frozen=True)
class Scope:
    """The coalition (organization_id None) or one organization."""

    organization_id: int | None
    name: str
    is_admin_org: bool = False

    @property
    def coalition(self) -> bool:
        """The whole coalition, every organization."""
        return self.organization_id is None


@dataclass(frozen=True)
class Window:
    """The last `days` local days up to `now` (today included), in a time zone."""

    days: int
    zone: str
    now: dt.datetime

    @cached_property
    def dates(self) -> list[dt.date]:
        """The local days, oldest first."""
        today = self.today
        return [today - dt.timedelta(days=n) for n in range(self.days - 1, -1, -1)]

    @property
    def today(self) -> dt.date:
        """Today where the coalition is."""
        return self.now.astimezone(ZoneInfo(self.zone)).date()

    @property
    def start(self) -> dt.datetime:
        """The first day's local midnight, in UTC."""
        return self.day_start(self.dates[0])

    def day_start(self, day: dt.date) -> dt.datetime:
        """A day's local midnight, in UTC."""
        return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(self.zone)).astimezone(dt.UTC)

    @cached_property
    def day_starts(self) -> list[dt.datetime]:
        """Each day's local midnight, in UTC (a day may be 23 or 25 hours long)."""
        zone = ZoneInfo(self.zone)
        return [
            dt.datetime.combine(d, dt.time(0), tzinfo=zone).astimezone(dt.UTC) for d in self.dates
        ]

    def day_of(self, when: dt.datetime) -> dt.date:
        """The local day of a moment (a naive one is UTC, as SQLite gives it back)."""
        aware = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when
        starts = self.day_starts
        if starts[0] <= aware <= self.now:  # within the window: the days' boundaries
            return self.dates[bisect_right(starts, aware) - 1]
        return aware.astimezone(ZoneInfo(self.zone)).date()


def window(days: int | None, *, zone: str, now: dt.datetime) -> Window:
    """A window of 1 to MAX_DAYS days (7 when not given)."""
    wanted = 7 if days is None else days
    return Window(max(1, min(MAX_DAYS, wanted)), zone, now)


def resolve(conn: Connection, *, caller: Caller, organization_id: int | None) -> Scope:
    """The scope a caller asked for: an admin, the coalition or any organization; anyone
    else, their own organization (another's is NotFound)."""
    o = ORGANIZATIONS.c
    wanted = organization_id
    if not caller.is_admin:
        if wanted is not None and wanted != caller.organization_id:
            raise NotFound()
        wanted = caller.organization_id
    if wanted is None:
        return Scope(None, "")
    row = conn.execute(select(o.id, o.name, o.is_admin).where(o.id == wanted)).first()
    if row is None:
        raise NotFound()
    return Scope(int(row.id), str(row.name), bool(row.is_admin))


def organizations(conn: Connection, *, caller: Caller) -> list[tuple[int, str]]:
    """(id, name) of the organizations a caller may report on, by name."""
    o = ORGANIZATIONS.c
    query = select(o.id, o.name).order_by(o.name)
    if not caller.is_admin:
        query = query.where(o.id == caller.organization_id)
    return [(int(i), str(n)) for i, n in conn.execute(query)]


def contacts_clause(scope: Scope, contact_id: Any) -> Any:
    """A WHERE clause: the contact (a column) is one of the scope's voters."""
    if scope.coalition:
        return true()
    m = MEMBERSHIPS.c
    listed = select(m.id).where(m.contact_id == contact_id)
    ours = listed.where(m.organization_id == scope.organization_id).exists()
    if scope.is_admin_org:
        return or_(ours, ~listed.exists())
    return ours


def sends_clause(scope: Scope, contact_id: Any) -> Any:
    """A WHERE clause on SENDS (joined) and a recipient's contact: the scope's blasts, and the
    coalition-wide sends (reminders) to the scope's voters."""
    if scope.coalition:
        return true()
    return or_(
        SENDS.c.organization_id == scope.organization_id,
        (SENDS.c.organization_id.is_(None)) & contacts_clause(scope, contact_id),
    )
