"""The console's contacts and imports (see docs/console.md, "Contacts and imports"): upload a
list (a draft, previewed as Turnout reads it, its mapping fixed), import it with a live
progress bar, download its errors; search the contacts, see one, export them as CSV.

Thin: the rules live in `bot.contacts.imports` (as the API uses them),
`bot.contacts.import_drafts` and `bot.contacts.search`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import Connection, Engine, select
from sqlmodel import Session
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile

from bot.accounts import audit
from bot.accounts.sessions import Signed
from bot.console.deps import audited, check_csrf, given_id, parts, path_id, signed_in
from bot.console.pages import page
from bot.contacts import import_drafts as drafts
from bot.contacts import search
from bot.contacts.imports import intake
from bot.contacts.imports.columns import IGNORE, IMPORTED
from bot.contacts.imports.languages import LanguageNames
from bot.contacts.imports.runner import ImportOptions, run_detached
from bot.contacts.imports.spreadsheet import csv_chunks
from bot.errors import Forbidden, Invalid, NotFound, TooLarge, TurnoutError
from bot.models import ContactImport
from bot.tables import ORGANIZATIONS

router = APIRouter()
ERRORS_HEADER = ("row", "column", "value", "problem", "outcome")  # as the API's errors.csv
INLINE_ERRORS = 20
MAX_BASIS = 5000


def _session(conn: Connection) -> Session:
    """A session in the route's transaction (and savepoint), which only the route ends."""
    return Session(bind=conn, join_transaction_mode="rollback_only")


def _options(request: Request) -> ImportOptions:
    """The import settings the app runs imports with (the API's, when it is mounted)."""
    found = getattr(request.app.state, "import_options", None)
    if isinstance(found, ImportOptions):
        return found
    runtime = parts(request).runtime
    return ImportOptions(
        region=runtime.settings.default_region,
        languages=LanguageNames.from_catalogs(runtime.catalogs),
        batch_rows=runtime.settings.import_batch_rows,
    )


def _organizations(conn: Connection, signed: Signed) -> list[Any]:
    if not signed.caller.is_admin:
        return []
    o = ORGANIZATIONS.c
    return list(conn.execute(select(o.id, o.slug, o.name).order_by(o.name)))


def _org_names(conn: Connection) -> dict[int, str]:
    o = ORGANIZATIONS.c
    return {int(r.id): str(r.name) for r in conn.execute(select(o.id, o.name))}


def _languages(request: Request) -> list[tuple[str, str]]:
    catalogs = parts(request).runtime.catalogs
    return [(code, catalogs.by_language[code].name) for code in catalogs.languages]


def _chosen_org(raw: Any) -> int | None:
    return given_id(raw)


# ---- imports -------------------------------------------------------------------------------


def _imports_context(request: Request, conn: Connection, signed: Signed) -> dict[str, Any]:
    wanted = (
        _chosen_org(request.query_params.get("organization")) if signed.caller.is_admin else None
    )
    with _session(conn) as session:
        found = intake.list_imports(session=session, caller=signed.caller, organization_id=wanted)
    return {
        "active": "contacts",
        "imports": [(imp, drafts.progress(imp), drafts.is_draft(imp)) for imp in found],
        "organizations": _organizations(conn, signed),
        "org_names": _org_names(conn),
        "chosen_org": wanted,
        "languages": _languages(request),
        "can_change": signed.caller.role.value != "viewer",
        "typed": {},
        "problems": [],
    }


@router.get("/imports", response_class=HTMLResponse)
def imports_page(request: Request) -> Response:
    """The organization's imports with their status, and the upload form."""
    with signed_in(request) as (conn, signed, _now):
        context = _imports_context(request, conn, signed)
    return page(request, "imports.html", context, signed)


def _date(raw: str) -> dt.date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise Invalid("consent date: write it as YYYY-MM-DD", where="consent_date") from None


def _text(form: Any, name: str, limit: int) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


@router.post("/imports", response_class=HTMLResponse)
async def upload(request: Request) -> Response:
    """Spool an uploaded list as a draft and show its dry run; the form again with what is
    wrong (nothing stored) otherwise."""
    form = await request.form()
    try:
        return _upload(request, form)
    finally:
        await form.close()


