"""What texters' words mean: keywords, yes/no, language names and intents, in every language.

The lexicon is plain data handed to the engine (the bot builds it from the message catalogs),
so the engine stays pure and adding a language's words needs no code.

Whole-message words are matched the way they were typed: a message written with accents is
compared with its accents ("Đúng", Vietnamese for "right", is not "DỪNG", stop), one written
without is compared without ("dung" is stop, as carriers and texters expect).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flows.text import has_word_boundaries, normalize, words_follow

GLOBAL_KEYWORDS = ("stop", "start", "help", "menu")
INTENT_GAP = 1  # filler words allowed between an intent phrase's words ("saan PO ako boboto")


@dataclass(frozen=True)
class WordMap:
    """Whole-message words and what each means, matched with or without accents as typed."""

    exact: Mapping[str, str] = field(default_factory=dict)  # accents kept
    folded: Mapping[str, str] = field(default_factory=dict)  # accents removed

    @classmethod
    def build(cls, meanings: Iterable[tuple[str, str]]) -> WordMap:
        """From (word, meaning) pairs; a word claimed twice keeps its first meaning."""
        exact: dict[str, str] = {}
        folded: dict[str, str] = {}
        for word, meaning in meanings:
            exact.setdefault(normalize(word, keep_accents=True), meaning)
            folded.setdefault(normalize(word), meaning)
        exact.pop("", None)
        folded.pop("", None)
        return cls(exact, folded)

    def get(self, text: str) -> str | None:
        """What a whole message means, if anything."""
        plain = normalize(text)
        typed = normalize(text, keep_accents=True)
        return self.folded.get(plain) if typed == plain else self.exact.get(typed)

    def without(self, other: WordMap) -> WordMap:
        """This map less the words the other one already claims."""
        return WordMap(
            {k: v for k, v in self.exact.items() if k not in other.exact},
            {k: v for k, v in self.folded.items() if k not in other.folded},
        )


@dataclass(frozen=True)
class PhraseIndex:
    """Phrases found anywhere in a message, indexed by their first word so that a message is
    tokenized once instead of scanned once per phrase; phrases in scripts written without
    spaces (Han, kana, Thai, Khmer) and in Hangul are matched as substrings."""

    by_first_word: Mapping[str, tuple[tuple[tuple[str, ...], str], ...]]
    unspaced: tuple[tuple[str, str], ...]  # (phrase, meaning)

    @classmethod
    def build(cls, phrases: Iterable[tuple[str, str]]) -> PhraseIndex:
        """From (phrase, meaning) pairs, normalized."""
        spaced: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        unspaced: list[tuple[str, str]] = []
        for phrase, meaning in phrases:
            norm = normalize(phrase)
            if not norm:
                continue
            if has_word_boundaries(norm):
                words = tuple(norm.split())
                spaced.setdefault(words[0], []).append((words, meaning))
            else:
                unspaced.append((norm, meaning))
        return cls({k: tuple(v) for k, v in spaced.items()}, tuple(unspaced))

    def matches(self, norm: str, gap: int) -> list[tuple[int, str]]:
        """(length, meaning) of every phrase in a normalized text."""
        found: list[tuple[int, str]] = []
        words = norm.split()
        for start, word in enumerate(words):
            for wanted, meaning in self.by_first_word.get(word, ()):
                if words_follow(words, start + 1, wanted[1:], gap):
                    found.append((len(" ".join(wanted)), meaning))
        if self.unspaced and not norm.isascii():
            found += [(len(p), meaning) for p, meaning in self.unspaced if p in norm]
        return found


@dataclass(frozen=True)
class Lexicon:
    """Normalized words and phrases, each with what it means."""

    languages: tuple[str, ...]  # in language-menu order
    keywords: WordMap = field(default_factory=WordMap)  # stop / start / help / menu
    stop_phrases: PhraseIndex = field(default_factory=lambda: PhraseIndex({}, ()))
    language_names: WordMap = field(default_factory=WordMap)  # -> language code
    answers: WordMap = field(default_factory=WordMap)  # -> "yes" / "no"
    intents: PhraseIndex = field(default_factory=lambda: PhraseIndex({}, ()))

    @classmethod
    def build(
        cls,
        languages: Iterable[str],
        keywords: Mapping[str, Iterable[str]],
        stop_phrases: Iterable[str],
        language_names: Mapping[str, Iterable[str]],
        yes: Iterable[str],
        no: Iterable[str],
        intents: Mapping[str, Iterable[str]],
    ) -> Lexicon:
        """Normalize raw word lists into a lexicon. Stop is listed first: a word that might
        mean stop means stop."""
        kw = WordMap.build(
            (word, meaning) for meaning in GLOBAL_KEYWORDS for word in keywords.get(meaning, ())
        )
        names = WordMap.build(
            (word, code) for code, words in language_names.items() for word in words
        )
        return cls(
            languages=tuple(languages),
            keywords=kw,
            stop_phrases=PhraseIndex.build((p, "stop") for p in stop_phrases),
            language_names=names.without(kw),
            answers=WordMap.build([*((w, "yes") for w in yes), *((w, "no") for w in no)]),
            intents=PhraseIndex.build(
                (phrase, name) for name, phrases in intents.items() for phrase in phrases
            ),
        )

    def keyword(self, text: str) -> str | None:
        """stop/start/help/menu when the whole message is one, or it contains an opt-out phrase."""
        found = self.keywords.get(text)
        if found is None and self.stop_phrases.matches(normalize(text), gap=0):
            return "stop"
        return found

    def language_name(self, text: str) -> str | None:
        """The language a message names, when the whole message is a language's name."""
        return self.language_names.get(text)

    def answer(self, text: str) -> str | None:
        """ "yes" or "no" when the whole message is one, in any language."""
        return self.answers.get(text)

    def language_choice(self, text: str) -> str | None:
        """A language picked from the numbered language menu, by number or by name."""
        number = as_number(text)
        if number is not None and 1 <= number <= len(self.languages):
            return self.languages[number - 1]
        return self.language_name(text)

    def intent(self, text: str) -> str | None:
        """The intent whose longest phrase occurs in the message, if any."""
        found = self.intents.matches(normalize(text), gap=INTENT_GAP)
        return max(found)[1] if found else None


def as_number(text: str) -> int | None:
    """A message that is just a number ('2', '2.', '#2', '２', '२') as an int."""
    norm = normalize(text)
    if not norm or len(norm) > 3:
        return None
    try:
        return int("".join(str(unicodedata.digit(ch)) for ch in norm))
    except (TypeError, ValueError):
        return None
