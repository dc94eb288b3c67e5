"""`/api/v1/contacts` and `/contacts.csv`: thin routes over `bot.contacts.directory`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from bot.api.deps import MAX_ID, CallerDep, EngineDep, OrganizationQuery, SessionDep
from bot.api.errors import ERRORS
from bot.contacts import directory
from bot.contacts.directory import ContactRow
from bot.contacts.imports.spreadsheet import csv_chunks

router = APIRouter(tags=["contacts"], responses=ERRORS)


class ContactPage(BaseModel):
    """A page of contacts; pass `next_after` as `after` for the next one."""

    items: list[ContactRow]
    next_after: int | None


@router.get("/contacts", response_model=ContactPage)
def contacts(
    caller: CallerDep,
    session: SessionDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_ID, description="next_after of the previous page")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    organization: OrganizationQuery = None,
) -> ContactPage:
    """Contacts on the caller's lists (an admin: every organization's), a page at a time."""
    org_id = directory.scope(session=session, caller=caller, organization=organization)
    items = directory.page(session=session, organization_id=org_id, after=after, limit=limit)
    return ContactPage(items=items, next_after=items[-1].id if len(items) == limit else None)


@router.get(
    "/contacts.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def contacts_csv(
    caller: CallerDep,
    session: SessionDep,
    engine: EngineDep,
    organization: OrganizationQuery = None,
) -> StreamingResponse:
    """The same contacts as CSV, safe to open in a spreadsheet (cells that would be read as
    formulas start with an apostrophe)."""
    org_id = directory.scope(session=session, caller=caller, organization=organization)
    return StreamingResponse(
        csv_chunks(directory.COLUMNS, directory.export_rows(engine, org_id)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contacts.csv"'},
    )
