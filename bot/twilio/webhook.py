"""Twilio's webhooks: inbound messages (SMS and WhatsApp alike) and status callbacks.

Every request is signature-checked before anything is read into the database: no auth token
configured → 503; missing or wrong `X-Twilio-Signature` → 403 and nothing stored; a signed
request missing a required field, or with a value we cannot take (`bot.twilio.forms`), → 400
naming the field, with nothing stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import APIRouter, HTTPException, Request, Response
from sqlalchemy import Connection
from sqlmodel import Session
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

from bot import metrics
from bot.clock import utcnow
from bot.conversation.service import Duplicate, Inbound, duplicate_reply, handle_inbound
from bot.db import DatabaseBusy, is_sqlite, run_db
from bot.phones import AddressError, parse_address
from bot.runtime import Runtime
from bot.sending import outbox
from bot.twilio import forms
from bot.twilio.forms import FormError
from bot.twilio.status import StatusUpdate, handle_status
from bot.twilio.twiml import EMPTY_TWIML, MEDIA_TYPE

router = APIRouter(prefix="/twilio", tags=["twilio"])
T = TypeVar("T")
log = logging.getLogger(__name__)
MAX_GROUP = 500  # status callbacks committed together, at most


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


def _text(form: FormData, name: str) -> str | None:
    value = form.get(name)
    return value if isinstance(value, str) else None


async def in_transaction(request: Request, work: Callable[[Connection], T]) -> T:
    """`work` in one transaction, off the event loop (`bot.db.run_db`)."""
    state = request.app.state
    return await run_db(state.engine, state.async_engine, work)


def status_url(request: Request, rt: Runtime) -> str:
    """Where Twilio should post the status of our replies."""
    base = rt.settings.public_base_url or str(request.base_url).rstrip("/")
    return f"{base}/twilio/status"


def _inbound(form: FormData, rt: Runtime) -> Inbound:
    """The inbound message a form describes, every value checked (FormError otherwise)."""
    fields = _required(form, "MessageSid", "From", "To")
    try:
        sender = parse_address(fields["From"], rt.settings.default_region)
    except AddressError as exc:
        raise FormError(f"From is not a phone number: {exc}") from None
    return Inbound(
        message_sid=forms.message_sid(fields["MessageSid"]),
        sender=sender,
        to_address=forms.our_address(fields["To"]),
        body=forms.body(_text(form, "Body") or ""),
        num_media=forms.media_count(_text(form, "NumMedia")),
        opt_out_type=forms.opt_out_type(_text(form, "OptOutType")),
    )


@router.post("/messages", summary="Inbound SMS and WhatsApp messages")
async def inbound_message(request: Request) -> Response:
    """Answer an inbound message with TwiML, once per MessageSid."""
    started = time.perf_counter()
    # Checked here rather than as a dependency: this is the hot path, and FastAPI's
    # dependency resolution costs a tenth of the request.
    form = await verified_form(request)
    rt: Runtime = request.app.state.runtime
    try:
        msg = _inbound(form, rt)
    except FormError as exc:
        raise HTTPException(400, exc.detail) from None
    callback = status_url(request, rt)

    def work(conn: Connection) -> str:
        return handle_inbound(conn, rt, msg, utcnow(), callback).twiml

    try:
        twiml = await in_transaction(request, work)
    except Duplicate:  # rolled back: a repeat changes nothing
        twiml = await in_transaction(request, lambda conn: duplicate_reply(conn, msg).twiml)
    except DatabaseBusy as exc:
        raise HTTPException(503, exc.detail, headers={"Retry-After": "1"}) from None
    metrics.WEBHOOK_LATENCY.labels("messages").observe(time.perf_counter() - started)
    return Response(content=twiml, media_type=MEDIA_TYPE)


@dataclass
class _Pending:
    outbox_id: int
    update: StatusUpdate
    done: asyncio.Future[str | None]


@dataclass
class CallbackGroups:
    """Outbox status callbacks on SQLite, committed in groups. A blast brings two callbacks
    per message (sent, delivered): one transaction each meant one turn of the one writer per
    callback, and at a blast's rate those turns starved the inbound texts queued behind them.
    Callbacks that arrive while a group commits wait for the next group, one transaction for
    all of them; each request is still answered only once its update has committed (a
    failed group answers 503 to each, and Twilio tries again)."""

    loop: asyncio.AbstractEventLoop
    waiting: list[_Pending] = field(default_factory=list)
    busy: bool = False
    task: asyncio.Task[None] | None = None

    async def apply(self, request: Request, outbox_id: int, update: StatusUpdate) -> None:
        """Record one callback with the next group; returns once it has committed."""
        done: asyncio.Future[str | None] = self.loop.create_future()
        self.waiting.append(_Pending(outbox_id, update, done))
        if not self.busy:
            self.busy = True
            self.task = self.loop.create_task(self._commit_groups(request))
        await done

    async def _commit_groups(self, request: Request) -> None:
        try:
            while self.waiting:
                group, self.waiting = self.waiting[:MAX_GROUP], self.waiting[MAX_GROUP:]
                await self._commit(request, group)
        finally:
            self.busy = False

    async def _commit(self, request: Request, group: list[_Pending]) -> None:
        def work(conn: Connection) -> list[str | None]:
            now = utcnow()
            return [_apply_callback(conn, p.outbox_id, p.update, now) for p in group]

        try:
            results = await in_transaction(request, work)
        except DatabaseBusy as exc:
            for pending in group:
                if not pending.done.done():
                    pending.done.set_exception(exc)
            return
        except Exception:
            if len(group) == 1:
                raise_into = group[0].done
                if not raise_into.done():
                    raise_into.set_exception(RuntimeError("status callback failed"))
                log.exception("status callback for outbox row %d failed", group[0].outbox_id)
                return
            for pending in group:  # one bad callback must not fail the others
                await self._commit(request, [pending])
            return
        for pending, result in zip(group, results, strict=True):
            if not pending.done.done():
                pending.done.set_result(result)


def _apply_callback(conn: Connection, outbox_id: int, update: StatusUpdate, now: Any) -> str | None:
    assert update.status is not None
    return outbox.callback(
        conn,
        outbox_id,
        sid=update.message_sid,
        status=update.status,
        error_code=update.error_code,
        now=now,
    )


def _groups(request: Request) -> CallbackGroups:
    """The app's callback groups on this event loop (a test's app may outlive its loop)."""
    state = request.app.state
    loop = asyncio.get_running_loop()
    groups: CallbackGroups | None = getattr(state, "callback_groups", None)
    if groups is None or groups.loop is not loop:
        groups = CallbackGroups(loop)
        state.callback_groups = groups
    return groups


def _status_update(request: Request, form: FormData) -> tuple[StatusUpdate, int | None, Any]:
    """The callback's update, its outbox id (`o`) or reply position (`i`, `n`)."""
    fields = _required(form, "MessageSid")
    raw_status = (_text(form, "MessageStatus") or _text(form, "SmsStatus") or "").strip()
    if not raw_status:
        raise FormError("missing required field(s): MessageStatus")
    query = request.query_params
    outbox_id = forms.whole(query.get("o"), "query parameter o", low=1, high=forms.MAX_ID)
    inbound_id = forms.whole(query.get("i"), "query parameter i", low=1, high=forms.MAX_ID)
    position = forms.whole(query.get("n"), "query parameter n", low=0, high=forms.MAX_REPLIES)
    reply = (inbound_id, position) if inbound_id is not None and position is not None else None
    to = _text(form, "To")
    update = StatusUpdate(
        message_sid=forms.message_sid(fields["MessageSid"]),
        status=forms.status(raw_status),
        error_code=forms.error_code(_text(form, "ErrorCode")),
        to=to.strip() if to and len(to) <= forms.MAX_ADDRESS else None,
    )
    return update, outbox_id, reply


