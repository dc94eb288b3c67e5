"""Roll keys: what the database keeps of a voter's name, and the statuses a roll may say.

A key is a 64-bit BLAKE2b hash of one `match.name_keys` key with the date of birth and ZIP, so
a check is one indexed probe and the table holds no readable name. It is pseudonymous, not
anonymous: someone with the database and a guess of name, birthday and ZIP can test the guess,
which is also what the bot's own (rate-limited) check does.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from bot.voter.roll.match import fold_name, name_keys

VERSION = b"v1"  # changing how keys are made means re-importing the roll
ACTIVE = frozenset({"a", "act", "active", "registered", "reg", "y", "yes"})
INACTIVE = frozenset(
    {"i", "inact", "inactive", "s", "suspense", "p", "pending", "confirmation", "f", "fail-safe"}
)
NOT_REGISTERED = frozenset(
    {"c", "can", "cancelled", "canceled", "r", "removed", "purged", "d", "deceased", "x"}
)


def roll_status(text: str) -> str | None:
    """active, inactive, "gone" (cancelled, removed: not registered), or None if unknown."""
    word = text.strip().lower()
    if word in ACTIVE:
        return "active"
    if word in INACTIVE:
        return "inactive"
    return "gone" if word in NOT_REGISTERED else None


def hash_key(name_key: str, dob: dt.date, zip5: str) -> int:
    """A name key with a date of birth and ZIP, as a signed 64-bit integer (a BIGINT)."""
    data = b"|".join((VERSION, name_key.encode(), dob.isoformat().encode(), zip5.encode()))
    digest = hashlib.blake2b(data, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def voter_keys(first: str, last: str, dob: dt.date, zip5: str) -> set[int]:
    """Every key of a person: each pair of a given and a family name, in either order."""
    keys = name_keys(first, last)
    given, family = fold_name(first), fold_name(last)
    if not keys and given and given == family:
        keys = {f"{given}|{family}"}  # "Nguyen Nguyen": one word, twice, is still a name
    return {hash_key(key, dob, zip5) for key in keys}
