"""People: a coalition admin invites (and copies the link), lists and disables users; everyone
edits their own profile (name, the console's language, the voters' languages they speak,
their phone for test sends) and switches between their organizations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from bot.accounts import sessions, users
from bot.accounts.sessions import Signed
from bot.console.deps import check_csrf, parts, signed_in
from bot.console.web import UI_LANGUAGES, render
from bot.errors import Forbidden, Invalid, TurnoutError
from bot.phones import AddressError, contact_number
from bot.tables import ORGANIZATIONS, USER_ROLES

router = APIRouter()


def _page(
    request: Request, template: str, context: dict[str, Any], signed: Signed, status: int = 200
) -> HTMLResponse:
    return render(
        request,
        template,
        {"signed": signed, **context},
        language=signed.ui_language,
        zone=parts(request).settings.timezone,
        status_code=status,
    )


def _people(conn: Any, signed: Signed) -> dict[str, Any]:
    everyone = users.list_users(conn)
    roles: dict[int, list[tuple[str, str]]] = {}
    r, o = USER_ROLES.c, ORGANIZATIONS.c
    for user_id, slug, role in conn.execute(
        select(r.user_id, o.slug, r.role).join(ORGANIZATIONS, o.id == r.organization_id)
    ):
        roles.setdefault(int(user_id), []).append((str(slug), str(role)))
    organizations = list(conn.execute(select(o.id, o.slug, o.name, o.is_admin).order_by(o.name)))
    return {"people": everyone, "roles": roles, "organizations": organizations}


@router.get("/people", response_class=HTMLResponse)
def people(request: Request) -> Response:
    """Every user with their roles, and the invitation form (coalition admins)."""
    with signed_in(request) as (conn, signed, _):
        if not signed.caller.is_admin:
            raise Forbidden()
        context = _people(conn, signed)
    return _page(request, "people.html", context, signed)


@router.post("/people/invite", response_class=HTMLResponse)
async def invite(request: Request) -> Response:
    """Make an invitation link to copy and hand over (no email is sent)."""
    form = await request.form()
    link: str | None = None
    error: str | None = None
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        organization = str(form.get("organization") or "")
        try:
            if not organization.isdigit():
                raise Invalid("organization: choose one", where="organization")
            made = users.invite(
                conn,
                caller=signed.caller,
                email=str(form.get("email") or "")[:300],
                organization_id=int(organization),
                role=str(form.get("role") or ""),
                now=now,
            )
        except Forbidden:
            raise
        except TurnoutError as exc:
            error = exc.detail
        else:
            base = parts(request).settings.public_base_url or str(request.base_url).rstrip("/")
            link = f"{base}/console/invite/{made.token}"
        context = _people(conn, signed)
    context |= {"link": link, "error": error, "typed": dict(form) if error else {}}
    return _page(request, "people.html", context, signed, 422 if error else 200)


@router.post("/people/{user_id}/disable")
async def disable(request: Request, user_id: str) -> Response:
    """Disable a user: their sessions end at once."""
    form = await request.form()
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        if not user_id.isdigit() or len(user_id) > 10:
            raise Invalid("not a user")
        users.disable(conn, caller=signed.caller, user_id=int(user_id), now=now)
    return RedirectResponse("/console/people", status_code=303)


@router.get("/profile", response_class=HTMLResponse)
def profile(request: Request) -> Response:
    """The person's own settings."""
    with signed_in(request) as (_, signed, _now):
        pass
    return _page(request, "profile.html", _profile_context(request), signed)


def _profile_context(request: Request) -> dict[str, Any]:
    catalogs = parts(request).runtime.catalogs
    return {
        "voter_languages": [(c, catalogs.by_language[c].name) for c in catalogs.languages],
        "ui_languages": UI_LANGUAGES,
    }


@router.post("/profile", response_class=HTMLResponse)
async def save_profile(request: Request) -> Response:
    """Save the person's own settings; the form again with what was wrong, if anything."""
    form = await request.form()
    catalogs = parts(request).runtime.catalogs
    settings = parts(request).settings
    errors: dict[str, str] = {}
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        name = " ".join(str(form.get("name") or "").split())[:200] or None
        ui = str(form.get("ui_language") or "en")
        if ui not in UI_LANGUAGES:
            errors["ui_language"] = "unknown"
        speaks = [v for v in form.getlist("speaks") if isinstance(v, str)]
        if any(code not in catalogs.languages for code in speaks):
            errors["speaks"] = "unknown"
        phone_raw = str(form.get("phone") or "").strip()
        phone = None
        if phone_raw:
            try:
                ours = (settings.twilio_sms_from, settings.twilio_whatsapp_from)
                phone = contact_number(phone_raw, settings.default_region, ours)
            except AddressError:
                errors["phone"] = "invalid"
        if not errors:
            users.update_profile(
                conn,
                user_id=signed.user_id,
                name=name,
                ui_language=ui,
                speaks=speaks,
                phone=phone,
                now=now,
            )
    if errors:
        context = _profile_context(request) | {"errors": errors, "typed": dict(form)}
        return _page(request, "profile.html", context, signed, 422)
    return RedirectResponse("/console/profile?saved=1", status_code=303)


@router.post("/organization")
async def switch(request: Request) -> Response:
    """Act for another of the person's organizations."""
    form = await request.form()
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        wanted = str(form.get("organization") or "")
        if not wanted.isdigit():
            raise Invalid("organization: choose one")
        sessions.switch(conn, signed=signed, organization_id=int(wanted), now=now)
    return RedirectResponse("/console/inbox", status_code=303)
