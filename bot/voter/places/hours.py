"""Opening hours: VIP times with offsets, schedules over date ranges, and the places CSV's
`hours` column, all resolved into concrete `Hours`, one per day and window."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence

from bot.voter.records import Hours

# A schedule longer than this is a typo (a wrong year), not a year of early voting.
MAX_SCHEDULE_DAYS = 120

_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(Z|[+-]\d{2}:?\d{2})?\s*$", re.IGNORECASE)
_US_DATE = re.compile(r"^\s*(\d{1,2})[/-](\d{1,2})[/-](\d{4})\s*$")
_SPAN = re.compile(r"^(?:(\d{4}-\d{2}-\d{2})\s+)?(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$")


def parse_time(text: str | None) -> tuple[dt.time, dt.timezone | None] | None:
    """A wall-clock time and its UTC offset if given ("06:00:00-07:00", "7:30"), else None."""
    found = _TIME.match(text or "")
    if not found:
        return None
    hour, minute, second = int(found[1]), int(found[2]), int(found[3] or 0)
    if (hour, minute, second) == (24, 0, 0):
        clock = dt.time.max  # xs:time allows 24:00:00, the end of the day
    elif hour > 23 or minute > 59 or second > 59:
        return None
    else:
        clock = dt.time(hour, minute, second)
    return clock, _offset(found[4])


def _offset(text: str | None) -> dt.timezone | None:
    if not text:
        return None
    if text.upper() == "Z":
        return dt.UTC
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:])
    if minutes > 14 * 60:
        return None
    return dt.timezone(dt.timedelta(minutes=-minutes if text[0] == "-" else minutes))


def parse_date(text: str | None) -> dt.date | None:
    """An xs:date ("2020-11-03"); also the US "11/03/2020" that the spec's own CSV sample uses."""
    value = (text or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        pass
    found = _US_DATE.match(value)
    if not found:
        return None
    try:
        return dt.date(int(found[3]), int(found[1]), int(found[2]))
    except ValueError:
        return None


def expand_schedule(
    start: dt.date | None,
    end: dt.date | None,
    spans: Sequence[tuple[str | None, str | None]],
    *,
    appointment_only: bool = False,
    subject_to_change: bool = False,
) -> tuple[list[Hours], list[str]]:
    """One `Hours` per day from `start` to `end` and per (open, close) span, with problems."""
    problems: list[str] = []
    days = _days(start, end, problems)
    windows: list[tuple[dt.time, dt.time, dt.timezone | None]] = []
    for opens_text, closes_text in spans:
        opens, closes = parse_time(opens_text), parse_time(closes_text)
        if opens is None or closes is None:
            problems.append(f"unreadable hours {opens_text!r}-{closes_text!r}")
            continue
        if closes[0] <= opens[0]:
            problems.append(f"closes ({closes_text}) before it opens ({opens_text})")
            continue
        windows.append((opens[0], closes[0], opens[1] or closes[1]))
    hours = [
        Hours(day, opens, closes, tz, appointment_only, subject_to_change)
        for day in days
        for opens, closes, tz in windows
    ]
    return hours, problems


def _days(start: dt.date | None, end: dt.date | None, problems: list[str]) -> list[dt.date | None]:
    if start is None or end is None:
        return [start or end]  # no range: undated (election day) or the one day given
    first, last = start, end
    if last < first:
        problems.append(f"schedule ends ({last}) before it starts ({first})")
        return []
    if (last - first).days >= MAX_SCHEDULE_DAYS:
        problems.append(f"schedule from {first} to {last} is too long to be real")
        return []
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def parse_hours_text(
    text: str, start: dt.date | None, end: dt.date | None
) -> tuple[list[Hours], list[str]]:
    """The places CSV's hours: "07:00-20:00" over start..end, or "2020-10-28 08:00-17:00; ..."."""
    hours: list[Hours] = []
    problems: list[str] = []
    for part in (piece.strip() for piece in text.split(";")):
        if not part:
            continue
        found = _SPAN.match(part)
        if not found:
            problems.append(f"unreadable hours {part!r}")
            continue
        day = parse_date(found[1]) if found[1] else None
        if found[1] and day is None:
            problems.append(f"impossible date {found[1]!r}")
            continue
        first, last = (day, day) if day else (start, end)
        got, bad = expand_schedule(first, last, [(found[2], found[3])])
        hours += got
        problems += bad
    return sort_hours(hours), problems


def sort_hours(hours: Iterable[Hours]) -> list[Hours]:
    """Hours by day (undated first), then opening time, without duplicates."""
    return sorted(set(hours), key=lambda h: (h.day or dt.date.min, h.opens, h.closes))
