"""Dates of birth as voters type them, in their language's habits, checked for plausibility.

"03/05/1980" is March 5 to an English speaker and 3 May to a Spanish one; when both readings
are possible the language decides, and the other reading is kept so the bot can ask.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

MIN_AGE, MAX_AGE = 16, 120  # some states pre-register at 16; nobody registered is older
# Day first in writing (numeric dates). US English and Filipino write the month first (the
# Philippines follows the US form), and so does everybody else texting a US bot by default.
DAY_FIRST = frozenset(
    {
        "es",
        "vi",
        "hi",
        "km",
        "th",
        "fr",
        "pt",
        "de",
        "it",
        "ru",
        "uk",
        "ar",
        "fa",
        "hy",
        "bn",
        "pa",
        "ur",
        "ne",
        "my",
        "lo",
        "so",
        "am",
        "ht",
    }
)
BUDDHIST_ERA = 543  # Thai years count from 543 BCE: 2523 BE is 1980 CE

_MONTHS = {
    # English, Spanish, Tagalog (Filipino); abbreviations where they are common.
    1: "january jan enero ene",
    2: "february feb febrero pebrero",
    3: "march mar marzo marso",
    4: "april apr abril",
    5: "may mayo",
    6: "june jun junio hunyo",
    7: "july jul julio hulyo",
    8: "august aug agosto",
    9: "september sep sept septiembre setiembre set setyembre",
    10: "october oct octubre oktubre",
    11: "november nov noviembre nobyembre",
    12: "december dec diciembre dic disyembre",
}
_THAI_MONTHS = (
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
)
_CJK = re.compile(r"(\d{2,4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})")
_VIET = re.compile(r"(\d{1,2})\s*thang\s*(\d{1,2})\s*(?:nam)?[\s,]*(\d{2,4})")
_YEAR_FIRST = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_NUMERIC = re.compile(r"(?<!\d)(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4}|\d{2})(?!\d)")
_COMPACT = re.compile(r"(?<!\d)(\d{8})(?!\d)")


@dataclass(frozen=True)
class DobParse:
    """A date of birth read from text; `alternative` is the other reading of "03/05/1980"."""

    value: dt.date
    alternative: dt.date | None = None

    @property
    def ambiguous(self) -> bool:
        """True when day and month could be read either way and both readings are plausible."""
        return self.alternative is not None


def _digits(text: str) -> str:
    """NFKC (full-width forms), and every script's digits as ASCII ("๒๕๒๓" -> "2523")."""
    chars = []
    for ch in unicodedata.normalize("NFKC", text):
        decimal = unicodedata.decimal(ch, None) if ch.isdigit() else None
        chars.append(str(decimal) if decimal is not None else ch)
    return "".join(chars)


def _fold(text: str) -> str:
    """Digits as ASCII, marks (accents, some Thai vowels) off, lower case: "Tháng" -> "thang"."""
    decomposed = unicodedata.normalize("NFKD", _digits(text).replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


_MONTH_OF = {word: number for number, words in _MONTHS.items() for word in words.split()}
_MONTH_OF.update({_fold(name): number for number, name in enumerate(_THAI_MONTHS, start=1)})


def parse_dob_detail(text: str, language: str, *, today: dt.date) -> DobParse | None:
    """A plausible date of birth in the text, with the other reading when it is ambiguous."""
    folded = _fold(text)  # NFKD would split Hangul syllables (년), so CJK reads the digits only
    for readings in (_cjk(_digits(text)), _viet(folded), _year_first(folded), _named(folded)):
        if readings:
            return _choose(readings, language, today, ambiguous_ok=False)
    numeric = _numeric(folded, language)
    return _choose(numeric, language, today, ambiguous_ok=True) if numeric else None


def parse_dob(text: str, language: str, *, today: dt.date) -> dt.date | None:
    """A plausible date of birth in the text (the language's reading if ambiguous), else None."""
    found = parse_dob_detail(text, language, today=today)
    return found.value if found else None


Reading = tuple[int, int, int]  # (year, month, day) as written, not yet checked


def _cjk(text: str) -> list[Reading]:
    found = _CJK.search(text)
    return [(int(found[1]), int(found[2]), int(found[3]))] if found else []


def _viet(text: str) -> list[Reading]:
    found = _VIET.search(text)  # "ngày 5 tháng 3 năm 1980": day, then month
    return [(int(found[3]), int(found[2]), int(found[1]))] if found else []


def _year_first(text: str) -> list[Reading]:
    found = _YEAR_FIRST.search(text)
    return [(int(found[1]), int(found[2]), int(found[3]))] if found else []


def _named(text: str) -> list[Reading]:
    """A month by name with a day and a year: "March 5, 1980", "5 de marzo de 1980"."""
    words = re.findall(r"\d+|[^\s\d.,/-]+", text)  # not \w: Thai vowel signs are not word chars
    months = [_MONTH_OF[w] for w in words if w in _MONTH_OF]
    numbers = [int(w) for w in words if w.isdigit()]
    if len(set(months)) != 1 or len(numbers) != 2:
        return []
    years = [n for n in numbers if n > 31]
    year = years[0] if len(years) == 1 else numbers[-1]  # "March 5 80": the year comes last
    day = numbers[0] if numbers[1] == year else numbers[1]
    return [(year, months[0], day)]


def _numeric(text: str, language: str) -> list[Reading]:
    """Both readings of "03/05/1980" (or "03051980"), the language's habit first."""
    found = _NUMERIC.search(text)
    if found:
        first, second, year = int(found[1]), int(found[2]), int(found[3])
    elif compact := _COMPACT.search(text):
        digits = compact[1]
        if digits[:2] in ("19", "20"):
            return [(int(digits[:4]), int(digits[4:6]), int(digits[6:]))]
        first, second, year = int(digits[:2]), int(digits[2:4]), int(digits[4:])
    else:
        return []
    month_first, day_first = (year, first, second), (year, second, first)
    if language.split("-")[0].lower() in DAY_FIRST:
        return [day_first, month_first]
    return [month_first, day_first]


def _choose(
    readings: list[Reading], language: str, today: dt.date, *, ambiguous_ok: bool
) -> DobParse | None:
    plausible: list[dt.date] = []
    for year, month, day in readings:
        for full_year in _years(year, language, today):
            when = _date(full_year, month, day)
            if when is not None and _plausible(when, today) and when not in plausible:
                plausible.append(when)
                break
    if not plausible:
        return None
    other = plausible[1] if ambiguous_ok and len(plausible) > 1 else None
    return DobParse(plausible[0], other)


def _years(year: int, language: str, today: dt.date) -> list[int]:
    if language.split("-")[0].lower() == "th" and year > today.year + BUDDHIST_ERA - 200:
        return [year - BUDDHIST_ERA]
    if year < 100:
        return [2000 + year, 1900 + year]  # the most recent century that gives a plausible age
    return [year]


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None  # 30 February, month 13


def _plausible(when: dt.date, today: dt.date) -> bool:
    age = today.year - when.year - ((today.month, today.day) < (when.month, when.day))
    return when <= today and MIN_AGE <= age <= MAX_AGE
