"""Every catalog, as translators deliver it: complete, same variables as English, inside its
SMS budget, no invisible characters, and the words texters need in each language."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bot.conversation.keywords import INTENTS
from flows.model import load_flows
from messages.catalog import Catalogs, budget, is_list_key, placeholders
from messages.segments import count_segments

CATALOGS = Catalogs.load()
LANGUAGES = CATALOGS.languages
SOURCE = CATALOGS.by_language["en"].entries
SENT_KEYS = sorted(k for k in SOURCE if not is_list_key(k))
# Realistic values for the budget check; an operator's longer values are checked at start-up.
PARAMS = {
    "coalition": "Voter Power Coalition",
    "help_contact": "call 213-555-0100",
    "registration_url": "https://voterstatus.sos.ca.gov/",
    "polling_url": "https://www.sos.ca.gov/elections/polling-place",
    "options": "\n".join(f"{i} {CATALOGS.by_language[c].name}" for i, c in enumerate(LANGUAGES, 1)),
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
# take a 4th segment in some languages). Each language's own dates and place are checked below.
REMINDER_PARAMS = {
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
REMINDER_KEYS = sorted(k for k in SENT_KEYS if k.startswith(("reminders.", "blasts.")))
# Sent without the texter writing first: each must say how to opt out, with the carrier keyword.
UNPROMPTED_KEYS = [
    "reminders.registration_deadline",
    "reminders.early_voting",
    "reminders.eve",
    "reminders.morning",
    "reminders.closing",
    "blasts.footer",
]
INVISIBLE = {
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\u00ad",
    "\u00a0",
    "\u202f",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u200e",
    "\u200f",
}


def test_the_ten_languages_and_traditional_chinese_are_there() -> None:
    assert set(LANGUAGES) >= {"en", "es", "zh", "zh-Hant", "vi", "ko", "tl", "hi", "ja", "km", "th"}
    assert LANGUAGES[0] == "en"


def test_every_flow_key_exists_in_every_catalog() -> None:
    flows = load_flows(CATALOGS.keys, INTENTS)
    used = {k for n in flows.nodes.values() for k in (*n.say, *(k for r in n.wait for k in r.say))}
    used |= {
        "consent.stopped",
        "consent.started",
        "help.info",
        "media.unsupported",
        "language.changed",
    }  # said by the engine itself
    for code in LANGUAGES:
        missing = sorted(used - set(CATALOGS.by_language[code].entries))
        assert not missing, f"{code}.po lacks {missing}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_catalog_has_every_source_message(code: str) -> None:
    missing = sorted(set(SOURCE) - set(CATALOGS.by_language[code].entries))
    assert not missing, f"{code}.po lacks {missing}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_variables_match_english(code: str) -> None:
    entries = CATALOGS.by_language[code].entries
    for key in SENT_KEYS:
        assert placeholders(entries[key].text) == placeholders(SOURCE[key].text), f"{code}:{key}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_message_fits_its_segment_budget(code: str) -> None:
    for key in SENT_KEYS:
        limit = budget(SOURCE[key])
        assert limit is not None, f"en:{key} has no 'Budget: N segments' comment"
        params = REMINDER_PARAMS if key in REMINDER_KEYS else PARAMS
        rendered = CATALOGS.render(key, code, params)
        info = count_segments(rendered)
        assert info.segments <= limit, f"{code}:{key}: {info.segments} segments > {limit}"


@pytest.mark.parametrize("code", LANGUAGES)
def test_reminders_fit_their_budget_written_in_the_language(code: str) -> None:
    date, deadline, early_end = REMINDER_DATES.get(code, REMINDER_DATES["en"])
    written = {"date": date, "deadline": deadline, "early_end": early_end}
    params = {**REMINDER_PARAMS, **REMINDER_PLACE, **written}
    params["place"] = CATALOGS.render("reminders.place", code, params)
    # the next sentence follows {place} directly: it ends with a space or a full stop
    assert params["place"].endswith((" ", "。")), f"{code}:reminders.place"
    for key in REMINDER_KEYS:
        limit = budget(SOURCE[key])
        info = count_segments(CATALOGS.render(key, code, params))
        assert limit is not None and info.segments <= limit, (
            f"{code}:{key}: {info.segments} segments > {limit}"
        )


@pytest.mark.parametrize("code", LANGUAGES)
def test_unprompted_messages_keep_the_stop_keyword(code: str) -> None:
    for key in UNPROMPTED_KEYS:
        assert "STOP" in CATALOGS.entry(key, code).text, f"{code}:{key} does not say STOP"


def test_over_budget_reports_long_operator_values() -> None:
    long = {**PARAMS, "coalition": "The Extraordinarily Long Statewide Immigrant Voter Coalition"}
    assert CATALOGS.over_budget(PARAMS) == []
    assert ("km", "help.info", 3, 2) in CATALOGS.over_budget(long)


@pytest.mark.parametrize("code", LANGUAGES)
def test_no_invisible_characters(code: str) -> None:
    for key, entry in CATALOGS.by_language[code].entries.items():
        bad = {f"U+{ord(ch):04X}" for ch in entry.text if ch in INVISIBLE}
        assert not bad, f"{code}:{key} contains {sorted(bad)}"
        assert entry.text == unicodedata.normalize("NFC", entry.text), f"{code}:{key} not NFC"


@pytest.mark.parametrize("code", LANGUAGES)
def test_each_language_has_its_keywords_and_names(code: str) -> None:
    catalog = CATALOGS.by_language[code]
    for key in ("keywords.stop", "keywords.start", "keywords.help", "keywords.yes", "keywords.no"):
        assert catalog.words(key), f"{code}: {key} is empty"
    aliases = catalog.words("language.aliases")
    assert catalog.name in aliases or catalog.name.casefold() in (a.casefold() for a in aliases)
    if code != "en":  # a romanized (ASCII) name, so the language can be typed on any keyboard
        assert any(a.isascii() for a in aliases), f"{code}: no romanized name in aliases"


@pytest.mark.parametrize("code", LANGUAGES[1:])
def test_a_translation_is_a_draft_until_someone_named_reviews_it(code: str) -> None:
    for key, entry in CATALOGS.by_language[code].entries.items():
        assert entry.draft or entry.reviewer, (
            f"{code}:{key} is marked reviewed (no fuzzy flag) but names no '# reviewed-by:'"
        )


def test_review_status_counts(tmp_path: Path) -> None:
    po = (CATALOGS.by_language["es"].path).read_text(encoding="utf-8")
    first_fuzzy = po.index('#, fuzzy, python-brace-format\nmsgid "welcome.greeting"')
    po = (
        po[:first_fuzzy]
        + "# reviewed-by: Ana Pérez, CHIRLA\n"
        + po[first_fuzzy:].replace("#, fuzzy, python-brace-format\n", "#, python-brace-format\n", 1)
    )
    for code in ("en", "es"):
        src = CATALOGS.by_language[code].path
        (tmp_path / src.name).write_text(po if code == "es" else src.read_text("utf-8"), "utf-8")
    status = Catalogs.load(tmp_path).review_status()
    assert status["en"] == (len(SENT_KEYS), len(SENT_KEYS), len(SENT_KEYS))
    assert status["es"] == (len(SENT_KEYS), len(SENT_KEYS), 1)
    reviewed = Catalogs.load(tmp_path).by_language["es"].entries["welcome.greeting"]
    assert (reviewed.draft, reviewed.reviewer) == (False, "Ana Pérez, CHIRLA")
