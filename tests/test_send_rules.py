"""The rules every outbound message obeys (bot.sending.rules): quiet hours in the recipient's
own zone (DST change days included), where the recipient's zone comes from, WhatsApp's 24-hour
window, and the channel a message takes.

Every expected instant is worked out by hand in the comment beside it. Offsets used:
America/Los_Angeles PST = UTC-8, PDT = UTC-7 (2026: PDT from 03-08 02:00 PST to 11-01 02:00 PDT);
America/Phoenix MST = UTC-7 all year; Europe/London GMT = UTC+0, BST = UTC+1 (2026: 03-29 to
10-25); Asia/Tokyo JST = UTC+9; America/New_York EDT = UTC-4, EST = UTC-5.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.clock import zone
from bot.sending.rules import (
    Route,
    contact_zone,
    local_instant,
    next_allowed,
    route,
    whatsapp_window_open,
    zone_for_phone,
    zone_for_zip,
)
from bot.settings import Settings

LA = ZoneInfo("America/Los_Angeles")
PHOENIX = ZoneInfo("America/Phoenix")
DAY = (time(8, 0), time(21, 0))  # the default TURNOUT_QUIET_HOURS, 08:00-21:00
UK_ZONES = {"Europe/London", "Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey"}


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def check_answer(now: datetime, tz: ZoneInfo, window: tuple[time, time]) -> datetime | None:
    """next_allowed, with what holds for every answer: aware UTC, strictly after `now`, and
    inside the window when asked again at that instant."""
    found = next_allowed(now, tz, *window)
    if found is not None:
        assert found.utcoffset() == timedelta(0)
        assert found > now, "never a time in the past (or now)"
        assert next_allowed(found, tz, *window) is None, "the answer is itself allowed"
    return found


# --- settings: the window itself -------------------------------------------------------------


def test_allowed_hours_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TURNOUT_QUIET_HOURS", raising=False)
    settings = Settings(_env_file=None)
    assert settings.allowed_hours == (time(8, 0), time(21, 0))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("08:00-21:00", (time(8, 0), time(21, 0))),
        ("8:00-21:00", (time(8, 0), time(21, 0))),  # one-digit hour padded
        (" 09:30-20:15 ", (time(9, 30), time(20, 15))),  # surrounding spaces dropped
        ("22:00-6:00", (time(22, 0), time(6, 0))),  # a window across midnight
    ],
)
def test_allowed_hours_parsed(value: str, expected: tuple[time, time]) -> None:
    settings = Settings(TURNOUT_QUIET_HOURS=value, _env_file=None)
    assert settings.allowed_hours == expected


@pytest.mark.parametrize("value", ["8-21", "24:00-21:00", "08:60-21:00", "08:00", "", "8am-9pm"])
def test_allowed_hours_rejects_malformed(value: str) -> None:
    with pytest.raises(ValidationError):
        Settings(TURNOUT_QUIET_HOURS=value, _env_file=None)


# --- quiet hours on an ordinary day ----------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 2026-06-10 is PDT (UTC-7); 08:00 PDT = 15:00Z, 21:00 PDT = 04:00Z next day.
        pytest.param(utc(2026, 6, 10, 19), None, id="noon-inside"),  # 12:00 PDT
        pytest.param(utc(2026, 6, 10, 15), None, id="exactly-opening"),  # 08:00 PDT: allowed
        pytest.param(utc(2026, 6, 11, 3, 59), None, id="minute-before-closing"),  # 20:59 PDT
        pytest.param(utc(2026, 6, 11, 3, 59, 59), None, id="second-before-closing"),
        # 06:00 PDT (13:00Z) -> today's opening, 08:00 PDT = 15:00Z
        pytest.param(utc(2026, 6, 10, 13), utc(2026, 6, 10, 15), id="before-opening"),
        # 07:59 PDT (14:59Z) -> 15:00Z the same day
        pytest.param(utc(2026, 6, 10, 14, 59), utc(2026, 6, 10, 15), id="minute-before-opening"),
        # 21:00 PDT on 06-10 (04:00Z 06-11): end is exclusive -> 06-11 08:00 PDT = 15:00Z
        pytest.param(utc(2026, 6, 11, 4), utc(2026, 6, 11, 15), id="exactly-closing"),
        # 22:00 PDT on 06-10 (05:00Z 06-11) -> tomorrow (06-11) 08:00 PDT = 15:00Z
        pytest.param(utc(2026, 6, 11, 5), utc(2026, 6, 11, 15), id="after-closing"),
        # 23:59 PDT on 06-10 (06:59Z 06-11) -> 06-11 15:00Z
        pytest.param(utc(2026, 6, 11, 6, 59), utc(2026, 6, 11, 15), id="last-minute-of-day"),
        # 00:00 PDT on 06-11 (07:00Z) -> the same local day's opening, 15:00Z
        pytest.param(utc(2026, 6, 11, 7), utc(2026, 6, 11, 15), id="local-midnight"),
        # 2026-01-15 is PST (UTC-8): 07:00 PST = 15:00Z -> 08:00 PST = 16:00Z
        pytest.param(utc(2026, 1, 15, 15), utc(2026, 1, 15, 16), id="winter-before-opening"),
        # 20:59 PST on 01-15 = 04:59Z 01-16: still allowed
        pytest.param(utc(2026, 1, 16, 4, 59), None, id="winter-minute-before-closing"),
        # 21:00 PST on 01-15 = 05:00Z 01-16 -> 01-16 08:00 PST = 16:00Z
        pytest.param(utc(2026, 1, 16, 5), utc(2026, 1, 16, 16), id="winter-exactly-closing"),
    ],
)
def test_quiet_hours_ordinary_day(now: datetime, expected: datetime | None) -> None:
    assert check_answer(now, LA, DAY) == expected


def test_quiet_hours_answer_is_utc_whatever_zone_now_is_given_in() -> None:
    # 06:00 PDT given as an LA-aware time (= 13:00Z) -> 15:00Z, in UTC
    now = datetime(2026, 6, 10, 6, 0, tzinfo=LA)
    found = next_allowed(now, LA, *DAY)
    assert found == utc(2026, 6, 10, 15)
    assert found is not None and found.utcoffset() == timedelta(0)


# --- DST change days, America/Los_Angeles ----------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Spring forward, 2026-03-08: 02:00 PST jumps to 03:00 PDT (10:00Z).
        # 23:00 PST on 03-07 = 07:00Z 03-08 -> 03-08 08:00 PDT = 15:00Z
        pytest.param(utc(2026, 3, 8, 7), utc(2026, 3, 8, 15), id="spring-eve-23h"),
        # 01:30 PST = 09:30Z -> 08:00 PDT = 15:00Z
        pytest.param(utc(2026, 3, 8, 9, 30), utc(2026, 3, 8, 15), id="spring-0130"),
        # 03:30 PDT (just after the jump) = 10:30Z -> 15:00Z
        pytest.param(utc(2026, 3, 8, 10, 30), utc(2026, 3, 8, 15), id="spring-0330"),
        # 07:59 PDT = 14:59Z -> 15:00Z
        pytest.param(utc(2026, 3, 8, 14, 59), utc(2026, 3, 8, 15), id="spring-0759"),
        # 08:00 PDT = 15:00Z: open (an hour earlier in UTC than the day before)
        pytest.param(utc(2026, 3, 8, 15), None, id="spring-opening"),
        # the day before, 07:00 PST = 15:00Z is still quiet -> 08:00 PST = 16:00Z
        pytest.param(utc(2026, 3, 7, 15), utc(2026, 3, 7, 16), id="spring-day-before-15z"),
        # 21:00 PDT on 03-08 = 04:00Z 03-09 -> 03-09 08:00 PDT = 15:00Z
        pytest.param(utc(2026, 3, 9, 4), utc(2026, 3, 9, 15), id="spring-closing"),
        # Fall back, 2026-11-01: 02:00 PDT goes back to 01:00 PST (09:00Z).
        # 23:00 PDT on 10-31 = 06:00Z 11-01 -> 11-01 08:00 PST = 16:00Z
        pytest.param(utc(2026, 11, 1, 6), utc(2026, 11, 1, 16), id="fall-eve-23h"),
        # 01:30 PDT (first pass) = 08:30Z -> 08:00 PST = 16:00Z
        pytest.param(utc(2026, 11, 1, 8, 30), utc(2026, 11, 1, 16), id="fall-0130-first"),
        # 01:30 PST (second pass) = 09:30Z -> 16:00Z
        pytest.param(utc(2026, 11, 1, 9, 30), utc(2026, 11, 1, 16), id="fall-0130-second"),
        # 15:00Z is 07:00 PST (it was 08:00 PDT the day before) -> 16:00Z
        pytest.param(utc(2026, 11, 1, 15), utc(2026, 11, 1, 16), id="fall-15z-still-quiet"),
        # 08:00 PST = 16:00Z: open
        pytest.param(utc(2026, 11, 1, 16), None, id="fall-opening"),
        # 20:59 PST = 04:59Z 11-02: open
        pytest.param(utc(2026, 11, 2, 4, 59), None, id="fall-minute-before-closing"),
        # 21:00 PST = 05:00Z 11-02 -> 11-02 08:00 PST = 16:00Z
        pytest.param(utc(2026, 11, 2, 5), utc(2026, 11, 2, 16), id="fall-closing"),
        # the day before, 08:00 PDT = 15:00Z 10-31 is open
        pytest.param(utc(2026, 10, 31, 15), None, id="fall-day-before-15z"),
    ],
)
def test_quiet_hours_dst_change_days(now: datetime, expected: datetime | None) -> None:
    assert check_answer(now, LA, DAY) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Window 02:30-21:00; on 03-08 02:30 does not exist: it becomes 03:30 PDT = 10:30Z.
        # 01:00 PST = 09:00Z -> 10:30Z
        pytest.param(utc(2026, 3, 8, 9), utc(2026, 3, 8, 10, 30), id="0100pst"),
        # 01:59 PST = 09:59Z -> 10:30Z
        pytest.param(utc(2026, 3, 8, 9, 59), utc(2026, 3, 8, 10, 30), id="0159pst"),
        # 23:00 PST on 03-07 = 07:00Z 03-08 -> 10:30Z
        pytest.param(utc(2026, 3, 8, 7), utc(2026, 3, 8, 10, 30), id="evening-before"),
        # 21:00 PST on 03-07 = 05:00Z 03-08 (closing) -> 03-08's opening, 10:30Z
        pytest.param(utc(2026, 3, 8, 5), utc(2026, 3, 8, 10, 30), id="closing-day-before"),
        # 03:00 PDT = 10:00Z: the clock already reads past 02:30 -> open
        pytest.param(utc(2026, 3, 8, 10), None, id="0300pdt"),
        # the day before, no gap: 01:00 PST 03-07 = 09:00Z -> 02:30 PST = 10:30Z 03-07
        pytest.param(utc(2026, 3, 7, 9), utc(2026, 3, 7, 10, 30), id="day-before"),
        # the day after: 01:00 PDT 03-09 = 08:00Z -> 02:30 PDT = 09:30Z 03-09
        pytest.param(utc(2026, 3, 9, 8), utc(2026, 3, 9, 9, 30), id="day-after"),
    ],
)
def test_window_opening_in_the_skipped_hour(now: datetime, expected: datetime | None) -> None:
    assert check_answer(now, LA, (time(2, 30), time(21, 0))) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Window 01:30-21:00; on 11-01 01:30 happens at 08:30Z (PDT) and again at 09:30Z (PST).
        # 01:45 PDT (first pass) = 08:45Z: open
        pytest.param(utc(2026, 11, 1, 8, 45), None, id="0145pdt"),
        # 01:30 PDT = 08:30Z exactly: open
        pytest.param(utc(2026, 11, 1, 8, 30), None, id="0130pdt"),
        # 01:15 PDT = 08:15Z -> 01:30 PDT = 08:30Z
        pytest.param(utc(2026, 11, 1, 8, 15), utc(2026, 11, 1, 8, 30), id="0115pdt"),
        # 00:30 PDT = 07:30Z -> 08:30Z
        pytest.param(utc(2026, 11, 1, 7, 30), utc(2026, 11, 1, 8, 30), id="0030pdt"),
        # 01:30 PST (second pass) = 09:30Z: open
        pytest.param(utc(2026, 11, 1, 9, 30), None, id="0130pst"),
        # 01:45 PST = 09:45Z: open
        pytest.param(utc(2026, 11, 1, 9, 45), None, id="0145pst"),
    ],
)
def test_window_opening_in_the_repeated_hour(now: datetime, expected: datetime | None) -> None:
    assert check_answer(now, LA, (time(1, 30), time(21, 0))) == expected


@pytest.mark.parametrize(
    ("now", "window", "expected"),
    [
        # Window 01:30-21:00. 01:15 PST (second pass) = 09:15Z. The clock reads 01:30 again
        # at 01:30 PST = 09:30Z, and next_allowed(09:30Z) is None (see 0130pst above): the
        # first allowed minute is 09:30Z on 11-01, not 01:30 PST on 11-02 a day later.
        pytest.param(
            utc(2026, 11, 1, 9, 15),
            (time(1, 30), time(21, 0)),
            utc(2026, 11, 1, 9, 30),
            id="0115pst-before-second-0130",
        ),
        # Window 01:00-01:30. 01:40 PDT (first pass) = 08:40Z is past closing, but the clock
        # goes back to 01:00 PST = 09:00Z, inside the window again: that, not 11-02.
        pytest.param(
            utc(2026, 11, 1, 8, 40),
            (time(1, 0), time(1, 30)),
            utc(2026, 11, 1, 9),
            id="0140pdt-window-reopens-after-fall-back",
        ),
    ],
)
def test_window_opening_in_the_repeated_hour_second_pass(
    now: datetime, window: tuple[time, time], expected: datetime
) -> None:
    assert check_answer(now, LA, window) == expected


@pytest.mark.parametrize(
    ("day", "at", "tz", "expected_utc", "expected_clock"),
    [
        # 02:30 on 03-08 LA is skipped: moved to 03:30 PDT = 10:30Z
        (datetime(2026, 3, 8), time(2, 30), LA, utc(2026, 3, 8, 10, 30), time(3, 30)),
        # 02:00 is skipped too (the gap is [02:00, 03:00)): 03:00 PDT = 10:00Z
        (datetime(2026, 3, 8), time(2, 0), LA, utc(2026, 3, 8, 10), time(3, 0)),
        # 03:00 PDT exists: 10:00Z
        (datetime(2026, 3, 8), time(3, 0), LA, utc(2026, 3, 8, 10), time(3, 0)),
        # 01:59 PST exists: 09:59Z
        (datetime(2026, 3, 8), time(1, 59), LA, utc(2026, 3, 8, 9, 59), time(1, 59)),
        # 01:30 on 11-01 is ambiguous: the first pass, 01:30 PDT = 08:30Z
        (datetime(2026, 11, 1), time(1, 30), LA, utc(2026, 11, 1, 8, 30), time(1, 30)),
        # 08:00 on 11-01 is PST: 16:00Z
        (datetime(2026, 11, 1), time(8, 0), LA, utc(2026, 11, 1, 16), time(8, 0)),
        # Phoenix has no gap: 02:30 MST = 09:30Z
        (datetime(2026, 3, 8), time(2, 30), PHOENIX, utc(2026, 3, 8, 9, 30), time(2, 30)),
        # London springs forward 2026-03-29 01:00 GMT -> 02:00 BST: 01:30 -> 02:30 BST = 01:30Z
        (
            datetime(2026, 3, 29),
            time(1, 30),
            ZoneInfo("Europe/London"),
            utc(2026, 3, 29, 1, 30),
            time(2, 30),
        ),
    ],
)
def test_local_instant(
    day: datetime, at: time, tz: ZoneInfo, expected_utc: datetime, expected_clock: time
) -> None:
    found = local_instant(day.date(), at, tz)
    # compared in UTC: an ambiguous local time (01:30 on 11-01) never compares equal (==) to
    # a time of another zone (PEP 495), though it orders correctly
    assert found.astimezone(UTC) == expected_utc
    assert found.astimezone(tz).time() == expected_clock


@pytest.mark.parametrize(
    "window",
    [DAY, (time(2, 30), time(21, 0)), (time(1, 30), time(21, 0)), (time(22, 0), time(6, 0))],
    ids=["08-21", "0230-21", "0130-21", "22-06"],
)
@pytest.mark.parametrize("start", [utc(2026, 3, 7, 12), utc(2026, 10, 31, 12)], ids=["mar", "nov"])
def test_every_answer_around_dst_is_future_and_allowed(
    window: tuple[time, time], start: datetime
) -> None:
    # Every 10 minutes for 48 hours around each change: whatever next_allowed answers is in
    # UTC, after `now`, at most a day and an hour away, and allowed itself (check_answer).
    for step in range(48 * 6):
        now = start + timedelta(minutes=10 * step)
        found = check_answer(now, LA, window)
        if found is not None:
            assert found - now <= timedelta(hours=25)


# --- Arizona ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # MST all year: 08:00 MST = 15:00Z on both of LA's change days.
        # 02:30 MST on 03-08 = 09:30Z -> 15:00Z
        pytest.param(utc(2026, 3, 8, 9, 30), utc(2026, 3, 8, 15), id="mar-0230"),
        # 00:00 MST on 03-08 = 07:00Z -> 15:00Z
        pytest.param(utc(2026, 3, 8, 7), utc(2026, 3, 8, 15), id="mar-midnight"),
        pytest.param(utc(2026, 3, 8, 15), None, id="mar-opening"),
        # 01:30 MST on 11-01 = 08:30Z -> 15:00Z (an hour before LA's 16:00Z)
        pytest.param(utc(2026, 11, 1, 8, 30), utc(2026, 11, 1, 15), id="nov-0130"),
        # 21:00 MST on 10-31 = 04:00Z 11-01 -> 11-01 15:00Z
        pytest.param(utc(2026, 11, 1, 4), utc(2026, 11, 1, 15), id="nov-closing-before"),
        # 07:59 MST = 14:59Z -> 15:00Z
        pytest.param(utc(2026, 11, 1, 14, 59), utc(2026, 11, 1, 15), id="nov-0759"),
        pytest.param(utc(2026, 11, 1, 15), None, id="nov-opening"),
    ],
)
def test_quiet_hours_phoenix(now: datetime, expected: datetime | None) -> None:
    assert check_answer(now, PHOENIX, DAY) == expected


@pytest.mark.parametrize(
    ("now", "phoenix_expected", "la_expected"),
    [
        # 2026-06-01T14:30Z: Phoenix 07:30 MST -> 15:00Z; LA 07:30 PDT (UTC-7 too) -> 15:00Z
        pytest.param(utc(2026, 6, 1, 14, 30), utc(2026, 6, 1, 15), utc(2026, 6, 1, 15), id="jun"),
        # 2026-01-15T15:30Z: Phoenix 08:30 MST -> open; LA 07:30 PST -> 08:00 PST = 16:00Z
        pytest.param(utc(2026, 1, 15, 15, 30), None, utc(2026, 1, 15, 16), id="jan-morning"),
        # 2026-01-16T04:30Z: Phoenix 21:30 MST on 01-15 -> 01-16 08:00 MST = 15:00Z;
        # LA 20:30 PST on 01-15 -> open
        pytest.param(utc(2026, 1, 16, 4, 30), utc(2026, 1, 16, 15), None, id="jan-evening"),
    ],
)
def test_arizona_zip_beats_the_coalition_default(
    now: datetime, phoenix_expected: datetime | None, la_expected: datetime | None
) -> None:
    def zone_of(zip_code: str | None) -> ZoneInfo:
        return contact_zone(
            contact_zone_name=None,
            zip_code=zip_code,
            phone="+12135550100",  # an LA number: the ZIP still wins
            election_zone_name=None,
            default_zone_name="America/Los_Angeles",
            now=now,
        )

    arizona, angeleno = zone_of("85004"), zone_of(None)
    assert arizona.key == "America/Phoenix"
    assert angeleno.key == "America/Los_Angeles"
    assert check_answer(now, arizona, DAY) == phoenix_expected
    assert check_answer(now, angeleno, DAY) == la_expected


# --- where the recipient's zone comes from ---------------------------------------------------


@pytest.mark.parametrize(
    ("zip_code", "expected"),
    [
        ("85004", "America/Phoenix"),
        ("85004-1234", "America/Phoenix"),  # ZIP+4
        (" 85004 ", "America/Phoenix"),
        ("90012", "America/Los_Angeles"),
        ("10001", "America/New_York"),
        ("96813", "Pacific/Honolulu"),
        ("ABCDE", None),
        ("123", None),
        ("8500", None),
        ("00000", None),  # five digits, no such ZIP
        ("", None),
        (None, None),
    ],
)
def test_zone_for_zip(zip_code: str | None, expected: str | None) -> None:
    found = zone_for_zip(zip_code)
    assert (found.key if found else None) == expected


@pytest.mark.parametrize(
    ("phone", "now", "expected"),
    [
        ("+447911123456", utc(2026, 7, 1, 6), UK_ZONES),  # UK mobile: GB + Crown dependencies
        ("+442079460000", utc(2026, 7, 1, 6), {"Europe/London"}),  # London landline
        ("+81312345678", utc(2026, 7, 1, 6), {"Asia/Tokyo"}),
        ("+819012345678", utc(2026, 7, 1, 6), {"Asia/Tokyo"}),  # Japanese mobile
        ("+12135550100", utc(2026, 7, 1, 6), {"America/Los_Angeles"}),  # 213, Los Angeles
        ("+16025550100", utc(2026, 7, 1, 6), {"America/Phoenix"}),  # 602, Phoenix
        ("+17015550100", utc(2026, 7, 1, 6), None),  # 701, North Dakota: Mountain and Central
        ("+12085550100", utc(2026, 1, 15, 6), None),  # 208, Idaho: Mountain and Pacific
        ("+19075550100", utc(2026, 7, 1, 6), None),  # 907, Alaska: Anchorage and Adak
        ("+15555550100", utc(2026, 7, 1, 6), None),  # 555: no zone known
        ("+18005550100", utc(2026, 7, 1, 6), None),  # toll-free: every zone
        ("2135550100", utc(2026, 7, 1, 6), None),  # not E.164
        ("not a phone", utc(2026, 7, 1, 6), None),
        ("", utc(2026, 7, 1, 6), None),
        (None, utc(2026, 7, 1, 6), None),
    ],
)
def test_zone_for_phone(phone: str | None, now: datetime, expected: set[str] | None) -> None:
    found = zone_for_phone(phone, now)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.key in expected


def test_uk_mobile_abroad_is_deferred_in_uk_time() -> None:
    # 2026-07-01T06:00Z = 07:00 BST -> 08:00 BST = 07:00Z
    now = utc(2026, 7, 1, 6)
    tz = contact_zone(
        contact_zone_name=None,
        zip_code=None,
        phone="+447911123456",
        election_zone_name="America/Los_Angeles",
        default_zone_name="America/Los_Angeles",
        now=now,
    )
    assert tz.key in UK_ZONES
    assert check_answer(now, tz, DAY) == utc(2026, 7, 1, 7)
    # in winter: 07:30Z = 07:30 GMT -> 08:00 GMT = 08:00Z
    assert check_answer(utc(2026, 1, 15, 7, 30), tz, DAY) == utc(2026, 1, 15, 8)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 22:00Z on 07-01 = 07:00 JST 07-02 -> 08:00 JST 07-02 = 23:00Z 07-01
        (utc(2026, 7, 1, 22), utc(2026, 7, 1, 23)),
        # 12:00Z = 21:00 JST (closing) -> 07-02 08:00 JST = 23:00Z 07-01
        (utc(2026, 7, 1, 12), utc(2026, 7, 1, 23)),
        # 03:00Z = 12:00 JST: open
        (utc(2026, 7, 1, 3), None),
    ],
)
def test_japanese_number_uses_tokyo_time(now: datetime, expected: datetime | None) -> None:
    tz = contact_zone(
        contact_zone_name=None,
        zip_code=None,
        phone="+81312345678",
        election_zone_name=None,
        default_zone_name="America/Los_Angeles",
        now=now,
    )
    assert tz.key == "Asia/Tokyo"
    assert check_answer(now, tz, DAY) == expected


NOW = utc(2026, 7, 1, 18)
FULL = {
    "contact_zone_name": "America/Chicago",
    "zip_code": "85004",  # Phoenix
    "phone": "+81312345678",  # Tokyo
    "election_zone_name": "America/New_York",
    "default_zone_name": "America/Los_Angeles",
}


@pytest.mark.parametrize(
    ("emptied", "expected"),
    [
        ((), "America/Chicago"),  # the contact's own zone first
        (("contact_zone_name",), "America/Phoenix"),  # then the ZIP's
        (("contact_zone_name", "zip_code"), "Asia/Tokyo"),  # then the phone's
        (("contact_zone_name", "zip_code", "phone"), "America/New_York"),  # then the election's
        (
            ("contact_zone_name", "zip_code", "phone", "election_zone_name"),
            "America/Los_Angeles",  # then the coalition's default
        ),
    ],
)
def test_contact_zone_precedence(emptied: tuple[str, ...], expected: str) -> None:
    values = {**FULL, **dict.fromkeys(emptied)}
    found = contact_zone(
        contact_zone_name=values["contact_zone_name"],
        zip_code=values["zip_code"],
        phone=values["phone"],
        election_zone_name=values["election_zone_name"],
        default_zone_name=values["default_zone_name"] or "",
        now=NOW,
    )
    assert found.key == expected


@pytest.mark.parametrize(
    "bad_name",
    ["Mars/Olympus", "America", "America/", "../../etc/passwd", "utc", "America/Los_Angeles ", ""],
)
def test_invalid_zone_names_are_ignored(bad_name: str) -> None:
    assert zone(bad_name) is None
    # a bad contact zone falls through to the ZIP
    found = contact_zone(
        contact_zone_name=bad_name,
        zip_code="85004",
        phone=None,
        election_zone_name=None,
        default_zone_name="America/Los_Angeles",
        now=NOW,
    )
    assert found.key == "America/Phoenix"
    # a bad election zone falls through to the default
    found = contact_zone(
        contact_zone_name=None,
        zip_code=None,
        phone=None,
        election_zone_name=bad_name,
        default_zone_name="America/Los_Angeles",
        now=NOW,
    )
    assert found.key == "America/Los_Angeles"


def test_invalid_default_zone_gives_utc() -> None:
    found = contact_zone(
        contact_zone_name=None,
        zip_code=None,
        phone=None,
        election_zone_name=None,
        default_zone_name="Mars/Olympus",
        now=NOW,
    )
    assert found.key == "UTC"


@pytest.mark.parametrize("bad_zip", ["ABCDE", "123", "00000", ""])
def test_invalid_zip_is_ignored(bad_zip: str) -> None:
    found = contact_zone(
        contact_zone_name=None,
        zip_code=bad_zip,
        phone="+81312345678",
        election_zone_name=None,
        default_zone_name="America/Los_Angeles",
        now=NOW,
    )
    assert found.key == "Asia/Tokyo"  # on to the phone


@pytest.mark.parametrize(
    "phone",
    [
        "+17015550100",  # spans Mountain and Central
        "+19075550100",  # spans Alaska and Hawaii-Aleutian
        "+15555550100",  # unknown area code
        "2135550100",  # unparseable
    ],
)
@pytest.mark.parametrize(
    ("election_zone", "expected"),
    [("America/Chicago", "America/Chicago"), (None, "America/Los_Angeles")],
)
def test_unhelpful_phone_falls_through(
    phone: str, election_zone: str | None, expected: str
) -> None:
    found = contact_zone(
        contact_zone_name=None,
        zip_code=None,
        phone=phone,
        election_zone_name=election_zone,
        default_zone_name="America/Los_Angeles",
        now=NOW,
    )
    assert found.key == expected


# --- a window across midnight ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # 22:00-06:00 in LA on 2026-06-10/11 (PDT, UTC-7): 22:00 PDT = 05:00Z next day.
        pytest.param(utc(2026, 6, 11, 6), None, id="2300-inside"),  # 23:00 PDT
        pytest.param(utc(2026, 6, 11, 7), None, id="0000-inside"),  # 00:00 PDT
        pytest.param(utc(2026, 6, 11, 12, 59), None, id="0559-inside"),  # 05:59 PDT
        pytest.param(utc(2026, 6, 11, 5), None, id="2200-opening"),  # 22:00 PDT
        # 06:00 PDT 06-11 (13:00Z) is closing -> 22:00 PDT 06-11 = 05:00Z 06-12
        pytest.param(utc(2026, 6, 11, 13), utc(2026, 6, 12, 5), id="0600-closing"),
        # 12:00 PDT 06-10 (19:00Z) -> 22:00 PDT 06-10 = 05:00Z 06-11
        pytest.param(utc(2026, 6, 10, 19), utc(2026, 6, 11, 5), id="noon"),
        # 21:59 PDT 06-10 (04:59Z 06-11) -> 05:00Z 06-11
        pytest.param(utc(2026, 6, 11, 4, 59), utc(2026, 6, 11, 5), id="2159"),
        # on the spring change: 06:30 PDT 03-08 = 13:30Z -> 22:00 PDT 03-08 = 05:00Z 03-09
        pytest.param(utc(2026, 3, 8, 13, 30), utc(2026, 3, 9, 5), id="spring-0630"),
        # 01:30 PST 03-08 = 09:30Z: inside
        pytest.param(utc(2026, 3, 8, 9, 30), None, id="spring-0130"),
    ],
)
def test_window_across_midnight(now: datetime, expected: datetime | None) -> None:
    assert check_answer(now, LA, (time(22, 0), time(6, 0))) == expected


# --- WhatsApp's 24-hour window ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("ago", "is_open"),
    [
        (None, False),  # never wrote on WhatsApp
        (timedelta(0), True),
        (timedelta(hours=1), True),
        (timedelta(hours=23), True),
        (timedelta(hours=23, minutes=54, seconds=59), True),
        (timedelta(hours=23, minutes=55), False),  # 24h less the 5-minute margin: closed
        (timedelta(hours=23, minutes=56), False),
        (timedelta(hours=24), False),
        (timedelta(days=3), False),
    ],
)
def test_whatsapp_window(ago: timedelta | None, is_open: bool) -> None:
    now = utc(2026, 11, 3, 18)
    last = None if ago is None else now - ago
    assert whatsapp_window_open(last, now) is is_open


# --- the channel -----------------------------------------------------------------------------

RNOW = utc(2026, 11, 3, 18)
BOTH = frozenset({"sms", "whatsapp"})
SMS_ONLY_SENDER = frozenset({"sms"})
HOUR, DAY_AGO = timedelta(hours=1), timedelta(days=2)


def ago(delta: timedelta | None) -> datetime | None:
    return None if delta is None else RNOW - delta


@pytest.mark.parametrize(
    ("sms_ago", "wa_ago", "consent", "template", "available", "sms_only", "expected"),
    [
        pytest.param(DAY_AGO, None, False, None, BOTH, False, Route("sms"), id="sms-contact"),
        pytest.param(None, None, True, None, BOTH, False, Route("sms"), id="listed-never-wrote"),
        pytest.param(
            None, None, False, None, BOTH, False, Route(None, skip="no_channel"), id="nothing"
        ),
        pytest.param(
            None, HOUR, False, None, BOTH, False, Route("whatsapp"), id="whatsapp-in-window"
        ),
        # inside the window free text goes, even when a template exists
        pytest.param(
            None,
            timedelta(hours=23),
            False,
            "HX1",
            BOTH,
            False,
            Route("whatsapp"),
            id="whatsapp-23h-template-unused",
        ),
        pytest.param(
            None,
            DAY_AGO,
            False,
            "HX1",
            BOTH,
            False,
            Route("whatsapp", content_sid="HX1"),
            id="whatsapp-template",
        ),
        pytest.param(
            None,
            timedelta(hours=23, minutes=56),
            False,
            "HX1",
            BOTH,
            False,
            Route("whatsapp", content_sid="HX1"),
            id="whatsapp-just-closed-template",
        ),
        pytest.param(
            None, DAY_AGO, True, None, BOTH, False, Route("sms"), id="whatsapp-closed-listed-sms"
        ),
        pytest.param(
            timedelta(days=5),
            DAY_AGO,
            False,
            None,
            BOTH,
            False,
            Route("sms"),
            id="whatsapp-closed-sms-inbound-older",
        ),
        pytest.param(
            None,
            DAY_AGO,
            False,
            None,
            BOTH,
            False,
            Route(None, skip="whatsapp_window"),
            id="whatsapp-closed-no-sms",
        ),
        # no WhatsApp sender configured
        pytest.param(
            None,
            HOUR,
            False,
            None,
            SMS_ONLY_SENDER,
            False,
            Route(None, skip="no_channel"),
            id="no-whatsapp-sender",
        ),
        pytest.param(
            None,
            DAY_AGO,
            False,
            "HX1",
            SMS_ONLY_SENDER,
            False,
            Route(None, skip="no_channel"),
            id="no-whatsapp-sender-template",
        ),
        pytest.param(
            None,
            HOUR,
            True,
            None,
            SMS_ONLY_SENDER,
            False,
            Route("sms"),
            id="no-whatsapp-sender-listed",
        ),
        # no SMS sender configured
        pytest.param(
            HOUR,
            None,
            False,
            None,
            frozenset({"whatsapp"}),
            False,
            Route(None, skip="no_channel"),
            id="no-sms-sender",
        ),
        pytest.param(
            HOUR, None, True, None, frozenset(), False, Route(None, skip="no_channel"), id="none"
        ),
        # after a 63016: SMS or nothing, whatever the window and template
        pytest.param(None, HOUR, True, None, BOTH, True, Route("sms"), id="sms-only-listed"),
        pytest.param(
            timedelta(days=3),
            HOUR,
            False,
            "HX1",
            BOTH,
            True,
            Route("sms"),
            id="sms-only-whatsapp-contact-with-sms-inbound",
        ),
        pytest.param(
            None,
            HOUR,
            False,
            "HX1",
            BOTH,
            True,
            Route(None, skip="whatsapp_window"),
            id="sms-only-no-sms",
        ),
        # wrote on both: the most recent decides
        pytest.param(HOUR, HOUR * 2, False, None, BOTH, False, Route("sms"), id="both-sms-latest"),
        pytest.param(
            HOUR * 2, HOUR, False, None, BOTH, False, Route("whatsapp"), id="both-whatsapp-latest"
        ),
        pytest.param(
            HOUR,
            timedelta(days=3),
            False,
            "HX1",
            BOTH,
            False,
            Route("sms"),
            id="both-sms-latest-template-unused",
        ),
        pytest.param(HOUR, HOUR, False, None, BOTH, False, Route("sms"), id="both-same-instant"),
    ],
)
def test_route(
    sms_ago: timedelta | None,
    wa_ago: timedelta | None,
    consent: bool,
    template: str | None,
    available: frozenset[str],
    sms_only: bool,
    expected: Route,
) -> None:
    found = route(
        sms_last_inbound=ago(sms_ago),
        whatsapp_last_inbound=ago(wa_ago),
        has_sms_consent=consent,
        template=template,
        available=available,
        now=RNOW,
        sms_only=sms_only,
    )
    assert found == expected
