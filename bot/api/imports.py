"""`/api/v1/contacts/imports`: upload a CSV or XLSX with its consent basis; follow its progress;
get the rows to fix. Thin routes over `bot.contacts.imports`: the upload is spooled to disk and
imported after the response, batch by batch."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlmodel import Session

from bot.access import Caller
from bot.api.deps import SLUG, CallerDep, EngineDep, Id, OrganizationQuery, SessionDep
from bot.api.errors import UPLOAD_ERRORS
from bot.api.links import link, links
from bot.api.schemas import ImportPublic
from bot.clock import utcnow
from bot.contacts.imports import intake
from bot.contacts.imports.runner import ImportOptions, run_detached
from bot.contacts.imports.spreadsheet import csv_chunks
from bot.contacts.organizations import target_organization
from bot.errors import Invalid
from bot.models import ContactImport, Organization
from bot.settings import Settings
from bot.voter.elections import LINES, ONE_LINE

router = APIRouter(prefix="/contacts/imports", tags=["imports"], responses=UPLOAD_ERRORS)
ERRORS_HEADER = ("row", "column", "value", "problem", "outcome")
STARTED_LINKS = links(
    202,
    show=link(
        "/contacts/imports/{import_id}", "get", "its progress", import_id="$response.body#/id"
    ),
    errors=link(
        "/contacts/imports/{import_id}/errors.csv",
        "get",
        "the rows to fix",
        import_id="$response.body#/id",
    ),
)
MAX_HEADER = 200  # characters of a header a mapping may name
MAX_FIELD = 32


def _mapping(raw: str | None) -> dict[str, str] | None:
    if not raw:
        return None
    try:
        found = json.loads(raw)
    except json.JSONDecodeError:
        found = None
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise Invalid('mapping must be a JSON object of header to field: {"Cell": "phone"}')
    for header, field in found.items():
        if not _printable(header, MAX_HEADER) or not _printable(field, MAX_FIELD):
            raise Invalid(
                f"mapping: headers of at most {MAX_HEADER} characters and fields of at most "
                f"{MAX_FIELD}, without control characters"
            )
    return {str(k): v for k, v in found.items()}


def _printable(text: str, limit: int) -> bool:
    return len(text) <= limit and text.isprintable()


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw.strip()) if raw and raw.strip() else None
    except ValueError:
        raise Invalid("consent_date: write it as YYYY-MM-DD") from None


def _public(session: Session, imp: ContactImport, caller: Caller) -> ImportPublic:
    org = session.get(Organization, imp.organization_id)
    assert org is not None
    return ImportPublic.of(imp, org.slug, admin=caller.is_admin)


@router.post("", response_model=ImportPublic, status_code=202, responses=STARTED_LINKS)
def start_import(
    request: Request,
    background: BackgroundTasks,
    response: Response,
    caller: CallerDep,
    session: SessionDep,
    engine: EngineDep,
    file: Annotated[UploadFile | None, File(description="CSV or XLSX")] = None,
    consent_basis_text: Annotated[
        str | None,
        Form(
            alias="consent_basis",
            max_length=5000,
            pattern=LINES,
            description=(
                "required: how and when these contacts agreed to be texted, and what they were told"
            ),
        ),
    ] = None,
    consent_language: Annotated[
        str | None,
        Form(max_length=100, pattern=ONE_LINE, description="language they were asked in"),
    ] = None,
    consent_date: Annotated[
        str | None,
        Form(max_length=40, pattern=ONE_LINE, description="YYYY-MM-DD; rows may carry their own"),
    ] = None,
    consent_source: Annotated[
        str | None,
        Form(max_length=1000, pattern=LINES, description="event, canvass, form ..."),
    ] = None,
    mapping: Annotated[
        str | None,
        Form(max_length=20_000, pattern=LINES, description='JSON: {"Their Header": "phone"}'),
    ] = None,
    dry_run: Annotated[bool, Form(description="check and count, change nothing")] = False,
    organization: Annotated[
        str | None,
        Form(
            min_length=1,
            max_length=64,
            pattern=SLUG,
            description="coalition admins: import for this organization (its slug)",
        ),
    ] = None,
) -> ImportPublic:
    """Start importing a contact list for the caller's organization; 202 with the import,
    whose status and counts `GET /api/v1/contacts/imports/{id}` follows."""
    org_id = target_organization(session=session, caller=caller, slug=organization)
    options: ImportOptions = request.app.state.import_options
    settings: Settings = request.app.state.runtime.settings
    basis = intake.consent_basis(
        description=consent_basis_text,
        language=consent_language,
        collected_on=_date(consent_date),
        source=consent_source,
        languages=options.languages,
        today=utcnow().date(),
    )
    wanted = _mapping(mapping)
    if file is None or not file.filename:
        raise Invalid("attach the list as the multipart field 'file' (CSV or XLSX)")
    path = intake.spool_upload(file.file, file.filename, settings)
    imp = intake.start_import(
        session=session,
        caller=caller,
        organization_id=org_id,
        path=path,
        filename=file.filename,
        basis=basis,
        mapping=wanted,
        dry_run=dry_run,
        now=utcnow(),
    )
    session.commit()
    assert imp.id is not None
    background.add_task(run_detached, engine, imp.id, options, path)
    response.headers["Location"] = f"/api/v1/contacts/imports/{imp.id}"
    return _public(session, imp, caller)


@router.get("", response_model=list[ImportPublic])
def list_imports(
    caller: CallerDep, session: SessionDep, organization: OrganizationQuery = None
) -> list[ImportPublic]:
    """Imports, newest first: the caller's organization's, or for an admin every one."""
    org_id = (
        None
        if organization is None
        else target_organization(session=session, caller=caller, slug=organization)
    )
    found = intake.list_imports(session=session, caller=caller, organization_id=org_id)
    return [_public(session, imp, caller) for imp in found]


@router.get("/{import_id}", response_model=ImportPublic)
def get_import(import_id: Id, caller: CallerDep, session: SessionDep) -> ImportPublic:
    """An import's status and counts so far."""
    imp = intake.visible_import(session=session, caller=caller, import_id=import_id)
    return _public(session, imp, caller)


def _error_cells(engine: Engine, import_id: int) -> Iterator[tuple[Any, ...]]:
    # Streamed after the request's session is gone: its own, read a chunk at a time.
    with Session(engine) as session:
        for e in intake.error_rows(session, import_id):
            outcome = "row rejected" if e.rejected else "value left out"
            yield e.row_number, e.column_name, e.value, e.problem, outcome


@router.get(
    "/{import_id}/errors.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def errors_csv(
    import_id: Id, caller: CallerDep, session: SessionDep, engine: EngineDep
) -> StreamingResponse:
    """Every problem, by row and column as a spreadsheet numbers them (the header is row 1):
    which rows were not imported and why, and which values were left out."""
    imp = intake.visible_import(session=session, caller=caller, import_id=import_id)
    return StreamingResponse(
        csv_chunks(ERRORS_HEADER, _error_cells(engine, import_id)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{imp.id}-errors.csv"'},
    )
