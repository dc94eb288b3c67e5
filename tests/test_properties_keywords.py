"""Property tests of the keyword matcher, which decides whether a stranger's text opts out.

Any disguise of a stop word that a person still reads as that word opts out: mixed case,
full-width and other styled letters (ＳＴＯＰ, 𝐒𝐓𝐎𝐏, Ⓢⓣⓞⓟ), whitespace, punctuation and emoji
around it, zero-width characters and other invisible code points inside or around it,
non-breaking and other Unicode spaces between its words, and letters of other scripts drawn
like Latin ones (Cyrillic ЅТОР, Greek ΤΟΡ, small capitals ꜱᴛᴏᴘ, a zero for an O). That is
every stop word and stop phrase of every catalog, each language's own and the English ones.

Our choice on look-alikes: a carrier matches STOP on its ASCII letters and would miss "ЅТОР",
but the texter meant STOP and an opt-out we miss is a message sent without consent, so a word
made wholly of Latin letters and letters drawn the same is read as the Latin word. A word with
any other letter of Cyrillic or Greek is that script's own word ("СТОП", Russian, is not
rewritten); no catalog language is written in either script. Visible accents are not
disguises: "Đúng" (Vietnamese, right) is not "DỪNG" (stop), so accents are compared as typed.

And nothing else opts out: a text opts out exactly when, after the same normalization, it is
a stop word or contains a stop phrase.
"""

from __future__ import annotations

import os
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.keywords import lexicon_from_catalogs
from flows.lexicon import as_number
from flows.text import has_word_boundaries, normalize
from messages.catalog import Catalogs

DEPTH = int(os.environ.get("TURNOUT_PROPERTY_DEPTH", "1"))  # 10: ten times the examples
SETTINGS = settings(max_examples=300 * DEPTH, deadline=None, database=None, print_blob=True)

CATALOGS = Catalogs.load()
LEXICON = lexicon_from_catalogs(CATALOGS)


def _words(key: str) -> list[str]:
    return sorted({w for words in CATALOGS.words(key).values() for w in words})


STOP_WORDS = _words("keywords.stop")
STOP_PHRASES = _words("keywords.stop_phrases")
OTHER_WORDS = [
    w
    for key in (
        "keywords.start",
        "keywords.help",
        "keywords.menu",
        "keywords.yes",
        "keywords.no",
        "language.aliases",
        "intents.registration",
        "intents.polling",
        "intents.reminders",
        "intents.human",
    )
    for w in _words(key)
]

# What the texter sees in place of a Latin letter. These tables are the test's own judgement
# of what looks the same, not a copy of the matcher's.
LOOKALIKES = {
    "A": "АΑ",
    "B": "ВΒ",
    "C": "С",
    "E": "ЕΕ",
    "H": "НΗ",
    "I": "ІΙ",
    "J": "Ј",
    "K": "КΚ",
    "M": "МΜ",
    "N": "Ν",
    "O": "ОΟ0",
    "P": "РΡ",
    "S": "Ѕ",
    "T": "ТΤ",
    "X": "ХΧ",
    "Y": "ҮΥ",
    "Z": "Ζ",
    "a": "аᴀ",
    "b": "ʙ",
    "c": "сᴄ",
    "d": "ᴅ",
    "e": "еᴇ",
    "g": "ɢ",
    "h": "ʜ",
    "i": "іɪ",
    "j": "јᴊ",
    "k": "ᴋ",
    "l": "ʟ",
    "m": "ᴍ",
    "n": "ɴ",
    "o": "оοᴏ0",
    "p": "рᴘ",
    "r": "ʀ",
    "s": "ѕꜱ",
    "t": "ᴛ",
    "u": "ᴜ",
    "v": "ᴠ",
    "w": "ᴡ",
    "x": "х",
    "y": "уʏ",
    "z": "ᴢ",
}
# Drawn as nothing: zero-width space, non-joiner and joiner, word joiner, BOM, soft hyphen,
# left-to-right and right-to-left marks, bidi isolates, variation selectors (the U+FE0F of
# emoji), the combining grapheme joiner, the Hangul filler.
INVISIBLE = [
    "\u200b",
    "\u200c",
    "\u200d",
    "\ufeff",
    "\u2060",
    "\u00ad",
    "\u200e",
    "\u200f",
    "\u2066",
    "\u2069",
    "\ufe0f",
    "\ufe0e",
    "\u034f",
    "\u3164",
]
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2002", "\u2009", "\u202f", "\u3000"]
AROUND = [
    *SPACES,
    *"!?.,;:…¡¿\"'()[]*-~_«»“”‘’。！，、#@$%&/\\|",
    "🛑",
    "✋️",
    "🙏🏽",
    "❤️",
    "😡",
    "👍🏿",
    "👨‍👩‍👧",
    "✌️",
    "‼️",
    "#️⃣",
]


