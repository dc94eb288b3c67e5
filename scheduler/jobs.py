"""Periodic jobs. Each takes a session and `now` and returns what it did; the runner commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col

from bot.models import Conversation


def expire_conversations(session: Session, *, now: datetime, idle: timedelta) -> int:
    """Reset conversations idle longer than `idle`, so the next message starts at the menu."""
    result = session.execute(
        update(Conversation)
        .where(col(Conversation.last_activity_at) < now - idle)
        .where(col(Conversation.state).is_not(None))
        .values(state=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)
