"""One row of a partner's file, normalized: E.164 phone, supported language code, ZIP, dates.

A row is rejected (not imported) when its phone is unusable, its opt-in date cannot be read or
is missing, or its cells do not line up with the header. A bad optional value (ZIP, email,
language, ...) only leaves that value out; both are reported with the row and column.

Tags, when the file has a tags column, are staged as stored ("|a|b|"), as "" for a row that
has none (the file's tags replace the membership's: none is an answer), and as None when they
were left out (the membership keeps its tags).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from bot.contacts.imports.columns import IMPORTED, TAGS, Columns
from bot.contacts.imports.languages import LanguageNames, LanguageProblem
from bot.contacts.imports.phone_cells import PhoneNormalizer, PhoneProblem
from bot.errors import Invalid
from bot.sending.sends import tags_value

Values = tuple[str | datetime | None, ...]  # in IMPORTED order
US_POSTAL = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
PLACEHOLDERS = frozenset({"null", "none", "n/a", "#n/a", "nan", "-", "--", "#value!", "#ref!"})
LIMITS = {
    "first_name": 100,
    "last_name": 100,
    "external_id": 64,
    "consent_source": 200,
    TAGS: 500,
}
_SOURCE_AT, _TAGS_AT = IMPORTED.index("consent_source"), IMPORTED.index(TAGS)
_TAG_SEPARATORS = re.compile(r"[,;|]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]{2,}")
_SCIENTIFIC = re.compile(r"\d+(?:[.,]\d+)?[eE]\+?\d+")
_DATE_FORMATS = (
    "%m/%d/%Y",
    "%m/%d/%y",
    "%Y/%m/%d",
    "%m-%d-%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Problem:
    """What is wrong with one value of one row, and whether the row was left out for it."""

    row: int
    column: str | None
    value: str | None
    problem: str
    rejected: bool


class ValueProblem(Invalid):
    """An optional value left out; the message says why."""


@lru_cache(maxsize=65536)
def parse_when(text: str) -> datetime:
    """A date or date-time as spreadsheets write them (US month-first), as aware UTC."""
    value = text.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt)  # naive: taken as UTC below
                break
            except ValueError:
                continue
        else:
            raise ValueError("date not understood; write it as YYYY-MM-DD") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def consent_datetime(day: date | None) -> datetime | None:
    """An import's consent date as the UTC midnight that starts it."""
    return datetime.combine(day, time(), tzinfo=UTC) if day else None


def _repair_number(value: str) -> str:
    """A number a spreadsheet turned into a decimal ('90012.0'), back to its digits."""
    head, dot, tail = value.partition(".")
    return head if dot and head.isdigit() and tail.strip("0") == "" else value


def us_zip(value: str) -> str:
    """A US ZIP or ZIP+4; ZIPs that lost their leading zeros in a spreadsheet are repaired."""
    if len(value) == 5 and value.isdigit():
        return value
    head, dash, tail = _repair_number(value).replace(" ", "").partition("-")
    if dash:
        if not (head.isdigit() and 3 <= len(head) <= 5 and tail.isdigit() and len(tail) == 4):
            raise ValueProblem("not a US ZIP code")
        return f"{head.zfill(5)}-{tail}"
    if not head.isdigit() or len(head) not in (3, 4, 5, 7, 8, 9):
        raise ValueProblem("not a US ZIP code")
    if len(head) > 5:  # ZIP+4 written without its dash
        digits = head.zfill(9)
        return f"{digits[:5]}-{digits[5:]}"
    return head.zfill(5)


def _limited_zip(value: str) -> str:
    """A postal code outside the US, as written."""
    if len(value) > 16:
        raise ValueProblem("longer than 16 characters")
    return value


def email(value: str) -> str:
    """An email address, its domain lowercased."""
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueProblem("not an email address")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def external_id(value: str) -> str:
    """An ID from the partner's tool (VANID, ...), undoing a spreadsheet's decimal."""
    if value.isdigit() and len(value) <= LIMITS["external_id"]:
        return value
    if _SCIENTIFIC.fullmatch(value):
        raise ValueProblem("converted to scientific notation by a spreadsheet; export as text")
    return _limited(_repair_number(value), "external_id")


def _limited(value: str, field: str) -> str:
    if len(value) > LIMITS[field]:
        raise ValueProblem(f"longer than {LIMITS[field]} characters")
    return value


def _words(field: str) -> Callable[[str], str]:
    """A name or source: single spaces, within its length."""
    return lambda raw: _limited(" ".join(raw.split()), field)


def tags(value: str) -> str:
    """A cell's tags as a membership stores them: separated by commas, semicolons or pipes,
    each folded (`Guide ES` is `guide-es`), sorted, between bars; "" when there are none."""
    stored = tags_value(_TAG_SEPARATORS.split(value)) or ""
    if len(stored) > LIMITS[TAGS]:
        raise ValueProblem(f"longer than {LIMITS[TAGS]} characters once folded")
    return stored


