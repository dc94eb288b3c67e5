"""Holdout assignment: which contacts an election's sends hold back, drawn at random from a
recorded seed, blocked by organization × language (× first-time / infrequent voter when the
vote history before the election is known), so that each block's control share is exact up to
rounding.

The unit is the contact, coalition-wide: one assignment per contact per election, whichever
organization's send reaches them. Assignments are drawn when a blast or a reminder plan is
scheduled and never change; contacts who join later (a late import) are appended to their
block, and the block's control count is brought to `round(share × block size)` without touching
anyone drawn before. Drawing is reproducible: the same seed and the same arrivals give the same
arms (each batch of a block is shuffled by a generator seeded with the experiment's seed, the
block and how many the block already holds).

Held-out contacts are recorded by the same eligibility rules as those who receive (they are the
send's audience when it starts: opted in, not opted out, reachable); their outbox rows are
skipped with the reason `holdout`, so they get nothing and the dispatcher never sees them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
from sqlalchemy import Connection, Integer, case, cast, func, insert, select, update

from bot.errors import Conflict, Invalid
from bot.tables import (
    CONTACTS,
    LIFT_ASSIGNMENTS,
    LIFT_EXPERIMENTS,
    LIFT_SENDS,
    LIFT_VOTES,
    MEMBERSHIPS,
    OUTBOX,
    SENDS,
)

MAX_SHARE = 0.5
TREATED, CONTROL = "treated", "control"
HOLDOUT_REASON = "holdout"
CHUNK = 900  # ids per IN (...) list: under SQLite's parameter limit
INFREQUENT_BELOW = 0.5  # voted in fewer than half the prior elections on record


@dataclass(frozen=True)
class Member:
    """A contact to assign: who, and the language the send speaks to them in."""

    contact_id: int
    language: str


def check_share(value: float | None, name: str = "holdout_share") -> float:
    """A holdout share between 0 and 0.5, else Invalid."""
    share = float(value or 0.0)
    if not 0.0 <= share <= MAX_SHARE or share != share:
        raise Invalid(f"{name}: between 0 and {MAX_SHARE} (a share of the audience held back)")
    return share


def controls_for(share: float, size: int) -> int:
    """How many of a block of `size` are held back: the share, rounded half up."""
    exact = Decimal(str(share)) * size
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def experiment_of(conn: Connection, election_date: dt.date) -> Any:
    """The election's experiment row, or None."""
    e = LIFT_EXPERIMENTS.c
    return conn.execute(select(LIFT_EXPERIMENTS).where(e.election_date == election_date)).first()


def ensure_experiment(
    conn: Connection,
    *,
    election_date: dt.date,
    share: float,
    now: dt.datetime,
    seed: int | None = None,
) -> Any:
    """The election's experiment, made with this share (and a fresh seed) when it has none;
    Conflict when it has one with another share (assignments are never redrawn)."""
    share = check_share(share)
    found = experiment_of(conn, election_date)
    if found is not None:
        if abs(found.share - share) > 1e-9:
            raise Conflict(
                f"holdout_share: the {election_date} election already holds back "
                f"{found.share:.0%}; every send that counts toward it uses that share"
            )
        return found
    by_history = has_prior_history(conn, election_date)
    values = {
        "election_date": election_date,
        "share": share,
        "seed": seed if seed is not None else secrets.randbits(62),
        "by_history": by_history,
        "created_at": now,
    }
    conn.execute(insert(LIFT_EXPERIMENTS).values(**values))
    return experiment_of(conn, election_date)


def link_send(conn: Connection, *, send_id: int, experiment_id: int) -> None:
    """Count a send toward an experiment (once)."""
    s = LIFT_SENDS.c
    if conn.execute(select(s.send_id).where(s.send_id == send_id)).first() is None:
        conn.execute(insert(LIFT_SENDS).values(send_id=send_id, experiment_id=experiment_id))


def experiment_of_send(conn: Connection, send_id: int) -> Any:
    """The experiment a send counts toward (a blast linked to it, a reminder step of its
    election), or None."""
    e, ls = LIFT_EXPERIMENTS.c, LIFT_SENDS.c
    found = conn.execute(
        select(LIFT_EXPERIMENTS)
        .join(LIFT_SENDS, ls.experiment_id == e.id)
        .where(ls.send_id == send_id)
    ).first()
    if found is not None:
        return found
    send = conn.execute(
        select(SENDS.c.kind, SENDS.c.election_date).where(SENDS.c.id == send_id)
    ).first()
    if send is None or send.kind != "reminder" or send.election_date is None:
        return None
    found = experiment_of(conn, send.election_date)
    if found is not None:
        link_send(conn, send_id=send_id, experiment_id=found.id)
    return found


