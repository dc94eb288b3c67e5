"""Phone numbers as partners' spreadsheets write them, to E.164, or the reason they cannot be.

phonenumbers takes about 50 µs to parse and validate one number, which alone would make a
million-row import take a minute. Most lists are North American numbers written in a handful of
ways, so those take a fast path that applies phonenumbers' own metadata (the same patterns, in
the same order: see `_region_code_for_number_from_list` in phonenumbers) to the ten digits; the
test suite checks both paths agree. Everything else goes through phonenumbers itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, ValidationResult
from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE

from bot.errors import Invalid

NANP_REGIONS: tuple[str, ...] = tuple(COUNTRY_CODE_TO_REGION_CODE[1])
_NANP_WRITTEN = re.compile(
    r"\s*(?:\+\s*1|1)?[\s.\-]*\(?\s*([2-9]\d\d)\s*\)?[\s.\-]*(\d{3})[\s.\-]*(\d{4})\s*"
)
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
_FLOAT_TAIL = re.compile(r"(\+?\d{6,})[.,]0+")
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)
SCIENTIFIC = (
    "phone was converted to scientific notation by a spreadsheet and its digits are lost; "
    "re-export the column as text"
)
_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}
_LENGTH_REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    ValidationResult.TOO_SHORT: "too short",
    ValidationResult.TOO_LONG: "too long",
    ValidationResult.INVALID_LENGTH: "wrong number of digits",
}


class PhoneProblem(Invalid):
    """A value that is not a phone number we can text; the message says why."""


def _desc_pattern(desc: Any) -> str | None:
    """A number description's pattern if it admits ten-digit numbers."""
    pattern = getattr(desc, "national_number_pattern", None)
    lengths = getattr(desc, "possible_length", ()) or ()
    return None if pattern is None or (lengths and 10 not in lengths) else str(pattern)


@cache
def _region_rules() -> tuple[tuple[re.Pattern[str] | None, Callable[[str], bool]], ...]:
    """Per NANP region, in phonenumbers' order: its leading-digits rule and its validity test."""
    rules = []
    for region in NANP_REGIONS:
        meta: Any = PhoneMetadata.metadata_for_region(region)
        general = _desc_pattern(meta.general_desc)
        kinds = [p for p in (_desc_pattern(getattr(meta, t, None)) for t in _TYPES) if p]
        # Valid: the general pattern and one of the kinds' (phonenumbers' _number_type_helper).
        both = re.compile(
            f"(?=(?:{general})$)(?:{'|'.join(kinds)})" if general and kinds else r"(?!)"
        )
        leading = re.compile(meta.leading_digits) if meta.leading_digits else None
        rules.append((leading, _matcher(both)))
    return tuple(rules)


def _matcher(pattern: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda national: pattern.fullmatch(national) is not None


def nanp_valid(national: str) -> bool:
    """Whether phonenumbers would call +1 followed by these ten digits a valid number."""
    for leading, valid in _region_rules():
        if leading is not None:
            if leading.match(national):
                return valid(national)
        elif valid(national):
            return True
    return False


def _slow(value: str, region: str) -> str:
    try:
        parsed = phonenumbers.parse(value, region)
    except NumberParseException as exc:
        raise PhoneProblem(_PARSE_REASONS.get(exc.error_type, "not a phone number")) from None
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        raise PhoneProblem(_LENGTH_REASONS.get(reason, "wrong number of digits"))
    if reason == ValidationResult.IS_POSSIBLE_LOCAL_ONLY:
        raise PhoneProblem("no area code (only the local number)")
    if not phonenumbers.is_valid_number(parsed):
        where = phonenumbers.region_code_for_country_code(parsed.country_code or 0)
        raise PhoneProblem(f"not a valid number in {where} (no such area code or prefix)")
    return f"+{parsed.country_code}{phonenumbers.national_significant_number(parsed)}"


def _unwrap(raw: str) -> str:
    """Undo what spreadsheets do to phone cells: ="..." formulas, a leading apostrophe, a
    trailing .0 from a number column."""
    value = raw.strip()
    if value.startswith('="') and value.endswith('"'):
        value = value[2:-1].strip()
    value = value.lstrip("'").strip()
    if value[:9].lower() == "whatsapp:":
        value = value[9:].strip()
    tail = _FLOAT_TAIL.fullmatch(value)
    return tail.group(1) if tail else value


class PhoneNormalizer:
    """E.164 from what people write, for one default region (`TURNOUT_DEFAULT_REGION`)."""

    def __init__(self, region: str = "US") -> None:
        self.region = region.upper()
        self.nanp = self.region in NANP_REGIONS

    def __call__(self, raw: str) -> str:
        """The number in E.164, or PhoneProblem saying why not."""
        match = _NANP_WRITTEN.fullmatch(raw)
        if match is not None and (self.nanp or raw.lstrip().startswith("+")):
            national = "".join(match.groups())
            if nanp_valid(national):
                return f"+1{national}"
            raise PhoneProblem("not a valid number in US (no such area code or prefix)")
        value = _unwrap(raw)
        if not value:
            raise PhoneProblem("phone is empty")
        if _SCIENTIFIC.fullmatch(value):
            raise PhoneProblem(SCIENTIFIC)
        if value != raw.strip():
            return self(value)
        return _slow(value, self.region)
