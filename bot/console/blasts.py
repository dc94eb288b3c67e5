"""The console's blasts (see docs/console.md, "Blasts"): the list; the composer (a text per
language or a catalog message, a live counter per language, the audience with live recipient
counts per language and the preview of what each language gets, the time in the
organization's zone); a blast's page (live progress, pause, resume, cancel, a test to the
person's own phone, a chart of sends and deliveries over time). Thin: the rules live in
`bot.sending.blasts` and `bot.sending.progress`."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Connection, select

from bot.accounts.sessions import Signed
from bot.console.charts import Series, csv_response, line_chart, svg_response
from bot.console.deps import audited, check_csrf, parts, path_id, signed_in
from bot.console.holdout import holdout_share
from bot.console.web import catalog, render
from bot.errors import Conflict, Invalid, NotFound, TooMany
from bot.phones import mask
from bot.sending import blasts, progress
from bot.sending.drafts import AudienceIn, BlastIn, SendContext, TestIn
from bot.sending.sends import MAX_TEXT, OPEN
from bot.tables import ORGANIZATIONS
from messages.segments import count_segments

router = APIRouter()
STATUSES = ("scheduled", "sending", "paused", "done", "cancelled")
FINAL = ("done", "cancelled")
_SPLIT_ZIPS = re.compile(r"[\s,;]+")
_SPLIT_COUNTIES = re.compile(r"[;\n]+")
_SPLIT_TAGS = re.compile(r"[,;\n]+")
# A service's "field: what is wrong" (Invalid's detail), to the form field it is about.
_FIELDS = {
    "name": "name",
    "message_key": "message_key",
    "audience.organizations": "organizations",
    "audience.languages": "languages",
    "audience.zips": "zips",
    "audience.counties": "counties",
    "audience.tags": "tags",
    "send_at": "send_at",
    "holdout_share": "holdout_share",  # the lift's field (blast_holdout.html)
}


def _ctx(request: Request) -> SendContext:
    return SendContext.of(parts(request).runtime)


def _zone(request: Request, conn: Connection, organization_id: int) -> str:
    """The organization's time zone (TURNOUT_TIMEZONE when it has none)."""
    o = ORGANIZATIONS.c
    found = conn.execute(select(o.timezone).where(o.id == organization_id)).scalar()
    return str(found or parts(request).settings.timezone)


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    signed: Signed,
    zone: str,
    status: int = 200,
) -> HTMLResponse:
    values = {"signed": signed, "active": "blasts", "zone": zone, **context}
    return render(
        request, template, values, language=signed.ui_language, zone=zone, status_code=status
    )


def _languages(ctx: SendContext) -> list[tuple[str, str]]:
    return [(code, ctx.catalogs.by_language[code].name) for code in ctx.catalogs.languages]


def _words(form: Any, name: str, pattern: re.Pattern[str]) -> list[str]:
    raw = form.get(name)
    text = raw if isinstance(raw, str) else ""
    return [w.strip() for w in pattern.split(text) if w.strip()]


