"""The `turnout` command as an operator runs it: a real process on a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.helpers.cli import turnout


def test_db_upgrade_creates_the_schema_and_is_repeatable(tmp_path: Path) -> None:
    first = turnout(tmp_path, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert "Database is up to date" in first.stderr
    assert turnout(tmp_path, "db", "upgrade").returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"contacts", "consent_events", "inbound_messages", "alembic_version"} <= tables


def test_chat_talks_through_the_flows_and_persists(tmp_path: Path) -> None:
    result = turnout(
        tmp_path, "chat", "--phone", "(213) 555-0123", stdin="Español\n3\nsí\nALTO\nhola\n"
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Voter Power Coalition" in out
    assert out.count("(no reply)") == 1  # "hola" after ALTO gets nothing
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        row = conn.execute("SELECT phone, language, opted_out FROM contacts").fetchone()
        kinds = [r[0] for r in conn.execute("SELECT kind FROM consent_events ORDER BY id")]
    assert row == ("+12135550123", "es", 1)
    assert kinds == ["reminders_opt_in", "opt_out"]


def test_chat_rejects_a_bad_phone(tmp_path: Path) -> None:
    result = turnout(tmp_path, "chat", "--phone", "not a phone")
    assert result.returncode != 0
    assert "--phone" in result.stderr
