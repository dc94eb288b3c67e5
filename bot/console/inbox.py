"""The inbox and a voter's conversation: requests for a person, the thread (refreshed without
a reload), the reply box with its live segment counter, assign and close."""

from __future__ import annotations

import logging
import secrets
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from bot.accounts.sessions import Signed
from bot.console.deps import check_csrf, parts, path_id, signed_in
from bot.console.web import render
from bot.conversation import inbox
from bot.conversation.handoffs import open_for
from bot.errors import Forbidden, Invalid, NotFound, TurnoutError
from bot.sending import replies
from bot.statuses import HandoffStatus
from bot.tables import ORGANIZATIONS
from messages.catalog import CatalogError
from messages.segments import count_segments

router = APIRouter()
log = logging.getLogger(__name__)
FILTERS = ("language", "organization", "assigned", "status")


def _filters(request: Request, signed: Signed) -> dict[str, Any]:
    """The inbox's filters from the query: languages (the person's own by default),
    organization (an admin's choice), assigned (me, nobody), status (open, closed)."""
    q = request.query_params
    chosen = tuple(v for v in q.getlist("language") if v)
    if "filtered" not in q:  # first visit: the languages this person speaks
        chosen = signed.speaks
    organization = q.get("organization") or ""
    assigned = q.get("assigned") if q.get("assigned") in ("me", "nobody") else None
    status = HandoffStatus.CLOSED if q.get("status") == "closed" else HandoffStatus.OPEN
    return {
        "languages": chosen,
        "organization": int(organization) if organization.isdigit() else None,
        "assigned": assigned,
        "status": status,
    }


def _inbox_context(request: Request) -> tuple[dict[str, Any], Signed]:
    with signed_in(request) as (conn, signed, _):
        wanted = _filters(request, signed)
        found = inbox.requests(
            conn,
            caller=signed.caller,
            status=wanted["status"],
            languages=wanted["languages"],
            organization_id=wanted["organization"] if signed.caller.is_admin else None,
            assigned=wanted["assigned"],
        )
        organizations = (
            list(conn.execute(select(ORGANIZATIONS.c.id, ORGANIZATIONS.c.name)))
            if signed.caller.is_admin
            else []
        )
    catalogs = parts(request).runtime.catalogs
    languages = [(code, catalogs.by_language[code].name) for code in catalogs.languages]
    context = {"signed": signed, "requests": found, "filters": wanted, "languages": languages}
    return context | {"organizations": organizations}, signed


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request) -> Response:
    """Open requests for a person, the newest waiting first."""
    context, signed = _inbox_context(request)
    return _page(request, "inbox.html", context, signed)


@router.get("/inbox/rows", response_class=HTMLResponse)
def inbox_rows(request: Request) -> Response:
    """The inbox's list alone, for htmx to refresh every few seconds."""
    context, signed = _inbox_context(request)
    return _page(request, "inbox_rows.html", context, signed)


def _page(
    request: Request, template: str, context: dict[str, Any], signed: Signed, status: int = 200
) -> HTMLResponse:
    settings = parts(request).settings
    return render(
        request,
        template,
        context,
        language=signed.ui_language,
        zone=settings.timezone,
        status_code=status,
    )


def _canned(request: Request, language: str) -> list[tuple[str, str]]:
    """Answers an organizer may start from, in the voter's language, from the catalogs."""
    runtime = parts(request).runtime
    found = []
    for key in ("registration.lookup", "polling.lookup", "help.info", "handoff.back"):
        try:
            found.append((key, runtime.render(key, language)))
        except CatalogError:  # a message that needs values we do not have: not offered
            log.debug("canned answer %s needs more values", key)
    return found


def _conversation(request: Request, contact_id: int, signed: Signed, conn: Any) -> dict[str, Any]:
    contact = inbox.contact_summary(conn, caller=signed.caller, contact_id=contact_id)
    found = inbox.requests(conn, caller=signed.caller, contact_id=contact_id)
    request_row = found[0] if found else None
    return {
        "signed": signed,
        "contact": contact,
        "thread": inbox.thread(conn, caller=signed.caller, contact_id=contact_id),
        "handoff": request_row,
        "assignable": (
            inbox.assignable(conn, caller=signed.caller, contact_id=contact_id)
            if request_row
            else []
        ),
        "language": contact["language"] or parts(request).settings.default_language,
    }


