"""The console's elections pages (see docs/console.md): every election; define or edit one (a
coalition admin, as in the API); an election's reminder plan as a timeline in the election's
time zone, with each step's text per language and the voters it will reach; move, reword,
pause, resume or cancel a step (a coalition admin). Thin routes over `bot.voter.elections` and
`bot.sending.reminders`; every change is written to the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Connection

from bot.accounts.sessions import Signed
from bot.clock import zone as named_zone
from bot.console.deps import audited, check_csrf, parts, path_id, signed_in
from bot.console.pages import page
from bot.errors import Conflict, Forbidden, Invalid, NotFound
from bot.sending import reminders
from bot.sending.drafts import SendContext, utc
from bot.sending.plans import reminders_of
from bot.sending.render import babel_locale
from bot.sending.rules import local_instant
from bot.voter.elections import (
    LINK_KINDS,
    ElectionFacts,
    find_election,
    list_elections,
    upcoming_election,
)
from bot.voter.states import state_abbr

router = APIRouter()
ACTIONS = ("pause", "resume", "cancel")
DATE_FIELDS = ("date", "registration_deadline", "early_voting_start", "early_voting_end")
TIME_FIELDS = ("polls_open", "polls_close")
TEXT_FIELDS = ("name", "timezone", "same_day_where", "office_name", "office_phone", "office_url")
ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
)


def _languages(request: Request) -> list[tuple[str, str]]:
    catalogs = parts(request).runtime.catalogs
    return [(code, catalogs.by_language[code].name) for code in catalogs.languages]


def _zone_of(conn: Connection, date: dt.date, default: str) -> str:
    """The election's time zone (its merged definitions'), else the coalition's."""
    info = upcoming_election(conn, today=date)
    name = info.timezone if info is not None and info.date == date else None
    return name if name and named_zone(name) else default


def local_text(value: dt.datetime | None, zone: str, language: str) -> str:
    """A moment on the election's clock, as the console's language writes it: "Nov 2, 2026,
    5:00 PM PST"."""
    if value is None:
        return ""
    local = (utc(value) or value).astimezone(ZoneInfo(zone))
    locale = babel_locale(language)
    day = format_date(local.date(), "medium", locale=locale)
    clock = format_time(local.time(), "short", locale=locale).replace("\u202f", " ")
    return f"{day}, {clock} {local.tzname() or ''}".strip()


def _local_input(value: dt.datetime | None, zone: str) -> str:
    """The value of a datetime-local field: the election's wall clock."""
    if value is None:
        return ""
    return (utc(value) or value).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")


# ---------------------------------------------------------------- the list


@router.get("/elections", response_class=HTMLResponse)
def elections_page(request: Request) -> Response:
    """Every election, by date (anyone signed in reads them, as any API key does)."""
    with signed_in(request) as (conn, signed, now):
        rows = list_elections(conn)
        today = now.date()
    context = {
        "active": "elections",
        "elections": rows,
        "today": today,
        "saved": request.query_params.get("saved"),
    }
    return page(request, "elections.html", context, signed)


# ---------------------------------------------------------------- define and edit


def _form_values(row: Any) -> dict[str, str]:
    """A stored election as the form's fields."""
    typed: dict[str, str] = {}
    for name in (*DATE_FIELDS, *TEXT_FIELDS, "state"):
        value = getattr(row, name, None)
        typed[name] = "" if value is None else str(value)
    for name in TIME_FIELDS:
        value = getattr(row, name, None)
        typed[name] = value.strftime("%H:%M") if value else ""
    typed["counties"] = ", ".join(row.counties or [])
    same = row.same_day_registration
    typed["same_day_registration"] = "" if same is None else "yes" if same else "no"
    for kind, found in (row.links or {}).items():
        if isinstance(found, str):
            typed[f"link-{kind}-default"] = found
        elif isinstance(found, dict):
            for language, url in found.items():
                typed[f"link-{kind}-{language}"] = str(url)
    return typed


def _field_id(loc: tuple[Any, ...]) -> str:
    if not loc:
        return ""
    if loc[0] == "links" and len(loc) >= 3:
        return f"link-{loc[1]}-{loc[2]}"
    if loc[0] == "links" and len(loc) == 2:
        return f"link-{loc[1]}-default"
    return str(loc[0])


