"""Alembic migrations on SQLite and PostgreSQL: they apply, reverse, and match the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from bot.migrate import downgrade, upgrade

pytestmark = pytest.mark.db


def test_models_match_the_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_down_and_up_again(engine: Engine) -> None:
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert {
        "contacts",
        "consent_events",
        "conversations",
        "inbound_messages",
        "outbound_messages",
        "organizations",
        "handoff_requests",
    } <= tables
