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

import re
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
# A Vietnamese syllable without its accents: initial consonant, vowels, final consonant.
_VI_SYLLABLE = re.compile(
    "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
    "(?:uye|uya|uyu|uay|uoi|uou|oai|oay|oeo|ieu|yeu|ai|ao|au|ay|eo|eu|ia|ie|iu|oa|oe|oi|ua|ue"
    "|ui|uo|uu|uy|ya|ye|[aeiouy])"
    "(?:ch|ng|nh|[cmnpt])?"
)

LEXICON_WEIGHT = 0.8  # the rest of the score is lingua's; lingua alone cannot outvote a word
DEFAULT_THRESHOLD = 0.5
MARGIN = 0.2  # the best language must lead the second by this much
MIN_LETTERS = 3  # fewer letters, and no known word: no answer
VI_SYLLABLE_ODDS = 4.0  # per unknown word of Vietnamese shape, at most three


@dataclass(frozen=True)
class Detection:
    """The identified language (None: abstain, show the menu), how sure, and which step said so."""

    language: str | None
    confidence: float  # 0..1; when the lexicon alone decided, the least lingua could make it
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
        letters: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """`lexicon`: {language or '*': words and phrases}, the curated list if None; `names`:
        {language: names and aliases}, matched as whole messages; `letters`: {language: texts
        written in it}, a word typed with accented letters they never use (the "ê" of "quê"
        for Spanish) gets no lexicon help for that language."""
        self.languages = tuple(languages)
        self.threshold = threshold
        supported = set(self.languages)
        raw = lexicon if lexicon is not None else _default_lexicon(self.languages)
        self._units, self._phrases = _build_units(raw, supported)
        self._names = _build_names(names or {}, supported)
        self._letters = {
            code: frozenset(ch.casefold() for word in words for ch in word)
            for code, words in (letters or {}).items()
            if code in supported
        }
        by_script = set().union(*SCRIPT_LANGUAGES.values())
        # Lingua only sees Latin-script (and unknown-script) text: scripts decide the others.
        self._lingua_codes = {
            lang: code
            for code in self.languages
            if code not in by_script and (lang := lingua_language(code)) is not None
        }
        codes = frozenset(self._lingua_codes)
        self._lingua = _lingua_detector(codes) if codes else None

    @classmethod
    def from_catalogs(cls, catalogs: Catalogs) -> LanguageIdentifier:
        """An identifier for the catalogs' languages, with their word lists, names and letters."""
        languages = catalogs.languages
        words = _default_lexicon(languages)
        names: dict[str, list[str]] = {}
        letters: dict[str, list[str]] = {}
        for code in languages:
            catalog = catalogs.by_language[code]
            entries = [w for key in CATALOG_KEYS for w in catalog.words(key)]
            words[code] = words.get(code, frozenset()) | frozenset(entries)
            names[code] = [catalog.name, *catalog.words("language.aliases")]
            # Aliases name other languages ("inglés" is English's): only the language's own text.
            letters[code] = [e.text for k, e in catalog.entries.items() if k != "language.aliases"]
        return cls(languages, words, names=names, letters=letters)

    def detect(self, text: str, *, abstain: bool = True) -> Detection:
        """The language of a text; with abstain=False, the best guess even when unsure."""
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        folded = normalize(text)
        if not folded:
            return NONE
        accents = _accented(text)
        named = self._names.get(folded)
        if named is not None and accents <= named[1]:  # "thái" is not the name "thai"
            return Detection(named[0], 1.0, "lexicon")
        if text.isascii():  # most texts: no script rule applies, skip counting scripts
            return self._latin(text, folded.split(), accents, abstain=abstain)
        scripts = Counter(map(script_of, text))
        found = self._by_script(text, scripts)
        if found is not None:
            return found
        if scripts[OTHER] > scripts[LATIN] + scripts[VIET]:
            return self._other_script(text, abstain=abstain)
        if scripts[VIET]:  # letters only Vietnamese writes
            return Detection("vi", 1.0, "script") if "vi" in self.languages else NONE
        return self._latin(text, folded.split(), accents, abstain=abstain)

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
        if simplified == traditional:  # nothing tells them apart: say zh, the more common
            return Detection(code, 0.75, "script")
        return Detection(code, max(simplified, traditional) / (simplified + traditional), "script")

    def _other_script(self, text: str, *, abstain: bool) -> Detection:
        """Text mostly in a script no rule covers: lingua on those letters, usually no answer."""
        letters = "".join(ch for ch in text if script_of(ch) in (OTHER, ""))
        scores = self._lingua_scores(letters)
        if not scores or max(scores.values()) <= 0:
            return NONE
        return self._decide(scores, "statistical", abstain=abstain)

    def _latin(
        self, text: str, tokens: list[str], accents: frozenset[str], *, abstain: bool
    ) -> Detection:
        """Latin letters: the lexicon's share of the words, lingua for the rest and ties."""
        shares, known, unknown_words = self._match(tokens, _accented_words(text) if accents else {})
        unknown = len(unknown_words)
        if any(ch in _SPANISH_MARKS for ch in text) and "es" in self.languages:
            shares["es"] = shares.get("es", 0.0) + 1  # ¿ ¡ ñ: only Spanish writes them
            known += 1
        total = known + unknown
        if total == 0:  # only words everybody uses ("ok", "hi"), digits, emoji
            return NONE if abstain else self._statistical(text)
        if abstain and not known and sum(map(len, unknown_words)) < MIN_LETTERS:
            return NONE  # "Q", "xd": too little for the statistics
        lexical = {code: share / total for code, share in shares.items()}
        unknown_part = unknown / total
        blind = self._blind(shares, total)
        sure = self._lexicon_decides(lexical, blind, unknown_part)
        if sure is not None:
            return sure
        ling = self._blend(_syllables(self._lingua_scores(text), unknown_words), blind)
        scores = {
            code: LEXICON_WEIGHT * (lexical.get(code, 0.0) + unknown_part * ling.get(code, 0.0))
            + (1 - LEXICON_WEIGHT) * ling.get(code, 0.0)
            for code in set(lexical) | set(ling)
        }
        best = max(scores, key=scores.__getitem__)
        method = "lexicon" if lexical.get(best, 0.0) >= 0.5 else "statistical"
        return self._decide(scores, method, abstain=abstain)

    def _blind(self, shares: Mapping[str, float], total: int) -> dict[str, float]:
        """The share of the words the lexicon gives to languages lingua cannot see."""
        seen = self._lingua_codes.values()
        return {c: v / total for c, v in shares.items() if c not in seen}

    @staticmethod
    def _blend(ling: dict[str, float], blind: Mapping[str, float]) -> dict[str, float]:
        """Lingua's scores, with the lexicon's word for the languages lingua cannot see.

        Lingua knows no romanized Hindi (nor Khmer, nor romanized Japanese ...): for the part
        of the text the lexicon gives to such languages, take the lexicon's word for it.
        """
        if not blind:
            return ling
        seen = 1 - sum(blind.values())
        return {**{c: v * seen for c, v in ling.items()}, **blind}

    def _lexicon_decides(
        self, lexical: Mapping[str, float], blind: Mapping[str, float], unknown_part: float
    ) -> Detection | None:
        """The answer when nothing lingua could say would change it: lingua is skipped (speed).

        The confidence is then the least the full score could be (lingua giving it nothing).
        """
        ranked = sorted(lexical, key=lexical.__getitem__, reverse=True)
        if not ranked:
            return None
        best, rivals = ranked[0], ranked[1:]
        # What lingua's part (see _blend) can give: a fixed share to a language it cannot see,
        # at most the rest to the others.
        own = blind.get(best, 0.0)
        cap = max([1 - sum(blind.values()), *(blind.get(c, 0.0) for c in rivals)])
        second = lexical[rivals[0]] if rivals else 0.0
        floor = LEXICON_WEIGHT * (lexical[best] + unknown_part * own) + (1 - LEXICON_WEIGHT) * own
        ceiling = LEXICON_WEIGHT * (second + unknown_part * cap) + (1 - LEXICON_WEIGHT) * cap
        if floor < self.threshold or floor - ceiling < MARGIN:
            return None
        return Detection(best, floor, "lexicon")

    def _match(
        self, tokens: list[str], marks: Mapping[str, frozenset[str]]
    ) -> tuple[dict[str, float], int, list[str]]:
        """Each language's share of the known words (longest phrase first), how many words
        were known, and the unknown words.

        `marks`: the accented letters of each accented word; an entry only counts for the
        languages that write those letters ("que" counts for Spanish, "quê" does not).
        """
        shares: dict[str, float] = {}
        known, unknown = 0, []
        i, count = 0, len(tokens)
        while i < count:
            size, langs = 1, self._units.get(tokens[i])
            for longer in self._phrases.get(tokens[i], ()):  # longest first
                phrase = self._units.get(" ".join(tokens[i : i + longer]))
                if phrase is not None and i + longer <= count:
                    size, langs = longer, phrase
                    break
            words, i = tokens[i : i + size], i + size
            if langs and marks:
                langs = self._writers(langs, words, marks) or None
            if langs is None:
                unknown += [word for word in words if any(ch.isalpha() for ch in word)]
            elif langs:  # an empty set marks words every texter uses: they tell nothing
                known += size
                for code in langs:
                    shares[code] = shares.get(code, 0.0) + size / len(langs)
        return shares, known, unknown

    def _writers(
        self, langs: frozenset[str], words: list[str], marks: Mapping[str, frozenset[str]]
    ) -> frozenset[str]:
        """The languages among `langs` that write the accented letters the words were typed with."""
        typed = frozenset().union(*(marks.get(word, frozenset()) for word in words))
        if not typed:
            return langs
        return frozenset(c for c in langs if c not in self._letters or typed <= self._letters[c])

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


