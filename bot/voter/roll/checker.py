"""Am I registered: a texter's name, date of birth and ZIP against the active roll.

The answer is a status word and the election's next steps, never anything of the roll entry
(no address, no party, not even the registration date). Checks that reach the roll are counted
per contact and day: at most `DAILY_LIMIT`, so that nobody walks the roll by text.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, select

from bot.sql import upsert_insert
from bot.tables import REGISTRATION_CHECKS as _CHECKS
from bot.tables import VOTER_KEYS as _KEYS
from bot.tables import VOTER_ROLLS as _ROLLS
from bot.tables import VOTERS as _VOTERS
from bot.voter.answers import NextSteps, RegistrationAnswer
from bot.voter.elections import upcoming_election
from bot.voter.geo import zip5
from bot.voter.roll.dob import parse_dob
from bot.voter.roll.keys import voter_keys

DAILY_LIMIT = 5


def check_registration(
    conn: Connection,
    *,
    contact_id: int,
    first: str,
    last: str,
    dob_text: str,
    zip: str,
    language: str,
    today: dt.date,
) -> RegistrationAnswer:
    """active, inactive or not_found for a texter; bad_date, limit or no_roll otherwise."""
    steps = NextSteps.of(upcoming_election(conn, today=today), language)
    dob = parse_dob(dob_text, language, today=today)
    if dob is None:
        return RegistrationAnswer("bad_date", steps)
    roll = active_roll(conn)
    if roll is None:
        return RegistrationAnswer("no_roll", steps)
    count = _count_check(conn, contact_id, today)
    left = max(DAILY_LIMIT - count, 0)
    if count > DAILY_LIMIT:
        return RegistrationAnswer("limit", steps, checks_left=0)
    code = zip5(zip)
    keys = voter_keys(first, last, dob, code) if code else set()
    if not keys:
        return RegistrationAnswer("not_found", steps, checks_left=left)
    statuses = set(
        conn.execute(
            select(_VOTERS.c.status)
            .join_from(_KEYS, _VOTERS, _VOTERS.c.id == _KEYS.c.voter_id)
            .where(_KEYS.c.key.in_(sorted(keys)), _VOTERS.c.roll_id == roll)
        ).scalars()
    )
    # Two entries (a duplicate registration) with different statuses: the active one counts.
    if "active" in statuses:
        return RegistrationAnswer("active", steps, checks_left=left)
    return RegistrationAnswer("inactive" if statuses else "not_found", steps, checks_left=left)


def active_roll(conn: Connection) -> int | None:
    """The id of the voter roll checks read, or None when no roll is loaded."""
    found = conn.execute(
        select(_ROLLS.c.id).where(_ROLLS.c.status == "active", _ROLLS.c.imported > 0)
    ).scalar()
    return int(found) if found is not None else None


def _count_check(conn: Connection, contact_id: int, today: dt.date) -> int:
    """Count one more check today for the contact; returns today's count, this one included."""
    statement = upsert_insert(conn, _CHECKS).values(
        contact_id=contact_id, checked_on=today, count=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["contact_id", "checked_on"], set_={"count": _CHECKS.c.count + 1}
    ).returning(_CHECKS.c.count)
    return int(conn.execute(statement).scalar_one())
