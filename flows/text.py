"""Text normalization for matching what texters type against keywords and phrases.

Case, punctuation, emoji and the accents of Latin letters are ignored ("¡ALTO!" matches "alto",
"DỪNG" matches "dung"); the marks that other scripts need (Devanagari vowel signs, Thai vowels,
Japanese dakuten) are kept, since removing them would change the word.

What a reader cannot see does not count either: zero-width spaces and joiners, the soft hyphen,
bidi controls and variation selectors are dropped, not turned into spaces ("S\u200bTOP" is
STOP, the U+FE0F of "✋️" does not stick to the word), and so are marks drawn on punctuation or
emoji and frames drawn around a character (the keycap of "1️⃣"). Latin written with look-alike
letters (Cyrillic "ЅТОР", Greek "ΤΟΡ", small capitals "ꜱᴛᴏᴘ", a zero for an O in "ST0P") is read
as the Latin it imitates, but only in words that have no other letter of those scripts:
"СТОП" (Russian) stays Russian. Visible accents on Latin letters are not look-alikes: they
are compared as typed where that matters (`flows.lexicon`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
# Letters outside the decomposition rules that people drop when they type without accents.
_FOLD = str.maketrans({"đ": "d", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "ß": "ss"})
# Unicode's Default_Ignorable_Code_Point: characters drawn as nothing (zero-width space and
# joiners, word joiner, BOM, soft hyphen, bidi marks and controls, variation selectors, the
# combining grapheme joiner, Hangul fillers, Mongolian selectors, tags).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Apostrophes, and the marks that draw a frame around a character (the keycap of "1️⃣", a
# circle): not there for matching.
_DROPPED = re.compile("['’\u0488\u0489\u1abe\u20dd-\u20e0\u20e2-\u20e4\ua670-\ua672]")
# Letters drawn like Latin ones, by case: Cyrillic, Greek, and Latin small capitals.
_LOOKALIKES = str.maketrans(
    {
        **dict(zip("АВЕКМНОРСТХЅІЈҮԚԜӀ", "ABEKMHOPCTXSIJYQWI", strict=True)),
        **dict(zip("аеорсухѕіјԁһԛԝӏү", "aeopcyxsijdhqwly", strict=True)),
        **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
        **dict(zip("αικνορυ", "aikvopu", strict=True)),
        **dict(zip("ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢı", "abcdefghijklmnoprstuvwyzi", strict=True)),
    }
)
_MASKED = re.compile("[0" + "".join(map(chr, _LOOKALIKES)) + "]")  # nothing to unmask without
# The letters of a word in the scripts look-alikes come from (Latin, Greek, Cyrillic), and
# digits; with their accents they make a word, which another script's letter ends ("唔好再ѕend"
# has the word "ѕend").
_WORD_LETTER = re.compile(
    "[0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02af\u0370-\u03ff\u0400-\u052f"
    "\u1d00-\u1dbf\u1e00-\u1fff\ua720-\ua7ff]"
)


def _is_latin_base(ch: str) -> bool:
    code = ord(ch)
    return code < 0x0250 or 0x1E00 <= code <= 0x1EFF


def strip_latin_accents(text: str) -> str:
    """Remove accents from Latin letters only, keeping other scripts' combining marks."""
    out: list[str] = []
    base_is_latin = False
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch).startswith("M"):
            if not base_is_latin:
                out.append(ch)
            continue
        base_is_latin = _is_latin_base(ch)
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and (ch.isascii() or unicodedata.name(ch, "").startswith("LATIN"))


def _in_word(ch: str) -> bool:
    return _WORD_LETTER.match(ch) is not None or unicodedata.category(ch).startswith("M")


def _unmask(typed: str) -> str:
    latin = typed.translate(_LOOKALIKES)
    letters = [ch for ch in latin if not unicodedata.category(ch).startswith("M")]
    if not all(_is_latin_letter(ch) or ch == "0" for ch in letters):
        return typed  # another script's word (or a number): not a disguise
    return latin.replace("0", "o") if any(ch != "0" for ch in letters) else typed  # "ST0P"; "00"


def unmask_lookalikes(text: str) -> str:
    """Latin spelled with look-alike letters, back in Latin: "ЅТОР" (Cyrillic), "ꜱᴛᴏᴘ",
    "ST0P"; a word with any other letter of those scripts ("СТОП") is left alone."""
    if _MASKED.search(text) is None:
        return text
    out: list[str] = []
    word: list[str] = []
    for ch in text:
        if _in_word(ch):
            word.append(ch)
            continue
        out.extend((_unmask("".join(word)), ch))
        word = []
    out.append(_unmask("".join(word)))
    unmasked = "".join(out)
    return unicodedata.normalize("NFC", unmasked) if unmasked != text else text  # "А\u0301"


@lru_cache(maxsize=8192)  # one message is normalized by several matchers in one step
def normalize(text: str, *, keep_accents: bool = False) -> str:
    """Lowercase, punctuation-free, single-spaced form of a text; accent-free unless asked."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
    text = _DROPPED.sub("", text)  # before anything looks at words: "don't" is one, "dont"
    text = unicodedata.normalize("NFC", unmask_lookalikes(text).casefold())  # "ß́" is "sś"
    if not keep_accents:
        text = strip_latin_accents(text).translate(_FOLD)  # "ǿ" is "ø" is "o"
    kept: list[str] = []
    spaced = True  # whether the character that marks attach to was turned into a space
    for ch in text:
        kind = unicodedata.category(ch)
        if not kind.startswith("M"):
            spaced = kind.startswith(("P", "S", "Z", "C"))
        kept.append(" " if spaced else ch)  # a mark drawn on punctuation or emoji goes too
    return _SPACES.sub(" ", "".join(kept)).strip()


def has_word_boundaries(text: str) -> bool:
    """True when a phrase can be matched as whole words: not in scripts written without
    spaces, nor in Hangul, whose particles attach to the word (투표소 + 는)."""
    return not any(
        "\u3040" <= ch <= "\u30ff"  # kana
        or "\u3400" <= ch <= "\u9fff"  # Han
        or "\u0e00" <= ch <= "\u0e7f"  # Thai
        or "\u1780" <= ch <= "\u17ff"  # Khmer
        or "\uac00" <= ch <= "\ud7af"  # Hangul syllables
        for ch in text
    )


def words_follow(words: list[str], at: int, wanted: tuple[str, ...], gap: int) -> bool:
    """True when `wanted` words come in order from position `at`, with at most `gap` other
    words before each ("saan PO ako boboto" has "saan ako boboto" with a gap of 1)."""
    if not wanted:
        return True
    for skip in range(gap + 1):
        if at + skip < len(words) and words[at + skip] == wanted[0]:
            return words_follow(words, at + skip + 1, wanted[1:], gap)
    return False
