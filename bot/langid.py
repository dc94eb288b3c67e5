"""Which supported language a short text (an SMS) is written in, or no answer when unsure.

Three steps, cheapest and surest first:

1. Script. Khmer, Thai, Hangul, kana, Devanagari and Han each belong to one supported language
   (Han: Simplified or Traditional Chinese, told apart by the characters that differ), and the
   letters only Vietnamese uses (ư ơ ă đ ạ ả ấ ...) mark Vietnamese. Text mostly in the script
   of a language we do not support (Arabic, Cyrillic ...) gets no answer.
2. Lexicon, for Latin letters: words and phrases from the catalogs (keywords, yes/no, intents)
   and `langid_words.tsv` (common SMS words, romanized greetings), matched after
   `flows.text.normalize`, so "donde voto", "bo phieu o dau", "pwede po ba" and "mujhe vote
   kahan dena hai" are recognised without accents. A word several languages share counts for
   each, split between them; words every texter uses ("ok", "hi") count for none.
3. Lingua's statistical models, restricted to the supported Latin-script languages, for the
   words the lexicon does not know and to break ties between languages sharing a word.

Short texts are often ambiguous ("no", "si", "ok"): the identifier then abstains and the bot
shows the language menu, which costs the texter one reply, instead of answering in a wrong
language, which may lose them.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder
from zhon import cedict

from flows.text import normalize
from messages.catalog import Catalogs

WORDS_FILE = Path(__file__).with_name("langid_words.tsv")
NEUTRAL = "*"  # lexicon key for words texters of every language use
# Catalog word lists written in the language itself (aliases are names of other languages too,
# so they only count when they are the whole message).
CATALOG_KEYS = (
    "keywords.stop",
    "keywords.stop_phrases",
    "keywords.start",
    "keywords.help",
    "keywords.menu",
    "keywords.yes",
    "keywords.no",
    "intents.registration",
    "intents.polling",
    "intents.reminders",
    "intents.human",
)

LATIN, VIET, OTHER = "Latn", "Viet", "Other"
# Script -> the languages that write it, in order of preference (Han: see _han).
SCRIPT_LANGUAGES: Mapping[str, tuple[str, ...]] = {
    "Kana": ("ja",),
    "Hang": ("ko",),
    "Thai": ("th",),
    "Khmr": ("km",),
    "Deva": ("hi",),
    "Hani": ("zh", "zh-Hant", "ja"),
}
_RANGES = sorted(
    [
        (0x0900, 0x097F, "Deva"),
        (0xA8E0, 0xA8FF, "Deva"),
        (0x0E00, 0x0E7F, "Thai"),
        (0x1780, 0x17FF, "Khmr"),
        (0x19E0, 0x19FF, "Khmr"),
        (0x1100, 0x11FF, "Hang"),
        (0x3130, 0x318F, "Hang"),
        (0xA960, 0xA97F, "Hang"),
        (0xAC00, 0xD7FF, "Hang"),
        (0xFFA0, 0xFFDC, "Hang"),
        (0x3040, 0x30FF, "Kana"),
        (0x31F0, 0x31FF, "Kana"),
        (0xFF66, 0xFF9F, "Kana"),
        (0x3400, 0x4DBF, "Hani"),
        (0x4E00, 0x9FFF, "Hani"),
        (0xF900, 0xFAFF, "Hani"),
        (0x20000, 0x3134F, "Hani"),
        (0xFF21, 0xFF3A, LATIN),
        (0xFF41, 0xFF5A, LATIN),
    ]
)
_STARTS = [start for start, _, _ in _RANGES]
_VIET_LETTERS = frozenset(
    "ươăđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ"
    "ƯƠĂĐẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸĨŨ"
)
_SIMPLIFIED_ONLY = frozenset(cedict.simplified) - frozenset(cedict.traditional)
_TRADITIONAL_ONLY = frozenset(cedict.traditional) - frozenset(cedict.simplified)
_SPANISH_MARKS = frozenset("¿¡ñÑ")

LEXICON_WEIGHT = 0.8  # the rest of the score is lingua's; lingua alone cannot outvote a word
DEFAULT_THRESHOLD = 0.5
MARGIN = 0.2  # the best language must lead the second by this much


@dataclass(frozen=True)
class Detection:
    """The identified language (None: abstain, show the menu), how sure, and which step said so."""

    language: str | None
    confidence: float  # 0..1
    method: str  # "script", "lexicon", "statistical", "none"


NONE = Detection(None, 0.0, "none")


@lru_cache(maxsize=16384)
def script_of(ch: str) -> str:
    """The script a character counts for: Latn, Viet, Hani, Kana, ..., Other, or '' (no letter)."""
    if ch in _VIET_LETTERS:
        return VIET
    code = ord(ch)
    i = bisect_right(_STARTS, code) - 1
    if i >= 0 and code <= _RANGES[i][1]:
        return _RANGES[i][2]
    if not ch.isalpha():
        return ""
    return LATIN if code < 0x0250 or 0x1E00 <= code <= 0x1EFF else OTHER


def load_words(path: Path = WORDS_FILE) -> dict[str, set[str]]:
    """The curated word lists: {language or '*': {entry, ...}}, entries as written."""
    words: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, _, entries = line.partition("\t")
        words.setdefault(code.strip(), set()).update(e for e in entries.split("|") if e.strip())
    return words


def lingua_language(code: str) -> Language | None:
    """Lingua's language for a catalog code ('zh-Hant' -> CHINESE), None if lingua lacks it."""
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(code.split("-")[0]))
    except ValueError:
        return None


