"""What the console's blast composer and blast page show beyond a blast's view: recipients per
language of an audience being built, who of them would need a WhatsApp template, which
catalog messages a blast may send, when deferred messages will go, and the blast's sends and
deliveries over time. Keyword-only functions over a connection and the caller, like
`bot.sending.blasts` (another organization's blast is `NotFound`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, or_, select

from bot.access import Caller
from bot.errors import Invalid
from bot.sending.blasts import find_blast
from bot.sending.drafts import AudienceIn, SendContext, check_audience, check_message_key, utc
from bot.sending.rules import WHATSAPP_WINDOW, WINDOW_MARGIN
from bot.sending.sends import audience_query, language_counts
from bot.tables import CONTACTS, OUTBOX

_KEYS: dict[int, tuple[str, ...]] = {}


def audience_counts(
    conn: Connection, *, caller: Caller, body: AudienceIn, ctx: SendContext
) -> dict[str, int]:
    """Recipients per language of an audience (checked as a blast's: Invalid/Forbidden),
    largest first."""
    audience = check_audience(conn, caller=caller, body=body, ctx=ctx)
    found = language_counts(conn, audience_query("blast", audience, ctx.settings.default_language))
    return dict(sorted(found.items(), key=lambda item: (-item[1], item[0])))


def whatsapp_outside_window(
    conn: Connection, *, caller: Caller, body: AudienceIn, ctx: SendContext, now: dt.datetime
) -> dict[str, int]:
    """Recipients per language who last wrote on WhatsApp, more than 24 hours ago: without a
    template in their language they get the text by SMS (a blast's recipients are on a list)."""
    audience = check_audience(conn, caller=caller, body=body, ctx=ctx)
    inner = audience_query("blast", audience, ctx.settings.default_language).subquery()
    c = CONTACTS.c
    closed = now - (WHATSAPP_WINDOW - WINDOW_MARGIN)
    rows = conn.execute(
        select(inner.c.language, func.count())
        .join(CONTACTS, c.id == inner.c.contact_id)
        .where(
            c.whatsapp_last_inbound_at.is_not(None),
            c.whatsapp_last_inbound_at <= closed,
            or_(
                c.sms_last_inbound_at.is_(None),
                c.whatsapp_last_inbound_at > c.sms_last_inbound_at,
            ),
        )
        .group_by(inner.c.language)
    )
    return {str(language): int(n) for language, n in rows}


def blast_message_keys(ctx: SendContext) -> tuple[str, ...]:
    """The catalog messages a blast may send (every language renders them without an
    election's facts), sorted."""
    cached = _KEYS.get(id(ctx.catalogs))
    if cached is None:
        found = []
        for key in sorted(ctx.catalogs.keys):
            try:
                check_message_key(key, ctx)
            except Invalid:
                continue
            if key != "blasts.footer":
                found.append(key)
        if len(_KEYS) > 8:  # catalogs reloaded (reviewed translations): forget old ones
            _KEYS.clear()
        cached = _KEYS[id(ctx.catalogs)] = tuple(found)
    return cached


@dataclass(frozen=True)
class Point:
    """The messages of a blast handed to Twilio, and delivered, by the end of `at`."""

    at: dt.datetime
    sent: int
    delivered: int


@dataclass(frozen=True)
class Progress:
    """When a blast's deferred messages will go, and its sends and deliveries over time."""

    deferred_from: dt.datetime | None
    deferred_until: dt.datetime | None
    step: dt.timedelta
    points: list[Point]


def _step(span: dt.timedelta) -> dt.timedelta:
    for minutes in (1, 5, 15, 60):
        if span <= dt.timedelta(minutes=minutes * 60):
            return dt.timedelta(minutes=minutes)
    return dt.timedelta(hours=6) if span <= dt.timedelta(days=10) else dt.timedelta(days=1)


def _floor(value: dt.datetime, step: dt.timedelta) -> dt.datetime:
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    return epoch + ((value - epoch) // step) * step


def blast_progress(conn: Connection, *, caller: Caller, blast_id: int) -> Progress:
    """A blast's deferred window and its cumulative sends and deliveries over time."""
    find_blast(conn, caller=caller, blast_id=blast_id)
    o = OUTBOX.c
    low, high = conn.execute(
        select(func.min(o.available_at), func.max(o.available_at)).where(
            o.send_id == blast_id, o.status == "deferred"
        )
    ).one()
    rows: list[Any] = list(
        conn.execute(
            select(o.sent_at, o.status, o.updated_at).where(
                o.send_id == blast_id,
                or_(o.sent_at.is_not(None), o.status == "delivered"),
            )
        )
    )
    sent = sorted(t for t in (utc(r.sent_at) for r in rows) if t is not None)
    delivered = sorted(
        t for t in (utc(r.updated_at) for r in rows if r.status == "delivered") if t is not None
    )
    times = sent + delivered
    points: list[Point] = []
    step = dt.timedelta(minutes=1)
    if times:
        first, last = min(times), max(times)
        step = _step(last - first)
        at = _floor(first, step)
        end = _floor(last, step)
        points.append(Point(at - step, 0, 0))  # the line starts from nothing sent
        s = d = 0
        while at <= end:
            edge = at + step
            while s < len(sent) and sent[s] < edge:
                s += 1
            while d < len(delivered) and delivered[d] < edge:
                d += 1
            points.append(Point(at, s, d))
            at = edge
    return Progress(utc(low), utc(high), step, points)