def parse_election(
    form: dict[str, str], languages: list[str]
) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """The form's fields as an election's values, checked as the API checks them; else the
    problems, each with the id of its field."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for name in (*DATE_FIELDS, *TIME_FIELDS, *TEXT_FIELDS):
        raw = form.get(name, "")
        # One line each, but where to register on the day, which may keep its lines.
        text = raw.strip() if name == "same_day_where" else " ".join(raw.split())
        values[name] = text or None
    state = form.get("state", "").strip()
    if state:
        abbr = state_abbr(state)
        if abbr is None:
            problems.append(("state", f"state: {state[:40]!r} is not a US state"))
        values["state"] = abbr
    counties = [c.strip() for c in form.get("counties", "").split(",") if c.strip()]
    values["counties"] = counties or None
    same = form.get("same_day_registration", "")
    values["same_day_registration"] = {"yes": True, "no": False}.get(same)
    links: dict[str, dict[str, str]] = {}
    for kind in LINK_KINDS:
        for language in ("default", *languages):
            url = form.get(f"link-{kind}-{language}", "").strip()
            if url:
                links.setdefault(kind, {})[language] = url
    values["links"] = links or None
    if not values.get("name"):
        problems.append(("name", "name: give the election's name, as voters know it"))
    if not values.get("date"):
        problems.append(("date", "date: give election day"))
    if problems:
        return None, problems
    try:
        facts = ElectionFacts.model_validate({k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        for error in exc.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            field = _field_id(tuple(error["loc"]))
            if not field and ":" in message:  # a rule across fields names its field first
                field = message.split(":", 1)[0]
            where = field.replace("link-", "links ").replace("-", " ")
            text = message if message.startswith(f"{field}:") else f"{where}: {message}"
            problems.append((field, text))
        return None, problems
    return facts.values(), []


def _form_page(
    request: Request,
    signed: Signed,
    *,
    election: Any,
    typed: dict[str, str],
    problems: list[tuple[str, str]],
    status: int = 200,
) -> HTMLResponse:
    context = {
        "active": "elections",
        "election": election,
        "typed": typed,
        "problems": problems,
        "invalid": {field for field, _ in problems},
        "link_kinds": LINK_KINDS,
        "languages": _languages(request),
        "zones": ZONES,
        "default_zone": parts(request).settings.timezone,
    }
    return page(request, "election_form.html", context, signed, status)


def _typed(form: Any) -> dict[str, str]:
    return {str(k): str(v)[:2000] for k, v in form.items() if isinstance(v, str)}


@router.get("/elections/new", response_class=HTMLResponse)
def new_election_page(request: Request) -> Response:
    """The form to define an election (coalition admins)."""
    with signed_in(request) as (_, signed, _now):
        signed.caller.require_admin()
    return _form_page(request, signed, election=None, typed={}, problems=[])


@router.post("/elections/new", response_class=HTMLResponse)
async def create_election(request: Request) -> Response:
    """Define an election (or update the one of this name and date) and plan its reminders."""
    form = await request.form()
    settings = parts(request).settings
    languages = [code for code, _ in _languages(request)]
    typed = _typed(form)
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        signed.caller.require_admin()
        values, problems = parse_election(typed, languages)
        if values is None:
            return _form_page(
                request, signed, election=None, typed=typed, problems=problems, status=422
            )
        election_id, planned = reminders.define_election(
            conn,
            caller=signed.caller,
            values=values,
            source="console",
            default_zone=settings.timezone,
            now=now,
        )
        audited(
            conn,
            signed,
            "election.create",
            f"election:{election_id}",
            now,
            detail={"date": str(values["date"]), "planned": planned},
        )
    return RedirectResponse(f"/console/elections/{election_id}?saved=1", status_code=303)


@router.get("/elections/{election_id}/edit", response_class=HTMLResponse)
def edit_election_page(request: Request, election_id: str) -> Response:
    """The form to change an election (coalition admins)."""
    wanted = path_id(election_id)
    with signed_in(request) as (conn, signed, _):
        signed.caller.require_admin()
        row = find_election(conn, election_id=wanted)
        if row is None:
            raise NotFound()
    return _form_page(request, signed, election=row, typed=_form_values(row), problems=[])


@router.post("/elections/{election_id}/edit", response_class=HTMLResponse)
async def save_election_page(request: Request, election_id: str) -> Response:
    """Save an election's new facts; its unedited reminder steps move with them."""
    wanted = path_id(election_id)
    form = await request.form()
    settings = parts(request).settings
    languages = [code for code, _ in _languages(request)]
    typed = _typed(form)
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        signed.caller.require_admin()
        row = find_election(conn, election_id=wanted)
        if row is None:
            raise NotFound()
        values, problems = parse_election(typed, languages)
        if values is not None:
            try:
                written, planned = reminders.redefine_election(
                    conn,
                    caller=signed.caller,
                    election_id=wanted,
                    values=values,
                    default_zone=settings.timezone,
                    now=now,
                )
            except Invalid as exc:
                problems = [(exc.detail.split(":", 1)[0], exc.detail)]
            else:
                audited(
                    conn,
                    signed,
                    "election.update",
                    f"election:{written}",
                    now,
                    detail={"date": str(values["date"]), "planned": planned, "from": wanted},
                )
                return RedirectResponse(f"/console/elections/{written}?saved=1", status_code=303)
        return _form_page(request, signed, election=row, typed=typed, problems=problems, status=422)