def _styled(ch: str, style: str) -> str:
    """An ASCII letter in a compatibility form that NFKC folds back: full-width, bold, circled."""
    upper, index = ch.isupper(), ord(ch.lower()) - ord("a")
    if style == "fullwidth":
        return chr(ord(ch) + 0xFEE0)
    if style == "bold":  # MATHEMATICAL BOLD CAPITAL / SMALL A
        return chr((0x1D400 if upper else 0x1D41A) + index)
    return chr((0x24B6 if upper else 0x24D0) + index)  # CIRCLED LATIN CAPITAL / SMALL A


@st.composite
def disguised(draw: st.DrawFn, text: str, *, lookalikes: bool = True) -> str:
    """The text as a texter might disguise it without changing what a reader sees in it."""
    latin_words = {m.start(): m.end() for m in re.finditer(r"[A-Za-z]{2,}", text)}
    out: list[str] = []
    invisible = st.lists(st.sampled_from(INVISIBLE), max_size=2).map("".join)
    in_latin_word, word_end = False, 0
    for at, ch in enumerate(text):
        if at in latin_words:
            in_latin_word, word_end = True, latin_words[at]
        elif at >= word_end:
            in_latin_word = False
        if ch == " ":
            out.append(draw(st.sampled_from(SPACES)))
            continue
        if ch.isascii() and ch.isalpha():
            ch = draw(st.sampled_from([ch, ch.upper(), ch.lower()]))
            styles = ["plain", "plain", "fullwidth", "bold", "circled"]
            if lookalikes and in_latin_word and ch in LOOKALIKES:
                styles.append("lookalike")
            style = draw(st.sampled_from(styles))
            if style == "lookalike":
                ch = draw(st.sampled_from(LOOKALIKES[ch]))
            elif style != "plain":
                ch = _styled(ch, style)
        elif ch.upper().casefold() == ch.casefold() and len(ch.upper()) == 1:
            ch = draw(st.sampled_from([ch, ch.upper()]))  # DỪNG / dừng
        out.append(ch + draw(invisible))
    around = st.lists(st.sampled_from(AROUND + INVISIBLE), max_size=4).map("".join)
    return draw(around) + "".join(out) + draw(around)


def _lookalike_zeros_only(text: str) -> bool:
    """True when a word would be all zeros ("O" drawn as "0"): a number, not a disguise."""
    return any(not w.strip("0") for w in re.findall(r"[^\W_]+", text))


@SETTINGS
@given(st.data(), st.sampled_from(STOP_WORDS))
def test_every_disguise_of_every_stop_word_opts_out(data: st.DataObject, word: str) -> None:
    text = data.draw(disguised(word))
    if _lookalike_zeros_only(unicodedata.normalize("NFKC", text)):
        return
    assert LEXICON.keyword(text) == "stop", f"{word!r} disguised as {text!r}"


FILLERS = ["please", "por favor", "ya", "now", "ok", "!!!", "😡", "salamat po", "xin", "请", "제발"]