def _upload(request: Request, form: Any) -> Response:
    settings = parts(request).settings
    options = _options(request)
    problems: list[tuple[str, str]] = []
    typed = {
        k: _text(form, k, MAX_BASIS)
        for k in ("consent_basis", "consent_language", "consent_date", "consent_source")
    }
    typed["organization"] = _text(form, "organization", 20)
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        signed.caller.require_change()
        org_id = signed.caller.organization_id
        if signed.caller.is_admin and typed["organization"]:
            known = {int(o.id) for o in _organizations(conn, signed)}
            org_id = _chosen_org(typed["organization"]) or 0
            if org_id not in known:
                problems.append(("organization", "organization: choose one"))
        file = form.get("file")
        try:
            basis = intake.consent_basis(
                description=typed["consent_basis"],
                language=typed["consent_language"],
                collected_on=_date(typed["consent_date"]),
                source=typed["consent_source"][:1000],
                languages=options.languages,
                today=now.date(),
            )
        except TurnoutError as exc:
            problems.append((_where(exc), exc.detail))
            basis = None
        if not isinstance(file, UploadFile) or not file.filename:
            problems.append(("file", "choose the list to upload: a CSV or XLSX file"))
        imp: ContactImport | None = None
        if not problems and basis is not None and isinstance(file, UploadFile):
            try:
                path = intake.spool_upload(file.file, file.filename or "upload", settings)
                with _session(conn) as session:
                    imp = drafts.create_draft(
                        session=session,
                        caller=signed.caller,
                        organization_id=org_id,
                        path=path,
                        filename=file.filename or "upload",
                        basis=basis,
                        now=now,
                    )
            except (NotFound, Forbidden):
                raise
            except (TurnoutError, TooLarge) as exc:
                problems.append(("file", exc.detail))
        if imp is not None and imp.id is not None:
            audited(
                conn,
                signed,
                "import.upload",
                f"import:{imp.id}",
                now,
                organization_id=imp.organization_id,
                detail={"format": (imp.file_info or {}).get("format")},
            )
            return RedirectResponse(f"/console/imports/{imp.id}", status_code=303)
        context = _imports_context(request, conn, signed) | {"typed": typed, "problems": problems}
    return page(request, "imports.html", context, signed, 422)


def _where(exc: TurnoutError) -> str:
    if exc.where:
        return exc.where
    text = exc.detail
    if text.startswith("consent language"):
        return "consent_language"
    if text.startswith("consent date") or text.startswith("say when"):
        return "consent_date"
    return "consent_basis"


def _visible(conn: Connection, signed: Signed, import_id: int) -> ContactImport:
    with _session(conn) as session:
        imp = intake.visible_import(session=session, caller=signed.caller, import_id=import_id)
        session.expunge(imp)
    return imp


def _draft_context(
    request: Request,
    conn: Connection,
    signed: Signed,
    imp: ContactImport,
    now: dt.datetime,
    mapping: dict[str, str] | None = None,
) -> dict[str, Any]:
    shown = drafts.preview(imp, _options(request), now=now, mapping=mapping)
    return {
        "active": "contacts",
        "imp": imp,
        "preview": shown,
        "fields": [*IMPORTED, IGNORE],
        "org_name": _org_names(conn).get(imp.organization_id, ""),
        "can_change": signed.caller.role.value != "viewer",
        "problems": [("", p) for p in shown.problems],
    }


def _show_context(
    conn: Connection, signed: Signed, imp: ContactImport, now: dt.datetime
) -> dict[str, Any]:
    assert imp.id is not None
    with _session(conn) as session:
        errors = []
        for e in intake.error_rows(session, imp.id, chunk=INLINE_ERRORS):
            errors.append(e)
            if len(errors) >= INLINE_ERRORS:
                break
    return {
        "active": "contacts",
        "imp": imp,
        "progress": drafts.progress(imp),
        "errors": errors,
        "resumable": drafts.resumable(imp, now),
        "org_name": _org_names(conn).get(imp.organization_id, ""),
        "can_change": signed.caller.role.value != "viewer",
    }


@router.get("/imports/{import_id}", response_class=HTMLResponse)
def import_page(request: Request, import_id: str) -> Response:
    """A draft's dry run, or an import's progress, counts and first problems."""
    wanted = path_id(import_id)
    with signed_in(request) as (conn, signed, now):
        imp = _visible(conn, signed, wanted)
        if drafts.is_draft(imp):
            context = _draft_context(request, conn, signed, imp, now)
            template = "imports_draft.html"
        else:
            context = _show_context(conn, signed, imp, now)
            template = "imports_show.html"
    return page(request, template, context, signed)


