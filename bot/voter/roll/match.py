"""Tolerant identity matching for a registration check against a voter roll, without a database.

Names become keys: unordered pairs of one given-name word and one family-name word, folded
(accents, case, hyphens, particles off). "José María García-López", "jose maria garcia lopez",
"Garcia Lopez, Jose" and "JOSE GARCIA" share a key; a match also needs the same date of birth
and ZIP code, which is what keeps loose names from matching strangers.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.voter.roll.dob import DobParse, parse_dob, parse_dob_detail

__all__ = ["DobParse", "Person", "find_matches", "name_keys", "parse_dob", "parse_dob_detail"]

# Joining words of family names ("de la Cruz", "van der Berg", "García y López"): left out, as
# voters and rolls keep or drop them at will.
PARTICLES = frozenset(
    {
        "de",
        "del",
        "la",
        "las",
        "los",
        "y",
        "e",
        "da",
        "das",
        "do",
        "dos",
        "di",
        "du",
        "van",
        "von",
        "der",
        "den",
        "ter",
        "le",
        "bin",
        "binti",
        "al",
        "el",
    }
)
# Letters that Unicode does not decompose into a base letter and an accent.
_LETTERS = str.maketrans({"đ": "d", "ı": "i", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "þ": "th"})


@dataclass(frozen=True)
class Person:
    """Who a voter says they are, or a voter roll entry."""

    first: str
    last: str
    dob: dt.date
    zip: str


def fold_name(text: str) -> str:
    """Lower case, accents off, hyphens and dots as spaces, apostrophes gone: "O'Brien-Ruiz"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LETTERS))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = re.sub(r"['’`]", "", plain)
    return " ".join(re.sub(r"[^\w]|_", " ", plain).split())


def _words(text: str) -> list[str]:
    words = fold_name(text).split()
    kept = [w for w in words if w not in PARTICLES and len(w) > 1]  # initials say too little
    return kept or words


def _split(first: str, last: str) -> tuple[list[str], list[str]]:
    """Given and family words; a whole name in one field is "Family, Given" or "Given Family"."""
    if not last.strip():
        if "," in first:
            family, _, given = first.partition(",")
            return _words(given), _words(family)
        words = _words(first)
        return words[:1], words[1:]
    return _words(first), _words(last)


def name_keys(first: str, last: str) -> set[str]:
    """Keys that two spellings of one person's name share, in either order of the names."""
    given, family = _split(first, last)
    if not given or not family:
        return set()
    # Joined forms too: "GarciaLopez" typed as one word, "Josemaria" as one given name.
    given_forms = given + (["".join(given)] if len(given) > 1 else [])
    family_forms = family + (["".join(family)] if len(family) > 1 else [])
    return {"|".join(sorted((g, f))) for g in given_forms for f in family_forms if g != f}


def _zip5(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    return digits[:5]


def same_person(claim: Person, entry: Person) -> bool:
    """True when the date of birth and ZIP are equal and the names share a key."""
    if claim.dob != entry.dob or _zip5(claim.zip) != _zip5(entry.zip) or not _zip5(claim.zip):
        return False
    return bool(name_keys(claim.first, claim.last) & name_keys(entry.first, entry.last))


def find_matches(claim: Person, roll: Iterable[Person]) -> list[Person]:
    """The roll entries that may be the claimant; more than one means ask for more."""
    return [entry for entry in roll if same_person(claim, entry)]