# ---------------------------------------------------------------- the plan


def _timeline(
    request: Request, conn: Connection, row: Any, zone: str, language: str
) -> list[dict[str, Any]]:
    """The plan's steps in time order, each with its times on the election's clock, its text
    and reach per language."""
    settings = parts(request).settings
    ctx = SendContext.of(parts(request).runtime)
    codes = [code for code, _ in _languages(request)]
    reach = reminders.reach(conn, default_language=settings.default_language)
    steps = []
    for send in reminders_of(conn, row.date):
        view = reminders.reminder_view(conn, send)
        texts = reminders.step_texts(conn, send, ctx=ctx, languages=codes)
        started = view.status not in reminders.EDITABLE
        steps.append(
            {
                "view": view,
                "at": local_text(view.send_at, zone, language),
                "until": local_text(view.expires_at, zone, language),
                "at_input": _local_input(view.send_at, zone),
                "texts": texts,
                "reach": reach,
                "reach_total": view.recipients if started else sum(reach.values()),
                "started": started,
                "own_texts": view.texts or {},
            }
        )
    return steps


def _plan_page(
    request: Request,
    conn: Connection,
    signed: Signed,
    row: Any,
    *,
    problems: list[tuple[str, str]] | None = None,
    step_id: int | None = None,
    status: int = 200,
) -> HTMLResponse:
    settings = parts(request).settings
    zone = _zone_of(conn, row.date, settings.timezone)
    context = {
        "active": "elections",
        "election": row,
        "zone": zone,
        "steps": _timeline(request, conn, row, zone, signed.ui_language),
        "languages": _languages(request),
        "link_kinds": LINK_KINDS,
        "problems": problems or [],
        "problem_step": step_id,
        "saved": request.query_params.get("saved"),
        "can_change": signed.caller.is_admin,
    }
    return page(request, "election.html", context, signed, status)


def _election(conn: Connection, election_id: int) -> Any:
    row = find_election(conn, election_id=election_id)
    if row is None:
        raise NotFound()
    return row


@router.get("/elections/{election_id}", response_class=HTMLResponse)
def election_page(request: Request, election_id: str) -> Response:
    """An election's facts and its reminder plan (a new election's plan is made first)."""
    wanted = path_id(election_id)
    settings = parts(request).settings
    with signed_in(request) as (conn, signed, now):
        row = _election(conn, wanted)
        reminders.plan_in_transaction(conn, row.date, default_zone=settings.timezone, now=now)
        return _plan_page(request, conn, signed, row)


def _audit_step(
    conn: Connection, signed: Signed, action: str, rid: int, now: dt.datetime, **detail: Any
) -> None:
    audited(conn, signed, f"reminder.{action}", f"reminder:{rid}", now, detail=detail or None)


