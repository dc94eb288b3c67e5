"""Dialect-aware INSERT ... ON CONFLICT, the same statement on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite


def upsert_insert(dialect: str | Connection, table: Any) -> Any:
    """An INSERT supporting `on_conflict_do_nothing/do_update`, for a dialect name or the
    database of a connection."""
    name = dialect if isinstance(dialect, str) else dialect.dialect.name
    module: Any = postgresql if name == "postgresql" else sqlite
    return module.insert(table)
