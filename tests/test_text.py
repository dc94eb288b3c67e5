"""Normalization and the lexicon: what texters type, in every language, means what it should."""

from __future__ import annotations

import pytest

from bot.conversation.keywords import lexicon_from_catalogs
from flows.lexicon import Lexicon, as_number
from flows.text import normalize
from messages.catalog import Catalogs


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return lexicon_from_catalogs(Catalogs.load())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("¡ALTO!", "alto"),
        ("DỪNG", "dung"),
        ("Hủy.", "huy"),
        ("¿Dónde voto?", "donde voto"),
        ("  Stop  ", "stop"),
        ("stop 🛑", "stop"),
        ("don't text me", "dont text me"),
        ("हिन्दी", "हिन्दी"),
        ("ภาษาไทย", "ภาษาไทย"),
        ("が", "が"),
        ("ＳＴＯＰ", "stop"),
        ("Tiếng Việt", "tieng viet"),
        ("Đi bầu", "di bau"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "number"),
    [("2", 2), ("2.", 2), ("#2", 2), ("２", 2), ("२", 2), ("10", 10), ("two", None), ("", None)],
)
def test_as_number(raw: str, number: int | None) -> None:
    assert as_number(raw) == number


OPT_OUTS = [
    # the carrier-required English family
    "STOP",
    "stop",
    "Stop.",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "opt out",
    # per language, with and without accents
    "ALTO",
    "parar",
    "Cancelar",
    "BASTA",
    "停止",
    "取消",
    "退订",
    "退訂",
    "DỪNG",
    "dung",
    "HỦY",
    "huy",
    "중지",
    "그만",
    "HINTO",
    "tigil",
    # plain phrases
    "stop texting me",
    "Please stop texting me!",
    "no más mensajes",
    "no mas mensajes",
    "不要再发了",
]


@pytest.mark.parametrize("text", OPT_OUTS)
def test_opt_out_family(lexicon: Lexicon, text: str) -> None:
    assert lexicon.keyword(text) == "stop"


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ("START", "start"),
        ("unstop", "start"),
        ("HELP", "help"),
        ("ayuda", "help"),
        ("帮助", "help"),
        ("GIÚP", "help"),
        ("giup", "help"),
        ("도움", "help"),
        ("TULONG", "help"),
        ("menu", "menu"),
        # not keywords: ordinary messages that merely contain the words
        ("I can't stop thinking about voting", None),
        ("help me find my polling place", None),
        ("where do I vote", None),
        ("yes", None),
        ("no", None),
        ("hola", None),
    ],
)
def test_global_keywords(lexicon: Lexicon, text: str, meaning: str | None) -> None:
    assert lexicon.keyword(text) == meaning


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("español", "es"),
        ("espanol", "es"),
        ("Spanish", "es"),
        ("中文", "zh"),
        ("tiếng việt", "vi"),
        ("tieng viet", "vi"),
        ("한국어", "ko"),
        ("tagalog", "tl"),
        ("English", "en"),
        ("繁體中文", "zh-Hant"),
    ],
)
def test_language_names(lexicon: Lexicon, text: str, language: str) -> None:
    assert lexicon.language_name(text) == language


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("where do I vote?", "polling"),
        ("¿Dónde voto?", "polling"),
        ("donde voto", "polling"),
        ("am I registered", "registration"),
        ("¿Estoy registrado?", "registration"),
        ("我在哪里投票", "polling"),
        ("bỏ phiếu ở đâu", "polling"),
        ("bo phieu o dau", "polling"),
        ("saan ako boboto", "polling"),
        ("투표소", "polling"),
        ("hello", None),
        ("thanks!", None),
    ],
)
def test_intents(lexicon: Lexicon, text: str, intent: str | None) -> None:
    assert lexicon.intent(text) == intent


def test_no_word_means_two_global_things(lexicon: Lexicon) -> None:
    catalogs = Catalogs.load()
    seen: dict[str, str] = {}
    for kind in ("stop", "start", "help", "menu"):
        for words in catalogs.words(f"keywords.{kind}").values():
            for word in map(normalize, words):
                assert seen.setdefault(word, kind) == kind, f"{word!r} is {seen[word]} and {kind}"


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        ("DỪNG", "stop"),
        ("dừng", "stop"),
        ("DUNG", "stop"),
        ("Đúng", None),
        ("đúng", None),
        ("HỦY", "stop"),
        ("huy", "stop"),
        ("Hủy bỏ", None),
    ],
)
def test_keywords_match_accents_as_typed(lexicon: Lexicon, text: str, meaning: str | None) -> None:
    assert lexicon.keyword(text) == meaning


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("yes", "yes"),
        ("Sí", "yes"),
        ("si", "yes"),
        ("Có", "yes"),
        ("co", "yes"),
        ("네", "yes"),
        ("oo", "yes"),
        ("no", "no"),
        ("Không", "no"),
        ("khong", "no"),
        ("hindi", "no"),
        ("아니요", "no"),
        ("k", None),
        ("maybe", None),
    ],
)
def test_yes_and_no_in_every_language(lexicon: Lexicon, text: str, answer: str | None) -> None:
    assert lexicon.answer(text) == answer
