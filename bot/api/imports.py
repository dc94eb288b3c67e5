"""Contact imports: upload a CSV or XLSX with its consent basis; follow its progress; get the
rows to fix. The upload is spooled to disk and imported after the response, batch by batch."""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.api.deps import EngineDep, Principal, PrincipalDep, SessionDep, target_organization
from bot.api.errors import Invalid, NotFound, PayloadTooLarge
from bot.api.schemas import ImportPublic
from bot.clock import utcnow
from bot.contacts.imports.intake import ImportRefused, consent_basis, create_import, error_rows
from bot.contacts.imports.reader import FileProblem, stream_to
from bot.contacts.imports.runner import ImportOptions, run_import
from bot.contacts.imports.spreadsheet import csv_chunks
from bot.models import ContactImport, Organization
from bot.settings import Settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/contacts/imports", tags=["imports"])
ERRORS_HEADER = ("row", "column", "value", "problem", "outcome")


def spool_dir(settings: Settings) -> Path:
    """Where uploads wait (TURNOUT_IMPORT_DIR, else the system's temporary directory)."""
    path = Path(settings.import_dir or Path(tempfile.gettempdir()) / "turnout-imports")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def run_in_background(engine: Engine, import_id: int, options: ImportOptions, path: Path) -> None:
    """Run an import after the response; an interrupted one keeps its file to be resumed."""
    try:
        run_import(engine=engine, import_id=import_id, options=options)
    except Exception as exc:
        # Only the kind at ERROR: database errors quote the rows (phones) they failed on.
        log.error(
            "import %d interrupted (%s); resume it with `turnout contacts resume %d`",
            import_id,
            type(exc).__name__,
            import_id,
        )
        log.debug("import %d interrupted", import_id, exc_info=True)
        return
    path.unlink(missing_ok=True)


def _mapping(raw: str | None) -> dict[str, str] | None:
    if not raw:
        return None
    try:
        found = json.loads(raw)
    except json.JSONDecodeError:
        found = None
    if not isinstance(found, dict) or not all(isinstance(v, str) for v in found.values()):
        raise Invalid('mapping must be a JSON object of header to field: {"Cell": "phone"}')
    return {str(k): v for k, v in found.items()}


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw.strip()) if raw and raw.strip() else None
    except ValueError:
        raise Invalid("consent_date: write it as YYYY-MM-DD") from None


def _spool(upload: UploadFile | None, settings: Settings) -> tuple[Path, str]:
    if upload is None or not upload.filename:
        raise Invalid("attach the list as the multipart field 'file' (CSV or XLSX)")
    suffix = Path(upload.filename).suffix.lower()[:8]
    target = spool_dir(settings) / f"{uuid.uuid4().hex}{suffix}"
    try:
        stream_to(upload.file, target, limit=settings.import_max_bytes)
    except FileProblem as exc:
        target.unlink(missing_ok=True)
        raise PayloadTooLarge(str(exc)) from None
    return target, upload.filename


def _public(session: Session, imp: ContactImport, principal: Principal) -> ImportPublic:
    org = session.get(Organization, imp.organization_id)
    assert org is not None
    return ImportPublic.of(imp, org.slug, admin=principal.is_admin)


@router.post("", response_model=ImportPublic, status_code=202)
def start_import(
    request: Request,
    background: BackgroundTasks,
    response: Response,
    principal: PrincipalDep,
    session: SessionDep,
    engine: EngineDep,
    file: Annotated[UploadFile | None, File(description="CSV or XLSX")] = None,
    consent_basis_text: Annotated[
        str | None,
        Form(
            alias="consent_basis",
            description=(
                "required: how and when these contacts agreed to be texted, and what they were told"
            ),
        ),
    ] = None,
    consent_language: Annotated[str | None, Form(description="language they were asked in")] = None,
    consent_date: Annotated[
        str | None, Form(description="YYYY-MM-DD; rows may carry their own")
    ] = None,
    consent_source: Annotated[str | None, Form(description="event, canvass, form ...")] = None,
    mapping: Annotated[str | None, Form(description='JSON: {"Their Header": "phone"}')] = None,
    dry_run: Annotated[bool, Form(description="check and count, change nothing")] = False,
    organization: Annotated[
        str | None, Form(description="coalition admins: import for this organization (slug)")
    ] = None,
) -> ImportPublic:
    """Start importing a contact list for the caller's organization; 202 with the import,
    whose status and counts `GET /api/v1/contacts/imports/{id}` follows."""
    org_id = target_organization(session, principal, organization)
    options: ImportOptions = request.app.state.import_options
    settings: Settings = request.app.state.runtime.settings
    try:
        basis = consent_basis(
            description=consent_basis_text,
            language=consent_language,
            collected_on=_date(consent_date),
            source=consent_source,
            languages=options.languages,
            today=utcnow().date(),
        )
    except ImportRefused as exc:
        raise Invalid(str(exc)) from None
    wanted = _mapping(mapping)
    path, filename = _spool(file, settings)
    try:
        imp = create_import(
            session=session,
            organization_id=org_id,
            filename=filename,
            stored_path=path,
            basis=basis,
            mapping=wanted,
            dry_run=dry_run,
            now=utcnow(),
        )
    except ImportRefused as exc:
        path.unlink(missing_ok=True)
        raise Invalid(str(exc)) from None
    session.commit()
    assert imp.id is not None
    background.add_task(run_in_background, engine, imp.id, options, path)
    response.headers["Location"] = f"/api/v1/contacts/imports/{imp.id}"
    return _public(session, imp, principal)


@router.get("", response_model=list[ImportPublic])
def list_imports(
    principal: PrincipalDep, session: SessionDep, organization: str | None = None
) -> list[ImportPublic]:
    """Imports, newest first: the caller's organization's, or for an admin every one."""
    query = select(ContactImport).order_by(col(ContactImport.id).desc()).limit(200)
    if organization is not None or not principal.is_admin:
        query = query.where(
            ContactImport.organization_id == target_organization(session, principal, organization)
        )
    return [_public(session, imp, principal) for imp in session.exec(query).all()]


def _visible(session: Session, principal: Principal, import_id: int) -> ContactImport:
    imp = session.get(ContactImport, import_id)
    if imp is None or not principal.can_see(imp.organization_id):
        raise NotFound()
    return imp


@router.get("/{import_id}", response_model=ImportPublic)
def get_import(import_id: int, principal: PrincipalDep, session: SessionDep) -> ImportPublic:
    """An import's status and counts so far."""
    return _public(session, _visible(session, principal, import_id), principal)


def _error_cells(engine: Engine, import_id: int) -> Iterator[tuple[Any, ...]]:
    # Streamed after the request's session is gone: its own, read a chunk at a time.
    with Session(engine) as session:
        for e in error_rows(session, import_id):
            outcome = "row rejected" if e.rejected else "value left out"
            yield e.row_number, e.column_name, e.value, e.problem, outcome


@router.get(
    "/{import_id}/errors.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def errors_csv(
    import_id: int, principal: PrincipalDep, session: SessionDep, engine: EngineDep
) -> StreamingResponse:
    """Every problem, by row and column as a spreadsheet numbers them (the header is row 1):
    which rows were not imported and why, and which values were left out."""
    imp = _visible(session, principal, import_id)
    return StreamingResponse(
        csv_chunks(ERRORS_HEADER, _error_cells(engine, import_id)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{imp.id}-errors.csv"'},
    )
