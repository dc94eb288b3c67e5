"""Language identification of short texts: scripts, lexicon, lingua, and when it abstains."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from bot.conversation.langid import LanguageIdentifier, load_words
from messages.catalog import Catalogs

SMS_SET = Path(__file__).resolve().parent.parent / "bench" / "data" / "sms_langid.tsv"


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_catalogs(Catalogs.load())


def test_from_catalogs_supports_the_catalogs_languages(identifier: LanguageIdentifier) -> None:
    assert identifier.languages == tuple(Catalogs.load().languages)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("សួស្តី ខ្ញុំទៅបោះឆ្នោតនៅឯណា?", "km"),
        ("สวัสดีครับ ฉันต้องไปเลือกตั้งที่ไหน", "th"),
        ("투표는 어디서 하나요?", "ko"),
        ("OK 감사해요", "ko"),
        ("こんにちは", "ja"),
        ("投票所はどこですか？", "ja"),  # kana with kanji: Japanese
        ("ｱﾘｶﾞﾄｳ", "ja"),  # half-width katakana
        ("मुझे वोट कहाँ देना है?", "hi"),
        ("ok ครับ", "th"),
        ("Tôi bỏ phiếu ở đâu?", "vi"),
        ("DỪNG", "vi"),
    ],
)
def test_scripts_decide(identifier: LanguageIdentifier, text: str, language: str) -> None:
    found = identifier.detect(text)
    assert (found.language, found.method) == (language, "script")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("我在哪里投票？", "zh"),
        ("这个号码是谁", "zh"),
        ("我要去哪裡投票？", "zh-Hant"),
        ("為什麼傳簡訊給我", "zh-Hant"),
        ("你好", "zh"),  # the same in both: Simplified, the more common
        ("最近的投票箱在哪里", "zh"),
    ],
)
def test_simplified_or_traditional(
    identifier: LanguageIdentifier, text: str, language: str
) -> None:
    assert identifier.detect(text).language == language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("donde puedo votar", "es"),  # Spanish without accents
        ("a que hora cierran las casillas", "es"),
        ("como se si estoy registrada", "es"),
        ("necesito saber donde votar el martes, thanks", "es"),  # Spanglish
        ("bo phieu o dau", "vi"),  # Vietnamese without diacritics
        ("xin chao", "vi"),
        ("toi can nguoi giup", "vi"),
        ("saan ako boboto", "tl"),
        ("pwede po ba", "tl"),
        ("Pwede ba mag early voting?", "tl"),  # Taglish
        ("nawala ko yung mail-in ballot ko, ano gagawin ko", "tl"),
        ("mujhe vote kahan dena hai", "hi"),  # romanized Hindi
        ("namaste", "hi"),
        ("haan ji", "hi"),
        ("where do i vote", "en"),
        ("Am I registered?", "en"),
    ],
)
def test_lexicon_and_lingua(identifier: LanguageIdentifier, text: str, language: str) -> None:
    assert identifier.detect(text).language == language


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "OK",
        "hi",
        "no",
        "si",
        "?",
        "👍",
        "😀😀",
        "12345",
        "",
        "   ",
        "Привет, где голосовать?",
        "مرحبا، أين أصوت؟",
        "Բարև",
        "שלום",
        "привет vote",
    ],
)
def test_abstains_when_unsure(identifier: LanguageIdentifier, text: str) -> None:
    found = identifier.detect(text)
    assert (found.language, found.method) == (None, "none")


def test_accents_a_language_does_not_write_are_not_its_words(
    identifier: LanguageIdentifier,
) -> None:
    assert identifier.detect("quê").language != "es"  # "que" is Spanish, "quê" is not
    assert identifier.detect("thái").language != "th"  # "thai" names Thai, "thái" does not
    assert identifier.detect("José, where do I vote?").language == "en"


def test_force_mode_always_guesses_when_there_are_letters(
    identifier: LanguageIdentifier,
) -> None:
    assert identifier.detect("ok").language is None
    assert identifier.detect("ok", abstain=False).language is not None
    assert identifier.detect("hospital", abstain=False).language in {"en", "es", "tl"}
    assert identifier.detect("?", abstain=False).language is None
    assert identifier.detect("Привет", abstain=False).language is None


@pytest.mark.parametrize(
    "text", ["hola", "bo phieu o dau", "where do I vote tomorrow?", "Maria", "你好", "ok"]
)
def test_confidence_is_a_probability(identifier: LanguageIdentifier, text: str) -> None:
    for abstain in (True, False):
        assert 0.0 <= identifier.detect(text, abstain=abstain).confidence <= 1.0


def test_detection_is_immutable(identifier: LanguageIdentifier) -> None:
    found = identifier.detect("hola")
    with pytest.raises(FrozenInstanceError):
        found.language = "en"  # type: ignore[misc]


def test_lexicon_words_count_shared_and_neutral_ones_do_not_decide() -> None:
    lexicon = {
        "en": frozenset({"zorblax", "quuxish"}),
        "es": frozenset({"zorblax", "flimbo"}),
        "*": frozenset({"blorp"}),
    }
    ident = LanguageIdentifier(["en", "es"], lexicon)
    assert ident.detect("flimbo flimbo").language == "es"
    assert ident.detect("quuxish").language == "en"
    assert ident.detect("zorblax").language is None  # both languages use it
    assert ident.detect("blorp").language is None  # everybody's word


def test_only_supported_languages_are_answered() -> None:
    ident = LanguageIdentifier(["en", "es"], {})
    assert ident.detect("투표는 어디서 하나요?").language is None
    assert ident.detect("Tôi bỏ phiếu ở đâu?").language is None
    assert ident.detect("我要去哪裡投票？").language is None
    assert LanguageIdentifier(["en", "zh"], {}).detect("我要去哪裡投票？").language == "zh"


def test_whole_message_names_pick_their_language() -> None:
    ident = LanguageIdentifier(["en", "ja"], {}, names={"ja": ["日本語", "nihongo"]})
    assert ident.detect("日本語").language == "ja"  # Han only, but a name
    assert ident.detect("Nihongo").language == "ja"


def test_curated_words_are_normalized_and_in_supported_languages() -> None:
    words = load_words()
    assert set(words) <= {"*", *Catalogs.load().languages}
    for code, entries in words.items():
        assert all(e == e.strip() and e for e in entries), code


def test_accuracy_on_the_sms_set(identifier: LanguageIdentifier) -> None:
    rows = [
        line.split("\t", 1)
        for line in SMS_SET.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "language\t"))
    ]
    assert len(rows) >= 30 * 11
    right = wrong = 0
    misses = []
    for language, text in rows:
        got = identifier.detect(text).language
        right += got == language
        wrong += got is not None and got != language
        if got != language:
            misses.append(f"{language} -> {got}: {text}")
    assert right / len(rows) >= 0.97, misses
    assert wrong / len(rows) <= 0.01, misses
