"""Helpers for the lift tests: many contacts with their memberships in a few statements
(PostgreSQL on a busy machine answers a statement in tens of milliseconds)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, insert, select

from bot import tables
from bot.clock import utcnow
from bot.voter.elections import save_election


def people(engine: Engine, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Contacts (each row: phone, language, reminders?, opted_out?, org?, and membership
    fields first_name, last_name, zip, external_id, birth_date), in order; their ids."""
    now = utcnow()
    contacts = [
        {
            "phone": r["phone"],
            "language": r.get("language", "en"),
            "opted_out": r.get("opted_out", False),
            "reminders": r.get("reminders", True),
            "created_at": now,
            "updated_at": now,
        }
        for r in rows
    ]
    with engine.begin() as conn:
        conn.execute(insert(tables.CONTACTS), contacts)
        c = tables.CONTACTS.c
        phones = [r["phone"] for r in rows]
        found: dict[str, int] = {}
        for start in range(0, len(phones), 900):
            chunk = phones[start : start + 900]
            found |= {
                p: int(i) for p, i in conn.execute(select(c.phone, c.id).where(c.phone.in_(chunk)))
            }
        fields = ("first_name", "last_name", "zip", "external_id", "birth_date")
        members = [
            {
                "organization_id": r["org"],
                "contact_id": found[r["phone"]],
                **{f: r.get(f) for f in fields},
                "created_at": now,
                "updated_at": now,
            }
            for r in rows
            if r.get("org") is not None
        ]
        if members:
            conn.execute(insert(tables.MEMBERSHIPS), members)
    return [found[r["phone"]] for r in rows]


def election(engine: Engine, date: dt.date, name: str = "General") -> int:
    """An election on `date`; its id."""
    with engine.begin() as conn:
        return save_election(conn, values={"name": name, "date": date}, source="cli", now=utcnow())