def _syllables(ling: dict[str, float], words: list[str]) -> dict[str, float]:
    """Lingua's scores, Vietnamese made likelier when every unknown word could be a Vietnamese
    syllable typed without accents ("phieu", "nguoi"): lingua learnt Vietnamese with its
    accents, and few words of the other languages have that shape."""
    if "vi" not in ling or not words or not all(map(_VI_SYLLABLE.fullmatch, words)):
        return ling
    odds = dict(ling, vi=ling["vi"] * VI_SYLLABLE_ODDS ** min(len(words), 3))
    total = sum(odds.values())
    return {code: value / total for code, value in odds.items()} if total else ling


def _accented_words(text: str) -> dict[str, frozenset[str]]:
    """Normalized word -> the accented letters it was typed with, for words typed with some."""
    marks: dict[str, frozenset[str]] = {}
    for word in text.split():
        if letters := _accented(word):
            for token in normalize(word).split():
                marks[token] = marks.get(token, frozenset()) | letters
    return marks


def _accented(text: str) -> frozenset[str]:
    """The accented Latin letters of a text, lowercase ('é', 'ñ', 'ư')."""
    if text.isascii():
        return frozenset()
    return frozenset(ch for ch in text.casefold() if ch > "\x7f" and script_of(ch) in (LATIN, VIET))


