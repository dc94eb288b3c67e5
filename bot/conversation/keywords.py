"""The engine's lexicon, built from the message catalogs' word lists (all languages at once)."""

from __future__ import annotations

from flows.lexicon import GLOBAL_KEYWORDS, Lexicon
from messages.catalog import Catalogs

INTENTS = ("registration", "polling", "reminders", "human")


def lexicon_from_catalogs(catalogs: Catalogs) -> Lexicon:
    """Every language's keywords, yes/no words, language names and intent phrases."""
    langs = catalogs.languages

    def union(key: str) -> list[str]:
        return [w for words in catalogs.words(key).values() for w in words]

    names = {
        code: [
            catalogs.by_language[code].name,
            *catalogs.by_language[code].words("language.aliases"),
        ]
        for code in langs
    }
    return Lexicon.build(
        languages=langs,
        keywords={kind: union(f"keywords.{kind}") for kind in GLOBAL_KEYWORDS},
        stop_phrases=union("keywords.stop_phrases"),
        language_names=names,
        yes=union("keywords.yes"),
        no=union("keywords.no"),
        intents={intent: union(f"intents.{intent}") for intent in INTENTS},
    )
