"""Twilio's webhooks: inbound messages (SMS and WhatsApp alike) and status callbacks.

Every request is signature-checked before anything is read into the database: no auth token
configured → 503; missing or wrong `X-Twilio-Signature` → 403 and nothing stored; a signed
request missing required fields → 400 naming them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import Connection
from sqlmodel import Session
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from bot import metrics
from bot.clock import utcnow
from bot.conversation.service import Inbound, handle_inbound
from bot.db import run_db
from bot.phones import AddressError, parse_address
from bot.runtime import Runtime
from bot.sending import outbox
from bot.twilio.status import StatusUpdate, handle_status
from bot.twilio.twiml import EMPTY_TWIML, MEDIA_TYPE

router = APIRouter(prefix="/twilio", tags=["twilio"])
T = TypeVar("T")


def signed_url(request: Request, public_base_url: str | None) -> str:
    """The URL Twilio signed: PUBLIC_BASE_URL + path (+ query), else the request's own URL."""
    if not public_base_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{public_base_url}{request.url.path}{query}"


async def verified_form(request: Request) -> FormData:
    """The request's form, once its Twilio signature has been checked."""
    rt: Runtime = request.app.state.runtime
    token = rt.settings.twilio_auth_token
    if not token:  # an empty token would verify anything: refuse instead
        raise HTTPException(503, "Twilio is not configured: set TWILIO_AUTH_TOKEN")
    form = await request.form()
    signature = request.headers.get("X-Twilio-Signature", "")
    url = signed_url(request, rt.settings.public_base_url)
    params = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    if not signature or not RequestValidator(token).validate(url, params, signature):
        raise HTTPException(403, "invalid or missing X-Twilio-Signature")
    return form


def _required(form: FormData, *names: str) -> dict[str, str]:
    values = {name: str(form.get(name) or "").strip() for name in names}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise HTTPException(400, f"missing required field(s): {', '.join(missing)}")
    return values


def _int(form: FormData, name: str, default: int | None = None) -> int | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise HTTPException(400, f"{name} must be a whole number, got {raw[:20]!r}") from None


async def in_transaction(request: Request, work: Callable[[Connection], T]) -> T:
    """`work` in one transaction, off the event loop (`bot.db.run_db`)."""
    state = request.app.state
    return await run_db(state.engine, state.async_engine, work)


def status_url(request: Request, rt: Runtime) -> str:
    """Where Twilio should post the status of our replies."""
    base = rt.settings.public_base_url or str(request.base_url).rstrip("/")
    return f"{base}/twilio/status"


@router.post("/messages", summary="Inbound SMS and WhatsApp messages")
async def inbound_message(request: Request) -> Response:
    """Answer an inbound message with TwiML, once per MessageSid."""
    started = time.perf_counter()
    # Checked here rather than as a dependency: this is the hot path, and FastAPI's
    # dependency resolution costs a tenth of the request.
    form = await verified_form(request)
    rt: Runtime = request.app.state.runtime
    fields = _required(form, "MessageSid", "From", "To")
    try:
        sender = parse_address(fields["From"], rt.settings.default_region)
    except AddressError as exc:
        raise HTTPException(400, f"From is not a phone number: {exc}") from None
    msg = Inbound(
        message_sid=fields["MessageSid"],
        sender=sender,
        to_address=fields["To"],
        body=str(form.get("Body") or ""),
        num_media=_int(form, "NumMedia", 0) or 0,
        opt_out_type=str(form.get("OptOutType") or "") or None,
    )
    callback = status_url(request, rt)

    def work(conn: Connection) -> str:
        return handle_inbound(conn, rt, msg, utcnow(), callback).twiml

    twiml = await in_transaction(request, work)
    metrics.WEBHOOK_LATENCY.labels("messages").observe(time.perf_counter() - started)
    return Response(content=twiml, media_type=MEDIA_TYPE)


@router.post("/status", summary="Twilio status callbacks")
async def status_callback(request: Request) -> Response:
    """Record a message's delivery status; error 21610 opts the recipient out."""
    started = time.perf_counter()
    form = await verified_form(request)
    rt: Runtime = request.app.state.runtime
    fields = _required(form, "MessageSid")
    status = str(form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not status:
        raise HTTPException(400, "missing required field(s): MessageStatus")
    inbound_id, position = _query_int(request, "i"), _query_int(request, "n")
    outbox_id = _query_int(request, "o")
    reply = (inbound_id, position) if inbound_id is not None and position is not None else None
    update = StatusUpdate(
        message_sid=fields["MessageSid"],
        status=status,
        error_code=_int(form, "ErrorCode"),
        to=str(form.get("To") or "") or None,
    )

    def work(conn: Connection) -> Any:
        if outbox_id is not None:  # a blast's or reminder's message
            metrics.STATUS_CALLBACKS.labels(update.status or "unknown").inc()
            return outbox.callback(
                conn,
                outbox_id,
                sid=update.message_sid,
                status=update.status,
                error_code=update.error_code,
                now=utcnow(),
            )
        with Session(bind=conn) as session:
            row = handle_status(session, update, reply, utcnow(), rt.settings.default_region)
            session.flush()
            return row

    await in_transaction(request, work)
    metrics.WEBHOOK_LATENCY.labels("status").observe(time.perf_counter() - started)
    return Response(content=EMPTY_TWIML, media_type=MEDIA_TYPE)  # a <Message action> wants TwiML


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise HTTPException(400, f"query parameter {name} must be a whole number")
    return int(raw)
