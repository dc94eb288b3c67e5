"""The console's voter-data page (coalition admins; see docs/console.md): upload a VIP feed or a
places CSV, or a voter roll, and follow its import; each source's status, date and problems
grouped by kind; and a "try an address" box that answers as the bot would. Thin routes over
`bot.voter.uploads` (the importers of `turnout places import` and `turnout voters import`)
and `bot.voter.try_address` (the conversation's own lookup and messages)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from bot.accounts.sessions import Signed
from bot.console.deps import audited, check_csrf, parts, signed_in
from bot.console.pages import page
from bot.errors import Conflict, Invalid, NotFound, TooLarge
from bot.voter import uploads
from bot.voter.try_address import bot_answer

router = APIRouter()
MAX_ADDRESS = 300


def _languages(request: Request) -> list[tuple[str, str]]:
    catalogs = parts(request).runtime.catalogs
    return [(code, catalogs.by_language[code].name) for code in catalogs.languages]


def _context(
    request: Request, conn: Any, signed: Signed, *, job_id: str | None = None
) -> dict[str, Any]:
    shown = uploads.job(job_id) if job_id else None
    return {
        "active": "voterdata",
        "sources": uploads.sources(conn, caller=signed.caller),
        "job": shown or uploads.running(),
        "languages": _languages(request),
        "default_language": parts(request).settings.default_language,
        "problems": [],
        "typed": {},
    }


@router.get("/voter-data", response_class=HTMLResponse)
def voter_data(request: Request) -> Response:
    """Uploads, sources and the address box (coalition admins; others: 403, as the nav,
    which shows the page to admins only)."""
    with signed_in(request) as (conn, signed, _):
        signed.caller.require_admin()
        context = _context(request, conn, signed, job_id=request.query_params.get("job"))
    return page(request, "voterdata.html", context, signed)


@router.post("/voter-data/upload", response_class=HTMLResponse)
async def upload(request: Request) -> Response:
    """Keep the file and start its import in the background; the page follows it."""
    form = await request.form()
    try:  # the copy of a large file and the checks: off the event loop
        return await run_in_threadpool(_upload, request, form)
    finally:
        await form.close()  # the spooled upload: the import works on its own copy


def _upload(request: Request, form: Any) -> Response:
    console = parts(request)
    settings = console.settings
    kind = str(form.get("kind") or "")
    sent = form.get("file")
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        signed.caller.require_admin()
        try:
            if not isinstance(sent, UploadFile) or not sent.filename:
                raise Invalid("file: choose a file to upload", where="file")
            started = uploads.start(
                console.engine,
                caller=signed.caller,
                kind=kind,
                file_name=sent.filename,
                stream=sent.file,
                max_bytes=settings.import_max_bytes,
                folder=settings.import_dir,
                now=now,
            )
        except (Invalid, Conflict, TooLarge) as exc:
            context = _context(request, conn, signed)
            field = exc.where or ("file" if isinstance(exc, TooLarge) else "kind")
            context |= {"problems": [(field, exc.detail)], "typed": {"kind": kind}}
            status = 409 if isinstance(exc, Conflict) else 413 if isinstance(exc, TooLarge) else 422
            return page(request, "voterdata.html", context, signed, status)
        audited(
            conn,
            signed,
            "voterdata.upload",
            f"upload:{started.id}",
            now,
            detail={"kind": started.kind, "file": started.file_name},
        )
    return RedirectResponse(f"/console/voter-data?job={started.id}#job", status_code=303)


@router.get("/voter-data/jobs/{job_id}", response_class=HTMLResponse)
def job_progress(request: Request, job_id: str) -> Response:
    """An import's progress (htmx polls it while it runs), then its report."""
    with signed_in(request) as (_, signed, _now):
        signed.caller.require_admin()
    found = uploads.job(job_id[:32])
    if found is None:
        raise NotFound()
    return page(request, "voterdata_job.html", {"job": found}, signed)


@router.post("/voter-data/try", response_class=HTMLResponse)
async def try_an_address(request: Request) -> Response:
    """What the bot would answer a voter who gave this address, in the language chosen."""
    form = await request.form()
    runtime = parts(request).runtime
    address = " ".join(str(form.get("address") or "").split())[:MAX_ADDRESS]
    language = str(form.get("language") or runtime.settings.default_language)
    if language not in runtime.catalogs.by_language:
        language = runtime.settings.default_language
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        signed.caller.require_admin()
        answers = (
            bot_answer(runtime, conn, text=address, language=language, now=now) if address else []
        )
        fragment = bool(request.headers.get("HX-Request"))
        context: dict[str, Any] = {
            "answers": answers,
            "address": address,
            "language": language,
            "asked": True,
        }
        if not fragment:  # without htmx: the whole page, the answer in its place
            context = _context(request, conn, signed) | context
    template = "voterdata_answer.html" if fragment else "voterdata.html"
    status = 200 if address else 422
    return page(request, template, context, signed, status)
