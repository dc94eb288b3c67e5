"""The outbox's state changes, each a short transaction the dispatcher makes:

    claim    pending/deferred rows that are due  -> claimed (by one dispatcher, with a lease)
    prepare  claimed -> skipped (opted out, frequency cap, no channel, expired, ...)
                     -> deferred (quiet hours in the recipient's time zone)
                     -> ready: still claimed, with its channel and text chosen
    launch   ready -> sending, at the moment the request goes (written BEFORE Twilio is
             called), only while its send still runs and its contact has not opted out
    record   sending -> sent (Twilio's SID) / pending again (retry with backoff) / failed
    recover  claimed with an expired lease -> pending (nothing was sent)
             sending with an expired lease -> asked of Twilio: sent, or pending, or review

On PostgreSQL several dispatchers claim with FOR UPDATE SKIP LOCKED, and the frequency cap
locks the recipients' contact rows while it counts, so two dispatchers cannot both send a
voter their one blast of the day. A launch holds its sends' rows FOR SHARE: pausing or
cancelling a send (which updates its row) waits for a launch in progress, and every launch
after it sees the send stopped; `in_flight` then tells when the requests already launched
are answered, so that when a pause returns nothing more of that send reaches Twilio.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, bindparam, func, select, update

from bot.conversation.consent import carrier_opt_out
from bot.errors import Conflict
from bot.sending import rules
from bot.sending.render import Renderer
from bot.sending.senders import IN_DOUBT, NOT_SENT, SKIPPED, Outgoing, SendResult
from bot.sending.sends import IN_FLIGHT, WAITING
from bot.settings import Settings
from bot.statuses import SendKind, SkipReason
from bot.tables import CONTACTS, OUTBOX, SENDS
from bot.twilio.codes import (
    OUTBOX_RANK,
    OUTBOX_STATUS,
    UNSUBSCRIBED,
    WHATSAPP_WINDOW_CLOSED,
    reason_for,
)

# Statuses a row takes once it has reached Twilio (counted by the frequency cap).
UTC = ZoneInfo("UTC")
REACHED = ("sending", "sent", "delivered", "undelivered", "review")
BACKOFF_CAP = 300.0  # seconds
# A row handed back: no dispatcher holds it, and it is not at Twilio.
RELEASED: dict[str, Any] = {
    "claimed_by": None,
    "lease_until": None,
    "sending_at": None,
    "channel": None,
}
# WhatsApp refused free text (63016), at create or by callback: the row waits for SMS, which
# the rules at claim time choose (or skip, when the contact has no SMS channel).
BY_SMS: dict[str, Any] = {
    "status": "pending",
    "reason": "whatsapp_window",
    "error_code": WHATSAPP_WINDOW_CLOSED,
    **RELEASED,
}


@dataclass(frozen=True)
class Job:
    """One message ready to go: its outbox row, what to create, and its channel."""

    outbox_id: int
    message: Outgoing
    send_id: int
    contact_id: int


@dataclass(frozen=True)
class Prepared:
    """What `prepare` decided for a claimed batch."""

    jobs: list[Job]
    skipped: Counter[str]
    deferred: int


def _dialect(conn: Connection) -> str:
    return conn.dialect.name


def claim(
    conn: Connection, *, worker: str, now: dt.datetime, limit: int, lease: dt.timedelta
) -> list[int]:
    """Claim up to `limit` due rows of running sends for this worker; returns their ids."""
    o, s = OUTBOX.c, SENDS.c
    due = (
        select(o.id)
        .join(SENDS, s.id == o.send_id)
        .where(o.status.in_(WAITING), o.available_at <= now, s.status == "sending")
        # No ORDER BY: every due row is as due as the next, and sorting a blast's whole
        # backlog on each claim grows with the blast (measured 45-66 ms at 100,000).
        .limit(limit)
    )
    if _dialect(conn) == "postgresql":
        due = due.with_for_update(of=OUTBOX, skip_locked=True)
    claimed = conn.execute(
        update(OUTBOX)
        .where(o.id.in_(due.scalar_subquery()))
        .values(status="claimed", claimed_by=worker, lease_until=now + lease, updated_at=now)
        .returning(o.id)
    )
    return sorted(int(i) for i in claimed.scalars())


def _blasts_today(conn: Connection, contact_ids: Sequence[int], since: dt.datetime) -> Counter[int]:
    """Blasts that reached each contact since `since` (the frequency cap's count)."""
    if not contact_ids:
        return Counter()
    o, s = OUTBOX.c, SENDS.c
    rows = conn.execute(
        select(o.contact_id, func.count())
        .join(SENDS, s.id == o.send_id)
        .where(
            o.contact_id.in_(contact_ids),
            o.sending_at >= since,
            # Those reached, and those another dispatcher has made ready to go.
            o.status.in_(REACHED) | ((o.status == "claimed") & o.channel.is_not(None)),
            s.kind == "blast",
        )
        .group_by(o.contact_id)
    )
    return Counter({int(cid): int(n) for cid, n in rows})


def prepare(
    conn: Connection,
    ids: Sequence[int],
    *,
    settings: Settings,
    renderer: Renderer,
    available: frozenset[str],
    now: dt.datetime,
    lease: dt.timedelta,
    status_url: str | None,
) -> Prepared:
    """Check every rule for claimed rows and write the outcome: skipped, deferred, or
    sending with the channel and text chosen. Returns the messages to send now."""
    if not ids:
        return Prepared([], Counter(), 0)
    o, s, c = OUTBOX.c, SENDS.c, CONTACTS.c
    query = (
        select(
            o.id,
            o.send_id,
            o.contact_id,
            o.language,
            o.zip,
            o.listed,
            o.reason,
            s.kind,
            s.status.label("send_status"),
            s.expires_at,
            s.templates,
            c.phone,
            c.opted_out,
            c.timezone,
            c.sms_last_inbound_at,
            c.whatsapp_last_inbound_at,
            c.polling_place_ref,
        )
        .join(SENDS, s.id == o.send_id)
        .join(CONTACTS, c.id == o.contact_id)
        .where(o.id.in_(ids), o.status == "claimed")
        .order_by(o.id)
    )
    rows = list(conn.execute(query))
    contact_ids = sorted({int(r.contact_id) for r in rows})
    if _dialect(conn) == "postgresql":
        # Hold the recipients while the cap counts, and read their opt-out as locked (a STOP
        # committed after the rows above were read is seen here).
        locked = select(c.id, c.opted_out).where(c.id.in_(contact_ids)).order_by(c.id)
        opted = {int(cid) for cid, out in conn.execute(locked.with_for_update()) if out}
    else:
        opted = {int(r.contact_id) for r in rows if r.opted_out}
    sent_today = _blasts_today(conn, contact_ids, now - dt.timedelta(days=1))
    start, end = settings.allowed_hours
    sends: dict[int, Any] = {}
    jobs: list[Job] = []
    skips: list[dict[str, Any]] = []
    defers: list[dict[str, Any]] = []
    sending: list[dict[str, Any]] = []
    for row in rows:
        send = sends.get(row.send_id)
        if send is None:
            send = sends[row.send_id] = conn.execute(select(SENDS).where(s.id == row.send_id)).one()
        candidate = _candidate(conn, row, send, renderer, settings, opted, sent_today, now)
        decision = rules.decide(
            candidate,
            now=now,
            allowed=(start, end),
            blasts_per_day=settings.blasts_per_day,
            available=available,
            text=partial(renderer.body, conn, send, row.language, row.polling_place_ref),
        )
        if isinstance(decision, rules.Skip):
            skips.append({"b_i": row.id, "b_reason": decision.reason})
            continue
        if isinstance(decision, rules.Defer):
            defers.append({"b_i": row.id, "b_at": decision.until})
            continue
        if row.kind == SendKind.BLAST:
            sent_today[row.contact_id] += 1
        callback = f"{status_url}?o={row.id}" if status_url else None
        message = Outgoing(
            row.phone, decision.channel, decision.body, decision.content_sid, None, callback
        )
        jobs.append(Job(int(row.id), message, int(row.send_id), int(row.contact_id)))
        sending.append(
            {
                "b_i": row.id,
                "b_channel": decision.channel,
                "b_to": row.phone,
                "b_body": decision.body,
                "b_content": decision.content_sid,
            }
        )
    _write(conn, skips, {"status": "skipped", "reason": bindparam("b_reason")} | RELEASED, now)
    deferred = {"status": "deferred", "reason": "quiet_hours", "available_at": bindparam("b_at")}
    _write(conn, defers, deferred | RELEASED, now)
    _write(
        conn,
        sending,
        {
            "channel": bindparam("b_channel"),
            "to_address": bindparam("b_to"),
            "body": bindparam("b_body"),
            "content_sid": bindparam("b_content"),
            "sending_at": now,
            "lease_until": now + lease,
        },
        now,
    )
    return Prepared(jobs, Counter(str(x["b_reason"]) for x in skips), len(defers))


def launch(
    conn: Connection, jobs: Sequence[Job], *, worker: str, now: dt.datetime, lease: dt.timedelta
) -> tuple[list[Job], Counter[str]]:
    """Mark ready rows `sending` just before their requests go; returns the jobs to send now,
    and what became of the others: a stopped send's rows go back to wait (paused) or are
    skipped (cancelled), an opted-out contact's are skipped."""
    if not jobs:
        return [], Counter()
    o, s, c = OUTBOX.c, SENDS.c, CONTACTS.c
    send_ids = sorted({job.send_id for job in jobs})
    statuses = select(s.id, s.status).where(s.id.in_(send_ids))
    if _dialect(conn) == "postgresql":
        statuses = statuses.with_for_update(read=True)  # FOR SHARE: a pause waits for us
    state = {int(i): str(st) for i, st in conn.execute(statuses)}
    stopped = select(c.id).where(c.id.in_(sorted({j.contact_id for j in jobs})), c.opted_out)
    opted = {int(i) for i in conn.execute(stopped).scalars()}
    go = [j for j in jobs if state.get(j.send_id) == "sending" and j.contact_id not in opted]
    launched: set[int] = set()
    if go:
        rows = conn.execute(
            update(OUTBOX)
            .where(
                o.id.in_([j.outbox_id for j in go]),
                o.status == "claimed",
                o.claimed_by == worker,
            )
            .values(status="sending", sending_at=now, lease_until=now + lease, updated_at=now)
            .returning(o.id)
        )
        launched = {int(i) for i in rows.scalars()}
    tally: Counter[str] = Counter()
    held = [j for j in jobs if j.outbox_id not in launched]
    for job in held:
        if job.contact_id in opted:
            reason = "opted_out"
        elif state.get(job.send_id) == "cancelled":
            reason = "cancelled"
        else:
            reason = "paused"  # or no longer ours: its lease ran out and another took it
        tally[reason] += 1
        if reason == "paused":
            values: dict[str, Any] = {"status": "pending", **RELEASED}
        else:
            values = {"status": "skipped", "reason": reason, **RELEASED}
        conn.execute(
            update(OUTBOX)
            .where(o.id == job.outbox_id, o.status == "claimed", o.claimed_by == worker)
            .values(**values, updated_at=now)
        )
    return [j for j in jobs if j.outbox_id in launched], tally


def _candidate(
    conn: Connection,
    row: Any,
    send: Any,
    renderer: Renderer,
    settings: Settings,
    opted: set[int],
    sent_today: Counter[int],
    now: dt.datetime,
) -> rules.Candidate:
    """What the rules need to know of one claimed row."""
    kind = SendKind(row.kind)
    zone = UTC  # tests ignore quiet hours
    if kind != SendKind.TEST:
        election = renderer.election(conn, send.election_date) if send.election_date else None
        zone = rules.contact_zone(
            contact_zone_name=row.timezone,
            zip_code=row.zip,
            phone=row.phone,
            election_zone_name=election.timezone if election else None,
            default_zone_name=settings.timezone,
            now=now,
        )
    return rules.Candidate(
        kind=kind,
        send_status=row.send_status,
        expires_at=row.expires_at,
        opted_out=row.contact_id in opted,
        zone=zone,
        blasts_today=sent_today[row.contact_id],
        listed=bool(row.listed),
        sms_last_inbound=row.sms_last_inbound_at,
        whatsapp_last_inbound=row.whatsapp_last_inbound_at,
        template=(row.templates or {}).get(row.language),
        sms_only=row.reason == SkipReason.WHATSAPP_WINDOW,
    )


def _write(
    conn: Connection,
    rows: list[dict[str, Any]],
    values: dict[str, Any],
    now: dt.datetime,
    *,
    only: str | None = None,
) -> None:
    """One executemany UPDATE of outbox rows by id (`b_i`), with per-row bound values; with
    `only`, rows no longer in that status are left alone (a status callback came first)."""
    if not rows:
        return
    where = OUTBOX.c.id == bindparam("b_i")
    if only is not None:
        where &= OUTBOX.c.status == only
    conn.execute(update(OUTBOX).where(where).values(**values, updated_at=now), rows)


@dataclass(frozen=True)
class Outcome:
    """What a send attempt came to, to be recorded."""

    job: Job
    result: SendResult
    at: dt.datetime


def backoff(attempts: int) -> float:
    """Seconds to wait before the next try: exponential with jitter, capped."""
    jitter = random.uniform(0.5, 1.0)  # noqa: S311  (spreading retries, not a secret)
    return float(min(BACKOFF_CAP, 2.0 ** min(attempts, 10)) * jitter)


def record(
    conn: Connection, outcomes: Iterable[Outcome], *, settings: Settings, now: dt.datetime
) -> Counter[str]:
    """Write what Twilio answered: SIDs, retries with backoff, failures; 21610 opts the
    contact out everywhere. Only rows still `sending` change (a status callback may have
    moved one along already). Returns counts by outcome."""
    sent: list[dict[str, Any]] = []
    retry: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    fallback: list[dict[str, Any]] = []
    opted_out: list[tuple[int, str]] = []
    skipped: list[dict[str, Any]] = []
    tally: Counter[str] = Counter()
    for outcome in outcomes:
        result, job = outcome.result, outcome.job
        if result.status == SKIPPED:
            skipped.append({"b_i": job.outbox_id, "b_reason": result.error_message})
            tally["skipped"] += 1
        elif result.sid:
            sent.append({"b_i": job.outbox_id, "b_sid": result.sid, "b_at": outcome.at})
            tally["sent"] += 1
        elif result.status == IN_DOUBT:
            tally["in_doubt"] += 1  # left `sending`: reconciled once its lease ends
        elif result.retryable or result.status == NOT_SENT:
            retry.append(
                {
                    "b_i": job.outbox_id,
                    "b_code": result.error_code,
                    "b_msg": (result.error_message or "")[:300],
                    "b_at": now,  # replaced below
                }
            )
            tally["retry"] += 1
        elif result.error_code == WHATSAPP_WINDOW_CLOSED and job.message.channel == "whatsapp":
            fallback.append({"b_i": job.outbox_id, "b_msg": (result.error_message or "")[:300]})
            tally["whatsapp_window"] += 1
        else:
            failed.append(
                {
                    "b_i": job.outbox_id,
                    "b_code": result.error_code,
                    "b_msg": (result.error_message or "")[:300],
                    "b_reason": reason_for(result.error_code),
                }
            )
            if result.error_code == UNSUBSCRIBED:
                opted_out.append((job.outbox_id, job.message.channel))
            tally["failed"] += 1
    o = OUTBOX.c
    _write(
        conn,
        sent,
        {
            "status": "sent",
            "twilio_sid": bindparam("b_sid"),
            "sent_at": bindparam("b_at"),
            "lease_until": None,
        },
        now,
        only="sending",
    )
    if retry:
        attempts = dict(
            conn.execute(select(o.id, o.attempts).where(o.id.in_([r["b_i"] for r in retry]))).all()
        )
        for r in retry:
            tried = int(attempts.get(r["b_i"], 0)) + 1
            r["b_n"] = tried
            r["b_at"] = now + dt.timedelta(seconds=backoff(tried))
        again = [r for r in retry if r["b_n"] < settings.send_max_attempts]
        failed += [{**r, "b_reason": "retries_exhausted"} for r in retry if r not in again]
        due_again = {
            "status": "pending",
            "reason": "retry",
            "attempts": bindparam("b_n"),
            "available_at": bindparam("b_at"),
            "error_code": bindparam("b_code"),
            "error_message": bindparam("b_msg"),
        }
        _write(conn, again, due_again | RELEASED, now, only="sending")
    _write(conn, fallback, BY_SMS | {"error_message": bindparam("b_msg")}, now, only="sending")
    failure: dict[str, Any] = {
        "status": "failed",
        "reason": bindparam("b_reason"),
        "error_code": bindparam("b_code"),
        "error_message": bindparam("b_msg"),
        "lease_until": None,
    }
    keys = ("b_i", "b_reason", "b_code", "b_msg")
    _write(conn, [{k: r[k] for k in keys} for r in failed], failure, now, only="sending")
    skip = {"status": "skipped", "reason": bindparam("b_reason")}
    _write(conn, skipped, skip | RELEASED, now, only="sending")
    for outbox_id, channel in opted_out:
        _recipient_opted_out(conn, outbox_id, channel, now)
    return tally


def _recipient_opted_out(conn: Connection, outbox_id: int, channel: str, now: dt.datetime) -> None:
    """Twilio says the row's recipient unsubscribed (21610): opt them out everywhere."""
    contact_id = conn.execute(
        select(OUTBOX.c.contact_id).where(OUTBOX.c.id == outbox_id)
    ).scalar_one()
    carrier_opt_out(conn, int(contact_id), channel, now)


def release_expired_claims(conn: Connection, now: dt.datetime) -> int:
    """Claimed rows whose dispatcher died before deciding: nothing was sent; due again."""
    result = conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.status == "claimed", OUTBOX.c.lease_until < now)
        .values(status="pending", **RELEASED, updated_at=now)
    )
    return int(result.rowcount or 0)


