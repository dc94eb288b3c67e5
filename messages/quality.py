"""The checks a sent message's text must pass, in any language: the same variables as English,
inside the SMS budget its English comment names (rendered with realistic values), no invisible
characters, NFC, and the STOP keyword in what is sent unprompted. The test suite applies them
to every catalog (tests/test_catalogs.py); the console applies them to a reviewer's edit
before it is stored (`bot.translations`)."""

from __future__ import annotations

import contextlib
import unicodedata
from dataclasses import dataclass
from typing import Any

from messages.catalog import CatalogError, Catalogs, budget, is_list_key, placeholders
from messages.segments import count_segments

# Realistic values for the budget check; an operator's longer values are checked at start-up.
PARAMS: dict[str, Any] = {
    "coalition": "Voter Power Coalition",
    "help_contact": "call 213-555-0100",
    "registration_url": "https://voterstatus.sos.ca.gov/",
    "polling_url": "https://www.sos.ca.gov/elections/polling-place",
    # "options" (the language menu) depends on the catalogs: see `sample_params`
    # the lookups' variables, at realistic lengths
    "miles": "1.2",
    "opens": "8:00",
    "closes": "19:00",
    "date": "11/03",
    "source": "Maricopa County Elections",
    "name": "Mesa Community Center",
    "address": "263 N Center St, Mesa AZ 85201",
    "details": "Open today 8:00-19:00. Early voting.",
    "map": "https://maps.google.com/?q=263+N+Center+St+Mesa",
    "office": "Maricopa County Elections, 602-506-1511",
    "next_step": "The deadline to register is 10/19/2026.",
    "deadline": "10/19/2026",
    "where": "your county elections office",
    "places": "Mesa Community Center, 263 N Center St, Mesa AZ 85201. Open today 8:00-19:00.",
    "when": "Wednesday 9:00 AM",  # handoff.later: a day and a time, as Babel writes them
}
# The election reminders' and the blast footer's variables, at the lengths their budgets are
# drafted for: a short coalition name and links of about 30 characters (the longer links above
# take a 4th segment in some languages). Each language's own dates and place are checked too.
REMINDER_PARAMS: dict[str, Any] = {
    **PARAMS,
    "coalition": "Vote Together CA",
    "registration_url": "https://vote.example.org/check",
    "polling_url": "https://vote.example.org/where",
    "election": "General Election",
    "hours": "7:00 AM - 8:00 PM",  # a hyphen: an en dash is not GSM-7, English would go UCS-2
    "close": "8:00 PM",
    "early_end": "November 2",
    "place": "Your polling place: Burton Barr Central Library, 1221 N Central Ave, Phoenix. ",
}
REMINDER_PREFIXES = ("reminders.", "blasts.")
# The reminders as a texter gets them: the election date, the registration deadline and the end
# of early voting written out in the texter's language (Babel's full and long formats)...
REMINDER_DATES = {
    "en": ("Tuesday, November 3, 2026", "October 19, 2026", "November 2, 2026"),
    "es": ("martes, 3 de noviembre de 2026", "19 de octubre de 2026", "2 de noviembre de 2026"),
    "zh": ("2026年11月3日星期二", "2026年10月19日", "2026年11月2日"),
    "zh-Hant": ("2026年11月3日 星期二", "2026年10月19日", "2026年11月2日"),
    "vi": ("Thứ Ba, 3 tháng 11, 2026", "19 tháng 10, 2026", "2 tháng 11, 2026"),
    "ko": ("2026년 11월 3일 화요일", "2026년 10월 19일", "2026년 11월 2일"),
    "tl": ("Martes, Nobyembre 3, 2026", "Oktubre 19, 2026", "Nobyembre 2, 2026"),
    "hi": ("मंगलवार, 3 नवंबर 2026", "19 अक्टूबर 2026", "2 नवंबर 2026"),
    "ja": ("2026年11月3日火曜日", "2026年10月19日", "2026年11月2日"),
    "km": ("អង្គារ 3 វិច្ឆិកា 2026", "19 តុលា 2026", "2 វិច្ឆិកា 2026"),
    "th": ("วันอังคารที่ 3 พฤศจิกายน ค.ศ. 2026", "19 ตุลาคม ค.ศ. 2026", "2 พฤศจิกายน ค.ศ. 2026"),
}
# ... and their polling place sentence made with the language's own reminders.place.
REMINDER_PLACE = {"name": "Burton Barr Central Library", "address": "1221 N Central Ave, Phoenix"}
# Sent without the texter writing first: each must say how to opt out, with the carrier keyword.
UNPROMPTED_KEYS = (
    "reminders.registration_deadline",
    "reminders.early_voting",
    "reminders.eve",
    "reminders.morning",
    "reminders.closing",
    "blasts.footer",
)
# Zero-width characters, direction marks and isolates, soft hyphen, no-break spaces: invisible
# to a translator, and each turns a GSM-7 message into UCS-2.
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u00a0\u202f"
    "\u2066\u2067\u2068\u2069\u202a\u202b\u202c\u202d\u202e\u200e\u200f"
)