def _default_lexicon(languages: Iterable[str]) -> dict[str, frozenset[str]]:
    wanted = {*languages, NEUTRAL}
    return {code: frozenset(words) for code, words in load_words().items() if code in wanted}


def _build_units(
    lexicon: Mapping[str, frozenset[str]], supported: set[str]
) -> tuple[dict[str, frozenset[str]], dict[str, tuple[int, ...]]]:
    """Normalized entry -> the supported languages using it (empty: every language's word),
    and first word of a phrase -> the lengths in words of the phrases it starts."""
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
    lengths: dict[str, set[int]] = {}
    for key in units:
        first, *rest = key.split(" ")
        if rest:
            lengths.setdefault(first, set()).add(len(rest) + 1)
    return units, {first: tuple(sorted(n, reverse=True)) for first, n in lengths.items()}


def _build_names(
    names: Mapping[str, Iterable[str]], supported: set[str]
) -> dict[str, tuple[str, frozenset[str]]]:
    """Normalized name or alias -> (its language, the accented letters its spellings use), for
    names only one language claims."""
    claims: dict[str, set[str]] = {}
    letters: dict[str, set[str]] = {}
    for code, words in names.items():
        if code in supported:
            for word in words:
                if key := normalize(word):
                    claims.setdefault(key, set()).add(code)
                    letters.setdefault(key, set()).update(_accented(word))
    return {
        key: (next(iter(codes)), frozenset(letters[key]))
        for key, codes in claims.items()
        if len(codes) == 1
    }
