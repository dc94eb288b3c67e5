"""Consent and the other effects the engine asks for; every consent change is logged.

Effects change a `ContactState` in memory; the conversation writes it back with everything else
(`store.write_back`), other paths (status callbacks) with `save`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import assert_never

from sqlalchemy import Connection, select

from bot import metrics
from bot.conversation.store import ContactState, contact_update
from bot.tables import CONSENT, CONTACTS
from bot.twilio.codes import UNSUBSCRIBED
from flows.engine import Effect
from flows.model import EffectKind

CONSENT_KINDS = frozenset(
    {
        EffectKind.OPT_OUT,
        EffectKind.OPT_IN,
        EffectKind.HELP,
        EffectKind.REMINDERS_OPT_IN,
        EffectKind.REMINDERS_OPT_OUT,
    }
)


def record_consent(
    contact: ContactState,
    *,
    kind: str,
    channel: str,
    source: str,
    text: str | None,
    now: datetime,
    organization_id: int | None = None,
) -> None:
    """Queue one consent event for writing."""
    contact.consent.append(
        {
            "contact_id": contact.id,
            "kind": kind,
            "channel": channel,
            "source": source,
            "text": text,
            "organization_id": organization_id,
            "created_at": now,
        }
    )


def opt_out(
    contact: ContactState, *, channel: str, source: str, text: str | None, now: datetime
) -> None:
    """Stop all messages to a contact (and their reminders) until they text START."""
    if not contact.opted_out:
        metrics.OPT_OUTS.labels(source).inc()
    contact.set(opted_out=True, opted_out_at=now, reminders=False)
    record_consent(contact, kind="opt_out", channel=channel, source=source, text=text, now=now)


def apply_effects(
    contact: ContactState, effects: Iterable[Effect], channel: str, text: str, now: datetime
) -> None:
    """Carry out what the engine asked for, on the contact and in the consent log. Every kind
    is handled here (the lookups before: `bot.conversation.service`)."""
    for effect in effects:
        source = "twilio_advanced_opt_out" if effect.source == "twilio" else effect.source
        match effect.kind:
            case EffectKind.OPT_OUT:
                opt_out(contact, channel=channel, source=source, text=text, now=now)
                continue
            case EffectKind.OPT_IN:
                contact.set(opted_out=False, opted_out_at=None)
            case EffectKind.HELP:
                pass
            case EffectKind.REMINDERS_OPT_IN | EffectKind.REMINDERS_OPT_OUT:
                contact.set(reminders=effect.kind is EffectKind.REMINDERS_OPT_IN)
                source = "conversation"
            case EffectKind.SET_LANGUAGE:
                if effect.value:
                    contact.set(language=effect.value, language_source=effect.source)
            case EffectKind.HANDOFF:
                contact.handoff = True
            case EffectKind.LOOKUP:
                pass  # answered by the conversation before the effects are applied
            case unreachable:
                assert_never(unreachable)
        if effect.kind in CONSENT_KINDS:
            record_consent(
                contact, kind=effect.kind, channel=channel, source=source, text=text, now=now
            )


def save(conn: Connection, contact: ContactState, now: datetime) -> None:
    """Write a contact's changes and consent events (outside the conversation's hot path)."""
    if contact.changes:
        params = {f"v_{name}": value for name, value in contact.changes.items()}
        conn.execute(
            contact_update(frozenset(contact.changes)),
            {**params, "v_updated_at": now, "cid": contact.id},
        )
    if contact.consent:
        conn.execute(CONSENT.insert(), contact.consent)


def load_contact(conn: Connection, contact_id: int) -> ContactState | None:
    """The contact's state by id, for paths that start from a row (status callbacks)."""
    row = conn.execute(
        select(
            CONTACTS.c.id, CONTACTS.c.language, CONTACTS.c.opted_out, CONTACTS.c.reminders
        ).where(CONTACTS.c.id == contact_id)
    ).first()
    return ContactState(row.id, row.language, row.opted_out, row.reminders) if row else None


def carrier_opt_out(conn: Connection, contact_id: int, channel: str, now: datetime) -> bool:
    """The carrier says the contact texted STOP to it: opt them out everywhere (source
    carrier), once. Returns whether this changed anything."""
    contact = load_contact(conn, contact_id)
    if contact is None or contact.opted_out:
        return False
    text = f"Twilio error {UNSUBSCRIBED}"
    opt_out(contact, channel=channel, source="carrier", text=text, now=now)
    save(conn, contact, now)
    return True
