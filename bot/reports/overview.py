"""The dashboard's figures: today and the last 7 days, open requests for a person, blasts in
flight with their progress, and the next scheduled sends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, case, distinct, func, or_, select

from bot.reports.scoping import Scope, Window, contacts_clause
from bot.sending.sends import counts
from bot.statuses import HandoffStatus, SendKind, SendStatus
from bot.tables import CONSENT, HANDOFFS, INBOUND, ORGANIZATIONS, OUTBOUND, SENDS

DASHBOARD_DAYS = 7
SHOWN = ("inbound", "answered", "opt_outs")
UPCOMING = 5


@dataclass(frozen=True)
class Progress:
    """A blast being sent: how far it got."""

    id: int
    name: str
    status: str
    organization: str
    recipients: int
    done: int  # no longer waiting or in flight: sent, delivered, failed, skipped, in review
    delivered: int
    failed: int
    waiting: int

    @property
    def percent(self) -> int:
        """Done, in percent of the recipients (0 before any)."""
        return round(100 * self.done / self.recipients) if self.recipients else 0


@dataclass(frozen=True)
class Upcoming:
    """A scheduled send."""

    id: int
    kind: str
    name: str
    send_at: dt.datetime
    organization: str


@dataclass(frozen=True)
class Overview:
    """What the dashboard shows."""

    today: dict[str, int]
    week: dict[str, int]
    open_requests: int
    in_flight: list[Progress]
    upcoming: list[Upcoming]


def _aware(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when


def open_requests(conn: Connection, scope: Scope) -> int:
    """Voters' requests for a person still open."""
    h = HANDOFFS.c
    query = select(func.count()).where(
        h.status == HandoffStatus.OPEN, contacts_clause(scope, h.contact_id)
    )
    return int(conn.execute(query).scalar_one())


def _names(conn: Connection) -> dict[int, str]:
    o = ORGANIZATIONS.c
    return {int(i): str(n) for i, n in conn.execute(select(o.id, o.name))}


def in_flight(conn: Connection, scope: Scope) -> list[Progress]:
    """Blasts sending or paused, with their counts."""
    s = SENDS.c
    query = select(s.id, s.name, s.status, s.organization_id).where(
        s.kind == SendKind.BLAST, s.status.in_((SendStatus.SENDING, SendStatus.PAUSED))
    )
    if not scope.coalition:
        query = query.where(s.organization_id == scope.organization_id)
    names = _names(conn)
    found = []
    for row in conn.execute(query.order_by(s.started_at, s.id)):
        c: dict[str, Any] = counts(conn, int(row.id))
        waiting = c["queued"] + c["deferred"] + c["sending"]
        found.append(
            Progress(
                id=int(row.id),
                name=str(row.name),
                status=str(row.status),
                organization=names.get(int(row.organization_id or 0), ""),
                recipients=c["recipients"],
                done=c["recipients"] - waiting,
                delivered=c["delivered"],
                failed=c["failed"],
                waiting=waiting,
            )
        )
    return found


def upcoming(conn: Connection, scope: Scope, now: dt.datetime) -> list[Upcoming]:
    """The next scheduled blasts (the scope's) and reminders (the coalition's, for every
    organization's voters)."""
    s = SENDS.c
    query = select(s.id, s.kind, s.name, s.send_at, s.organization_id).where(
        s.status == SendStatus.SCHEDULED,
        s.kind.in_((SendKind.BLAST, SendKind.REMINDER)),
        s.send_at >= now - dt.timedelta(hours=1),
    )
    if not scope.coalition:
        query = query.where(
            or_(s.organization_id == scope.organization_id, s.kind == SendKind.REMINDER)
        )
    names = _names(conn)
    return [
        Upcoming(
            int(r.id),
            str(r.kind),
            str(r.name),
            _aware(r.send_at),
            names.get(int(r.organization_id or 0), ""),
        )
        for r in conn.execute(query.order_by(s.send_at, s.id).limit(UPCOMING))
    ]


def figures_of(
    conn: Connection, scope: Scope, win: Window
) -> tuple[dict[str, int], dict[str, int]]:
    """Today's and the window's texts received, voters answered and voters who opted out,
    counted by the database (the dashboard refreshes every few seconds: no rows are read)."""
    today = win.day_start(win.today)
    i, o, c = INBOUND.c, OUTBOUND.c, CONSENT.c
    inbound = conn.execute(
        select(
            func.count(), func.coalesce(func.sum(case((i.received_at >= today, 1), else_=0)), 0)
        ).where(
            i.received_at >= win.start,
            i.received_at <= win.now,
            i.contact_id.is_not(None),
            contacts_clause(scope, i.contact_id),
        )
    ).one()
    answered = conn.execute(
        select(
            func.count(distinct(o.contact_id)),
            func.count(distinct(case((o.created_at >= today, o.contact_id)))),
        ).where(
            o.created_at >= win.start,
            o.created_at <= win.now,
            o.inbound_id.is_not(None),
            contacts_clause(scope, o.contact_id),
        )
    ).one()
    opted = conn.execute(
        select(
            func.count(distinct(c.contact_id)),
            func.count(distinct(case((c.created_at >= today, c.contact_id)))),
        ).where(
            c.created_at >= win.start,
            c.created_at <= win.now,
            c.kind == "opt_out",
            contacts_clause(scope, c.contact_id),
        )
    ).one()
    week = {"inbound": int(inbound[0]), "answered": int(answered[0]), "opt_outs": int(opted[0])}
    day = {"inbound": int(inbound[1]), "answered": int(answered[1]), "opt_outs": int(opted[1])}
    return day, week


def overview(conn: Connection, *, scope: Scope, zone: str, now: dt.datetime) -> Overview:
    """The dashboard of a scope."""
    day, week = figures_of(conn, scope, Window(DASHBOARD_DAYS, zone, now))
    return Overview(
        today=day,
        week=week,
        open_requests=open_requests(conn, scope),
        in_flight=in_flight(conn, scope),
        upcoming=upcoming(conn, scope, now),
    )