def _many(form: Any, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def _audience(form: Any) -> dict[str, list[str]]:
    return {
        "organizations": _many(form, "organizations"),
        "languages": _many(form, "languages"),
        "zips": _words(form, "zips", _SPLIT_ZIPS),
        "counties": _words(form, "counties", _SPLIT_COUNTIES),
        "tags": _words(form, "tags", _SPLIT_TAGS),
    }


def _problem(error: Any, gettext: Any, names: dict[str, str]) -> tuple[str, str]:
    """A form error of pydantic's, as (field id, what to change) in the person's language."""
    loc = tuple(str(part) for part in error.get("loc", ()))
    head = loc[0] if loc else ""
    if head == "name":
        return "name", gettext("Name: write one, on one line, up to 200 characters.")
    if head == "texts" and len(loc) > 1:
        language = names.get(loc[1], loc[1])
        return f"text-{loc[1]}", gettext(
            "Text in {language}: at most 1600 characters, without control characters."
        ).format(language=language)
    if head == "message_key":
        return "message_key", gettext("Catalog message: choose one from the list.")
    if head == "holdout_share":
        return "holdout_share", gettext("Held back: a share from 0 to 50 percent.")
    if head == "whatsapp_templates" and len(loc) > 1:
        language = names.get(loc[1], loc[1])
        return f"template-{loc[1]}", gettext(
            "WhatsApp template for {language}: its Content SID, HX and 32 hexadecimal digits."
        ).format(language=language)
    if head == "audience" and len(loc) > 1:
        field = loc[1]
        value = str(error.get("input", ""))[:40]
        if field == "zips":
            return "zips", gettext("ZIP codes: five digits each ({value}).").format(value=value)
        if field == "counties":
            return "counties", gettext("Counties: one a line, up to 100 characters each.")
        if field == "tags":
            return "tags", gettext("Tags: separate them with commas, up to 100 characters each.")
        return field, gettext("Audience: choose from the lists.")
    return "text-en", gettext("Write a text in at least one language, or choose a catalog message.")


def _service_problem(detail: str) -> tuple[str, str]:
    """A service's refusal ("texts.es: ..."), as (field id, its words)."""
    field, _, _rest = detail.partition(":")
    if field.startswith("texts."):
        return f"text-{field.removeprefix('texts.')}", detail
    if field == "texts":
        return "text-en", detail
    if field == "whatsapp_templates":
        return "templates", detail
    return _FIELDS.get(field, ""), detail


def _draft(
    form: Any,
    *,
    ctx: SendContext,
    zone: str,
    gettext: Any,
    preview: bool = False,
) -> tuple[BlastIn | None, list[tuple[str, str]]]:
    """The blast the form describes, or what to change. A preview needs no name nor time."""
    codes = ctx.catalogs.languages
    names = dict(_languages(ctx))
    problems: list[tuple[str, str]] = []
    texts = {c: str(form.get(f"text_{c}") or "").strip() for c in codes}
    templates = {c: str(form.get(f"template_{c}") or "").strip() for c in codes}
    name = " ".join(str(form.get("name") or "").split())
    if preview and not name:
        name = "draft"
    data: dict[str, Any] = {
        "name": name,
        "audience": _audience(form),
        "whatsapp_templates": {c: t for c, t in templates.items() if t} or None,
        "holdout_share": holdout_share(form),  # bot/console/holdout.py (the lift's field)
    }
    if form.get("mode") == "message":
        data["message_key"] = str(form.get("message_key") or "") or None
        if data["message_key"] is None:
            problems.append(("message_key", gettext("Catalog message: choose one from the list.")))
            data["message_key"] = "none.chosen"  # checked for its other fields all the same
    else:
        data["texts"] = {c: t for c, t in texts.items() if t} or None
    if not preview and form.get("when") == "later":
        raw = str(form.get("send_at") or "").strip()
        try:
            when = dt.datetime.fromisoformat(raw)
        except ValueError:
            problems.append(("send_at", gettext("When: choose a date and a time.")))
        else:
            data["send_at"] = when if when.tzinfo else when.replace(tzinfo=ZoneInfo(zone))
    try:
        body = BlastIn.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            found = _problem(error, gettext, names)
            if found not in problems:
                problems.append(found)
        return None, problems
    return (None if problems else body), problems


def _organizations(conn: Connection, signed: Signed) -> list[Any]:
    if not signed.caller.is_admin:
        return []
    o = ORGANIZATIONS.c
    return list(conn.execute(select(o.id, o.slug, o.name).order_by(o.name)))


def _compose_context(
    request: Request, conn: Connection, signed: Signed, zone: str, form: Any = None
) -> dict[str, Any]:
    ctx = _ctx(request)
    start, end = ctx.settings.allowed_hours
    local = dt.datetime.now(ZoneInfo(zone)).replace(second=0, microsecond=0, tzinfo=None)
    typed = {k: v for k, v in (form or {}).items() if isinstance(v, str)}
    chosen = {
        "organizations": _many(form, "organizations") if form else [],
        "languages": _many(form, "languages") if form else [],
    }
    # The languages spoken on the lists (and the default) first; the others folded away.
    spoken = set(progress.audience_counts(conn, caller=signed.caller, body=AudienceIn(), ctx=ctx))
    spoken |= {ctx.settings.default_language}
    spoken |= {c for c in ctx.catalogs.languages if typed.get(f"text_{c}", "").strip()}
    return {
        "languages": _languages(ctx),
        "main_languages": [(c, n) for c, n in _languages(ctx) if c in spoken],
        "other_languages": [(c, n) for c, n in _languages(ctx) if c not in spoken],
        "keys": progress.blast_message_keys(ctx),
        "organizations": _organizations(conn, signed),
        "typed": typed,
        "chosen": chosen,
        "quiet_from": start.strftime("%H:%M"),
        "quiet_until": end.strftime("%H:%M"),
        "default_language": ctx.settings.default_language,
        "default_send_at": (local + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "cost_per_segment": str(ctx.settings.cost_per_segment),
        "max_text": MAX_TEXT,
        "my_phone": mask(signed.phone) if signed.phone else None,
        "problems": [],
    }


@router.get("/blasts", response_class=HTMLResponse)
def blasts_page(request: Request) -> Response:
    """The organization's blasts (an admin: every one), newest first, with their progress."""
    wanted = request.query_params.get("status") or None
    status = wanted if wanted in STATUSES else None
    with signed_in(request) as (conn, signed, _):
        found = blasts.list_blasts(conn, caller=signed.caller, status=status)
        zone = _zone(request, conn, signed.caller.organization_id)
    context = {"blasts": found, "status": status, "statuses": STATUSES}
    return _render(request, "blasts.html", context, signed, zone)


@router.get("/blasts/new", response_class=HTMLResponse)
def compose(request: Request) -> Response:
    """The composer: texts, audience, preview, time."""
    with signed_in(request) as (conn, signed, _):
        signed.caller.require_change()
        zone = _zone(request, conn, signed.caller.organization_id)
        context = _compose_context(request, conn, signed, zone)
    return _render(request, "blasts_new.html", context, signed, zone)


@router.post("/blasts/counter/{language}", response_class=HTMLResponse)
async def counter(request: Request, language: str) -> Response:
    """One language's live counter: characters (with the opt-out line), SMS segments,
    encoding, cost of one message."""
    form = await request.form()
    ctx = _ctx(request)
    if language not in ctx.catalogs.languages:
        raise NotFound()
    with signed_in(request) as (conn, signed, _):
        check_csrf(request, signed, form)
        zone = _zone(request, conn, signed.caller.organization_id)
        text = str(form.get(f"text_{language}") or "").strip()
        body = ""
        if text:
            send = SimpleNamespace(id=0, kind="blast", texts={language: text}, message_key=None)
            body = ctx.renderer().body(conn, send, language) or ""
    info = count_segments(body)
    price = Decimal(str(ctx.settings.cost_per_segment))
    context = {
        "language": language,
        "empty": not text,
        "characters": len(body),
        "info": info,
        "footer": bool(text) and body != text,
        "too_long": len(body) > MAX_TEXT,
        "cost": f"{info.cost(price):.4f}",
        "max_text": MAX_TEXT,
    }
    return _render(request, "blasts_counter.html", context, signed, zone)


@router.post("/blasts/preview", response_class=HTMLResponse)
async def preview(request: Request) -> Response:
    """The live audience and preview: recipients per language, what each language gets,
    who falls back to another language's text or is skipped, who needs a WhatsApp template,
    and the total cost. Stores nothing."""
    form = await request.form()
    ctx = _ctx(request)
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        zone = _zone(request, conn, signed.caller.organization_id)
        gettext = catalog(signed.ui_language).gettext
        problems: list[tuple[str, str]] = []
        counts: dict[str, int] | None = None
        whatsapp: dict[str, int] = {}
        shown = None
        try:
            audience = AudienceIn.model_validate(_audience(form))
        except ValidationError as exc:
            names = dict(_languages(ctx))
            problems += [
                _problem(e | {"loc": ("audience", *e["loc"])}, gettext, names) for e in exc.errors()
            ]
            audience = None
        if audience is not None:
            try:
                counts = progress.audience_counts(
                    conn, caller=signed.caller, body=audience, ctx=ctx
                )
                whatsapp = progress.whatsapp_outside_window(
                    conn, caller=signed.caller, body=audience, ctx=ctx, now=now
                )
            except Invalid as exc:
                problems.append(_service_problem(exc.detail))
        body, draft_problems = _draft(form, ctx=ctx, zone=zone, gettext=gettext, preview=True)
        if form.get("mode") == "message":
            has_text = bool(form.get("message_key"))
        else:
            has_text = any(str(form.get(f"text_{c}") or "").strip() for c in ctx.catalogs.languages)
        if has_text:
            problems += [p for p in draft_problems if p not in problems]
        if counts is not None and body is not None:
            try:
                shown = blasts.preview_draft(
                    conn, caller=signed.caller, body=body, ctx=ctx, now=now
                )
            except Invalid as exc:
                problems.append(_service_problem(exc.detail))
    templates = {c for c in ctx.catalogs.languages if str(form.get(f"template_{c}") or "").strip()}
    by_language = {entry.language: entry for entry in shown.languages} if shown else {}
    rows = [
        {"language": code, "recipients": n, "shown": by_language.get(code)}
        for code, n in (counts or {}).items()
    ]
    context = {
        "counts": counts,
        "total": sum((counts or {}).values()),
        "rows": rows,
        "preview": shown,
        "problems": problems,
        "needs_text": not has_text,
        "whatsapp": {k: v for k, v in whatsapp.items() if k not in templates},
        "names": dict(_languages(ctx)),
        "default_language": ctx.settings.default_language,
    }
    return _render(request, "blasts_preview.html", context, signed, zone)


class _Undo(Exception):
    """Roll the composer's transaction back (a test that cannot go: nothing is stored)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _test_first(
    conn: Connection, signed: Signed, made: Any, *, ctx: SendContext, now: dt.datetime
) -> None:
    """Hold the new blast paused and send a test of it to the person's phone; `_Undo` (the
    blast is not stored either) when the test cannot go."""
    gettext = catalog(signed.ui_language).gettext
    if not signed.phone:
        raise _Undo(gettext("Add your phone to your profile first: tests go to it."))
    blasts.steer(conn, caller=signed.caller, blast_id=made.id, action="pause", now=now)
    try:
        test = blasts.create_test(
            conn,
            caller=signed.caller,
            blast_id=made.id,
            body=TestIn(phone=signed.phone),
            ctx=ctx,
            now=now,
        )
    except (Invalid, TooMany) as exc:
        raise _Undo(exc.detail) from None
    org, subject = signed.caller.organization_id, f"blast:{made.id}"
    for action, detail in (
        ("blast.pause", {"from": "scheduled"}),
        ("blast.test", {"test": test.id}),
    ):
        audited(conn, signed, action, subject, now, organization_id=org, detail=detail)


@router.post("/blasts", response_class=HTMLResponse)
async def create(request: Request) -> Response:
    """Schedule the blast (now, or at the time given in the organization's zone), or, with
    `action=test`, save it paused and send a test of it to the person's phone first; the form
    again with what to change (nothing stored) when it cannot be."""
    form = await request.form()
    ctx = _ctx(request)
    made = None
    testing = form.get("action") == "test"
    try:
        with signed_in(request) as (conn, signed, now):
            check_csrf(request, signed, form)
            signed.caller.require_change()
            zone = _zone(request, conn, signed.caller.organization_id)
            gettext = catalog(signed.ui_language).gettext
            body, problems = _draft(form, ctx=ctx, zone=zone, gettext=gettext)
            if body is not None:
                try:
                    made = blasts.create_blast(
                        conn, caller=signed.caller, body=body, ctx=ctx, now=now
                    )
                except Invalid as exc:
                    problems.append(_service_problem(exc.detail))
            if made is not None and body is not None:
                _record_created(conn, signed, made, body, now)
                if testing:
                    _test_first(conn, signed, made, ctx=ctx, now=now)
            else:
                context = _compose_context(request, conn, signed, zone, form)
    except _Undo as undo:  # rolled back: the blast is not stored
        made = None
        problems = [("test-first", undo.detail)]
        with signed_in(request) as (conn, signed, _):
            zone = _zone(request, conn, signed.caller.organization_id)
            context = _compose_context(request, conn, signed, zone, form)
    if made is not None:
        suffix = "?tested=1" if testing else ""
        return RedirectResponse(f"/console/blasts/{made.id}{suffix}", status_code=303)
    context["problems"] = problems
    return _render(request, "blasts_new.html", context, signed, zone, 422)


def _record_created(
    conn: Connection, signed: Signed, made: Any, body: BlastIn, now: dt.datetime
) -> None:
    subject = f"blast:{made.id}"
    org = signed.caller.organization_id
    detail = {
        "name": made.name,
        "languages": sorted(made.texts or {}),
        "message_key": made.message_key,
        "audience": made.audience.model_dump(),
    }
    when = {"send_at": made.send_at.isoformat(), "now": body.send_at is None}
    for action, values in (("blast.create", detail), ("blast.schedule", when)):
        audited(conn, signed, action, subject, now, organization_id=org, detail=values)


def _blast_context(
    request: Request, conn: Connection, signed: Signed, blast_id: int, *, whole: bool = True
) -> tuple[dict[str, Any], str]:
    """What a blast's page shows; `whole=False` for the refreshed fragments, which leave
    out the preview of a blast not started yet (its audience query, every 2 seconds)."""
    ctx = _ctx(request)
    row = blasts.find_blast(conn, caller=signed.caller, blast_id=blast_id)
    blast = blasts.blast_view(conn, row)
    zone = _zone(request, conn, int(row.organization_id))
    shown = None
    if whole and blast.started_at is None and blast.status in ("scheduled", "paused"):
        shown = blasts.preview_blast(conn, caller=signed.caller, blast_id=blast_id, ctx=ctx)
    found = progress.blast_progress(conn, caller=signed.caller, blast_id=blast_id)
    c = blast.counts
    total = blast.recipients or c.recipients
    decided = c.sent + c.delivered + c.failed + c.review + sum(c.skipped.values())
    start, end = ctx.settings.allowed_hours
    return {
        "blast": blast,
        "preview": shown,
        "progress": found,
        "total": total,
        "decided": decided,
        "live": blast.status not in FINAL,
        "open": blast.status in OPEN,
        "names": dict(_languages(ctx)),
        "languages": _languages(ctx),
        "quiet_from": start.strftime("%H:%M"),
        "quiet_until": end.strftime("%H:%M"),
        "my_phone": mask(signed.phone) if signed.phone else None,
    }, zone


def _blast_part(request: Request, blast_id: str, template: str, *, whole: bool) -> Response:
    bid = path_id(blast_id)
    with signed_in(request) as (conn, signed, _):
        context, zone = _blast_context(request, conn, signed, bid, whole=whole)
    return _render(request, template, context, signed, zone)


@router.get("/blasts/{blast_id}", response_class=HTMLResponse)
def blast_page(request: Request, blast_id: str) -> Response:
    """A blast: its texts and audience, live progress, its tests, pause, resume, cancel."""
    return _blast_part(request, blast_id, "blast.html", whole=True)


@router.get("/blasts/{blast_id}/progress", response_class=HTMLResponse)
def blast_progress(request: Request, blast_id: str) -> Response:
    """The progress bars alone, for htmx to refresh every 2 seconds while the blast runs."""
    return _blast_part(request, blast_id, "blast_progress.html", whole=False)


@router.get("/blasts/{blast_id}/chart", response_class=HTMLResponse)
def blast_chart(request: Request, blast_id: str) -> Response:
    """The chart with its table alone, for htmx to refresh every 10 seconds while it runs."""
    return _blast_part(request, blast_id, "blast_chart.html", whole=False)


def _series(request: Request, blast_id: int) -> tuple[progress.Progress, str, Signed]:
    with signed_in(request) as (conn, signed, _):
        row = blasts.find_blast(conn, caller=signed.caller, blast_id=blast_id)
        found = progress.blast_progress(conn, caller=signed.caller, blast_id=blast_id)
        zone = _zone(request, conn, int(row.organization_id))
    return found, zone, signed


@router.get("/blasts/{blast_id}/chart.svg")
def chart_svg(request: Request, blast_id: str) -> Response:
    """Messages handed to Twilio and delivered so far, over time (the organization's zone)."""
    found, zone, signed = _series(request, path_id(blast_id))
    gettext = catalog(signed.ui_language).gettext
    tz = ZoneInfo(zone)
    points = found.points
    labels = [p.at.astimezone(tz).strftime("%H:%M") for p in points] or ["-"]
    sent = [p.sent for p in points] or [0]
    delivered = [p.delivered for p in points] or [0]
    svg = line_chart(
        [
            Series.of(gettext("Sent"), labels, sent),
            Series.of(gettext("Delivered"), labels, delivered),
        ],
        title=gettext("Sends and deliveries over time"),
        y_label=gettext("messages"),
    )
    return svg_response(svg)


@router.get("/blasts/{blast_id}/chart.csv")
def chart_csv(request: Request, blast_id: str) -> Response:
    """The chart's numbers, times in UTC."""
    bid = path_id(blast_id)
    found, _zone_name, _signed = _series(request, bid)
    rows = [(p.at.isoformat(), p.sent, p.delivered) for p in found.points]
    return csv_response(("time_utc", "sent", "delivered"), rows, f"blast-{bid}.csv")


@router.post("/blasts/{blast_id}/test", response_class=HTMLResponse)
async def send_test(request: Request, blast_id: str) -> Response:
    """Send a test of the blast to the person's own phone (from their profile)."""
    bid = path_id(blast_id)
    form = await request.form()
    ctx = _ctx(request)
    error: str | None = None
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        signed.caller.require_change()
        row = blasts.find_blast(conn, caller=signed.caller, blast_id=bid)
        gettext = catalog(signed.ui_language).gettext
        language = str(form.get("language") or "") or None
        if not signed.phone:
            error = gettext("Add your phone to your profile first: tests go to it.")
        else:
            try:
                body = TestIn(phone=signed.phone, language=language)
                made = blasts.create_test(
                    conn, caller=signed.caller, blast_id=bid, body=body, ctx=ctx, now=now
                )
            except ValidationError:
                error = gettext("Language: choose one from the list.")
            except (Invalid, TooMany) as exc:
                error = exc.detail
            else:
                audited(
                    conn,
                    signed,
                    "blast.test",
                    f"blast:{bid}",
                    now,
                    organization_id=row.organization_id,
                    detail={"test": made.id, "language": language},
                )
        if error:
            context, zone = _blast_context(request, conn, signed, bid)
    if error is None:
        return RedirectResponse(f"/console/blasts/{bid}?tested=1", status_code=303)
    context["test_error"] = error
    return _render(request, "blast.html", context, signed, zone, 422)


def _steer(request: Request, blast_id: str, action: str, form: Any) -> Response:
    bid = path_id(blast_id)
    error: str | None = None
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        row = blasts.find_blast(conn, caller=signed.caller, blast_id=bid)
        signed.caller.require_change()
        if action == "cancel" and form.get("confirm") != "yes":
            context, zone = _blast_context(request, conn, signed, bid)
            context["confirm_error"] = True
            return _render(request, "blast_cancel.html", context, signed, zone, 422)
        try:
            blasts.steer(conn, caller=signed.caller, blast_id=bid, action=action, now=now)
        except Conflict as exc:
            error = exc.detail
            context, zone = _blast_context(request, conn, signed, bid)
        else:
            audited(
                conn,
                signed,
                f"blast.{action}",
                f"blast:{bid}",
                now,
                organization_id=row.organization_id,
                detail={"from": row.status},
            )
    if error is not None:
        context["steer_error"] = error
        return _render(request, "blast.html", context, signed, zone, 409)
    # Committed: the dispatchers see it; wait for what is already on its way to Twilio.
    blasts.settle(parts(request).engine, blast_id=bid, action=action)
    return RedirectResponse(f"/console/blasts/{bid}", status_code=303)


@router.post("/blasts/{blast_id}/pause")
async def pause(request: Request, blast_id: str) -> Response:
    """Pause a scheduled or sending blast."""
    return _steer(request, blast_id, "pause", await request.form())


@router.post("/blasts/{blast_id}/resume")
async def resume(request: Request, blast_id: str) -> Response:
    """Resume a paused blast."""
    return _steer(request, blast_id, "resume", await request.form())


@router.get("/blasts/{blast_id}/cancel", response_class=HTMLResponse)
def cancel_page(request: Request, blast_id: str) -> Response:
    """Ask before cancelling (no script needed): a checkbox to tick."""
    return _blast_part(request, blast_id, "blast_cancel.html", whole=False)


@router.post("/blasts/{blast_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, blast_id: str) -> Response:
    """Cancel a blast once the person has ticked the confirmation."""
    return _steer(request, blast_id, "cancel", await request.form())
