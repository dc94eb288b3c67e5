"""What a send says to one recipient, in their language: an organizer's text (with the
opt-out line added when it has none), or a catalog message filled with an election's facts
(its date, hours and deadlines written the way the language writes them)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time
from sqlalchemy import Connection, select

from bot.settings import Settings
from bot.tables import PLACE_SOURCES as _SOURCES
from bot.tables import POLLING_PLACES as _PLACES
from bot.voter.elections import ElectionInfo, upcoming_election
from messages.catalog import CatalogError, Catalogs

log = logging.getLogger(__name__)

# Our language codes where Babel's locale differs.
BABEL_LOCALES = {"tl": "fil", "zh": "zh_Hans", "zh-Hant": "zh_Hant"}


def babel_locale(language: str) -> Locale:
    """The Babel locale for one of our language codes (English when Babel has none)."""
    try:
        return Locale.parse(BABEL_LOCALES.get(language, language).replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale("en")


def election_params(info: ElectionInfo | None, language: str) -> dict[str, str]:
    """An election's facts as message variables, written in the language."""
    if info is None:
        return {}
    locale = babel_locale(language)

    def day(value: dt.date | None, fmt: str = "long") -> str:
        return format_date(value, format=fmt, locale=locale) if value else ""

    def clock(value: dt.time | None) -> str:
        # Babel puts a narrow no-break space before AM/PM: not GSM-7, it would turn an
        # English reminder into UCS-2 and double its segments.
        text = format_time(value, format="short", locale=locale) if value else ""
        return text.replace("\u202f", " ").replace("\u00a0", " ")

    hours = ""
    if info.polls_open and info.polls_close:  # a plain hyphen: an en dash is not GSM-7
        hours = f"{clock(info.polls_open)} - {clock(info.polls_close)}"
    return {
        "election": info.name,
        "date": day(info.date, "full"),
        "deadline": day(info.registration_deadline),
        "early_end": day(info.early_voting_end or info.date - dt.timedelta(days=1)),
        "hours": hours,
        "close": clock(info.polls_close),
        "place": "",  # the contact's polling place: filled when the bot knows it
    }


@dataclass
class Renderer:
    """Bodies for sends, cached per send and language (a blast has a handful of texts)."""

    settings: Settings
    catalogs: Catalogs
    params: Mapping[str, Any]
    _cache: dict[tuple[int, str, str | None], str | None] = field(default_factory=dict)
    _places: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    _elections: dict[dt.date, ElectionInfo | None] = field(default_factory=dict)

    def clear(self) -> None:
        """Forget what was read: each dispatcher pass starts from the database's facts (an
        edited reminder text or election hours take effect at the next pass)."""
        self._cache.clear()
        self._elections.clear()
        self._places.clear()

    def body(
        self, conn: Connection, send: Any, language: str, place_ref: str | None = None
    ) -> str | None:
        """The text of `send` (a row of `sends`) in `language`, naming the recipient's polling
        place (`place_ref`) when it is a catalog message that can; None when it has none."""
        if send.texts or not send.message_key:
            place_ref = None  # an organizer's own text says what it says
        key = (int(send.id), language, place_ref)
        if key not in self._cache:
            self._cache[key] = self._body(conn, send, language, place_ref)
        return self._cache[key]

    def place(self, conn: Connection, ref: str) -> tuple[str, str] | None:
        """(name, address) of a polling place by its reference, while its source is active."""
        if ref not in self._places:
            source, _, source_ref = ref.partition("|")
            row = conn.execute(
                select(_PLACES.c.name, _PLACES.c.address, _PLACES.c.city)
                .join(_SOURCES, _SOURCES.c.id == _PLACES.c.source_id)
                .where(
                    _SOURCES.c.name == source,
                    _SOURCES.c.status == "active",
                    _PLACES.c.source_ref == source_ref,
                )
                .limit(1)
            ).first()
            address = ", ".join(filter(None, [row.address, row.city])) if row else ""
            self._places[ref] = (str(row.name), address) if row else None
        return self._places[ref]

    def _body(
        self, conn: Connection, send: Any, language: str, place_ref: str | None
    ) -> str | None:
        default = self.settings.default_language
        if send.kind == "reply" and send.texts:  # a person's words, as they wrote them
            return str(next(iter(send.texts.values())))
        if send.texts:
            text = send.texts.get(language) or send.texts.get(default)
            if not text:
                return None
            lang = language if send.texts.get(language) else default
            return self._with_footer(str(text), lang)
        if not send.message_key:
            return None
        lang = language if language in self.catalogs.by_language else default
        extra: dict[str, Any] = {}
        # A reminder speaks of its election; a blast of a catalog message, of the next one.
        info = self.election(conn, send.election_date or dt.datetime.now(dt.UTC).date())
        if info is not None:
            extra = election_params(info, lang)
            found = self.place(conn, place_ref) if place_ref else None
            if found is not None:
                extra["place"] = self.catalogs.render(
                    "reminders.place", lang, {"name": found[0], "address": found[1]}
                )
            for name, kind in (
                ("polling_url", "polling_place_lookup"),
                ("registration_url", "registration_lookup"),
            ):
                extra[name] = info.link(kind, lang) or str(self.params.get(name) or "")
        params = {**self.params, **extra}
        try:
            text = self.catalogs.render(send.message_key, lang, params).strip()
        except CatalogError:  # a variable nobody can fill (no election defined): not sent
            log.warning("send %s: %s cannot be filled in %s", send.id, send.message_key, lang)
            return None
        return text if send.kind in ("reminder", "reply") else self._with_footer(text, lang)

    def election(self, conn: Connection, date: dt.date) -> ElectionInfo | None:
        """The election on `date` (its merged definitions), read once per pass."""
        if date not in self._elections:
            self._elections[date] = upcoming_election(conn, today=date)
        return self._elections[date]

    def _with_footer(self, text: str, language: str) -> str:
        """An organizer's text with the opt-out line, unless it already says STOP."""
        if "STOP" in text.upper():
            return text
        lang = language if language in self.catalogs.by_language else self.settings.default_language
        return f"{text.rstrip()}\n{self.catalogs.render('blasts.footer', lang, self.params)}"