@router.get("/imports/{import_id}/progress", response_class=HTMLResponse)
def import_progress(request: Request, import_id: str) -> Response:
    """The progress bar and counts alone, for htmx to refresh while the import runs."""
    wanted = path_id(import_id)
    with signed_in(request) as (conn, signed, now):
        imp = _visible(conn, signed, wanted)
        context = _show_context(conn, signed, imp, now)
    return page(request, "imports_progress.html", context, signed)


def _form_mapping(form: Any, header: list[str]) -> dict[str, str]:
    chosen: dict[int, str] = {}
    for index in range(len(header)):
        value = form.get(f"map-{index}")
        if isinstance(value, str):
            chosen[index] = value.strip()[:32]
    return drafts.mapping_from(header, chosen)


@router.post("/imports/{import_id}", response_class=HTMLResponse)
async def check_or_import(request: Request, import_id: str) -> Response:
    """The dry run's form: read the file again with the chosen mapping ("check"), or import
    it so mapped ("import"); the dry run again with what is wrong (nothing stored)."""
    wanted = path_id(import_id)
    form = await request.form()
    action = form.get("action")
    tried: dict[str, str] | None = None
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        signed.caller.require_change()
        imp = _visible(conn, signed, wanted)
        if not drafts.is_draft(imp):
            return RedirectResponse(f"/console/imports/{wanted}", status_code=303)
        header = drafts.preview(imp, _options(request), now=now, limit=0).header
        problem: str | None = None
        try:
            tried = _form_mapping(form, header)
            with conn.begin_nested(), _session(conn) as session:
                drafts.set_mapping(
                    session=session, caller=signed.caller, import_id=wanted, mapping=tried, now=now
                )
                if action == "import":
                    drafts.confirm(session=session, caller=signed.caller, import_id=wanted, now=now)
        except (NotFound, Forbidden):
            raise
        except TurnoutError as exc:
            problem = exc.detail
        if problem is None:
            name = "import.start" if action == "import" else "import.mapping"
            audited(
                conn,
                signed,
                name,
                f"import:{wanted}",
                now,
                organization_id=imp.organization_id,
                detail={"fields": sorted({f for f in (tried or {}).values() if f != IGNORE})},
            )
    if problem is not None:
        # Nothing of the attempt is kept: the transaction above ended; show the draft as tried.
        with signed_in(request) as (conn, signed, now):
            imp = _visible(conn, signed, wanted)
            context = _draft_context(request, conn, signed, imp, now, mapping=tried)
        context["problems"] = [("mapping", problem)]
        return page(request, "imports_draft.html", context, signed, 422)
    target = f"/console/imports/{wanted}"
    if action != "import":
        return RedirectResponse(target, status_code=303)
    return _started(request, wanted, imp, target)


def _started(request: Request, import_id: int, imp: ContactImport, target: str) -> Response:
    task = BackgroundTask(
        run_detached,
        parts(request).engine,
        import_id,
        _options(request),
        Path(imp.stored_path or ""),
    )
    return RedirectResponse(target, status_code=303, background=task)


@router.post("/imports/{import_id}/discard")
async def discard(request: Request, import_id: str) -> Response:
    """Forget a draft and its file."""
    wanted = path_id(import_id)
    form = await request.form()
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        imp = _visible(conn, signed, wanted)
        with _session(conn) as session:
            drafts.discard(session=session, caller=signed.caller, import_id=wanted)
        audited(
            conn,
            signed,
            "import.discard",
            f"import:{wanted}",
            now,
            organization_id=imp.organization_id,
        )
    return RedirectResponse("/console/imports", status_code=303)


@router.post("/imports/{import_id}/resume")
async def resume(request: Request, import_id: str) -> Response:
    """Run an interrupted import again, from where it stopped."""
    wanted = path_id(import_id)
    form = await request.form()
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        with _session(conn) as session:
            imp = drafts.restartable(
                session=session, caller=signed.caller, import_id=wanted, now=now
            )
            session.expunge(imp)
        audited(
            conn,
            signed,
            "import.resume",
            f"import:{wanted}",
            now,
            organization_id=imp.organization_id,
        )
    return _started(request, wanted, imp, f"/console/imports/{wanted}")


