"""Election reminder plans (bot.sending.plans): the default plan's steps at exact instants
(across the 2026-11-01 DST change), steps left out for missing facts, and the plan kept in the
database: made once, moved with the election's facts, edited steps left alone.

Every expected instant is worked out by hand in the comment beside it. Offsets used:
America/Los_Angeles PDT = UTC-7 until 2026-11-01 02:00, PST = UTC-8 after;
America/Phoenix MST = UTC-7 all year; America/New_York EDT = UTC-4 until 11-01, EST = UTC-5.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select, update

from bot.sending.plans import Step, edit_reminder, ensure_plan, ensure_plans, plan
from bot.tables import SENDS
from bot.voter.elections import ElectionInfo, save_election, upcoming_election

pytestmark = pytest.mark.db  # the module's plan() tests are pure; the rest use `engine`

ELECTION_DAY = date(2026, 11, 3)
GENERAL = ElectionInfo(
    name="General Election",
    date=ELECTION_DAY,
    polls_open=time(7, 0),
    polls_close=time(20, 0),
    timezone="America/Los_Angeles",
    registration_deadline=date(2026, 10, 19),
    early_voting_start=date(2026, 10, 5),
    early_voting_end=date(2026, 11, 2),
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# The full plan of GENERAL, America/Los_Angeles:
REGISTRATION = Step(
    "registration_deadline",
    utc(2026, 10, 16, 17),  # deadline 10-19 - 3 days = 10-16, 10:00 PDT = 17:00Z
    utc(2026, 10, 20, 7),  # until the deadline's end: 10-20 00:00 PDT = 07:00Z
    "reminders.registration_deadline",
)
EARLY_VOTING = Step(
    "early_voting",
    utc(2026, 10, 5, 17),  # 10-05 10:00 PDT = 17:00Z
    utc(2026, 11, 3, 8),  # until early voting ends: 11-02 + 1 day, 11-03 00:00 PST = 08:00Z
    "reminders.early_voting",
)
EVE = Step(
    "eve",
    utc(2026, 11, 3, 1),  # 11-02 17:00 PST (after the 11-01 change) = 11-03 01:00Z
    utc(2026, 11, 3, 15),  # until polls open: 11-03 07:00 PST = 15:00Z
    "reminders.eve",
)
MORNING = Step(
    "morning",
    utc(2026, 11, 3, 16),  # max(07:00, 08:00) = 08:00 PST = 16:00Z
    utc(2026, 11, 4, 4),  # until polls close: 20:00 PST = 11-04 04:00Z
    "reminders.morning",
)
CLOSING = Step(
    "closing",
    utc(2026, 11, 4, 2),  # 20:00 - 2h = 18:00 PST = 11-04 02:00Z
    utc(2026, 11, 4, 4),  # until polls close: 20:00 PST = 11-04 04:00Z
    "reminders.closing",
)
FULL_PLAN = [REGISTRATION, EARLY_VOTING, EVE, MORNING, CLOSING]


def test_full_plan_at_exact_instants() -> None:
    assert plan(GENERAL, "America/New_York") == FULL_PLAN  # the election's own zone wins


@pytest.mark.parametrize(
    ("changes", "default_zone", "expected"),
    [
        pytest.param(
            {"registration_deadline": None},
            "America/Los_Angeles",
            [EARLY_VOTING, EVE, MORNING, CLOSING],
            id="no-deadline",
        ),
        pytest.param(
            {"early_voting_start": None, "early_voting_end": None},
            "America/Los_Angeles",
            [REGISTRATION, EVE, MORNING, CLOSING],
            id="no-early-voting",
        ),
        pytest.param(
            {"polls_close": None},
            "America/Los_Angeles",
            # no closing step; the morning step still expires at 20:00 PST = 11-04 04:00Z
            [REGISTRATION, EARLY_VOTING, EVE, MORNING],
            id="no-polls-close",
        ),
        pytest.param(
            {"polls_open": None},
            "America/Los_Angeles",
            # polls assumed open at 07:00: the same plan
            FULL_PLAN,
            id="no-polls-open",
        ),
        pytest.param(
            {"early_voting_end": None},
            "America/Los_Angeles",
            # early voting assumed to end the day before: 11-02 + 1 day, 00:00 PST = 08:00Z
            FULL_PLAN,
            id="no-early-voting-end",
        ),
        pytest.param(
            {"early_voting_end": date(2026, 10, 30)},
            "America/Los_Angeles",
            [
                REGISTRATION,
                # until 10-31 00:00 PDT = 07:00Z
                dataclasses.replace(EARLY_VOTING, expires_at=utc(2026, 10, 31, 7)),
                EVE,
                MORNING,
                CLOSING,
            ],
            id="early-voting-ends-before-dst-change",
        ),
        pytest.param(
            {"polls_open": time(6, 0)},
            "America/Los_Angeles",
            [
                REGISTRATION,
                EARLY_VOTING,
                # polls open 06:00 PST = 14:00Z; the morning step still waits for 08:00
                dataclasses.replace(EVE, expires_at=utc(2026, 11, 3, 14)),
                MORNING,
                CLOSING,
            ],
            id="polls-open-at-6",
        ),
        pytest.param(
            {"polls_open": time(9, 0), "polls_close": time(19, 0)},
            "America/Los_Angeles",
            [
                REGISTRATION,
                EARLY_VOTING,
                dataclasses.replace(EVE, expires_at=utc(2026, 11, 3, 17)),  # 09:00 PST = 17:00Z
                # at opening, 09:00 PST = 17:00Z, until 19:00 PST = 11-04 03:00Z
                dataclasses.replace(
                    MORNING, send_at=utc(2026, 11, 3, 17), expires_at=utc(2026, 11, 4, 3)
                ),
                # 19:00 - 2h = 17:00 PST = 11-04 01:00Z, until 03:00Z
                dataclasses.replace(
                    CLOSING, send_at=utc(2026, 11, 4, 1), expires_at=utc(2026, 11, 4, 3)
                ),
            ],
            id="polls-9-to-19",
        ),
        pytest.param(
            {"timezone": "America/Phoenix"},
            "America/Los_Angeles",
            [
                # 10-16 10:00 MST = 17:00Z; until 10-20 00:00 MST = 07:00Z (as in PDT)
                REGISTRATION,
                # 10-05 10:00 MST = 17:00Z; until 11-03 00:00 MST = 07:00Z
                dataclasses.replace(EARLY_VOTING, expires_at=utc(2026, 11, 3, 7)),
                # 11-02 17:00 MST = 11-03 00:00Z; until 07:00 MST = 14:00Z
                dataclasses.replace(
                    EVE, send_at=utc(2026, 11, 3, 0), expires_at=utc(2026, 11, 3, 14)
                ),
                # 08:00 MST = 15:00Z; until 20:00 MST = 11-04 03:00Z
                dataclasses.replace(
                    MORNING, send_at=utc(2026, 11, 3, 15), expires_at=utc(2026, 11, 4, 3)
                ),
                # 18:00 MST = 11-04 01:00Z; until 03:00Z
                dataclasses.replace(
                    CLOSING, send_at=utc(2026, 11, 4, 1), expires_at=utc(2026, 11, 4, 3)
                ),
            ],
            id="phoenix",
        ),
        pytest.param(
            {"timezone": None},
            "America/New_York",
            [
                # 10-16 10:00 EDT = 14:00Z; until 10-20 00:00 EDT = 04:00Z
                dataclasses.replace(
                    REGISTRATION, send_at=utc(2026, 10, 16, 14), expires_at=utc(2026, 10, 20, 4)
                ),
                # 10-05 10:00 EDT = 14:00Z; until 11-03 00:00 EST = 05:00Z
                dataclasses.replace(
                    EARLY_VOTING, send_at=utc(2026, 10, 5, 14), expires_at=utc(2026, 11, 3, 5)
                ),
                # 11-02 17:00 EST = 22:00Z; until 07:00 EST = 12:00Z
                dataclasses.replace(
                    EVE, send_at=utc(2026, 11, 2, 22), expires_at=utc(2026, 11, 3, 12)
                ),
                # 08:00 EST = 13:00Z; until 20:00 EST = 11-04 01:00Z
                dataclasses.replace(
                    MORNING, send_at=utc(2026, 11, 3, 13), expires_at=utc(2026, 11, 4, 1)
                ),
                # 18:00 EST = 23:00Z; until 11-04 01:00Z
                dataclasses.replace(
                    CLOSING, send_at=utc(2026, 11, 3, 23), expires_at=utc(2026, 11, 4, 1)
                ),
            ],
            id="no-zone-default-new-york",
        ),
        pytest.param(
            {"timezone": "Mars/Olympus"},
            "America/Los_Angeles",
            FULL_PLAN,  # an unknown election zone: the default (here Los Angeles)
            id="invalid-zone-default",
        ),
    ],
)
def test_plan_variants(changes: dict[str, Any], default_zone: str, expected: list[Step]) -> None:
    assert plan(dataclasses.replace(GENERAL, **changes), default_zone) == expected


def test_plan_with_only_a_date() -> None:
    # No zone, hours, deadline or early voting: eve and morning in the default zone (LA).
    info = ElectionInfo(name="Special Election", date=date(2026, 6, 2))
    assert plan(info, "America/Los_Angeles") == [
        # 06-01 17:00 PDT = 06-02 00:00Z; until polls open (assumed 07:00 PDT = 14:00Z)
        Step("eve", utc(2026, 6, 2, 0), utc(2026, 6, 2, 14), "reminders.eve"),
        # 08:00 PDT = 15:00Z; until polls close (assumed 20:00 PDT = 06-03 03:00Z)
        Step("morning", utc(2026, 6, 2, 15), utc(2026, 6, 3, 3), "reminders.morning"),
    ]


def test_plan_instants_are_utc() -> None:
    for step in plan(GENERAL, "America/Los_Angeles"):
        assert step.send_at.utcoffset() == timedelta(0)
        assert step.expires_at.utcoffset() == timedelta(0)
        assert step.send_at < step.expires_at


# --- the plan in the database ----------------------------------------------------------------

PLANNED_AT = utc(2026, 9, 1, 12)  # before every step of GENERAL
LA_DEFAULT = "America/Los_Angeles"


def _values(info: ElectionInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "date": info.date,
        "polls_open": info.polls_open,
        "polls_close": info.polls_close,
        "timezone": info.timezone,
        "registration_deadline": info.registration_deadline,
        "early_voting_start": info.early_voting_start,
        "early_voting_end": info.early_voting_end,
    }


def _define(conn: Connection, info: ElectionInfo = GENERAL, *, now: datetime = PLANNED_AT) -> None:
    save_election(conn, values=_values(info), source="cli", now=now)


def _rows(conn: Connection, day: date = ELECTION_DAY) -> dict[str, Any]:
    s = SENDS.c
    query = select(SENDS).where(s.kind == "reminder", s.election_date == day)
    return {row.reminder: row for row in conn.execute(query)}


def _times(rows: dict[str, Any]) -> dict[str, tuple[datetime, datetime]]:
    return {key: (row.send_at, row.expires_at) for key, row in rows.items()}


def _expected_times(steps: list[Step]) -> dict[str, tuple[datetime, datetime]]:
    return {step.key: (step.send_at, step.expires_at) for step in steps}


def test_ensure_plans_creates_every_step(engine: Engine) -> None:
    with engine.begin() as conn:
        _define(conn)
        assert ensure_plans(conn, default_zone=LA_DEFAULT, now=PLANNED_AT) == 5
    with engine.connect() as conn:
        rows = _rows(conn)
        everything = list(conn.execute(select(SENDS)))
    assert len(everything) == 5  # nothing but the plan
    assert _times(rows) == _expected_times(FULL_PLAN)
    for step in FULL_PLAN:
        row = rows[step.key]
        assert row.kind == "reminder"
        assert row.status == "scheduled"
        assert row.edited is False
        assert row.message_key == step.message_key
        assert row.election_date == ELECTION_DAY
        assert row.name == f"General Election: {step.key.replace('_', ' ')}"
        assert row.organization_id is None
        assert row.created_at == PLANNED_AT
        assert row.updated_at == PLANNED_AT


def test_ensure_plans_again_creates_and_changes_nothing(engine: Engine) -> None:
    with engine.begin() as conn:
        _define(conn)
        assert ensure_plans(conn, default_zone=LA_DEFAULT, now=PLANNED_AT) == 5
    later = utc(2026, 9, 2, 12)
    with engine.begin() as conn:
        assert ensure_plans(conn, default_zone=LA_DEFAULT, now=later) == 0
        # ensure_plan directly, with the merged election: the same
        info = upcoming_election(conn, today=ELECTION_DAY)
        assert info is not None
        assert ensure_plan(conn, info, default_zone=LA_DEFAULT, now=later) == 0
    with engine.connect() as conn:
        rows = _rows(conn)
    assert len(list(rows)) == 5
    assert _times(rows) == _expected_times(FULL_PLAN)
    assert {row.updated_at for row in rows.values()} == {PLANNED_AT}  # not rewritten


def test_changed_deadline_moves_the_unedited_step(engine: Engine) -> None:
    with engine.begin() as conn:
        _define(conn)
        ensure_plans(conn, default_zone=LA_DEFAULT, now=PLANNED_AT)
        before = {key: row.id for key, row in _rows(conn).items()}
    changed_at = utc(2026, 9, 10, 12)
    with engine.begin() as conn:
        _define(
            conn,
            dataclasses.replace(GENERAL, registration_deadline=date(2026, 10, 26)),
            now=changed_at,
        )
        assert ensure_plans(conn, default_zone=LA_DEFAULT, now=changed_at) == 0
    with engine.connect() as conn:
        rows = _rows(conn)
    assert {key: row.id for key, row in rows.items()} == before  # moved, not replaced
    moved = rows["registration_deadline"]
    # 10-26 - 3 days = 10-23, 10:00 PDT = 17:00Z; until 10-27 00:00 PDT = 07:00Z
    assert (moved.send_at, moved.expires_at) == (utc(2026, 10, 23, 17), utc(2026, 10, 27, 7))
    assert moved.updated_at == changed_at
    assert moved.edited is False
    others = {key: row for key, row in rows.items() if key != "registration_deadline"}
    assert _times(others) == _expected_times([EARLY_VOTING, EVE, MORNING, CLOSING])
    assert {row.updated_at for row in others.values()} == {PLANNED_AT}


def test_edited_step_is_not_moved(engine: Engine) -> None:
    with engine.begin() as conn:
        _define(conn)
        ensure_plans(conn, default_zone=LA_DEFAULT, now=PLANNED_AT)
        registration_id = _rows(conn)["registration_deadline"].id
        # an organizer moves it to 10-15 09:00 PDT = 16:00Z
        edit_reminder(conn, registration_id, now=utc(2026, 9, 5), send_at=utc(2026, 10, 15, 16))
    changed_at = utc(2026, 9, 10, 12)
    with engine.begin() as conn:
        new_facts = dataclasses.replace(
            GENERAL, registration_deadline=date(2026, 10, 26), early_voting_start=date(2026, 10, 12)
        )
        _define(conn, new_facts, now=changed_at)
        assert ensure_plans(conn, default_zone=LA_DEFAULT, now=changed_at) == 0
    with engine.connect() as conn:
        rows = _rows(conn)
    edited = rows["registration_deadline"]
    assert edited.edited is True
    assert edited.send_at == utc(2026, 10, 15, 16)  # the organizer's time stays
    assert edited.updated_at == utc(2026, 9, 5)
    # the unedited early voting step moved in the same pass: 10-12 10:00 PDT = 17:00Z
    assert rows["early_voting"].send_at == utc(2026, 10, 12, 17)
    assert rows["early_voting"].updated_at == changed_at


def test_started_step_is_not_moved(engine: Engine) -> None:
    with engine.begin() as conn:
        _define(conn)
        ensure_plans(conn, default_zone=LA_DEFAULT, now=PLANNED_AT)
        early_id = _rows(conn)["early_voting"].id
        conn.execute(update(SENDS).where(SENDS.c.id == early_id).values(status="done"))
    changed_at = utc(2026, 10, 6, 12)
    with engine.begin() as conn:
        _define(
            conn,
            dataclasses.replace(GENERAL, early_voting_start=date(2026, 10, 12)),
            now=changed_at,
        )
        ensure_plans(conn, default_zone=LA_DEFAULT, now=changed_at)
    with engine.connect() as conn:
        row = _rows(conn)["early_voting"]
    assert (row.status, row.send_at) == ("done", EARLY_VOTING.send_at)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 10-20 12:00Z: the deadline (10-16 17:00Z) and early voting (10-05 17:00Z) steps
        # have passed; eve, morning and closing remain
        pytest.param(utc(2026, 10, 20, 12), {"eve", "morning", "closing"}, id="after-deadline"),
        # exactly the eve's instant, 11-03 01:00Z: not created (not strictly in the future)
        pytest.param(utc(2026, 11, 3, 1), {"morning", "closing"}, id="at-eve"),
        # 11-03 01:01Z: the same
        pytest.param(utc(2026, 11, 3, 1, 1), {"morning", "closing"}, id="after-eve"),
        # 11-04 02:00Z, the closing step's instant: nothing left
        pytest.param(utc(2026, 11, 4, 2), set(), id="at-closing"),
        # a minute before the deadline step: all five
        pytest.param(
            utc(2026, 10, 5, 16, 59),
            {"registration_deadline", "early_voting", "eve", "morning", "closing"},
            id="minute-before-first",
        ),
        # between: early voting (10-05 17:00Z) passed, deadline step (10-16 17:00Z) ahead
        pytest.param(
            utc(2026, 10, 10),
            {"registration_deadline", "eve", "morning", "closing"},
            id="early-voting-passed",
        ),
    ],
)
def test_past_steps_are_not_created(engine: Engine, now: datetime, expected: set[str]) -> None:
    with engine.begin() as conn:
        _define(conn, now=now)
        assert ensure_plans(conn, default_zone=LA_DEFAULT, now=now) == len(expected)
    with engine.connect() as conn:
        rows = _rows(conn)
    assert set(rows) == expected
    assert _times(rows) == _expected_times([s for s in FULL_PLAN if s.key in expected])


def test_past_steps_already_planned_stay(engine: Engine) -> None:
    with engine.begin() as conn:
        _define(conn)
        ensure_plans(conn, default_zone=LA_DEFAULT, now=PLANNED_AT)
    with engine.begin() as conn:  # after the deadline step's time: it is kept as it was
        assert ensure_plans(conn, default_zone=LA_DEFAULT, now=utc(2026, 10, 20, 12)) == 0
    with engine.connect() as conn:
        rows = _rows(conn)
    assert _times(rows) == _expected_times(FULL_PLAN)


def test_every_upcoming_election_gets_its_plan(engine: Engine) -> None:
    primary = ElectionInfo(
        name="Primary",
        date=date(2026, 6, 2),
        polls_open=time(7, 0),
        polls_close=time(20, 0),
    )
    now = utc(2026, 5, 1, 12)
    with engine.begin() as conn:
        _define(conn, primary, now=now)
        _define(conn, now=now)
        # the primary (no zone: the default, LA): eve, morning, closing; the general: five
        assert ensure_plans(conn, default_zone=LA_DEFAULT, now=now) == 3 + 5
    with engine.connect() as conn:
        primary_rows = _rows(conn, date(2026, 6, 2))
        general_rows = _rows(conn)
    assert _times(primary_rows) == {
        # 06-01 17:00 PDT = 06-02 00:00Z; until 07:00 PDT = 14:00Z
        "eve": (utc(2026, 6, 2, 0), utc(2026, 6, 2, 14)),
        # 08:00 PDT = 15:00Z; until 20:00 PDT = 06-03 03:00Z
        "morning": (utc(2026, 6, 2, 15), utc(2026, 6, 3, 3)),
        # 18:00 PDT = 06-03 01:00Z; until 03:00Z
        "closing": (utc(2026, 6, 3, 1), utc(2026, 6, 3, 3)),
    }
    assert _times(general_rows) == _expected_times(FULL_PLAN)


def test_election_without_zone_uses_the_default(engine: Engine) -> None:
    with engine.begin() as conn:
        _define(conn, dataclasses.replace(GENERAL, timezone=None))
        ensure_plans(conn, default_zone="America/New_York", now=PLANNED_AT)
    with engine.connect() as conn:
        rows = _rows(conn)
    assert _times(rows) == {
        "registration_deadline": (utc(2026, 10, 16, 14), utc(2026, 10, 20, 4)),  # 10:00 EDT
        "early_voting": (utc(2026, 10, 5, 14), utc(2026, 11, 3, 5)),  # 10:00 EDT; 00:00 EST
        "eve": (utc(2026, 11, 2, 22), utc(2026, 11, 3, 12)),  # 17:00 EST; 07:00 EST
        "morning": (utc(2026, 11, 3, 13), utc(2026, 11, 4, 1)),  # 08:00 EST; 20:00 EST
        "closing": (utc(2026, 11, 3, 23), utc(2026, 11, 4, 1)),  # 18:00 EST; 20:00 EST
    }
