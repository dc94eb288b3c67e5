"""Twilio's webhooks: inbound messages (SMS and WhatsApp alike) and status callbacks.

Every request is signature-checked before anything is read into the database: no auth token
configured → 503; missing or wrong `X-Twilio-Signature` → 403 and nothing stored; a signed
request missing required fields → 400 naming them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from bot import metrics
from bot.clock import utcnow
from bot.conversation import Inbound, handle_inbound
from bot.db import is_sqlite, session_scope
from bot.phones import AddressError, parse_address
from bot.runtime import Runtime
from bot.status import StatusUpdate, handle_status

router = APIRouter(prefix="/twilio", tags=["twilio"])
TWIML = "application/xml"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response />'
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


SignedForm = Annotated[FormData, Depends(verified_form)]


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


async def run_db(request: Request, work: Callable[[], T]) -> T:
    """Run a unit of work: inline on SQLite (one writer anyway), in a thread on PostgreSQL."""
    if is_sqlite(request.app.state.engine):
        return work()
    return await run_in_threadpool(work)


def status_url(request: Request, rt: Runtime) -> str:
    """Where Twilio should post the status of our replies."""
    base = rt.settings.public_base_url or str(request.base_url).rstrip("/")
    return f"{base}/twilio/status"


@router.post("/messages", summary="Inbound SMS and WhatsApp messages")
async def inbound_message(request: Request, form: SignedForm) -> Response:
    """Answer an inbound message with TwiML, once per MessageSid."""
    started = time.perf_counter()
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

    def work() -> str:
        with session_scope(request.app.state.engine) as session:
            return handle_inbound(session, rt, msg, utcnow(), callback).twiml

    twiml = await run_db(request, work)
    metrics.WEBHOOK_LATENCY.labels("messages").observe(time.perf_counter() - started)
    return Response(content=twiml, media_type=TWIML)


@router.post("/status", summary="Twilio status callbacks")
async def status_callback(request: Request, form: SignedForm) -> Response:
    """Record a message's delivery status; error 21610 opts the recipient out."""
    started = time.perf_counter()
    rt: Runtime = request.app.state.runtime
    fields = _required(form, "MessageSid")
    status = str(form.get("MessageStatus") or form.get("SmsStatus") or "").strip().lower()
    if not status:
        raise HTTPException(400, "missing required field(s): MessageStatus")
    outbound_id = _query_int(request, "o")
    update = StatusUpdate(
        message_sid=fields["MessageSid"],
        status=status,
        error_code=_int(form, "ErrorCode"),
        to=str(form.get("To") or "") or None,
    )

    def work() -> Any:
        with session_scope(request.app.state.engine) as session:
            return handle_status(session, update, outbound_id, utcnow(), rt.settings.default_region)

    await run_db(request, work)
    metrics.WEBHOOK_LATENCY.labels("status").observe(time.perf_counter() - started)
    return Response(content=EMPTY_TWIML, media_type=TWIML)  # a <Message action> wants TwiML


def _query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit():
        raise HTTPException(400, f"query parameter {name} must be a whole number")
    return int(raw)
