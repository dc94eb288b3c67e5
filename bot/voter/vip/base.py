"""What both VIP flavors share: the `Fields` seam, the problem list, the first-pass index."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from bot.voter.records import FeedProblem, Hours, Locality


class Fields(Protocol):
    """One element or row, read by XML-style names."""

    source_id: str

    def text(self, name: str) -> str | None:
        """A child's (or path's, "LatLng/Latitude") stripped text, None when missing or empty."""
        ...

    def intl(self, name: str) -> str | None:
        """An InternationalizedText child in English if it has English, else its first text."""
        ...

    def texts(self, name: str) -> list[str]:
        """Each text of a repeated child (AddressLine), empty ones left out."""
        ...

    def external_ids(self) -> list[tuple[str, str]]:
        """(type, value) of each external identifier (ocd-id, fips)."""
        ...


class Problems:
    """Problems in the order found, each once even when a pass is run again."""

    def __init__(self) -> None:
        self._seen: dict[FeedProblem, None] = {}

    def add(self, element: str, source_id: str, problem: str) -> None:
        """Record one problem."""
        self._seen.setdefault(FeedProblem(element, source_id, problem), None)

    def all(self) -> list[FeedProblem]:
        """Every problem so far."""
        return list(self._seen)


@dataclass
class FeedIndex:
    """The small things records refer to, gathered in a first pass over the feed."""

    hours: dict[str, tuple[Hours, ...]] = field(default_factory=dict)
    localities: dict[str, Locality] = field(default_factory=dict)
    states: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)
    place_ids: set[str] = field(default_factory=set)
    precinct_ids: set[str] = field(default_factory=set)
    state_place_ids: dict[str, tuple[str, ...]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    shared_place_ids: set[str] = field(default_factory=set)

    def finish(self) -> None:
        """Derive what needs the whole index: places open to a whole locality or state."""
        shared = {pid for loc in self.localities.values() for pid in loc.polling_place_ids}
        self.shared_place_ids = shared | {p for ids in self.state_place_ids.values() for p in ids}


def flag(value: str | None) -> bool | None:
    """An xs:boolean (or the places CSV's yes/no), None when absent or unreadable."""
    text = (value or "").strip().lower()
    if text in ("true", "1", "yes", "y"):
        return True
    if text in ("false", "0", "no", "n"):
        return False
    return None


def ids(value: str | None) -> tuple[str, ...]:
    """An xs:IDREFS: ids separated by white space."""
    return tuple(dict.fromkeys((value or "").split()))
