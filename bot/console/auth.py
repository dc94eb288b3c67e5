"""Signing in and out, and setting a password from an invitation link."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.accounts import sessions, users
from bot.accounts.sessions import SignInRefused
from bot.clock import utcnow
from bot.console.deps import COOKIE, check_csrf, client_address, current, parts, signed_in
from bot.console.web import render
from bot.errors import NotFound, TurnoutError

router = APIRouter()
MAX_FIELD = 300  # characters of an email or a password read from a form


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console page, never another site."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return "/console/dashboard"


def _cookie(response: Response, request: Request, token: str) -> None:
    settings = parts(request).settings
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value[:MAX_FIELD] if isinstance(value, str) else ""


def _login_page(
    request: Request,
    *,
    email: str = "",
    error: str | None = None,
    refused: SignInRefused | None = None,
    status: int = 200,
) -> HTMLResponse:
    target = safe_next(request.query_params.get("next"))
    context = {"email": email, "error": error, "refused": refused, "next": target}
    return render(request, "login.html", context, status_code=status)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    """The sign-in form (signed in already: on to the console)."""
    with parts(request).engine.connect() as conn:
        signed = current(request, conn, utcnow())
        conn.commit()
    if signed is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check an email and password: a session and on to the console, or the form again with
    what was wrong (slowed, then refused, after repeated failures)."""
    form = await request.form()
    email, password = _field(form, "email").strip(), _field(form, "password")
    address, engine, now = client_address(request), parts(request).engine, utcnow()
    if not email or not password:
        missing = "email" if not email else "password"
        return _login_page(request, email=email, error=missing, status=422)
    try:
        delay = await asyncio.to_thread(_throttle, engine, email, address, now)
    except SignInRefused as exc:
        return _login_page(request, email=email, refused=exc, status=429)
    await asyncio.sleep(delay)
    lifetime = dt.timedelta(hours=parts(request).settings.session_hours)
    token = await asyncio.to_thread(_sign_in, engine, email, password, address, lifetime)
    if token is None:
        return _login_page(request, email=email, error="wrong", status=401)
    response = RedirectResponse(safe_next(str(form.get("next") or "")), status_code=303)
    _cookie(response, request, token)
    return response


def _throttle(engine: Any, email: str, address: str, now: dt.datetime) -> float:
    with engine.begin() as conn:
        try:
            folded = users.normal_email(email)
        except TurnoutError:
            folded = email.lower()
        return sessions.throttle(conn, email=folded, address=address, now=now)


def _sign_in(
    engine: Any, email: str, password: str, address: str, lifetime: dt.timedelta
) -> str | None:
    now = utcnow()
    with engine.begin() as conn:  # a failure is committed: it counts towards the throttle
        user_id = sessions.check_password(
            conn, email=email, password=password, address=address, now=now
        )
        if user_id is None:
            return None
        return sessions.start(conn, user_id=user_id, now=now, lifetime=lifetime)


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Sign this browser out (`everywhere`: every browser of this person)."""
    form = await request.form()
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        if form.get("everywhere"):
            users.end_all_sessions(conn, user_id=signed.user_id, now=now)
        else:
            sessions.end(conn, session_id=signed.session_id, now=now)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(COOKIE, path="/console")
    return response


@router.get("/invite/{token}", response_class=HTMLResponse)
def invitation(request: Request, token: str) -> Response:
    """The form to set a password from an invitation link."""
    with parts(request).engine.begin() as conn:
        try:
            row = users.open_invitation(conn, token=token, now=utcnow())
        except NotFound as exc:
            return render(request, "invite.html", {"broken": exc.detail}, status_code=404)
    return render(request, "invite.html", {"email": row.email, "token": token})


@router.post("/invite/{token}", response_class=HTMLResponse)
async def accept_invitation(request: Request, token: str) -> Response:
    """Set the password (and name), sign in, and on to the console."""
    form = await request.form()
    password, again = _field(form, "password"), _field(form, "confirm")
    name = _field(form, "name")
    engine = parts(request).engine
    lifetime = dt.timedelta(hours=parts(request).settings.session_hours)

    def accept() -> tuple[str | None, str | None, str]:
        now = utcnow()
        with engine.begin() as conn:
            row = users.open_invitation(conn, token=token, now=now)
            if password != again:
                return None, "confirm", row.email
            try:
                user_id = users.accept(conn, token=token, password=password, name=name, now=now)
            except TurnoutError as exc:
                return None, exc.detail, row.email
            return sessions.start(conn, user_id=user_id, now=now, lifetime=lifetime), None, ""

    try:
        session, error, email = await asyncio.to_thread(accept)
    except NotFound as exc:
        return render(request, "invite.html", {"broken": exc.detail}, status_code=404)
    if session is None:
        context = {"email": email, "token": token, "error": error, "name": name}
        return render(request, "invite.html", context, status_code=422)
    response = RedirectResponse("/console/dashboard", status_code=303)
    _cookie(response, request, session)
    return response
