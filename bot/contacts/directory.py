"""Contacts as organizations have them on their lists: a partner sees its own memberships and
nothing else (not even whether a phone is on another list); a coalition admin sees all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.access import Caller
from bot.contacts.imports.columns import FIELDS
from bot.contacts.organizations import target_organization
from bot.models import Contact, Membership, Organization

COLUMNS = ("organization", *FIELDS, "opted_out", "created_at", "updated_at")
CHUNK = 1000


class ContactRow(BaseModel):
    """A contact as one organization has them on its list."""

    id: int = Field(description="the membership's id")
    organization: str
    phone: str
    first_name: str | None
    last_name: str | None
    zip: str | None
    email: str | None
    external_id: str | None
    language: str | None
    opted_in_at: datetime | None
    consent_source: str | None
    opted_out: bool = Field(
        description="the voter opted out of every message from the "
        "coalition; no list can re-subscribe them"
    )
    created_at: datetime
    updated_at: datetime


def scope(*, session: Session, caller: Caller, organization: str | None) -> int | None:
    """The organization whose list is read: None (everyone's) only for an admin who names
    none; a partner's own, or NotFound for another's."""
    if organization is None and caller.is_admin:
        return None
    return target_organization(session=session, caller=caller, slug=organization)


def page(
    *, session: Session, organization_id: int | None, after: int, limit: int
) -> list[ContactRow]:
    """Memberships after the id `after`, by id (`organization_id` None: every list)."""
    query = (
        select(Membership, Contact.phone, Contact.opted_out, Organization.slug)
        .join(Contact, col(Contact.id) == Membership.contact_id)
        .join(Organization, col(Organization.id) == Membership.organization_id)
        .where(col(Membership.id) > after)
        .order_by(col(Membership.id))
        .limit(limit)
    )
    if organization_id is not None:
        query = query.where(Membership.organization_id == organization_id)
    hidden = {"organization_id", "contact_id", "last_import_id"}
    return [
        ContactRow(
            **m.model_dump(exclude=hidden), organization=slug, phone=phone, opted_out=opted_out
        )
        for m, phone, opted_out, slug in session.exec(query).all()
    ]


def export_rows(engine: Engine, organization_id: int | None) -> Iterator[tuple[Any, ...]]:
    """Every membership as a row of `COLUMNS`, a short session per chunk (for streaming)."""
    after = 0
    while True:
        with Session(engine) as session:
            found = page(session=session, organization_id=organization_id, after=after, limit=CHUNK)
        for c in found:
            yield tuple(getattr(c, name) for name in COLUMNS)
        if len(found) < CHUNK:
            return
        after = found[-1].id
