"""The console's pages: Jinja2 templates, rendered in the signed-in person's language (gettext
catalogs in bot/console/locale, read with Babel like the bot's), with the headers every page
carries (a strict Content-Security-Policy: the console runs no script but its own files)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, format_timedelta
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.sending.render import babel_locale

HERE = Path(__file__).parent
LOCALE_DIR = HERE / "locale"
UI_LANGUAGES = ("en", "es")  # the console's own languages (the bot speaks more)
RTL = frozenset({"ar", "fa", "he", "ur", "ps", "dv", "yi", "ckb"})  # scripts written right to left
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class Catalog(NullTranslations):
    """One language's console strings from its .po file (untranslated ones fall back to the
    English text, which is the msgid)."""

    def __init__(self, paths: list[Path]) -> None:
        super().__init__()
        self.strings: dict[str, str] = {}
        for path in paths:
            with path.open("rb") as handle:
                for message in read_po(handle):
                    if message.id and message.string and not message.fuzzy:
                        self.strings[str(message.id)] = str(message.string)

    def gettext(self, message: str) -> str:
        """The translation of `message`, or `message`."""
        return self.strings.get(message, message)


@cache
def catalog(language: str) -> Catalog:
    """The console's strings in a language (English: the msgids themselves): `<lang>.po` and
    every `<lang>/*.po` (one file per part of the console)."""
    if language == "en":
        return Catalog([])
    main = LOCALE_DIR / f"{language}.po"
    parts = sorted((LOCALE_DIR / language).glob("*.po"))
    return Catalog([main, *parts] if main.exists() else parts)


def direction(language: str | None) -> str:
    """`rtl` for a language written right to left, else `ltr`."""
    return "rtl" if (language or "").split("-")[0] in RTL else "ltr"


@cache
def environment() -> Environment:
    """The templates, HTML-escaped by default."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["dir"] = direction
    return env


def _when(language: str, zone: ZoneInfo) -> Callable[[dt.datetime | None], str]:
    locale = babel_locale(language)

    def when(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        return format_datetime(aware, "short", tzinfo=zone, locale=locale)

    return when


def _ago(language: str, now: dt.datetime) -> Callable[[dt.datetime | None], str]:
    locale = babel_locale(language)

    def ago(value: dt.datetime | None) -> str:
        if value is None:
            return ""
        aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        return format_timedelta(now - aware, threshold=1.5, locale=locale)

    return ago


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    language: str = "en",
    status_code: int = 200,
    zone: str = "UTC",
    now: dt.datetime | None = None,
) -> HTMLResponse:
    """A page (or an htmx fragment) in a console language, with the console's headers."""
    ui = language if language in UI_LANGUAGES else "en"
    strings = catalog(ui)
    moment = now or dt.datetime.now(dt.UTC)
    values = {
        "request": request,
        "_": strings.gettext,
        "ui_language": ui,
        "when": _when(ui, ZoneInfo(zone)),
        "ago": _ago(ui, moment),
        "now": moment,
        **context,
    }
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)


def csrf_field(token: str) -> Markup:
    """The hidden field every console form carries."""
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(token)