def in_doubt(conn: Connection, now: dt.datetime, limit: int) -> list[Any]:
    """Rows left `sending` past their lease: the dispatcher died (or timed out) after it
    may have reached Twilio."""
    o = OUTBOX.c
    query = (
        select(o.id, o.channel, o.to_address, o.body, o.content_sid, o.sending_at, o.send_id)
        .where(o.status == "sending", o.lease_until < now)
        .order_by(o.id)
        .limit(limit)
    )
    return list(conn.execute(query))


def resolve(
    conn: Connection,
    outbox_id: int,
    decision: Literal["found", "resend", "review"],
    *,
    now: dt.datetime,
    sid: str | None = None,
) -> bool:
    """Settle one row in doubt: Twilio has it ("found", with its SID), or it never reached
    Twilio ("resend": due again), or nobody can tell ("review": a person decides). Returns
    whether the row changed (a status callback may have settled it first)."""
    o = OUTBOX.c
    where = (o.id == outbox_id) & (o.status == "sending")
    values: dict[str, Any]
    if decision == "found":
        values = {"status": "sent", "twilio_sid": sid, "sent_at": now, "reason": "recovered"}
    elif decision == "resend":
        values = {"status": "pending", "reason": "reconciled", "sending_at": None}
    else:
        values = {"status": "review", "reason": "in_doubt"}
    values |= {"lease_until": None, "claimed_by": None, "updated_at": now}
    return bool(conn.execute(update(OUTBOX).where(where).values(**values)).rowcount)


