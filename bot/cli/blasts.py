"""`turnout blasts ...`: a message to organizations' opted-in contacts, in their languages,
with the same checks as the API and the console (`bot.sending.blasts`).

The command line is the operator's: it may steer any organization's blast. A blast is still
created as one organization's (`--org`), and a partner organization's blast may only go to its
own list, as through the API.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, select

from bot.access import Caller, Role, operator
from bot.cli.common import console, database, fail, local, print_json, refusals, when
from bot.clock import utcnow
from bot.sending import blasts
from bot.sending.drafts import BlastIn, SendContext, TestIn
from bot.sending.views import BlastOut, PreviewOut
from bot.settings import Settings
from bot.tables import ORGANIZATIONS

app = typer.Typer(
    help="Blasts: a message to organizations' opted-in contacts, in their languages.",
    no_args_is_help=True,
)
OPERATOR = operator()

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


def _pairs(items: list[str] | None, option: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in items or []:
        lang, sep, value = item.partition("=")
        if not sep or not lang.strip() or not value.strip():
            raise fail(f"{option}: write LANG=VALUE, not {item!r}")
        found[lang.strip()] = value
    return found


def _owner(conn: Connection, slug: str) -> Caller:
    """The organization a blast is created as: its own rules (a partner's list only)."""
    row = conn.execute(select(ORGANIZATIONS).where(ORGANIZATIONS.c.slug == slug)).first()
    if row is None:
        raise fail(f"--org: no organization {slug!r} (see `turnout org list`)")
    role = Role.ADMIN if row.is_admin else Role.ORGANIZER
    return Caller(organization_id=int(row.id), role=role, slug=str(row.slug))


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
    with refusals():
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
                "send_at": when(send_at, "--send-at", settings),
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
        f"[bold]{blast.status}[/bold], send at {local(blast.send_at, settings)}",
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


@app.command("create")
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
    with database() as (engine, settings):
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
        with engine.connect() as conn, refusals():
            owner = _owner(conn, org)
            shown = blasts.preview_draft(conn, caller=owner, body=body, ctx=ctx, now=utcnow())
        _print_preview(shown)
        if not yes:
            at = local(body.send_at or utcnow(), settings)
            typer.confirm(f"Schedule it for {at}?", abort=True)
        with engine.begin() as conn, refusals():
            owner = _owner(conn, org)
            made = blasts.create_blast(conn, caller=owner, body=body, ctx=ctx, now=utcnow())
    console.print(
        f"[green]Scheduled[/green] blast {made.id} for {local(made.send_at, settings)}; "
        f"follow it with `turnout blasts show {made.id}`.",
        highlight=False,
    )


@app.command("preview")
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
    with database() as (engine, settings):
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
        with engine.connect() as conn, refusals():
            owner = _owner(conn, org)
            shown = blasts.preview_draft(conn, caller=owner, body=body, ctx=ctx, now=utcnow())
    if as_json:
        print_json(shown)
    else:
        _print_preview(shown)


@app.command("list")
def blasts_list(
    status: Annotated[
        str | None, typer.Option(help=f"Only blasts in this state: {', '.join(blasts.STATUSES)}.")
    ] = None,
    org: Annotated[str | None, typer.Option("--org", help="One organization's only.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many.")] = 100,
    as_json: AsJson = False,
) -> None:
    """Blasts, newest first."""
    if status is not None and status not in blasts.STATUSES:
        raise fail(f"--status: one of {', '.join(blasts.STATUSES)}")
    with database() as (engine, settings), engine.connect() as conn:
        org_id = _owner(conn, org).organization_id if org else None
        found = blasts.list_blasts(
            conn, caller=OPERATOR, status=status, organization_id=org_id, limit=limit
        )
    if as_json:
        print_json(found)
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
            local(b.send_at, settings),
            f"{b.counts.recipients:,}",
            f"{b.counts.sent + b.counts.delivered:,}",
            f"{b.counts.delivered:,}",
        )
    Console().print(table)


@app.command("show")
def blasts_show(blast_id: BlastId, as_json: AsJson = False) -> None:
    """A blast: its audience, state, counts so far and test sends."""
    with (
        database() as (engine, settings),
        engine.connect() as conn,
        refusals(f"no blast {blast_id}"),
    ):
        found = blasts.show_blast(conn, caller=OPERATOR, blast_id=blast_id)
    if as_json:
        print_json(found)
    else:
        _print_blast(found, settings)


@app.command("test")
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
        database() as (engine, settings),
        engine.begin() as conn,
        refusals(f"no blast {blast_id}"),
    ):
        ctx = SendContext.load(settings)
        body = TestIn(phone=phone, language=language)
        made = blasts.create_test(
            conn, caller=OPERATOR, blast_id=blast_id, body=body, ctx=ctx, now=utcnow()
        )
    console.print(
        f"[green]Queued[/green] test send {made.id} to {made.to}; its outcome: "
        f"`turnout blasts show {blast_id}`.",
        highlight=False,
    )


def _steer_blast(blast_id: int, action: str) -> None:
    with database() as (engine, _):
        with engine.begin() as conn, refusals(f"no blast {blast_id}"):
            found = blasts.steer(
                conn, caller=OPERATOR, blast_id=blast_id, action=action, now=utcnow()
            )
        blasts.settle(engine, blast_id=blast_id, action=action)
    console.print(f"Blast {blast_id} is now [bold]{found.status}[/bold].", highlight=False)


@app.command("pause")
def blasts_pause(blast_id: BlastId) -> None:
    """Pause a scheduled or sending blast."""
    _steer_blast(blast_id, "pause")


@app.command("resume")
def blasts_resume(blast_id: BlastId) -> None:
    """Resume a paused blast."""
    _steer_blast(blast_id, "resume")


@app.command("cancel")
def blasts_cancel(blast_id: BlastId) -> None:
    """Cancel a blast: what is not yet handed to Twilio is not sent."""
    _steer_blast(blast_id, "cancel")
