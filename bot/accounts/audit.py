"""The audit log: who changed what, when, in which organization. Ids only, never a voter's
phone number or words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from bot.tables import AUDIT_EVENTS


def record(
    conn: Connection,
    *,
    user_id: int | None,
    organization_id: int | None,
    action: str,
    subject: str | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """Write one audit event in the caller's transaction."""
    conn.execute(
        insert(AUDIT_EVENTS).values(
            at=now,
            user_id=user_id,
            organization_id=organization_id,
            action=action,
            subject=subject,
            detail=detail,
        )
    )


def recent(conn: Connection, *, organization_id: int | None, limit: int = 100) -> list[Any]:
    """The latest events, newest first (one organization's, or every one's for None)."""
    a = AUDIT_EVENTS.c
    query = select(AUDIT_EVENTS).order_by(a.at.desc(), a.id.desc()).limit(limit)
    if organization_id is not None:
        query = query.where(a.organization_id == organization_id)
    return list(conn.execute(query))
