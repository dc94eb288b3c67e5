"""The one place that reads the clock; everything else takes `now` as an argument."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo | None:
    """An IANA time zone by name, or None for a missing or unknown name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: with the `tzdata` package, a region's folder such as
        # "America" is a directory, which ZoneInfo opens and fails on.
        return None
