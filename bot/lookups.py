"""The host's answers to the flows' lookups: polling places and registration checks.

The engine stops at a `lookup` node with the message and what the flow saved; `answer` queries
the voter-tools tables (inside the same transaction: indexed reads, no network) and returns
the outcome the flow routes on, with the reply's variables rendered in the contact's language.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from bot.runtime import Runtime
from flows.engine import Effect, LookupResult

NO_DATA = {"polling_place": "no_data", "registration": "no_roll"}


def answer(
    rt: Runtime, conn: Connection, request: Effect, *, contact_id: int, language: str,
    now: datetime,
) -> LookupResult:  # fmt: skip
    """Answer one lookup the engine asked for."""
    name = request.value or ""
    data: dict[str, Any] = dict(request.data or {})
    del conn, data, contact_id, language, now  # the voter-tools tables are not there yet
    return LookupResult(name, NO_DATA.get(name, "no_data"))