def has_prior_history(conn: Connection, election_date: dt.date) -> bool:
    """Whether vote history of an election before this one was imported."""
    v = LIFT_VOTES.c
    query = select(v.id).where(v.election_date < election_date).limit(1)
    return conn.execute(query).first() is not None


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def history_classes(
    conn: Connection, contact_ids: Sequence[int], election_date: dt.date
) -> dict[int, str]:
    """first_time (on no prior history), infrequent (voted in fewer than half of the prior
    elections on record) or regular, from the vote history before the election."""
    v = LIFT_VOTES.c
    labels = int(
        conn.execute(
            select(func.count(func.distinct(v.label))).where(v.election_date < election_date)
        ).scalar_one()
    )
    found: dict[int, str] = {}
    for chunk in _chunks(contact_ids):
        rows = conn.execute(
            select(v.contact_id, func.sum(cast(v.voted, Integer)))
            .where(v.election_date < election_date, v.contact_id.in_(chunk))
            .group_by(v.contact_id)
        )
        for contact_id, voted in rows:
            share = float(voted or 0) / max(labels, 1)
            found[int(contact_id)] = "infrequent" if share < INFREQUENT_BELOW else "regular"
    return {cid: found.get(cid, "first_time") for cid in contact_ids}


def _facts(conn: Connection, contact_ids: Sequence[int]) -> dict[int, tuple[int | None, str]]:
    """Each contact's block organization (the first list naming them) and channel."""
    c, m = CONTACTS.c, MEMBERSHIPS.c
    found: dict[int, tuple[int | None, str]] = {}
    for chunk in _chunks(contact_ids):
        rows = conn.execute(
            select(c.id, func.min(m.organization_id), c.whatsapp_last_inbound_at)
            .select_from(CONTACTS.outerjoin(MEMBERSHIPS, m.contact_id == c.id))
            .where(c.id.in_(chunk))
            .group_by(c.id, c.whatsapp_last_inbound_at)
        )
        for cid, org, whatsapp in rows:
            found[int(cid)] = (
                int(org) if org is not None else None,
                "whatsapp" if whatsapp is not None else "sms",
            )
    return found


def _generator(seed: int, block: str, already: int) -> np.random.Generator:
    entropy = [seed & 0xFFFFFFFF, seed >> 32, zlib.crc32(block.encode()), already]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def assign(
    conn: Connection, experiment: Any, members: Iterable[Member], now: dt.datetime
) -> dict[str, int]:
    """Assign the members not yet in the experiment (appended to their blocks; nobody drawn
    before changes). Returns how many became treated and control."""
    a = LIFT_ASSIGNMENTS.c
    wanted: dict[int, str] = {}
    for member in members:
        wanted.setdefault(member.contact_id, member.language)
    ids = sorted(wanted)
    known: set[int] = set()
    for chunk in _chunks(ids):
        known |= set(
            conn.execute(
                select(a.contact_id).where(
                    a.experiment_id == experiment.id, a.contact_id.in_(chunk)
                )
            ).scalars()
        )
    new = [cid for cid in ids if cid not in known]
    made = {TREATED: 0, CONTROL: 0}
    if not new:
        return made
    facts = _facts(conn, new)
    if experiment.by_history:
        classes = history_classes(conn, new, experiment.election_date)
    else:
        classes = dict.fromkeys(new, "unknown")
    blocks: dict[str, list[int]] = defaultdict(list)
    info: dict[int, tuple[int | None, str, str, str]] = {}
    for cid in new:
        org, channel = facts.get(cid, (None, "sms"))
        language, klass = wanted[cid], classes[cid]
        block = f"{org or 0}|{language}|{klass}"
        blocks[block].append(cid)
        info[cid] = (org, language, klass, channel)
    rows: list[dict[str, Any]] = []
    for block in sorted(blocks):
        members_of = blocks[block]
        size, controls = _block_so_far(conn, experiment.id, block)
        order = _generator(int(experiment.seed), block, size).permutation(len(members_of))
        need = controls_for(experiment.share, size + len(members_of)) - controls
        need = min(max(need, 0), len(members_of))
        for rank, index in enumerate(order):
            cid = members_of[int(index)]
            org, language, klass, channel = info[cid]
            arm = CONTROL if rank < need else TREATED
            made[arm] += 1
            rows.append(
                {
                    "experiment_id": experiment.id,
                    "contact_id": cid,
                    "arm": arm,
                    "block": block,
                    "organization_id": org,
                    "language": language,
                    "history_class": klass,
                    "channel": channel,
                    "position": size + rank,
                    "assigned_at": now,
                }
            )
    for start in range(0, len(rows), 5000):
        conn.execute(insert(LIFT_ASSIGNMENTS), rows[start : start + 5000])
    return made