def _blank(raw: str) -> bool:
    # Placeholders are short: most values skip the lowercase copy.
    return not raw or (len(raw) <= 7 and raw.lower() in PLACEHOLDERS)


class RowNormalizer:
    """Turns a row's cells into the values stored, and the problems to report."""

    def __init__(
        self,
        *,
        columns: Columns,
        region: str,
        languages: LanguageNames,
        opted_in_at: datetime | None,
        source: str | None,
        now: datetime,
    ) -> None:
        self.columns = columns
        self.phone = PhoneNormalizer(region)
        self.width = len(columns.header)
        self.phone_at = columns.index["phone"]
        self.when_at = columns.index.get("opted_in_at", -1)
        self.tags_at = columns.index.get(TAGS, -1)
        converters: dict[str, Callable[[str], str | None]] = {
            "first_name": _words("first_name"),
            "last_name": _words("last_name"),
            "zip": us_zip if region.upper() in US_POSTAL else _limited_zip,
            "email": email,
            "external_id": external_id,
            "language": languages.code,
            "consent_source": _words("consent_source"),
        }
        self.optional = [
            (IMPORTED.index(f), i, converters[f], f)
            for f, i in columns.index.items()
            if f in converters
        ]
        self.default_when, self.default_source = opted_in_at, source
        self.latest = now + timedelta(days=1)  # a partner a time zone ahead is not "future"

    def __call__(self, number: int, cells: list[str]) -> tuple[Values | None, list[Problem]]:
        """(values, problems); values is None when the row is rejected or blank. A rejected
        row's other problems are reported too, so that one pass over the file fixes them."""
        count = len(cells)
        if count > self.width and any(c.strip() for c in cells[self.width :]):
            return None, [self._misaligned(number, cells)]
        problems: list[Problem] = []
        raw = cells[self.phone_at].strip() if self.phone_at < count else ""
        try:
            phone: str | None = self.phone(raw)
        except PhoneProblem as exc:
            if not any(c.strip() for c in cells):
                return None, []  # a blank row, or one of only delimiters: not a row at all
            problems.append(self._problem(number, "phone", raw, str(exc), True))
            phone = None
        at = self.when_at
        when = self._when(number, cells[at].strip() if 0 <= at < count else "", problems)
        values: list[str | datetime | None] = [
            phone,
            None,
            None,
            None,
            None,
            None,
            None,
            when,
            None,
            None,
        ]
        for position, index, convert, field in self.optional:
            if index >= count or not (value := cells[index].strip()):
                continue
            if len(value) > 7 or value.lower() not in PLACEHOLDERS:  # _blank, inlined
                try:
                    values[position] = convert(value)
                except (ValueProblem, LanguageProblem) as exc:
                    problems.append(self._problem(number, field, value, f"{exc}; left out", False))
        if (at := self.tags_at) >= 0:
            raw = cells[at].strip() if at < count else ""
            values[_TAGS_AT] = self._tags(number, raw, problems)
        if phone is None or when is None:
            return None, problems
        if values[_SOURCE_AT] is None:
            values[_SOURCE_AT] = self.default_source
        return tuple(values), problems

    def _tags(self, number: int, raw: str, problems: list[Problem]) -> str | None:
        if _blank(raw):
            return ""
        try:
            return tags(raw)
        except ValueProblem as exc:
            problems.append(self._problem(number, TAGS, raw, f"{exc}; left out", False))
            return None

    def _when(self, number: int, raw: str, problems: list[Problem]) -> datetime | None:
        if _blank(raw):
            if self.default_when is None:
                text = "no opt-in date: the row has none and the import gives no consent date"
                problems.append(self._problem(number, "opted_in_at", raw, text, True))
            return self.default_when
        try:
            when = parse_when(raw)
        except ValueError as exc:
            problems.append(self._problem(number, "opted_in_at", raw, f"opt-in {exc}", True))
            return None
        if not EARLIEST <= when <= self.latest:
            problem = (
                "opt-in date is in the future"
                if when > self.latest
                else ("opt-in date is before 1990: probably a spreadsheet's empty date")
            )
            problems.append(self._problem(number, "opted_in_at", raw, problem, True))
            return None
        return when

    def _problem(self, number: int, field: str, raw: str, text: str, rejected: bool) -> Problem:
        column = self.columns.name(field) if field in self.columns.index else field
        return Problem(number, column, raw[:200] or None, text, rejected)

    def _misaligned(self, number: int, cells: list[str]) -> Problem:
        text = (
            f"row has {len(cells)} values but the header has {self.width} columns: "
            "a value may contain an unquoted delimiter"
        )
        return Problem(number, None, None, text, True)