@SETTINGS
@given(
    st.data(),
    st.sampled_from(STOP_PHRASES),
    st.lists(st.sampled_from(FILLERS), max_size=2),
    st.lists(st.sampled_from(FILLERS), max_size=2),
)
def test_every_disguise_of_every_stop_phrase_opts_out_anywhere_in_a_message(
    data: st.DataObject, phrase: str, before: list[str], after: list[str]
) -> None:
    text = " ".join([*before, data.draw(disguised(phrase)), *after])
    if _lookalike_zeros_only(unicodedata.normalize("NFKC", text)):
        return
    assert LEXICON.keyword(text) == "stop", f"{phrase!r} disguised as {text!r}"


# --- and nothing else opts out ---

_FOLDED_STOPS = {normalize(w) for w in STOP_WORDS}
_TYPED_STOPS = {normalize(w, keep_accents=True) for w in STOP_WORDS}
_PHRASES = [normalize(p) for p in STOP_PHRASES]
_SPACED = [p for p in _PHRASES if has_word_boundaries(p)]
_UNSPACED = [p for p in _PHRASES if not has_word_boundaries(p)]


def says_stop(text: str) -> bool:
    """The oracle: the normalized text is a stop word (with its accents, if typed with any) or
    has a stop phrase in it (as whole words, or anywhere in scripts written without spaces)."""
    plain, typed = normalize(text), normalize(text, keep_accents=True)
    whole = plain in _FOLDED_STOPS if typed == plain else typed in _TYPED_STOPS
    spaced = any(f" {p} " in f" {plain} " for p in _SPACED)
    return whole or spaced or any(p in plain for p in _UNSPACED)


# Words that come close: stop words inside longer words or sentences, other keywords, words
# with the accents that make them another word, pieces of phrases.
NEAR_MISSES = [
    "stops",
    "stopp",
    "stopping",
    "nonstop",
    "bus stop",
    "can't stop",
    "I can't stop thinking about voting",
    "endless",
    "the end",
    "quite",
    "cancelled",
    "altos",
    "paramos",
    "para mí",
    "salir a votar",
    "Đúng",
    "đúng",
    "dùng",
    "Hủy bỏ",
    "thôi được",
    "texting",
    "stop sign",
    "no",
    "más",
    "mensajes",
    "停车",
    "不要",
    "止",
    "중",
    "그만큼",
    "หยุดยาว",
    "बंदूक",
    "td ameritrade",
    "hinto na ba",
    "0",
    "00",
    "ST0PS",
]
PHRASE_WORDS = sorted({w for p in STOP_PHRASES for w in p.split()})  # "stop" "me" "texting"


@st.composite
def broken_phrases(draw: st.DrawFn) -> str:
    """A stop phrase with a word put inside it: "stop really texting me" is no stop phrase."""
    words = draw(st.sampled_from([p for p in STOP_PHRASES if " " in p])).split()
    at = draw(st.integers(1, len(words) - 1))
    return " ".join([*words[:at], draw(st.sampled_from(NEAR_MISSES + FILLERS)), *words[at:]])


@st.composite
def accented(draw: st.DrawFn) -> str:
    """A stop word with an accent it does not have: "DÙNG" (Vietnamese, use) is not "DUNG"."""
    word = draw(st.sampled_from([w for w in STOP_WORDS if w.isascii()]))
    at = draw(st.integers(0, len(word) - 1))
    accent = draw(st.sampled_from("\u0300\u0301\u0303\u0309\u0323\u0302"))
    return unicodedata.normalize("NFC", word[: at + 1] + accent + word[at + 1 :])


TOKENS = st.one_of(
    st.sampled_from(STOP_WORDS),
    st.sampled_from(STOP_PHRASES),
    st.sampled_from(PHRASE_WORDS),
    broken_phrases(),
    accented(),
    st.sampled_from(NEAR_MISSES),
    st.sampled_from(OTHER_WORDS),
    st.text(max_size=6),
)
SEPARATORS = st.sampled_from([" ", "", ", ", "\n", "\u200b", "\u00a0", ". "])


