"""`turnout blasts ...` and `turnout reminders ...`: blasts and election reminder plans from
the command line, with the same checks as the admin API (bot.api.blasts, bot.api.reminders).

The command line is the operator's: it may steer any organization's blast. A blast is still
created as one organization's (`--org`), and a partner organization's blast may only go to
its own list, as through the API.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from bot.api.blasts import (
    STATUSES,
    BlastIn,
    BlastOut,
    PreviewOut,
    SendContext,
    TestIn,
    blast_view,
    check_blast,
    create_test,
    find_blast,
    list_blasts,
    preview,
    steer,
    unsaved,
)
from bot.api.deps import Principal
from bot.api.errors import ApiError, NotFound
from bot.api.reminders import (
    ReminderEdit,
    ReminderOut,
    edit,
    find_reminder,
    plan_now,
    reminder_view,
)
from bot.api.reminders import steer as steer_reminder
from bot.cli.main import app, console
from bot.clock import utcnow
from bot.db import make_engine
from bot.migrate import upgrade
from bot.phones import mask
from bot.sending import outbox
from bot.sending.reminders import ensure_plans, reminders_of
from bot.sending.sends import Audience, create_send
from bot.settings import Settings, get_settings
from bot.tables import ORGANIZATIONS as ORGS
from bot.tables import SENDS

blasts_app = typer.Typer(
    help="Blasts: a message to organizations' opted-in contacts, in their languages.",
    no_args_is_help=True,
)
reminders_app = typer.Typer(
    help="Election reminders: each election's plan of reminder messages.", no_args_is_help=True
)
app.add_typer(blasts_app, name="blasts")
app.add_typer(reminders_app, name="reminders")
outbox_app = typer.Typer(
    help="Messages a person must settle (in doubt after a crash, Twilio unreachable).",
    no_args_is_help=True,
)
app.add_typer(outbox_app, name="outbox")
# The operator: may steer every organization's blast.
OPERATOR = Principal(organization_id=0, slug="", is_admin=True, key_id=0)

Texts = Annotated[
    list[str] | None,
    typer.Option("--text", help="LANG=TEXT, one per language (repeatable): --text 'es=¡Vota!'"),
]
MessageKey = Annotated[
    str | None, typer.Option("--message-key", help="Or a catalog message, sent translated.")
]
Org = Annotated[str, typer.Option("--org", help="The organization whose blast it is (slug).")]
ToOrgs = Annotated[
    list[str] | None,
    typer.Option(
        "--to-org",
        help="A list it goes to (repeatable). A partner's blast: its own list only (the "
        "default); a coalition admin's: every organization's list when none is named.",
    ),
]
Languages = Annotated[
    list[str] | None, typer.Option("--language", help="Only contacts in this language.")
]
Zips = Annotated[list[str] | None, typer.Option("--zip", help="Only contacts in this ZIP.")]
Counties = Annotated[
    list[str] | None,
    typer.Option("--county", help="Only contacts in this county: 'Los Angeles County, CA'."),
]
Tags = Annotated[list[str] | None, typer.Option("--tag", help="Only contacts with this tag.")]
SendAt = Annotated[
    str | None,
    typer.Option(
        "--send-at",
        help="When: ISO 8601, 2026-11-01T10:00. Without an offset it is read in "
        "TURNOUT_TIMEZONE. Now when omitted.",
    ),
]
Templates = Annotated[
    list[str] | None,
    typer.Option("--template", help="LANG=HX... : a WhatsApp template's Content SID."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
BlastId = Annotated[int, typer.Argument(help="The blast's id (`turnout blasts list`).")]
ReminderId = Annotated[int, typer.Argument(help="The reminder's id (`turnout reminders list`).")]


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(2)


@contextmanager
def _database() -> Iterator[tuple[Engine, Settings]]:
    settings = get_settings()
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        yield engine, settings
    finally:
        engine.dispose()


@contextmanager
def _refusals(missing: str = "no such blast") -> Iterator[None]:
    """The API's refusals and invalid input as one-line errors (exit code 2)."""
    try:
        yield
    except NotFound:
        raise _fail(missing) from None
    except ApiError as exc:
        raise _fail(exc.detail) from None
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        raise _fail(problems) from None


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items or []:
        lang, sep, value = item.partition("=")
        if not sep or not lang.strip() or not value.strip():
            raise _fail(f"{option}: write LANG=VALUE, not {item!r}")
        found[lang.strip()] = value
    return found


