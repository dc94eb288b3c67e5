"""Every catalog, as translators deliver it: complete, same variables as English, inside its
SMS budget, no invisible characters, and the words texters need in each language."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bot.conversation.keywords import INTENTS
from flows.model import load_flows
from messages import quality
from messages.catalog import Catalogs, budget, is_list_key, placeholders
from messages.quality import sample_params
from messages.segments import count_segments

CATALOGS = Catalogs.load()
LANGUAGES = CATALOGS.languages
SOURCE = CATALOGS.by_language["en"].entries
SENT_KEYS = sorted(k for k in SOURCE if not is_list_key(k))
# The suite's values and invisible characters are the ones the console checks edits with.
PARAMS = sample_params(CATALOGS)
REMINDER_PARAMS = {**PARAMS, **quality.REMINDER_PARAMS}
REMINDER_DATES = quality.REMINDER_DATES
REMINDER_PLACE = quality.REMINDER_PLACE
REMINDER_KEYS = sorted(k for k in SENT_KEYS if quality.is_reminder(k))
UNPROMPTED_KEYS = list(quality.UNPROMPTED_KEYS)
INVISIBLE = quality.INVISIBLE


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


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_message_passes_the_checks_the_console_applies_to_edits(code: str) -> None:
    for key in SENT_KEYS:
        text = CATALOGS.by_language[code].entries[key].text
        assert quality.problems(CATALOGS, key, code, text) == [], f"{code}:{key}"
