"""Text normalization for matching what texters type against keywords and phrases.

Case, punctuation, emoji and the accents of Latin letters are ignored ("¡ALTO!" matches "alto",
"DỪNG" matches "dung"); the marks that other scripts need (Devanagari vowel signs, Thai vowels,
Japanese dakuten) are kept, since removing them would change the word.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
# Letters outside the decomposition rules that people drop when they type without accents.
_FOLD = str.maketrans({"đ": "d", "ø": "o", "ł": "l", "æ": "ae", "œ": "oe", "ß": "ss"})


def _is_latin_base(ch: str) -> bool:
    code = ord(ch)
    return code < 0x0250 or 0x1E00 <= code <= 0x1EFF


def strip_latin_accents(text: str) -> str:
    """Remove accents from Latin letters only, keeping other scripts' combining marks."""
    out: list[str] = []
    base_is_latin = False
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            if not base_is_latin:
                out.append(ch)
            continue
        base_is_latin = _is_latin_base(ch)
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


@lru_cache(maxsize=8192)  # one message is normalized by several matchers in one step
def normalize(text: str, *, keep_accents: bool = False) -> str:
    """Lowercase, punctuation-free, single-spaced form of a text; accent-free unless asked."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if not keep_accents:
        text = strip_latin_accents(text.translate(_FOLD))
    kept = [
        ch if not unicodedata.category(ch).startswith(("P", "S", "Z", "C")) else " "
        for ch in text.replace("'", "").replace("’", "")
    ]
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
