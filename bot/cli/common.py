"""What every command group shares: the console, the database, refusals as one-line errors,
times in the coalition's zone, JSON output."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine

from bot.db import make_engine
from bot.errors import NotFound, TurnoutError
from bot.migrate import upgrade
from bot.settings import Settings, get_settings

console = Console(stderr=True)
REFUSED = 2  # exit code of a command refused for its input or the state of things


def fail(message: str, code: int = REFUSED) -> typer.Exit:
    """An error line on stderr, and the exit to raise."""
    console.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False, markup=True)
    return typer.Exit(code)


def refuse(message: str, code: int = REFUSED) -> NoReturn:
    """Print an error line and exit."""
    raise fail(message, code)


def engine() -> Engine:
    """The configured database, migrated."""
    found = make_engine(get_settings().database_url)
    upgrade(found)
    return found


@contextmanager
def database() -> Iterator[tuple[Engine, Settings]]:
    """The configured database (migrated) and settings, disposed of afterwards."""
    settings = get_settings()
    found = make_engine(settings.database_url)
    try:
        upgrade(found)
        yield found, settings
    finally:
        found.dispose()


@contextmanager
def refusals(missing: str = "not found", code: int = REFUSED) -> Iterator[None]:
    """Turnout's refusals and invalid input as one-line errors: NotFound says `missing`."""
    try:
        yield
    except NotFound:
        raise fail(missing, code) from None
    except TurnoutError as exc:
        raise fail(exc.detail, code) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        raise fail(problems, code) from None


def local(value: dt.datetime | None, settings: Settings) -> str:
    """A time as the coalition reads it (TURNOUT_TIMEZONE)."""
    if value is None:
        return ""
    return f"{value.astimezone(ZoneInfo(settings.timezone)):%Y-%m-%d %H:%M %Z}"


def when(value: str | None, option: str, settings: Settings) -> dt.datetime | None:
    """An ISO 8601 time from an option; without an offset, in TURNOUT_TIMEZONE."""
    if value is None:
        return None
    try:
        found = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise fail(f"{option}: {value!r} is not a time (2026-11-01T10:00)") from None
    if found.tzinfo is None:
        found = found.replace(tzinfo=ZoneInfo(settings.timezone))
    return found


def print_json(value: Any) -> None:
    """A model, or a list of them, as JSON on stdout."""
    if isinstance(value, list):
        print(json.dumps([v.model_dump(mode="json") for v in value], indent=2, ensure_ascii=False))
    else:
        print(value.model_dump_json(indent=2))
