"""A language's catalog as a `.po` file to contribute upstream: the catalog file, with the
coalition's reviewed translations written in, unflagged and signed (`# reviewed-by:`), the way
docs/translating.md asks reviewers to do it by hand."""

from __future__ import annotations

import io

from babel.messages.pofile import read_po, write_po
from sqlalchemy import Connection, select

from bot.tables import ORGANIZATIONS, TRANSLATIONS, USER_ROLES, USERS
from messages.catalog import Catalogs

REVIEWED_BY = "reviewed-by:"


def _signature(conn: Connection, user_id: int | None) -> str:
    """NAME, ORGANIZATION of a reviewer (their email when they gave no name)."""
    if user_id is None:
        return "Turnout console"
    person = conn.execute(select(USERS.c.name, USERS.c.email).where(USERS.c.id == user_id)).first()
    organization = conn.execute(
        select(ORGANIZATIONS.c.name)
        .join(USER_ROLES, USER_ROLES.c.organization_id == ORGANIZATIONS.c.id)
        .where(USER_ROLES.c.user_id == user_id)
        .order_by(USER_ROLES.c.id)
        .limit(1)
    ).scalar()
    who = (person.name or person.email) if person else f"user {user_id}"
    return f"{who}, {organization}" if organization else str(who)


def export_po(conn: Connection, *, catalogs: Catalogs, language: str) -> bytes:
    """The language's `.po` file with the database's reviewed translations in it."""
    t = TRANSLATIONS.c
    reviewed = {
        str(row.key): row
        for row in conn.execute(
            select(t.key, t.reviewed_text, t.reviewed_by).where(
                t.language == language, t.reviewed_text.is_not(None)
            )
        )
    }
    path = catalogs.by_language[language].path
    with path.open("rb") as handle:
        po = read_po(handle)
    signatures: dict[int | None, str] = {}
    for entry in po:
        row = reviewed.get(str(entry.id)) if entry.id else None
        if row is None:
            continue
        if row.reviewed_by not in signatures:
            signatures[row.reviewed_by] = _signature(conn, row.reviewed_by)
        entry.string = str(row.reviewed_text)
        entry.flags.discard("fuzzy")
        kept = [c for c in entry.user_comments if not c.lower().startswith(REVIEWED_BY)]
        entry.user_comments = [f"{REVIEWED_BY} {signatures[row.reviewed_by]}", *kept]
    out = io.BytesIO()
    write_po(out, po, width=0, omit_header=False)
    return out.getvalue()