@st.composite
def messages(draw: st.DrawFn) -> str:
    tokens = draw(st.lists(TOKENS, min_size=1, max_size=5))
    return "".join(t + draw(SEPARATORS) for t in tokens).strip(" ")


@SETTINGS
@given(messages())
def test_a_message_opts_out_exactly_when_it_says_stop(text: str) -> None:
    assert (LEXICON.keyword(text) == "stop") is says_stop(text), repr(text)


@SETTINGS
@given(st.text(max_size=40))
def test_random_text_opts_out_only_when_it_says_stop(text: str) -> None:
    assert (LEXICON.keyword(text) == "stop") is says_stop(text), repr(text)


@SETTINGS
@given(st.data(), messages())
def test_a_disguise_never_changes_what_a_message_means(data: st.DataObject, text: str) -> None:
    disguise = data.draw(disguised(text))
    if _lookalike_zeros_only(unicodedata.normalize("NFKC", disguise)) and not (
        _lookalike_zeros_only(unicodedata.normalize("NFKC", text))
    ):
        return  # "OO" (Tagalog, yes) drawn as "00" is a number
    assert LEXICON.keyword(disguise) == LEXICON.keyword(text), f"{text!r} as {disguise!r}"
    assert LEXICON.answer(disguise) == LEXICON.answer(text), f"{text!r} as {disguise!r}"
    assert LEXICON.language_name(disguise) == LEXICON.language_name(text), repr(disguise)


# Characters that normalization treats specially, mixed into random text.
TRICKY = st.sampled_from(
    [
        *INVISIBLE,
        *(s for s in SPACES if len(s) == 1),
        *"\u0301\u0300\u0303\u20e3\u0336\u093f",  # accents, a keycap, a Devanagari vowel
        *"ßİﬁℌＳꜱТѐ0'’한ｶﾞĐø🛑\u0e31\u17d2",
    ]
)


# A letter, maybe something invisible, then an accent: "e\u200b\u0301" is "é" to a reader.
ACCENTED = st.tuples(
    st.sampled_from("aeoAEOуТßǾøĐ"),
    st.sampled_from(["", *INVISIBLE]),
    st.sampled_from("\u0301\u0300\u0303\u0302\u0323"),
).map("".join)


@SETTINGS
@given(
    st.lists(st.text(max_size=3) | TRICKY | ACCENTED, max_size=20).map("".join),
    st.booleans(),
)
def test_normalizing_twice_changes_nothing(text: str, keep_accents: bool) -> None:
    once = normalize(text, keep_accents=keep_accents)
    assert normalize(once, keep_accents=keep_accents) == once


# Decimal digits as phones type them: ASCII, full-width, Devanagari, Thai, Khmer, Arabic-Indic.
DIGIT_ZEROS = [0x30, 0xFF10, 0x0966, 0x0E50, 0x17E0, 0x0660]


@SETTINGS
@given(
    st.integers(1, 99),
    st.sampled_from(DIGIT_ZEROS),
    st.sampled_from(["{}", "#{}", "{}.", "{})", "({})", "{}!", "*{}*"]),
    st.lists(st.sampled_from(SPACES + INVISIBLE), max_size=3).map("".join),
    st.lists(st.sampled_from(SPACES + INVISIBLE), max_size=3).map("".join),
)
def test_a_menu_number_is_read_in_any_digits(
    number: int, zero: int, form: str, before: str, after: str
) -> None:
    digits = "".join(chr(zero + int(d)) for d in str(number))
    assert as_number(before + form.format(digits) + after) == number


@SETTINGS
@given(st.integers(0, 9), st.lists(st.sampled_from(SPACES + INVISIBLE), max_size=3).map("".join))
def test_a_keycap_emoji_is_its_number(digit: int, around: str) -> None:
    keycap = f"{digit}\ufe0f\u20e3"  # 1️⃣, as emoji keyboards send it
    assert as_number(around + keycap + around) == digit
