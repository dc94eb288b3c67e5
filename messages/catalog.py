"""Translators' catalogs (gettext `.po`, read with Babel) and the renderer that uses them.

Each `catalogs/<code>.po` holds every message of every flow for one language; message ids are
keys namespaced by flow (`reminders.ask`), English is the source. Entries under `keywords.`,
`intents.` and `language.aliases` are not sent: they list, separated by `|`, the words a texter
may use (STOP, AYUDA, 中文 ...). Adding a language is adding a file; no Python changes.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.pofile import read_po

from messages.segments import count_segments

CATALOG_DIR = Path(__file__).with_name("catalogs")
SOURCE_LANGUAGE = "en"
LIST_PREFIXES = ("keywords.", "intents.", "language.aliases")
_BUDGET = re.compile(r"budget:\s*(\d+)\s*segment", re.IGNORECASE)
# A reviewer marks a message reviewed by removing its fuzzy flag and adding, above it,
#   # reviewed-by: NAME, ORGANIZATION


class CatalogError(ValueError):
    """A catalog file is missing, unreadable, or asks for a message that does not exist."""


@dataclass(frozen=True)
class Entry:
    """One message in one language: its text, whether it is an unreviewed draft, its comment."""

    text: str
    draft: bool  # gettext's fuzzy flag: drafted, not yet reviewed by a native speaker
    comment: str
    reviewer: str | None = None  # from a "# reviewed-by: NAME, ORGANIZATION" comment


@dataclass(frozen=True)
class Catalog:
    """All messages of one language."""

    language: str
    entries: Mapping[str, Entry]
    path: Path

    @property
    def name(self) -> str:
        """The language's name in its own script ('Español', '中文')."""
        entry = self.entries.get("language.name")
        return entry.text if entry else self.language

    def words(self, key: str) -> list[str]:
        """A `|`-separated list entry (keywords, intents, aliases) as a list; empty if absent."""
        entry = self.entries.get(key)
        if entry is None or not entry.text:
            return []
        return [w.strip() for w in entry.text.split("|") if w.strip()]


def is_list_key(key: str) -> bool:
    """True for entries that are word lists for matching, never sent to a texter."""
    return key.startswith(LIST_PREFIXES)


def placeholders(text: str) -> set[str]:
    """The `{name}` variables a message text uses."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def budget(entry: Entry) -> int | None:
    """The SMS segment budget named in a message's translator comment, if any."""
    match = _BUDGET.search(entry.comment)
    return int(match.group(1)) if match else None


def load_catalog(path: Path) -> Catalog:
    """Read one `.po` file; the language code is the file's stem (`es`, `zh-Hant`)."""
    try:
        with path.open("rb") as fh:
            po = read_po(fh, abort_invalid=True)
    except Exception as exc:  # Babel raises several kinds; say which file.
        raise CatalogError(f"{path}: cannot read catalog: {exc}") from exc
    entries: dict[str, Entry] = {}
    for message in po:
        if not message.id or not isinstance(message.id, str):
            continue
        text = message.string if isinstance(message.string, str) else ""
        if not text:
            continue  # untranslated: the renderer falls back to the source language
        comment = " ".join([*message.auto_comments, *message.user_comments])
        reviewer = next(
            (
                c.split(":", 1)[1].strip()
                for c in message.user_comments
                if c.lower().startswith("reviewed-by:")
            ),
            None,
        )
        entries[message.id] = Entry(text, message.fuzzy, comment, reviewer)
    return Catalog(language=path.stem, entries=entries, path=path)


def menu_order(directory: Path) -> list[str]:
    """Language codes in the order the language menu lists them (`menu-order.txt`)."""
    order_file = directory / "menu-order.txt"
    if not order_file.exists():
        return []
    lines = order_file.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@dataclass
class Catalogs:
    """Every language's catalog, the source language first, and the renderer over them."""

    by_language: dict[str, Catalog]
    source: str = SOURCE_LANGUAGE
    order: list[str] = field(default_factory=list)
    # The coalition's own reviewed translations, over the files' ({language: {key: entry}}):
    # replaced whole (never changed in place) when the database's change (`bot.translations`).
    reviewed: dict[str, dict[str, Entry]] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path = CATALOG_DIR) -> Catalogs:
        """Load every `*.po` in the directory."""
        found = {c.language: c for c in map(load_catalog, sorted(directory.glob("*.po")))}
        if SOURCE_LANGUAGE not in found:
            raise CatalogError(f"{directory}: no {SOURCE_LANGUAGE}.po, the source catalog")
        listed = [code for code in menu_order(directory) if code in found]
        order = listed + sorted(code for code in found if code not in listed)
        return cls(by_language=found, order=order)

    @property
    def languages(self) -> list[str]:
        """Supported language codes, in menu order."""
        return list(self.order)

    @property
    def keys(self) -> set[str]:
        """Every message key the source catalog defines."""
        return set(self.by_language[self.source].entries)

    def entry(self, key: str, language: str) -> Entry:
        """The entry for a key in a language (the coalition's reviewed translation first),
        falling back to the source language."""
        own = self.reviewed.get(language)
        if own:
            found = own.get(key)
            if found is not None:
                return found
        catalog = self.by_language.get(language)
        entry = catalog.entries.get(key) if catalog else None
        if entry is None:
            entry = self.by_language[self.source].entries.get(key)
        if entry is None:
            raise CatalogError(f"unknown message key {key!r}")
        return entry

    def render(self, key: str, language: str, params: Mapping[str, object] | None = None) -> str:
        """The text of a message in a language, with its variables filled in."""
        text = self.entry(key, language).text
        try:
            return text.format_map(dict(params or {}))
        except (KeyError, IndexError, ValueError) as exc:
            raise CatalogError(f"{language}:{key}: cannot fill variables: {exc}") from exc

    def over_budget(self, params: Mapping[str, object]) -> list[tuple[str, str, int, int]]:
        """(language, key, segments, budget) for every message that, rendered with these
        variables, takes more SMS segments than its translator comment allows (messages
        needing variables not given are left out: their values come at run time)."""
        found = []
        for key, source in self.by_language[self.source].entries.items():
            limit = budget(source)
            if limit is None or is_list_key(key) or not placeholders(source.text) <= set(params):
                continue
            for code in self.order:
                segments = count_segments(self.render(key, code, params)).segments
                if segments > limit:
                    found.append((code, key, segments, limit))
        return found

    def review_status(self) -> dict[str, tuple[int, int, int]]:
        """Per language: (messages in English, translated, reviewed i.e. not draft), the
        coalition's reviewed translations counted as reviewed."""
        keys = [k for k in self.by_language[self.source].entries if not is_list_key(k)]
        status = {}
        for code in self.order:
            entries = {**self.by_language[code].entries, **self.reviewed.get(code, {})}
            translated = [k for k in keys if k in entries]
            reviewed = [k for k in translated if not entries[k].draft]
            status[code] = (len(keys), len(translated), len(reviewed))
        return status

    def words(self, key: str, languages: Iterable[str] | None = None) -> dict[str, list[str]]:
        """A word-list entry for each language: {language: [word, ...]}."""
        codes = list(languages) if languages is not None else self.order
        return {code: self.by_language[code].words(key) for code in codes}