def _when(value: str | None, option: str, settings: Settings) -> dt.datetime | None:
    if value is None:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise _fail(f"{option}: {value!r} is not a time (2026-11-01T10:00)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(settings.timezone))
    return when


def _local(value: dt.datetime | None, settings: Settings) -> str:
    if value is None:
        return ""
    return f"{value.astimezone(ZoneInfo(settings.timezone)):%Y-%m-%d %H:%M %Z}"


def _owner(conn: Connection, slug: str) -> Principal:
    row = conn.execute(select(ORGS).where(ORGS.c.slug == slug)).first()
    if row is None:
        raise _fail(f"--org: no organization {slug!r} (see `turnout org list`)")
    return Principal(int(row.id), str(row.slug), bool(row.is_admin), 0)


def _body(
    settings: Settings,
    name: str,
    text: list[str] | None,
    message_key: str | None,
    to_org: list[str] | None,
    language: list[str] | None,
    zip_: list[str] | None,
    county: list[str] | None,
    tag: list[str] | None,
    send_at: str | None,
    template: list[str] | None,
) -> BlastIn:
    texts = _pairs(text, "--text")
    templates = _pairs(template, "--template")
    with _refusals():
        return BlastIn.model_validate(
            {
                "name": name,
                "texts": texts or None,
                "message_key": message_key,
                "audience": {
                    "organizations": to_org or [],
                    "languages": language or [],
                    "zips": zip_ or [],
                    "counties": county or [],
                    "tags": tag or [],
                },
                "send_at": _when(send_at, "--send-at", settings),
                "whatsapp_templates": templates or None,
            }
        )


def _print_preview(shown: PreviewOut) -> None:
    table = Table(
        "language",
        "recipients",
        "text",
        "segments",
        "encoding",
        "est. cost",
        title=f"Recipients: {shown.recipients:,}; estimated cost {shown.estimated_cost} "
        f"({shown.cost_per_segment} a segment)",
    )
    for lang in shown.languages:
        text_in = f" [dim](in {lang.text_language}: no text in {lang.language})[/dim]"
        table.add_row(
            lang.language,
            f"{lang.recipients:,}",
            lang.text.replace("[", r"\[") + (text_in if lang.fallback else ""),
            str(lang.segments),
            lang.encoding,
            lang.estimated_cost,
        )
    for code, n in shown.without_text.items():
        table.add_row(code, f"{n:,}", "[red]no text in this language: skipped[/red]", "", "", "")
    Console().print(table)


def _print_blast(blast: BlastOut, settings: Settings) -> None:
    out = Console()
    audience = blast.audience
    where = [
        f"lists: {', '.join(audience.organizations) or 'every organization'}",
        *([f"languages: {', '.join(audience.languages)}"] if audience.languages else []),
        *([f"ZIPs: {', '.join(audience.zips)}"] if audience.zips else []),
        *([f"counties: {'; '.join(audience.counties)}"] if audience.counties else []),
        *([f"tags: {', '.join(audience.tags)}"] if audience.tags else []),
    ]
    out.print(
        f"Blast {blast.id} [bold]{blast.name}[/bold] of {blast.organization}: "
        f"[bold]{blast.status}[/bold], send at {_local(blast.send_at, settings)}",
        highlight=False,
    )
    out.print("Audience: " + "; ".join(where), highlight=False)
    what = f"message {blast.message_key}" if blast.message_key else "texts"
    out.print(f"Says: {what}", highlight=False)
    for lang, text in (blast.texts or {}).items():
        out.print(f"  {lang}: {text}", markup=False, highlight=False)
    table = Table("", "count", title="Messages")
    c = blast.counts
    for name in ("recipients", "queued", "deferred", "sending", "sent", "delivered", "failed"):
        table.add_row(name, f"{getattr(c, name):,}")
    if c.review:
        table.add_row("in review", f"{c.review:,}")
    for reason, n in sorted(c.skipped.items()):
        table.add_row(f"skipped: {reason.replace('_', ' ')}", f"{n:,}")
    for code, n in sorted(c.failed_by_error.items()):
        table.add_row(f"failed: error {code}", f"{n:,}")
    out.print(table)
    if blast.tests:
        tests = Table("test", "to", "language", "status", "outcome", title="Test sends")
        for t in blast.tests:
            outcome = " ".join(str(x) for x in (t.outcome, t.reason, t.error_code) if x)
            tests.add_row(str(t.id), t.to, t.language or "", t.status, outcome)
        out.print(tests)


def _print_json(value: Any) -> None:
    if isinstance(value, list):
        print(json.dumps([v.model_dump(mode="json") for v in value], indent=2, ensure_ascii=False))
    else:
        print(value.model_dump_json(indent=2))


@blasts_app.command("create")
def blasts_create(
    name: Annotated[str, typer.Option("--name", help="What organizers call it.")],
    org: Org,
    text: Texts = None,
    message_key: MessageKey = None,
    to_org: ToOrgs = None,
    language: Languages = None,
    zip_: Zips = None,
    county: Counties = None,
    tag: Tags = None,
    send_at: SendAt = None,
    template: Templates = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask; schedule it.")] = False,
) -> None:
    """Schedule a blast: shows its recipients and cost per language, then asks."""
    with _database() as (engine, settings):
        ctx = SendContext.load(settings)
        body = _body(
            settings,
            name,
            text,
            message_key,
            to_org,
            language,
            zip_,
            county,
            tag,
            send_at,
            template,
        )
        with engine.connect() as conn, _refusals():
            owner = _owner(conn, org)
            values = check_blast(conn, owner, body, ctx, utcnow())
            shown = preview(conn, unsaved(values), Audience.from_json(values["audience"]), ctx)
        _print_preview(shown)
        if not yes:
            typer.confirm(f"Schedule it for {_local(values['send_at'], settings)}?", abort=True)
        with engine.begin() as conn, _refusals():
            now = utcnow()
            values = check_blast(conn, _owner(conn, org), body, ctx, now)
            blast_id = create_send(conn, values, now)
    console.print(
        f"[green]Scheduled[/green] blast {blast_id} for {_local(values['send_at'], settings)}; "
        f"follow it with `turnout blasts show {blast_id}`.",
        highlight=False,
    )


@blasts_app.command("preview")
def blasts_preview(
    org: Org,
    name: Annotated[str, typer.Option("--name", help="What organizers call it.")] = "preview",
    text: Texts = None,
    message_key: MessageKey = None,
    to_org: ToOrgs = None,
    language: Languages = None,
    zip_: Zips = None,
    county: Counties = None,
    tag: Tags = None,
    send_at: SendAt = None,
    template: Templates = None,
    as_json: AsJson = False,
) -> None:
    """What a blast would do, storing nothing: recipients, segments, cost per language."""
    with _database() as (engine, settings):
        ctx = SendContext.load(settings)
        body = _body(
            settings,
            name,
            text,
            message_key,
            to_org,
            language,
            zip_,
            county,
            tag,
            send_at,
            template,
        )
        with engine.connect() as conn, _refusals():
            values = check_blast(conn, _owner(conn, org), body, ctx, utcnow())
            shown = preview(conn, unsaved(values), Audience.from_json(values["audience"]), ctx)
    if as_json:
        _print_json(shown)
    else:
        _print_preview(shown)


@blasts_app.command("list")
def blasts_list(
    status: Annotated[
        str | None, typer.Option(help=f"Only blasts in this state: {', '.join(STATUSES)}.")
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="One organization's only.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 100,
    as_json: AsJson = False,
) -> None:
    """Blasts, newest first."""
    if status is not None and status not in STATUSES:
        raise _fail(f"--status: one of {', '.join(STATUSES)}")
    with _database() as (engine, settings), engine.connect() as conn:
        org_id = _owner(conn, org).organization_id if org else None
        found = list_blasts(conn, OPERATOR, status=status, organization_id=org_id, limit=limit)
    if as_json:
        _print_json(found)
        return
    table = Table(
        "id", "name", "organization", "status", "send at", "recipients", "sent", "delivered"
    )
    for b in found:
        table.add_row(
            str(b.id),
            b.name,
            b.organization,
            b.status,
            _local(b.send_at, settings),
            f"{b.counts.recipients:,}",
            f"{b.counts.sent + b.counts.delivered:,}",
            f"{b.counts.delivered:,}",
        )
    Console().print(table)


@blasts_app.command("show")
def blasts_show(blast_id: BlastId, as_json: AsJson = False) -> None:
    """A blast: its audience, state, counts so far and test sends."""
    with (
        _database() as (engine, settings),
        engine.connect() as conn,
        _refusals(f"no blast {blast_id}"),
    ):
        found = blast_view(conn, find_blast(conn, OPERATOR, blast_id))
    if as_json:
        _print_json(found)
    else:
        _print_blast(found, settings)


@blasts_app.command("test")
def blasts_test(
    blast_id: BlastId,
    phone: Annotated[str, typer.Argument(help="Where to send the test: +12135550100.")],
    language: Annotated[
        str | None, typer.Option(help="The text's language (the number's own by default).")
    ] = None,
) -> None:
    """Send a blast now to one number (quiet hours and the daily cap do not apply; an
    opt-out does). The running scheduler sends it."""
    with (
        _database() as (engine, settings),
        engine.begin() as conn,
        _refusals(f"no blast {blast_id}"),
    ):
        ctx = SendContext.load(settings)
        body = TestIn(phone=phone, language=language)
        made = create_test(conn, OPERATOR, blast_id, body, ctx, utcnow())
    console.print(
        f"[green]Queued[/green] test send {made.id} to {made.to}; its outcome: "
        f"`turnout blasts show {blast_id}`.",
        highlight=False,
    )


def _steer_blast(blast_id: int, action: str) -> None:
    with _database() as (engine, _), engine.begin() as conn, _refusals(f"no blast {blast_id}"):
        found = steer(conn, OPERATOR, blast_id, action)
    console.print(f"Blast {blast_id} is now [bold]{found.status}[/bold].", highlight=False)


@blasts_app.command("pause")
def blasts_pause(blast_id: BlastId) -> None:
    """Pause a scheduled or sending blast."""
    _steer_blast(blast_id, "pause")


@blasts_app.command("resume")
def blasts_resume(blast_id: BlastId) -> None:
    """Resume a paused blast."""
    _steer_blast(blast_id, "resume")


@blasts_app.command("cancel")
def blasts_cancel(blast_id: BlastId) -> None:
    """Cancel a blast: what is not yet handed to Twilio is not sent."""
    _steer_blast(blast_id, "cancel")


# --- reminders ----------------------------------------------------------------------------------


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(f"--election-date: {value!r} is not a date (YYYY-MM-DD)") from None


@reminders_app.command("list")
def reminders_list(
    election_date: Annotated[
        str | None, typer.Option(help="One election's (YYYY-MM-DD); every upcoming one's else.")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """The reminder plans of upcoming elections (made first where missing)."""
    day = _date(election_date)
    with _database() as (engine, settings):
        now = utcnow()
        if day is not None:
            plan_now(engine, day, default_zone=settings.timezone, now=now)
        else:
            try:
                with engine.begin() as conn:
                    ensure_plans(conn, default_zone=settings.timezone, now=now)
            except IntegrityError:  # the scheduler planned them at the same moment
                pass
        with engine.connect() as conn:
            if day is not None:
                rows = reminders_of(conn, day)
            else:
                s = SENDS.c
                rows = list(
                    conn.execute(
                        select(SENDS)
                        .where(s.kind == "reminder", s.election_date >= now.date())
                        .order_by(s.send_at, s.id)
                    )
                )
            found = [reminder_view(conn, row) for row in rows]
    if as_json:
        _print_json(found)
        return
    _print_reminders(found, settings)


def _print_reminders(found: list[ReminderOut], settings: Settings) -> None:
    table = Table(
        "id",
        "election",
        "step",
        "send at",
        "until",
        "status",
        "edited",
        "recipients",
        "delivered",
        "skipped",
        title=f"Election reminders (times in {settings.timezone})",
    )
    for r in found:
        table.add_row(
            str(r.id),
            str(r.election_date),
            r.reminder,
            _local(r.send_at, settings),
            _local(r.expires_at, settings),
            r.status,
            "yes" if r.edited else "",
            f"{r.counts.recipients:,}",
            f"{r.counts.delivered:,}",
            f"{sum(r.counts.skipped.values()):,}",
        )
    Console().print(table)
    if not found:
        Console().print("No reminders: define an election with `turnout elections add`.")


@reminders_app.command("move")
def reminders_move(
    reminder_id: ReminderId,
    at: Annotated[
        str,
        typer.Option(
            "--at", help="The new time, ISO 8601; without an offset, in TURNOUT_TIMEZONE."
        ),
    ],
) -> None:
    """Move a reminder; the plan leaves a moved reminder's time alone from then on."""
    with _database() as (engine, settings):
        when = _when(at, "--at", settings)
        ctx = SendContext.load(settings)
        with engine.begin() as conn, _refusals(f"no reminder {reminder_id}"):
            row = find_reminder(conn, reminder_id, lock=True)
            edit(conn, row, ReminderEdit(send_at=when), ctx, utcnow())
            moved = reminder_view(conn, find_reminder(conn, reminder_id))
    console.print(
        f"Reminder {reminder_id} ({moved.reminder}) now goes at {_local(moved.send_at, settings)}.",
        highlight=False,
    )


def _steer_reminder(reminder_id: int, action: str) -> None:
    with (
        _database() as (engine, _),
        engine.begin() as conn,
        _refusals(f"no reminder {reminder_id}"),
    ):
        find_reminder(conn, reminder_id, lock=True)
        status = steer_reminder(conn, reminder_id, action, utcnow())
    console.print(f"Reminder {reminder_id} is now [bold]{status}[/bold].", highlight=False)


@reminders_app.command("pause")
def reminders_pause(reminder_id: ReminderId) -> None:
    """Hold a reminder."""
    _steer_reminder(reminder_id, "pause")


@reminders_app.command("resume")
def reminders_resume(reminder_id: ReminderId) -> None:
    """Carry on with a paused reminder."""
    _steer_reminder(reminder_id, "resume")


@reminders_app.command("cancel")
def reminders_cancel(reminder_id: ReminderId) -> None:
    """Cancel a reminder: it is not sent, and the plan does not bring it back."""
    _steer_reminder(reminder_id, "cancel")


# --- the outbox's messages in review ------------------------------------------------------------


@outbox_app.command("review")
def outbox_review() -> None:
    """List the messages in review: look each up in Twilio's console by recipient and time."""
    with _database() as (engine, _), engine.connect() as conn:
        rows = outbox.in_review(conn)
    if not rows:
        Console().print("No message is in review.")
        return
    table = Table("id", "send", "channel", "to", "handed to Twilio at")
    for row in rows:
        table.add_row(
            str(row.id), str(row.send_id), row.channel, mask(row.to_address), str(row.sending_at)
        )
    Console().print(table)


@outbox_app.command("settle")
def outbox_settle(
    outbox_id: Annotated[int, typer.Argument(help="The message's id (turnout outbox review).")],
    sid: Annotated[
        str | None, typer.Option("--sent", help="Twilio has it: its SID (SM...).")
    ] = None,
    resend: Annotated[bool, typer.Option("--resend", help="Twilio does not have it.")] = False,
) -> None:
    """Settle a message in review: sent (with Twilio's SID) or to be sent again."""
    if (sid is None) == (not resend):
        raise _fail("give exactly one of --sent SID or --resend")
    if sid is not None and not (sid.startswith(("SM", "MM")) and len(sid) == 34):
        raise _fail(f"--sent: not a Twilio message SID: {sid!r}")
    with _database() as (engine, _), engine.begin() as conn:
        try:
            status = outbox.settle_review(conn, outbox_id, sid=sid, now=utcnow())
        except ValueError as exc:
            raise _fail(str(exc)) from None
    Console().print(f"Message {outbox_id} is now [bold]{status}[/bold].", highlight=False)
