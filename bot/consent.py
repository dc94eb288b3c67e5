"""Consent and the other effects the engine asks for; every consent change is logged."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from bot import metrics
from bot.models import ConsentEvent, Contact, HandoffRequest
from flows.engine import Effect

CONSENT_KINDS = frozenset({"opt_out", "opt_in", "help", "reminders_opt_in", "reminders_opt_out"})


def record_consent(
    session: Session,
    contact: Contact,
    *,
    kind: str,
    channel: str,
    source: str,
    text: str | None,
    now: datetime,
    organization_id: int | None = None,
) -> None:
    """Write one consent event."""
    assert contact.id is not None
    session.add(
        ConsentEvent(
            contact_id=contact.id,
            kind=kind,
            channel=channel,
            source=source,
            text=text,
            organization_id=organization_id,
            created_at=now,
        )
    )


def opt_out(
    session: Session,
    contact: Contact,
    *,
    channel: str,
    source: str,
    text: str | None,
    now: datetime,
) -> None:
    """Stop all messages to a contact (and their reminders) until they text START."""
    if not contact.opted_out:
        metrics.OPT_OUTS.labels(source).inc()
    contact.opted_out, contact.opted_out_at, contact.reminders = True, now, False
    contact.updated_at = now
    record_consent(
        session, contact, kind="opt_out", channel=channel, source=source, text=text, now=now
    )


def _open_handoff(session: Session, contact: Contact, now: datetime) -> None:
    existing = session.scalars(
        select(HandoffRequest).where(
            col(HandoffRequest.contact_id) == contact.id, col(HandoffRequest.status) == "open"
        )
    ).first()
    if existing is not None:
        existing.updated_at = now
        return
    assert contact.id is not None
    session.add(HandoffRequest(contact_id=contact.id, created_at=now, updated_at=now))


def apply_effects(
    session: Session,
    contact: Contact,
    effects: Iterable[Effect],
    channel: str,
    text: str,
    now: datetime,
) -> None:
    """Carry out what the engine asked for, on the contact and in the consent log."""
    for effect in effects:
        source = "twilio_advanced_opt_out" if effect.source == "twilio" else effect.source
        if effect.kind == "opt_out":
            opt_out(session, contact, channel=channel, source=source, text=text, now=now)
            continue
        if effect.kind == "opt_in":
            contact.opted_out, contact.opted_out_at = False, None
        elif effect.kind in ("reminders_opt_in", "reminders_opt_out"):
            contact.reminders = effect.kind == "reminders_opt_in"
            source = "conversation"
        elif effect.kind == "set_language" and effect.value:
            contact.language, contact.language_source = effect.value, effect.source
        elif effect.kind == "handoff":
            _open_handoff(session, contact, now)
        contact.updated_at = now
        if effect.kind in CONSENT_KINDS:
            record_consent(
                session,
                contact,
                kind=effect.kind,
                channel=channel,
                source=source,
                text=text,
                now=now,
            )