def extend_lease(conn: Connection, outbox_id: int, until: dt.datetime, now: dt.datetime) -> None:
    """Try again later to settle a row in doubt."""
    conn.execute(
        update(OUTBOX)
        .where(OUTBOX.c.id == outbox_id, OUTBOX.c.status == "sending")
        .values(lease_until=until, updated_at=now)
    )


def open_rows(conn: Connection) -> int:
    """Rows still waiting or in flight (for tests and the dispatcher's idle check)."""
    query = select(func.count()).where(OUTBOX.c.status.in_(WAITING + IN_FLIGHT))
    return int(conn.execute(query).scalar_one())


def callback(
    conn: Connection,
    outbox_id: int,
    *,
    sid: str,
    status: str,
    error_code: int | None,
    now: dt.datetime,
) -> str | None:
    """Apply a status callback to the outbox row it names (`?o=` on its StatusCallback URL);
    returns the row's new status, or None when the callback does not fit the row.

    A callback proves the message exists at Twilio, so a row in doubt (`sending`, `review`)
    takes its SID. 21610 opts the contact out; 30007 (filtered as spam) is a failure to
    report; 63016 (WhatsApp free text outside the window) goes again by SMS when it can.
    """
    o = OUTBOX.c
    row = conn.execute(
        select(o.status, o.twilio_sid, o.channel, o.reason).where(o.id == outbox_id)
    ).one_or_none()
    if row is None or (row.twilio_sid and row.twilio_sid != sid):
        return None  # not ours, or a message this row no longer stands for
    if row.reason == "whatsapp_window" and row.status in ("pending", "claimed"):
        return None  # a late word on the WhatsApp attempt: the row now waits for SMS
    new = OUTBOX_STATUS.get(status)
    if new is None or row.status == "skipped":
        return None
    values: dict[str, Any] = {"twilio_sid": sid, "updated_at": now, "lease_until": None}
    if error_code is not None:
        values["error_code"] = error_code
        values["reason"] = reason_for(error_code)
    if error_code == WHATSAPP_WINDOW_CLOSED and row.channel == "whatsapp":
        # Not delivered, and nothing reached the voter: try SMS (the rules decide at claim).
        values |= BY_SMS | {"available_at": now, "twilio_sid": None}
        conn.execute(update(OUTBOX).where(o.id == outbox_id).values(**values))
        return "pending"
    if OUTBOX_RANK[new] < OUTBOX_RANK.get(row.status, 0):
        new = row.status
    values["status"] = new
    if new in ("sent", "delivered") and row.status in ("sending", "review", "claimed"):
        values["sent_at"] = now
    conn.execute(update(OUTBOX).where(o.id == outbox_id).values(**values))
    if error_code == UNSUBSCRIBED:
        _recipient_opted_out(conn, outbox_id, row.channel or "sms", now)
    return str(new)


def in_review(conn: Connection) -> list[Any]:
    """Rows a person must settle: handed to Twilio by a dispatcher that died, and Twilio
    could not be asked for a day."""
    o = OUTBOX.c
    query = select(o.id, o.send_id, o.channel, o.to_address, o.sending_at).where(
        o.status == "review"
    )
    return list(conn.execute(query.order_by(o.id)))


def settle_review(conn: Connection, outbox_id: int, *, sid: str | None, now: dt.datetime) -> str:
    """A person looked the message up in Twilio's console: it was sent (with its SID), or
    it was not (`sid` None: it goes again). Returns the row's new status."""
    o = OUTBOX.c
    values: dict[str, Any] = (
        {"status": "sent", "twilio_sid": sid, "sent_at": now, "reason": "reviewed"}
        if sid
        else {"status": "pending", "reason": "reviewed", "available_at": now, **RELEASED}
    )
    changed = conn.execute(
        update(OUTBOX)
        .where(o.id == outbox_id, o.status == "review")
        .values(**values, updated_at=now)
    ).rowcount
    if not changed:
        raise Conflict(f"outbox message {outbox_id} is not in review")
    return str(values["status"])