def _back(election_id: int, reminder_id: int) -> RedirectResponse:
    return RedirectResponse(
        f"/console/elections/{election_id}?saved=1#step-{reminder_id}", status_code=303
    )


@router.post("/elections/{election_id}/reminders/{reminder_id}/move", response_class=HTMLResponse)
async def move_step(request: Request, election_id: str, reminder_id: str) -> Response:
    """Move a step to a time on the election's clock (coalition admins)."""
    wanted, rid = path_id(election_id), path_id(reminder_id)
    form = await request.form()
    settings = parts(request).settings
    ctx = SendContext.of(parts(request).runtime)
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        signed.caller.require_admin()
        row = _election(conn, wanted)
        zone = _zone_of(conn, row.date, settings.timezone)
        raw = str(form.get("send_at") or "").strip()
        try:
            try:
                naive = dt.datetime.fromisoformat(raw)
            except ValueError:
                raise Invalid("send_at: give a date and a time") from None
            at = local_instant(naive.date(), naive.time(), ZoneInfo(zone))
            moved = reminders.edit(
                conn,
                caller=signed.caller,
                election_id=wanted,
                reminder_id=rid,
                body=reminders.ReminderEdit(send_at=at),
                ctx=ctx,
                now=now,
            )
        except (Invalid, Conflict) as exc:
            problem = [(f"send-at-{rid}", exc.detail)]
            return _plan_page(request, conn, signed, row, problems=problem, step_id=rid, status=422)
        _audit_step(conn, signed, "move", rid, now, send_at=moved.send_at.isoformat(), zone=zone)
    return _back(wanted, rid)


@router.post("/elections/{election_id}/reminders/{reminder_id}/reword", response_class=HTMLResponse)
async def reword_step(request: Request, election_id: str, reminder_id: str) -> Response:
    """Replace a step's catalog message with the organizers' own text per language (all
    empty: back to the catalog message) (coalition admins)."""
    wanted, rid = path_id(election_id), path_id(reminder_id)
    form = await request.form()
    ctx = SendContext.of(parts(request).runtime)
    codes = [code for code, _ in _languages(request)]
    texts = {
        code: str(form.get(f"text-{code}") or "").strip()
        for code in codes
        if str(form.get(f"text-{code}") or "").strip()
    }
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        signed.caller.require_admin()
        row = _election(conn, wanted)
        try:
            try:
                body = reminders.ReminderEdit(texts=texts)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(part) for part in first["loc"])
                raise Invalid(f"{where}: {first['msg']}") from None
            reminders.edit(
                conn,
                caller=signed.caller,
                election_id=wanted,
                reminder_id=rid,
                body=body,
                ctx=ctx,
                now=now,
            )
        except (Invalid, Conflict) as exc:
            problem = [(f"reword-{rid}", exc.detail)]
            return _plan_page(request, conn, signed, row, problems=problem, step_id=rid, status=422)
        _audit_step(conn, signed, "reword", rid, now, languages=sorted(texts))
    return _back(wanted, rid)


@router.post(
    "/elections/{election_id}/reminders/{reminder_id}/{action}", response_class=HTMLResponse
)
async def steer_step(request: Request, election_id: str, reminder_id: str, action: str) -> Response:
    """Pause, resume or cancel a step (coalition admins)."""
    if action not in ACTIONS:
        raise NotFound()
    wanted, rid = path_id(election_id), path_id(reminder_id)
    form = await request.form()
    engine = parts(request).engine
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        if not signed.caller.is_admin:
            raise Forbidden("this needs a coalition admin")
        row = _election(conn, wanted)
        try:
            reminders.steer(
                conn,
                caller=signed.caller,
                election_id=wanted,
                reminder_id=rid,
                action=action,
                now=now,
            )
        except Conflict as exc:
            problem = [(f"step-{rid}", exc.detail)]
            return _plan_page(request, conn, signed, row, problems=problem, step_id=rid, status=409)
        _audit_step(conn, signed, action, rid, now)
    reminders.settle(engine, reminder_id=rid, action=action)
    return _back(wanted, rid)