def _block_so_far(conn: Connection, experiment_id: int, block: str) -> tuple[int, int]:
    a = LIFT_ASSIGNMENTS.c
    size, controls = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((a.arm == CONTROL, 1), else_=0)), 0),
        ).where(a.experiment_id == experiment_id, a.block == block)
    ).one()
    return int(size), int(controls)


def enroll(
    conn: Connection,
    *,
    send_id: int,
    election_date: dt.date,
    share: float,
    members: Iterable[Member],
    now: dt.datetime,
) -> Any:
    """Count a send toward its election's experiment (made if need be) and assign its
    audience as it stands now. Returns the experiment."""
    experiment = ensure_experiment(conn, election_date=election_date, share=share, now=now)
    link_send(conn, send_id=send_id, experiment_id=experiment.id)
    assign(conn, experiment, members, now)
    return experiment


def hold_out(conn: Connection, send_id: int, now: dt.datetime) -> int:
    """When a send starts (its outbox rows just made): assign its recipients not yet drawn,
    and skip the outbox rows of those held back (`holdout`). Returns how many were held."""
    experiment = experiment_of_send(conn, send_id)
    if experiment is None or experiment.share <= 0:
        return 0
    o, a = OUTBOX.c, LIFT_ASSIGNMENTS.c
    rows = conn.execute(select(o.contact_id, o.language).where(o.send_id == send_id))
    assign(conn, experiment, (Member(int(cid), str(lang)) for cid, lang in rows), now)
    controls = (
        select(a.contact_id)
        .where(a.experiment_id == experiment.id, a.arm == CONTROL)
        .scalar_subquery()
    )
    done = conn.execute(
        update(OUTBOX)
        .where(o.send_id == send_id, o.status == "pending", o.contact_id.in_(controls))
        .values(status="skipped", reason=HOLDOUT_REASON, updated_at=now)
        .execution_options(preserve_rowcount=True)
    )
    return int(done.rowcount or 0)


@dataclass(frozen=True)
class BlockCount:
    """Treated and control counts of one block."""

    block: str
    organization_id: int | None
    language: str
    history_class: str
    treated: int
    control: int


def block_counts(conn: Connection, send_id: int) -> tuple[Any, list[BlockCount]] | None:
    """The experiment a send counts toward and its treated/control counts per block: among
    the send's own recipients once it started, else everyone assigned so far."""
    experiment = experiment_of_send(conn, send_id)
    if experiment is None:
        return None
    a, o = LIFT_ASSIGNMENTS.c, OUTBOX.c
    query = select(
        a.block, a.organization_id, a.language, a.history_class, a.arm, func.count()
    ).where(a.experiment_id == experiment.id)
    started = conn.execute(select(o.id).where(o.send_id == send_id).limit(1)).first()
    if started is not None:
        query = query.join(OUTBOX, (o.contact_id == a.contact_id) & (o.send_id == send_id))
    query = query.group_by(a.block, a.organization_id, a.language, a.history_class, a.arm)
    table: dict[str, dict[str, Any]] = {}
    for block, org, language, klass, arm, n in conn.execute(query):
        entry = table.setdefault(
            block, {"org": org, "language": language, "klass": klass, TREATED: 0, CONTROL: 0}
        )
        entry[arm] += int(n)
    return experiment, [
        BlockCount(b, e["org"], e["language"], e["klass"], e[TREATED], e[CONTROL])
        for b, e in sorted(table.items())
    ]