def _error_cells(engine: Engine, import_id: int) -> Iterator[tuple[Any, ...]]:
    with Session(engine) as session:
        for e in intake.error_rows(session, import_id):
            outcome = "row rejected" if e.rejected else "value left out"
            yield e.row_number, e.column_name, e.value, e.problem, outcome


@router.get("/imports/{import_id}/errors.csv")
def errors_csv(request: Request, import_id: str) -> Response:
    """Every problem of an import, as the API's errors.csv."""
    wanted = path_id(import_id)
    with signed_in(request) as (conn, signed, now):
        imp = _visible(conn, signed, wanted)
        audited(
            conn,
            signed,
            "import.errors_export",
            f"import:{wanted}",
            now,
            organization_id=imp.organization_id,
        )
    return StreamingResponse(
        csv_chunks(ERRORS_HEADER, _error_cells(parts(request).engine, wanted)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{wanted}-errors.csv"'},
    )


# ---- contacts ------------------------------------------------------------------------------


def _filters(request: Request, signed: Signed) -> search.Filters:
    q = request.query_params
    consent = q.get("consent") or ""
    return search.Filters(
        q=(q.get("q") or "")[:100],
        language=(q.get("language") or "")[:16],
        zip=(q.get("zip") or "")[:10],
        tag=(q.get("tag") or "")[:100],
        consent=consent if consent in search.CONSENT_STATES else "",
        organization_id=_chosen_org(q.get("organization")) if signed.caller.is_admin else None,
    )


def _query_string(filters: search.Filters, **extra: Any) -> str:
    values = {
        "q": filters.q,
        "language": filters.language,
        "zip": filters.zip,
        "tag": filters.tag,
        "consent": filters.consent,
        "organization": filters.organization_id or "",
        **extra,
    }
    return urlencode({k: v for k, v in values.items() if v not in ("", None)})


@router.get("/contacts", response_class=HTMLResponse)
def contacts_page(request: Request) -> Response:
    """The contacts on the organization's list, searched and filtered, a page at a time."""
    raw_page = request.query_params.get("page") or "1"
    number = int(raw_page) if raw_page.isascii() and raw_page.isdigit() else 1
    number = max(1, min(number, 100_000))
    problems: list[tuple[str, str]] = []
    with signed_in(request) as (conn, signed, _now):
        filters = _filters(request, signed)
        try:
            rows, total = search.find(conn, caller=signed.caller, filters=filters, page=number)
        except Invalid as exc:
            problems.append((exc.where or "q", exc.detail))
            rows, total = [], 0
        organizations = _organizations(conn, signed)
    pages = max(1, -(-total // search.PER_PAGE))
    context = {
        "active": "contacts",
        "rows": rows,
        "total": total,
        "page_number": number,
        "pages": pages,
        "filters": filters,
        "languages": _languages(request),
        "organizations": organizations,
        "problems": problems,
        "previous_link": _query_string(filters, page=number - 1) if number > 1 else None,
        "next_link": _query_string(filters, page=number + 1) if number < pages else None,
        "export_link": _query_string(filters),
    }
    return page(request, "contacts.html", context, signed, 422 if problems else 200)


@router.get("/contacts.csv")
def contacts_csv(request: Request) -> Response:
    """The contacts that match the filters as CSV, safe to open in a spreadsheet."""
    with signed_in(request) as (conn, signed, now):
        filters = _filters(request, signed)
        search.find(conn, caller=signed.caller, filters=filters, per_page=1)  # Invalid early
        audit.record(  # an admin's export of every organization belongs to none
            conn,
            user_id=signed.user_id,
            organization_id=(
                filters.organization_id if signed.caller.is_admin else signed.caller.organization_id
            ),
            action="contacts.export",
            subject=None,
            now=now,
            detail=filters.described(),
        )
        caller = signed.caller
    return StreamingResponse(
        csv_chunks(
            search.EXPORT_COLUMNS, search.export_rows(parts(request).engine, caller, filters)
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contacts.csv"'},
    )


@router.get("/contacts/{contact_id}", response_class=HTMLResponse)
def contact_page(request: Request, contact_id: str) -> Response:
    """A contact: their memberships of the organization's lists, consent history, and a link
    to their conversation."""
    wanted = path_id(contact_id)
    with signed_in(request) as (conn, signed, _now):
        found = search.contact(conn, caller=signed.caller, contact_id=wanted)
    context = {"active": "contacts", "contact": found, "languages": dict(_languages(request))}
    return page(request, "contacts_show.html", context, signed)