@dataclass(frozen=True)
class Problem:
    """Why a text cannot be a message's translation: what (a short code) and in words."""

    code: str  # empty, variables, braces, invisible, nfc, budget, stop, unknown
    detail: str


def sample_params(catalogs: Catalogs) -> dict[str, Any]:
    """PARAMS with the language menu as the catalogs make it."""
    options = "\n".join(
        f"{i} {catalogs.by_language[code].name}" for i, code in enumerate(catalogs.languages, 1)
    )
    return {**PARAMS, "options": options}


def is_reminder(key: str) -> bool:
    """Reminders and the blast footer: budgets drafted for short names and links."""
    return key.startswith(REMINDER_PREFIXES)


def invisible(text: str) -> list[str]:
    """The invisible characters a text contains, as U+XXXX, sorted."""
    return sorted({f"U+{ord(ch):04X}" for ch in text if ch in INVISIBLE})


def _fill(text: str, params: dict[str, Any]) -> str | None:
    try:
        return text.format_map(params)
    except (KeyError, IndexError, ValueError, AttributeError):
        return None


def render_sample(catalogs: Catalogs, key: str, language: str, text: str) -> str | None:
    """`text` (a translation of `key`) with realistic values in its variables, as the budget
    check sends it; None when its braces cannot be filled."""
    base = sample_params(catalogs)
    return _fill(text, {**base, **REMINDER_PARAMS} if is_reminder(key) else base)


def _written_params(catalogs: Catalogs, language: str) -> dict[str, Any]:
    date, deadline, early_end = REMINDER_DATES.get(language, REMINDER_DATES["en"])
    params = {**REMINDER_PARAMS, **REMINDER_PLACE, "date": date, "deadline": deadline}
    params["early_end"] = early_end
    with contextlib.suppress(CatalogError):  # a catalog without the sentence: none
        params["place"] = catalogs.render("reminders.place", language, params)
    return params


def problems(catalogs: Catalogs, key: str, language: str, text: str) -> list[Problem]:
    """Everything wrong with `text` as the `language` translation of message `key` (an empty
    list: it may be sent)."""
    source = catalogs.by_language[catalogs.source].entries.get(key)
    if source is None or is_list_key(key):
        return [Problem("unknown", f"{key} is not a message Turnout sends")]
    if not text.strip():
        return [Problem("empty", "the translation is empty")]
    found: list[Problem] = []
    wanted, used = placeholders(source.text), set()
    try:
        used = placeholders(text)
    except ValueError:
        found.append(Problem("braces", "a { or } has no partner: write variables as {name}"))
    if not found and used != wanted:
        missing = ", ".join(f"{{{v}}}" for v in sorted(wanted - used))
        extra = ", ".join(f"{{{v}}}" for v in sorted(used - wanted))
        parts = [f"missing {missing}" if missing else "", f"unknown {extra}" if extra else ""]
        said = "; ".join(p for p in parts if p)
        found.append(Problem("variables", f"variables differ from English: {said}"))
    bad = invisible(text)
    if bad:
        found.append(Problem("invisible", f"invisible characters: {', '.join(bad)}"))
    elif text != unicodedata.normalize("NFC", text):
        found.append(Problem("nfc", "the text is not in Unicode NFC form"))
    if key in UNPROMPTED_KEYS and "STOP" not in text:
        found.append(Problem("stop", "this message is sent unprompted: it must say STOP"))
    limit = budget(source)
    if limit is not None and not any(p.code in ("braces", "variables") for p in found):
        samples = [render_sample(catalogs, key, language, text)]
        if is_reminder(key):
            samples.append(_fill(text, _written_params(catalogs, language)))
        worst = max(count_segments(s).segments for s in samples if s is not None)
        if worst > limit:
            said = f"{worst} SMS segments with realistic values: the budget is {limit}"
            found.append(Problem("budget", said))
    return found