@router.post("/status", summary="Twilio status callbacks")
async def status_callback(request: Request) -> Response:
    """Record a message's delivery status; error 21610 opts the recipient out. A status
    Twilio does not document is answered and counted as unknown, and changes nothing."""
    started = time.perf_counter()
    form = await verified_form(request)
    rt: Runtime = request.app.state.runtime
    try:
        update, outbox_id, reply = _status_update(request, form)
    except FormError as exc:
        raise HTTPException(400, exc.detail) from None
    metrics.STATUS_CALLBACKS.labels(update.status or "unknown").inc()

    def work(conn: Connection) -> Any:
        if update.status is None:
            return None
        if outbox_id is not None:  # a blast's or reminder's message
            return _apply_callback(conn, outbox_id, update, utcnow())
        with Session(bind=conn) as session:
            row = handle_status(session, update, reply, utcnow(), rt.settings.default_region)
            session.flush()
            return row

    try:
        if (
            outbox_id is not None
            and update.status is not None
            and is_sqlite(request.app.state.engine)
        ):
            # SQLite: grouped with the other callbacks arriving meanwhile (CallbackGroups).
            # PostgreSQL takes row locks, not the database: each callback commits alone, so
            # that no group holds locks the dispatcher's own batches wait for.
            await _groups(request).apply(request, outbox_id, update)
        else:
            await in_transaction(request, work)
    except DatabaseBusy as exc:
        raise HTTPException(503, exc.detail, headers={"Retry-After": "1"}) from None
    metrics.WEBHOOK_LATENCY.labels("status").observe(time.perf_counter() - started)
    return Response(content=EMPTY_TWIML, media_type=MEDIA_TYPE)  # a <Message action> wants TwiML
