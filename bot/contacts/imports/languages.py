"""Language codes from what people write in a spreadsheet's language column.

The names come from the catalogs (each language's own name and `language.aliases`, the words
texters use), plus ISO 639 codes, locale tags and English names, folded the way the bot folds
what texters write ("Español", "espanol" and "ESPAÑOL" are one key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.errors import Invalid
from flows.text import normalize
from messages.catalog import Catalogs

# Names a catalog need not list. Chinese by speech: Mandarin speakers read Simplified,
# Cantonese and Taishanese speakers in the US mostly Traditional.
EXTRA_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("en", "eng", "english", "en-us", "en-gb"),
    "es": ("es", "spa", "spanish", "es-us", "es-mx", "es-419", "espanol latino"),
    "zh": (
        "zh",
        "zho",
        "chi",
        "cmn",
        "zh-cn",
        "zh-hans",
        "zh-sg",
        "chinese",
        "mandarin",
        "chinese mandarin",
        "mandarin chinese",
        "chinese simplified",
        "simplified chinese",
        "chinese-simplified",
    ),
    "zh-Hant": (
        "zh-hant",
        "zh-tw",
        "zh-hk",
        "zh-mo",
        "yue",
        "cantonese",
        "chinese cantonese",
        "cantonese chinese",
        "chinese traditional",
        "traditional chinese",
        "chinese-traditional",
        "taishanese",
        "toisanese",
        "chinese taishanese",
    ),
    "vi": ("vi", "vie", "vietnamese", "tieng viet", "viet"),
    "ko": ("ko", "kor", "korean"),
    "tl": ("tl", "tgl", "fil", "tagalog", "filipino", "pilipino"),
    "hi": ("hi", "hin", "hindi"),
    "ja": ("ja", "jpn", "japanese"),
    "km": ("km", "khm", "khmer", "cambodian"),
    "th": ("th", "tha", "thai"),
}
# Recognized, so that the report can say "not supported" rather than "not understood".
UNSUPPORTED = (
    "arabic",
    "armenian",
    "bengali",
    "farsi",
    "french",
    "german",
    "gujarati",
    "haitian creole",
    "hmong",
    "italian",
    "lao",
    "persian",
    "polish",
    "portuguese",
    "punjabi",
    "russian",
    "somali",
    "tamil",
    "ukrainian",
    "urdu",
)
_BLANK = frozenset({"", "none", "null", "n a", "na", "unknown", "other"})
_SPLIT = re.compile(r"[/,;&+|]|\band\b|\by\b")
_LOCALE = re.compile(r"([a-z]{2,3})(?:[ _-][a-z0-9]{2,8})*")


class LanguageProblem(Invalid):
    """A language name that is not one of ours; the message says why."""


def _key(text: str) -> str:
    return normalize(text.replace("_", " ").replace("-", " "))


@dataclass(frozen=True, eq=False)  # hashed by identity, for the lookup cache
class LanguageNames:
    """Folded names → supported language code."""

    names: dict[str, str]
    supported: tuple[str, ...]

    @classmethod
    def from_catalogs(cls, catalogs: Catalogs) -> LanguageNames:
        """Every way the catalogs and the standards name our languages."""
        names: dict[str, str] = {}
        for code in catalogs.languages:
            catalog = catalogs.by_language[code]
            for name in (
                *EXTRA_NAMES.get(code, ()),
                code,
                catalog.name,
                *catalog.words("language.aliases"),
            ):
                names.setdefault(_key(name), code)
        return cls(names=names, supported=tuple(catalogs.languages))

    def code(self, text: str) -> str | None:
        """The language code a value names; None when blank; LanguageProblem when unknown."""
        return _lookup(self, text)

    def _find(self, key: str) -> str | None:
        found = self.names.get(key)
        if found is None and (locale := _LOCALE.fullmatch(key)):
            found = self.names.get(locale.group(1))
        return found


@lru_cache(maxsize=4096)
def _lookup(names: LanguageNames, text: str) -> str | None:
    key = _key(text)
    if key in _BLANK:
        return None
    found = names._find(key)
    # "Spanish (Mexico)", "Spanish/English": the first language named.
    for part in (_key(text.split("(")[0]), *map(_key, _SPLIT.split(text.lower()))):
        if found is not None:
            break
        if part:
            found = names._find(part)
    if found is not None:
        return found
    if key in UNSUPPORTED:
        raise LanguageProblem(
            f"{text.strip()} is not one of the supported languages ({', '.join(names.supported)})"
        )
    raise LanguageProblem(f"language not recognized (supported: {', '.join(names.supported)})")