@router.get("/conversations/{contact_id}", response_class=HTMLResponse)
def conversation(request: Request, contact_id: str) -> Response:
    """A voter's thread, their request for a person, and the reply box."""
    cid = path_id(contact_id)
    with signed_in(request) as (conn, signed, _):
        context = _conversation(request, cid, signed, conn)
    context["canned"] = _canned(request, context["language"])
    context["form_key"] = secrets.token_urlsafe(24)
    return _page(request, "conversation.html", context, signed)


@router.get("/conversations/{contact_id}/thread", response_class=HTMLResponse)
def thread_fragment(request: Request, contact_id: str) -> Response:
    """The thread alone, for htmx to refresh every few seconds."""
    cid = path_id(contact_id)
    with signed_in(request) as (conn, signed, _):
        context = _conversation(request, cid, signed, conn)
    return _page(request, "thread.html", context, signed)


@router.post("/segments", response_class=HTMLResponse)
async def segments(request: Request) -> Response:
    """The live counter of what an organizer is typing: characters, encoding, segments, cost."""
    form = await request.form()
    with signed_in(request) as (_, signed, _now):
        check_csrf(request, signed, form)
    body = form.get("body")
    text = body if isinstance(body, str) else ""
    info = count_segments(text)
    price = Decimal(str(parts(request).settings.cost_per_segment))
    context = {"info": info, "length": len(text), "cost": f"{info.cost(price):.4f}"}
    return _page(request, "segments.html", context, signed)


@router.post("/conversations/{contact_id}/reply", response_class=HTMLResponse)
async def reply(request: Request, contact_id: str) -> Response:
    """Queue the organizer's reply (once, however often the form is sent)."""
    cid = path_id(contact_id)
    form = await request.form()
    settings = parts(request).settings
    body, key = form.get("body"), form.get("key")
    error: str | None = None
    queued = None
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        try:
            queued = replies.reply(
                conn,
                caller=signed.caller,
                contact_id=cid,
                text=body if isinstance(body, str) else "",
                key=key if isinstance(key, str) else "",
                settings=settings,
                now=now,
            )
        except (NotFound, Forbidden):
            raise
        except TurnoutError as exc:
            error = exc.detail
    if error is None and not request.headers.get("HX-Request"):
        return RedirectResponse(f"/console/conversations/{cid}", status_code=303)
    with signed_in(request) as (conn, signed, _):
        context = _conversation(request, cid, signed, conn)
    context["canned"] = _canned(request, context["language"])
    context["form_key"] = secrets.token_urlsafe(24)
    context["error"] = error
    context["queued"] = queued
    context["typed"] = body if error and isinstance(body, str) else ""
    status = 422 if error else 200
    template = "reply.html" if request.headers.get("HX-Request") else "conversation.html"
    return _page(request, template, context, signed, status)


@router.post("/conversations/{contact_id}/assign")
async def assign(request: Request, contact_id: str) -> Response:
    """Assign the voter's open request (to me, to someone, to nobody)."""
    cid = path_id(contact_id)
    form = await request.form()
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        row = open_for(conn, cid)
        if row is None:
            raise NotFound()
        raw = form.get("assignee")
        wanted = str(raw or "")
        if wanted == "me":
            user: int | None = signed.user_id
        elif wanted in ("", "nobody"):
            user = None
        elif wanted.isdigit():
            user = int(wanted)
        else:
            raise Invalid("assignee: choose a person")
        inbox.assign(conn, caller=signed.caller, request_id=int(row.id), user_id=user, now=now)
    return RedirectResponse(f"/console/conversations/{cid}", status_code=303)


@router.post("/conversations/{contact_id}/close")
async def close(request: Request, contact_id: str) -> Response:
    """Close the voter's request: the bot is theirs again, and they are told so."""
    cid = path_id(contact_id)
    form = await request.form()
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        row = open_for(conn, cid)
        if row is None:
            raise NotFound()
        inbox.close_request(conn, caller=signed.caller, request_id=int(row.id), now=now)
        replies.hand_back(conn, contact_id=cid, now=now)
    return RedirectResponse("/console/inbox", status_code=303)
