"""Contacts as organizations have them on their lists: a partner sees its own memberships and
nothing else (not even whether a phone is on another list); a coalition admin sees all."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.api.deps import EngineDep, PrincipalDep, SessionDep, target_organization
from bot.api.schemas import ContactPage, ContactPublic
from bot.contacts.imports.columns import FIELDS
from bot.contacts.imports.spreadsheet import csv_chunks
from bot.models import Contact, Membership, Organization

router = APIRouter(tags=["contacts"])
COLUMNS = ("organization", *FIELDS, "opted_out", "created_at", "updated_at")
CHUNK = 1000


def _page(session: Session, org_id: int | None, after: int, limit: int) -> list[ContactPublic]:
    query = (
        select(Membership, Contact.phone, Contact.opted_out, Organization.slug)
        .join(Contact, col(Contact.id) == Membership.contact_id)
        .join(Organization, col(Organization.id) == Membership.organization_id)
        .where(col(Membership.id) > after)
        .order_by(col(Membership.id))
        .limit(limit)
    )
    if org_id is not None:
        query = query.where(Membership.organization_id == org_id)
    hidden = {"organization_id", "contact_id", "last_import_id"}
    return [
        ContactPublic(
            **m.model_dump(exclude=hidden), organization=slug, phone=phone, opted_out=opted_out
        )
        for m, phone, opted_out, slug in session.exec(query).all()
    ]


def _scope(session: Session, principal: Any, organization: str | None) -> int | None:
    """None (everyone's) only for an admin who names no organization."""
    if organization is None and principal.is_admin:
        return None
    return target_organization(session, principal, organization)


@router.get("/contacts", response_model=ContactPage)
def contacts(
    principal: PrincipalDep,
    session: SessionDep,
    after: Annotated[int, Query(ge=0, description="next_after of the previous page")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    organization: Annotated[str | None, Query(description="admins: one organization")] = None,
) -> ContactPage:
    """Contacts on the caller's lists (an admin: every organization's), a page at a time."""
    items = _page(session, _scope(session, principal, organization), after, limit)
    return ContactPage(items=items, next_after=items[-1].id if len(items) == limit else None)


def _rows(engine: Engine, org_id: int | None) -> Iterator[tuple[Any, ...]]:
    # Streamed after the request's session is gone: a short session per chunk.
    after = 0
    while True:
        with Session(engine) as session:
            page = _page(session, org_id, after, CHUNK)
        for c in page:
            yield tuple(getattr(c, name) for name in COLUMNS)
        if len(page) < CHUNK:
            return
        after = page[-1].id


@router.get(
    "/contacts.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def contacts_csv(
    principal: PrincipalDep,
    session: SessionDep,
    engine: EngineDep,
    organization: Annotated[str | None, Query(description="admins: one organization")] = None,
) -> StreamingResponse:
    """The same contacts as CSV, safe to open in a spreadsheet (cells that would be read as
    formulas start with an apostrophe)."""
    org_id = _scope(session, principal, organization)
    return StreamingResponse(
        csv_chunks(COLUMNS, _rows(engine, org_id)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contacts.csv"'},
    )