@cache
def _lingua_detector(languages: frozenset[Language]) -> LanguageDetector:
    # Built once per language set and shared: loading the models takes a fraction of a second.
    builder = LanguageDetectorBuilder.from_languages(*sorted(languages, key=str))
    return builder.with_preloaded_language_models().build()


class LanguageIdentifier:
    """Identifies the supported language of short texts; built once, then pure and fast."""

    def __init__(
        self,
        languages: Sequence[str],
        lexicon: Mapping[str, frozenset[str]] | None = None,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        names: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.languages = tuple(languages)
        self.threshold = threshold
        supported = set(self.languages)
        raw = lexicon if lexicon is not None else _default_lexicon(self.languages)
        self._units, self._max_words = _build_units(raw, supported)
        self._names = _build_names(names or {}, supported)
        by_script = set().union(*SCRIPT_LANGUAGES.values())
        # Lingua only sees Latin-script (and unknown-script) text: scripts decide the others.
        lingua_codes = {
            lang: code
            for code in self.languages
            if code not in by_script and (lang := lingua_language(code)) is not None
        }
        self._lingua_codes = lingua_codes
        self._lingua = _lingua_detector(frozenset(lingua_codes)) if lingua_codes else None

    @classmethod
    def from_catalogs(cls, catalogs: Catalogs) -> LanguageIdentifier:
        """An identifier for the catalogs' languages, with their word lists and names."""
        languages = catalogs.languages
        words = _default_lexicon(languages)
        names: dict[str, list[str]] = {}
        for code in languages:
            catalog = catalogs.by_language[code]
            entries = [w for key in CATALOG_KEYS for w in catalog.words(key)]
            words[code] = words.get(code, frozenset()) | frozenset(entries)
            names[code] = [catalog.name, *catalog.words("language.aliases")]
        return cls(languages, words, names=names)

    def detect(self, text: str, *, abstain: bool = True) -> Detection:
        """The language of a text; with abstain=False, the best guess even when unsure."""
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        folded = normalize(text)
        if not folded:
            return NONE
        named = self._names.get(folded)
        if named is not None:
            return Detection(named, 1.0, "lexicon")
        scripts = Counter(map(script_of, text))
        found = self._by_script(text, scripts)
        if found is not None:
            return found
        if scripts[OTHER] > scripts[LATIN] + scripts[VIET]:
            return self._other_script(text, abstain=abstain)
        return self._latin(text, folded.split(), abstain=abstain)

    def _by_script(self, text: str, scripts: Counter[str]) -> Detection | None:
        """The answer the scripts give; None when no script rule applies (Latin, other)."""
        if scripts["Kana"]:  # kana: Japanese, even mixed with kanji
            return Detection("ja", 1.0, "script") if "ja" in self.languages else NONE
        script = max(SCRIPT_LANGUAGES, key=scripts.__getitem__)
        count = scripts[script]
        if not count:
            return None
        if scripts[OTHER] > count:
            return NONE
        if script == "Hani":
            return self._han(text)
        code = next((c for c in SCRIPT_LANGUAGES[script] if c in self.languages), None)
        if code is None:
            return NONE
        return Detection(code, count / (count + scripts[OTHER]), "script")

    def _han(self, text: str) -> Detection:
        """Simplified (zh) or Traditional (zh-Hant) Chinese, by the characters that differ."""
        simplified = sum(ch in _SIMPLIFIED_ONLY for ch in text)
        traditional = sum(ch in _TRADITIONAL_ONLY for ch in text)
        order = ("zh-Hant", "zh") if traditional > simplified else ("zh", "zh-Hant")
        code = next((c for c in (*order, "ja") if c in self.languages), None)
        if code is None:
            return NONE
        if simplified == traditional:  # nothing tells them apart: the brief says zh
            return Detection(code, 0.75, "script")
        return Detection(code, max(simplified, traditional) / (simplified + traditional), "script")

    def _other_script(self, text: str, *, abstain: bool) -> Detection:
        """Text mostly in a script no rule covers: lingua on those letters, usually no answer."""
        letters = "".join(ch for ch in text if script_of(ch) in (OTHER, ""))
        scores = self._lingua_scores(letters)
        if not scores or max(scores.values()) <= 0:
            return NONE
        return self._decide(scores, "statistical", abstain=abstain)

    def _latin(self, text: str, tokens: list[str], *, abstain: bool) -> Detection:
        """Latin letters: Vietnamese letters, then lexicon and lingua together."""
        if any(ch in _VIET_LETTERS for ch in text) and "vi" in self.languages:
            return Detection("vi", 1.0, "script")
        shares, known, unknown = self._match(tokens)
        if any(ch in _SPANISH_MARKS for ch in text) and "es" in self.languages:
            shares["es"] = shares.get("es", 0.0) + 1  # ¿ ¡ ñ: only Spanish writes them
            known += 1
        total = known + unknown
        if total == 0:  # only words everybody uses ("ok", "hi"), digits, emoji
            return NONE if abstain else self._statistical(text)
        lexical = {code: share / total for code, share in shares.items()}
        if not unknown and self._lexicon_suffices(lexical, abstain=abstain):
            best = max(lexical, key=lexical.__getitem__)
            return Detection(best, LEXICON_WEIGHT * lexical[best], "lexicon")
        ling = self._lingua_scores(text)
        unknown_part = unknown / total
        scores = {
            code: LEXICON_WEIGHT * (lexical.get(code, 0.0) + unknown_part * ling.get(code, 0.0))
            + (1 - LEXICON_WEIGHT) * ling.get(code, 0.0)
            for code in set(lexical) | set(ling)
        }
        best = max(scores, key=scores.__getitem__) if scores else None
        method = "lexicon" if best is not None and lexical.get(best, 0.0) >= 0.5 else "statistical"
        return self._decide(scores, method, abstain=abstain)

    def _lexicon_suffices(self, lexical: Mapping[str, float], *, abstain: bool) -> bool:
        """True when whatever lingua says could not change the answer (so skip it: speed)."""
        ranked = sorted(lexical.values(), reverse=True) + [0.0]
        top, second = LEXICON_WEIGHT * ranked[0], LEXICON_WEIGHT * ranked[1]
        rest = 1 - LEXICON_WEIGHT  # the most lingua can add to any one language
        if top - second - rest <= 0:
            return False
        return not abstain or (top >= self.threshold and top - second - rest >= MARGIN)

    def _match(self, tokens: list[str]) -> tuple[dict[str, float], int, int]:
        """Each language's share of the known words (longest phrase first), known and unknown."""
        shares: dict[str, float] = {}
        known = unknown = 0
        i, count = 0, len(tokens)
        while i < count:
            size, langs = 1, self._units.get(tokens[i])
            for longer in range(min(self._max_words, count - i), 1, -1):
                phrase = self._units.get(" ".join(tokens[i : i + longer]))
                if phrase is not None:
                    size, langs = longer, phrase
                    break
            i += size
            if langs is None:
                unknown += 1 if any(ch.isalpha() for ch in tokens[i - size]) else 0
            elif langs:  # an empty set marks words every texter uses: they tell nothing
                known += size
                for code in langs:
                    shares[code] = shares.get(code, 0.0) + size / len(langs)
        return shares, known, unknown

    def _lingua_scores(self, text: str) -> dict[str, float]:
        """Lingua's confidence per supported language (empty when lingua has no language)."""
        if self._lingua is None:
            return {}
        return {
            self._lingua_codes[cv.language]: cv.value
            for cv in self._lingua.compute_language_confidence_values(text)
        }

    def _statistical(self, text: str) -> Detection:
        """Lingua's best guess alone, for texts the lexicon has nothing to say about."""
        scores = self._lingua_scores(text)
        if not scores or max(scores.values()) <= 0:
            return NONE
        return self._decide(scores, "statistical", abstain=False)

    def _decide(self, scores: Mapping[str, float], method: str, *, abstain: bool) -> Detection:
        """The best-scoring language, unless (when abstaining) it is not clearly the best."""
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        if not ranked or ranked[0][1] <= 0:
            return NONE
        (best, top), second = ranked[0], ranked[1][1] if len(ranked) > 1 else 0.0
        if abstain and (top < self.threshold or top - second < MARGIN):
            return Detection(None, top, "none")
        return Detection(best, top, method)


def _default_lexicon(languages: Iterable[str]) -> dict[str, frozenset[str]]:
    wanted = {*languages, NEUTRAL}
    return {code: frozenset(words) for code, words in load_words().items() if code in wanted}


def _build_units(
    lexicon: Mapping[str, frozenset[str]], supported: set[str]
) -> tuple[dict[str, frozenset[str]], int]:
    """Normalized entry -> the supported languages using it (empty: every language's word)."""
    claims: dict[str, set[str]] = {}
    for code, entries in lexicon.items():
        if code != NEUTRAL and code not in supported:
            continue
        for entry in entries:
            key = normalize(entry)
            if key:
                claims.setdefault(key, set()).add(code)
    units = {
        key: frozenset() if NEUTRAL in codes else frozenset(codes) for key, codes in claims.items()
    }
    longest = max((key.count(" ") + 1 for key in units), default=1)
    return units, longest


def _build_names(names: Mapping[str, Iterable[str]], supported: set[str]) -> dict[str, str]:
    """Normalized language name or alias -> its language, for names only one language claims."""
    claims: dict[str, set[str]] = {}
    for code, words in names.items():
        if code in supported:
            for word in words:
                if key := normalize(word):
                    claims.setdefault(key, set()).add(code)
    return {key: next(iter(codes)) for key, codes in claims.items() if len(codes) == 1}
