"""Blasts: an organization's message to the opted-in contacts of its list (a coalition admin's
to any lists, or all of them), at a time, in each recipient's language; its preview (who, in
which language, how many segments, what it costs), test sends, pause, resume and cancel.

A partner organization sees and steers its own blasts only; another organization's blast is
answered exactly like one that does not exist. A coalition admin may act on every blast.

The checks and views here are plain functions over a connection, shared with `turnout blasts`
(bot.cli.sends); the routes at the bottom are thin.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from sqlalchemy import Connection, select

from bot.api.deps import Principal, PrincipalDep, SessionDep
from bot.api.errors import Conflict, Forbidden, Invalid, NotFound, TooMany
from bot.clock import utcnow
from bot.phones import AddressError, mask, parse_address
from bot.runtime import Runtime, operator_params
from bot.sending.render import Renderer
from bot.sending.sends import (
    MAX_TEXT,
    Audience,
    SendError,
    audience_query,
    contact_for_phone,
    counts,
    create_send,
    fold_tag,
    language_counts,
    organization_ids,
    set_state,
    tests_since,
)
from bot.settings import Settings
from bot.tables import CONTACTS, OUTBOX, SENDS
from bot.tables import ORGANIZATIONS as ORGS
from messages.catalog import CatalogError, Catalogs, is_list_key
from messages.segments import count_segments

router = APIRouter(prefix="/blasts", tags=["blasts"])

STATUSES = ("scheduled", "sending", "paused", "done", "cancelled")
ACTIONS = ("pause", "resume", "cancel")
EARLIEST = dt.timedelta(minutes=5)  # how far in the past a send_at may be (clocks differ)
LATEST = dt.timedelta(days=365)  # how far ahead
TEST_EXPIRY = dt.timedelta(hours=1)  # a test not sent within the hour is not worth sending
TESTS_PER_DAY = 20  # per organization: a test goes to any number, without consent
CENT = Decimal("0.01")
PARTNER_AUDIENCE = (
    "audience.organizations: a partner organization's blast goes to its own list only; "
    "leave organizations out (or name only your own)"
)
TEMPLATE_PATTERN = r"^HX[0-9a-fA-F]{32}$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Template = Annotated[str, StringConstraints(strip_whitespace=True, pattern=TEMPLATE_PATTERN)]
Zip = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{5}$")]
Word = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Status = Literal["scheduled", "sending", "paused", "done", "cancelled"]


# --- what the API reads and returns -----------------------------------------------------------


class AudienceIn(BaseModel):
    """Who a blast goes to. Every condition given must hold (any of the values named within
    one); opted-out contacts never, whatever the audience says."""

    model_config = ConfigDict(extra="forbid")

    organizations: list[Word] = Field(
        default_factory=list,
        max_length=200,
        description="slugs of the lists; a partner: its own only (the default); a coalition "
        "admin: any, or none for every organization's list",
    )
    languages: list[Word] = Field(
        default_factory=list, max_length=50, description="contacts' languages (catalog codes)"
    )
    zips: list[Zip] = Field(default_factory=list, max_length=10_000, examples=[["90012"]])
    counties: list[Word] = Field(
        default_factory=list, max_length=200, examples=[["Los Angeles County, CA"]]
    )
    tags: list[Word] = Field(
        default_factory=list, max_length=100, description="the lists' own labels (any of them)"
    )


class BlastIn(BaseModel):
    """A blast to create or to preview."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    texts: dict[str, Text] | None = Field(
        None,
        min_length=1,
        description="the text per language; a recipient whose language has none gets the "
        "default language's (TURNOUT_DEFAULT_LANGUAGE). The opt-out line is added unless the "
        "text says STOP",
        examples=[{"en": "Early voting starts Saturday!", "es": "¡El voto anticipado empieza!"}],
    )
    message_key: str | None = Field(
        None,
        min_length=1,
        max_length=64,
        description="or a catalog message, sent translated (instead of texts)",
    )
    audience: AudienceIn = Field(default_factory=AudienceIn)
    send_at: AwareDatetime | None = Field(
        None, description="with its offset or Z; now when omitted; at most a year ahead"
    )
    whatsapp_templates: dict[str, Template] | None = Field(
        None,
        description="per language, the Content SID of an approved WhatsApp template, for "
        "contacts outside WhatsApp's 24-hour window",
    )

    @model_validator(mode="after")
    def _one_kind_of_text(self) -> BlastIn:
        if (self.texts is None) == (self.message_key is None):
            raise ValueError("give exactly one of texts (per language) or message_key")
        return self


class AudienceOut(BaseModel):
    """A blast's audience, organizations by slug (empty: every organization's list)."""

    organizations: list[str]
    languages: list[str]
    zips: list[str]
    counties: list[str]
    tags: list[str]


class Counts(BaseModel):
    """What became of a send's messages so far (zero before it starts)."""

    recipients: int = Field(description="outbox rows: one per recipient")
    queued: int
    deferred: int = Field(description="waiting for the recipient's allowed hours")
    sending: int
    sent: int = Field(description="handed to Twilio, no delivery report yet")
    delivered: int
    failed: int
    review: int = Field(description="outcome unknown after a crash: an operator decides")
    skipped: dict[str, int] = Field(
        description="by reason: opted_out, cancelled, expired (not sent before its expiry), "
        "frequency_cap, whatsapp_window, no_channel, no_text"
    )
    failed_by_error: dict[str, int] = Field(description="by Twilio error code")


class TestOut(BaseModel):
    """A test send of a blast and what became of it."""

    id: int
    to: str = Field(description="the phone, masked")
    language: str | None
    status: str = Field(description="the test send's status")
    outcome: str | None = Field(description="its message's status once started: sent, ...")
    reason: str | None
    error_code: int | None
    created_at: dt.datetime


class BlastOut(BaseModel):
    """A blast, its state and its counts."""

    id: int
    name: str
    organization: str
    status: str = Field(description="scheduled, sending, paused, done or cancelled")
    send_at: dt.datetime
    texts: dict[str, str] | None
    message_key: str | None
    audience: AudienceOut
    whatsapp_templates: dict[str, str] | None
    recipients: int | None = Field(description="set when it starts")
    counts: Counts
    tests: list[TestOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class LanguagePreview(BaseModel):
    """What the recipients of one language would get."""

    language: str
    recipients: int
    text: str = Field(description="the body as sent, the opt-out line included")
    text_language: str = Field(description="the language the text is in")
    fallback: bool = Field(description="the language has no text: the default language's")
    characters: int
    encoding: str = Field(description="GSM-7 or UCS-2")
    segments: int
    estimated_cost: str = Field(description="recipients × segments × cost per segment")


class PreviewOut(BaseModel):
    """Who a blast would reach and what it would cost. Costs are decimal strings in the
    currency of TURNOUT_COST_PER_SEGMENT, rounded to cents, counted as SMS (a WhatsApp
    template is priced per conversation instead)."""

    recipients: int = Field(description="every contact in the audience, once")
    languages: list[LanguagePreview]
    without_text: dict[str, int] = Field(
        description="recipients per language with no text and no default: they are skipped"
    )
    cost_per_segment: str
    estimated_cost: str


class TestIn(BaseModel):
    """Where to send a test of a blast."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=1, max_length=40, examples=["+12135550100"])
    language: str | None = Field(
        None, max_length=16, description="the text's language; the number's own by default"
    )


class TestCreated(BaseModel):
    """A test send, queued for the dispatcher (quiet hours and the daily cap do not apply;
    an opt-out does)."""

    id: int
    blast_id: int
    to: str
    language: str | None
    status: str
    send_at: dt.datetime


# --- what the checks and views need ----------------------------------------------------------


@dataclass(frozen=True)
class SendContext:
    """What checking and rendering a send needs: settings, the catalogs, operator variables."""

    settings: Settings
    catalogs: Catalogs
    params: Mapping[str, Any]

    @classmethod
    def of(cls, runtime: Runtime) -> SendContext:
        """From the app's runtime."""
        return cls(runtime.settings, runtime.catalogs, runtime.params)

    @classmethod
    def load(cls, settings: Settings) -> SendContext:
        """Without the rest of the runtime (the CLI)."""
        catalogs = Catalogs.load()
        return cls(settings, catalogs, operator_params(settings, catalogs))

    def renderer(self) -> Renderer:
        """A renderer of bodies, as the dispatcher renders them."""
        return Renderer(self.settings, self.catalogs, self.params)


def get_context(request: Request) -> SendContext:
    """The send context of the app's runtime."""
    return SendContext.of(request.app.state.runtime)


ContextDep = Annotated[SendContext, Depends(get_context)]


def utc(value: dt.datetime | None) -> dt.datetime | None:
    """A stored time as aware UTC (SQLite gives UTC back without its zone)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def check_time(name: str, value: dt.datetime, now: dt.datetime) -> dt.datetime:
    """A time to send at, as UTC: not in the past (a few minutes' grace), at most a year on."""
    if value.tzinfo is None:
        raise Invalid(f"{name}: give the time with its offset (2026-11-03T09:00:00-08:00)")
    value = value.astimezone(dt.UTC)
    if value < now - EARLIEST:
        raise Invalid(f"{name}: {value:%Y-%m-%d %H:%M} UTC is in the past")
    if value > now + LATEST:
        raise Invalid(f"{name}: more than a year ahead")
    return value


def check_languages(name: str, codes: Iterable[str], catalogs: Catalogs) -> None:
    """Every code a language with a catalog."""
    unknown = sorted(set(codes) - set(catalogs.languages))
    if unknown:
        raise Invalid(
            f"{name}: unknown language {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(catalogs.languages)}"
        )


def check_texts(conn: Connection, texts: Mapping[str, str], ctx: SendContext) -> None:
    """Known languages, and bodies within Twilio's limit once the opt-out line is added."""
    check_languages("texts", texts, ctx.catalogs)
    renderer = ctx.renderer()
    send = SimpleNamespace(id=0, kind="blast", texts=dict(texts), message_key=None)
    for language in texts:
        body = renderer.body(conn, send, language)
        if body is not None and len(body) > MAX_TEXT:
            raise Invalid(
                f"texts.{language}: {len(body)} characters with the opt-out line added; "
                f"the limit is {MAX_TEXT}"
            )


def check_message_key(key: str, ctx: SendContext) -> None:
    """A catalog message that can be sent as a blast, in every language."""
    if key not in ctx.catalogs.keys or is_list_key(key):
        raise Invalid(f"message_key: no message {key!r} in the catalogs")
    for language in ctx.catalogs.languages:
        try:
            ctx.catalogs.render(key, language, ctx.params)
        except CatalogError as exc:
            raise Invalid(
                f"message_key: {key!r} needs values a blast does not have ({exc}); "
                "send your own texts instead"
            ) from None


def audience_organizations(
    conn: Connection, principal: Principal, slugs: Sequence[str]
) -> list[int]:
    """The lists a blast may go to: a partner's own (naming another, or one that does not
    exist, is the same refusal); for an admin, those named (all when none)."""
    wanted = list(dict.fromkeys(slugs))
    if not principal.is_admin:
        if any(slug != principal.slug for slug in wanted):
            raise Forbidden(PARTNER_AUDIENCE)
        return [principal.organization_id]
    found = organization_ids(conn, wanted)
    unknown = [slug for slug in wanted if slug not in found]
    if unknown:
        raise Invalid(f"audience.organizations: no organization {', '.join(map(repr, unknown))}")
    return [found[slug] for slug in wanted]


def check_audience(
    conn: Connection, principal: Principal, body: AudienceIn, ctx: SendContext
) -> Audience:
    """The audience as a send stores it, or Invalid/Forbidden saying what is wrong."""
    check_languages("audience.languages", body.languages, ctx.catalogs)
    tags = []
    for tag in body.tags:
        folded = fold_tag(tag)
        if not folded:
            raise Invalid(f"audience.tags: {tag!r} has no letters or digits")
        tags.append(folded)
    audience = Audience(
        organizations=tuple(audience_organizations(conn, principal, body.organizations)),
        languages=tuple(dict.fromkeys(body.languages)),
        zips=tuple(dict.fromkeys(body.zips)),
        counties=tuple(dict.fromkeys(body.counties)),
        tags=tuple(dict.fromkeys(tags)),
    )
    try:
        audience.zip_codes()
    except SendError as exc:
        raise Invalid(f"audience.counties: {exc}") from None
    return audience


def check_blast(
    conn: Connection, principal: Principal, body: BlastIn, ctx: SendContext, now: dt.datetime
) -> dict[str, Any]:
    """The values of the send a blast would be, every rule checked (nothing is written)."""
    if body.texts is not None:
        check_texts(conn, body.texts, ctx)
    if body.message_key is not None:
        check_message_key(body.message_key, ctx)
    templates = body.whatsapp_templates or None
    check_languages("whatsapp_templates", templates or {}, ctx.catalogs)
    send_at = check_time("send_at", body.send_at or now, now)
    audience = check_audience(conn, principal, body.audience, ctx)
    return {
        "kind": "blast",
        "organization_id": principal.organization_id,
        "name": body.name,
        "send_at": send_at,
        "texts": dict(body.texts) if body.texts else None,
        "message_key": body.message_key,
        "templates": templates,
        "audience": audience.to_json(),
    }


# --- views --------------------------------------------------------------------------------------


def find_blast(conn: Connection, principal: Principal, blast_id: int, *, lock: bool = False) -> Any:
    """A blast the caller may see and steer; NotFound otherwise (another's looks missing)."""
    query = select(SENDS).where(SENDS.c.id == blast_id, SENDS.c.kind == "blast")
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None or row.organization_id is None or not principal.can_see(row.organization_id):
        raise NotFound()
    return row


def _slugs(conn: Connection, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = conn.execute(select(ORGS.c.id, ORGS.c.slug).where(ORGS.c.id.in_(wanted)))
    return {int(oid): str(slug) for oid, slug in rows}


def tests_of(conn: Connection, blast_id: int) -> list[TestOut]:
    """The test sends of a blast, newest first, with their message's outcome."""
    s, o, c = SENDS.c, OUTBOX.c, CONTACTS.c
    rows = conn.execute(
        select(SENDS, o.status.label("outcome"), o.reason, o.error_code)
        .outerjoin(OUTBOX, o.send_id == s.id)
        .where(s.kind == "test", s.parent_id == blast_id)
        .order_by(s.id.desc())
    ).all()
    ids = {int((r.audience or {}).get("contact_id") or 0) for r in rows}
    found = conn.execute(select(c.id, c.phone).where(c.id.in_(sorted(ids))))
    phones = {int(cid): str(phone) for cid, phone in found}
    return [
        TestOut(
            id=r.id,
            to=mask(phones.get(int((r.audience or {}).get("contact_id") or 0))),
            language=(r.audience or {}).get("language"),
            status=r.status,
            outcome=r.outcome,
            reason=r.reason,
            error_code=r.error_code,
            created_at=utc(r.created_at),
        )
        for r in rows
    ]


def blast_view(conn: Connection, row: Any, slugs: Mapping[int, str] | None = None) -> BlastOut:
    """The public view of a blast row (`slugs`: organization slugs, when known already)."""
    audience = Audience.from_json(row.audience)
    names = dict(slugs or {})
    missing = {*audience.organizations, row.organization_id} - set(names)
    names |= _slugs(conn, missing)
    return BlastOut(
        id=row.id,
        name=row.name,
        organization=names.get(row.organization_id, ""),
        status=row.status,
        send_at=utc(row.send_at),
        texts=row.texts,
        message_key=row.message_key,
        audience=AudienceOut(
            organizations=[names.get(i, str(i)) for i in audience.organizations],
            languages=list(audience.languages),
            zips=list(audience.zips),
            counties=list(audience.counties),
            tags=list(audience.tags),
        ),
        whatsapp_templates=row.templates or None,
        recipients=row.recipients,
        counts=Counts(**counts(conn, row.id)),
        tests=tests_of(conn, row.id),
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        started_at=utc(row.started_at),
        finished_at=utc(row.finished_at),
    )


def list_blasts(
    conn: Connection,
    principal: Principal,
    *,
    status: str | None = None,
    organization_id: int | None = None,
    limit: int = 100,
) -> list[BlastOut]:
    """The caller's blasts (an admin: everyone's, or one organization's), newest first."""
    s = SENDS.c
    query = select(SENDS).where(s.kind == "blast")
    if not principal.is_admin:
        query = query.where(s.organization_id == principal.organization_id)
    elif organization_id is not None:
        query = query.where(s.organization_id == organization_id)
    if status is not None:
        query = query.where(s.status == status)
    rows = conn.execute(query.order_by(s.created_at.desc(), s.id.desc()).limit(limit)).all()
    slugs = _slugs(conn, {r.organization_id for r in rows})
    return [blast_view(conn, row, slugs) for row in rows]


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _text_language(send: Any, language: str, ctx: SendContext) -> str:
    """The language the body for `language` is written in."""
    default = ctx.settings.default_language
    if send.texts:
        return language if send.texts.get(language) else default
    lang = language if language in ctx.catalogs.by_language else default
    has_own = send.message_key in ctx.catalogs.by_language[lang].entries
    return lang if has_own else ctx.catalogs.source


def preview(conn: Connection, send: Any, audience: Audience, ctx: SendContext) -> PreviewOut:
    """Recipients per language and what each language's text takes and costs. `send` has a
    send's id, kind, texts, message_key and election_date (a row, or one not stored)."""
    default = ctx.settings.default_language
    found = language_counts(conn, audience_query("blast", audience, default))
    price = Decimal(str(ctx.settings.cost_per_segment))
    renderer = ctx.renderer()
    languages: list[LanguagePreview] = []
    without: dict[str, int] = {}
    total = Decimal(0)
    for language, n in sorted(found.items(), key=lambda item: (-item[1], item[0])):
        body = renderer.body(conn, send, language)
        if body is None:
            without[language] = n
            continue
        info = count_segments(body)
        cost = info.cost(price) * n
        total += cost
        text_language = _text_language(send, language, ctx)
        languages.append(
            LanguagePreview(
                language=language,
                recipients=n,
                text=body,
                text_language=text_language,
                fallback=text_language != language,
                characters=len(body),
                encoding=info.encoding,
                segments=info.segments,
                estimated_cost=_money(cost),
            )
        )
    return PreviewOut(
        recipients=sum(found.values()),
        languages=languages,
        without_text=without,
        cost_per_segment=str(price),
        estimated_cost=_money(total),
    )


def unsaved(values: Mapping[str, Any]) -> Any:
    """A send not stored, for `preview` and the renderer."""
    return SimpleNamespace(
        id=0,
        kind="blast",
        texts=values.get("texts"),
        message_key=values.get("message_key"),
        election_date=None,
    )


def create_test(
    conn: Connection,
    principal: Principal,
    blast_id: int,
    body: TestIn,
    ctx: SendContext,
    now: dt.datetime,
) -> TestCreated:
    """A test send of a blast to one number, due now."""
    blast = find_blast(conn, principal, blast_id)
    if tests_since(conn, blast.organization_id, now - dt.timedelta(days=1)) >= TESTS_PER_DAY:
        # A test goes to any number, with no consent: keep it a test, not a side channel.
        raise TooMany(f"at most {TESTS_PER_DAY} test sends a day per organization")
    try:
        phone = parse_address(body.phone, ctx.settings.default_region).phone
    except AddressError as exc:
        raise Invalid(f"phone: {exc}") from None
    if body.language is not None:
        check_languages("language", [body.language], ctx.catalogs)
    contact_id = contact_for_phone(conn, phone, body.language, now)
    audience: dict[str, Any] = {"contact_id": contact_id}
    if body.language:
        audience["language"] = body.language
    test_id = create_send(
        conn,
        {
            "kind": "test",
            "organization_id": blast.organization_id,
            "parent_id": blast.id,
            "name": f"Test of {blast.name}"[:200],
            "send_at": now,
            "expires_at": now + TEST_EXPIRY,
            "texts": blast.texts,
            "message_key": blast.message_key,
            "templates": blast.templates,
            "audience": audience,
        },
        now,
    )
    return TestCreated(
        id=test_id,
        blast_id=blast.id,
        to=mask(phone),
        language=body.language,
        status="scheduled",
        send_at=now,
    )


def steer(conn: Connection, principal: Principal, blast_id: int, action: str) -> BlastOut:
    """Pause, resume or cancel a blast; Conflict when its state does not allow it."""
    find_blast(conn, principal, blast_id, lock=True)
    try:
        set_state(conn, blast_id, action, utcnow())
    except SendError as exc:
        raise Conflict(str(exc)) from None
    return blast_view(conn, find_blast(conn, principal, blast_id))


# --- routes -----------------------------------------------------------------------------------


@router.post("", response_model=BlastOut, status_code=201, summary="Schedule a blast")
def create_blast(
    body: BlastIn, principal: PrincipalDep, session: SessionDep, ctx: ContextDep
) -> BlastOut:
    """Schedule a blast from the caller's organization (sent at `send_at`, or now)."""
    conn, now = session.connection(), utcnow()
    values = check_blast(conn, principal, body, ctx, now)
    blast_id = create_send(conn, values, now)
    return blast_view(conn, find_blast(conn, principal, blast_id))


@router.get("", response_model=list[BlastOut], summary="Blasts, newest first")
def blasts(
    principal: PrincipalDep,
    session: SessionDep,
    status: Annotated[Status | None, Query(description="only blasts in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[BlastOut]:
    """The caller's organization's blasts (a coalition admin: every organization's)."""
    return list_blasts(session.connection(), principal, status=status, limit=limit)


@router.post("/preview", response_model=PreviewOut, summary="Preview a blast, storing nothing")
def preview_new(
    body: BlastIn, principal: PrincipalDep, session: SessionDep, ctx: ContextDep
) -> PreviewOut:
    """What a blast with this body would do: recipients, segments and cost per language."""
    conn = session.connection()
    values = check_blast(conn, principal, body, ctx, utcnow())
    return preview(conn, unsaved(values), Audience.from_json(values["audience"]), ctx)


@router.get("/{blast_id}", response_model=BlastOut)
def blast(blast_id: int, principal: PrincipalDep, session: SessionDep) -> BlastOut:
    """A blast: its state, its counts so far, and its test sends."""
    conn = session.connection()
    return blast_view(conn, find_blast(conn, principal, blast_id))


@router.get("/{blast_id}/preview", response_model=PreviewOut)
def preview_blast(
    blast_id: int, principal: PrincipalDep, session: SessionDep, ctx: ContextDep
) -> PreviewOut:
    """What a blast would do if it started now."""
    conn = session.connection()
    row = find_blast(conn, principal, blast_id)
    return preview(conn, row, Audience.from_json(row.audience), ctx)


@router.post("/{blast_id}/test", response_model=TestCreated, status_code=202)
def test_blast(
    blast_id: int, body: TestIn, principal: PrincipalDep, session: SessionDep, ctx: ContextDep
) -> TestCreated:
    """Send the blast now to one number, in its language or the one given; its outcome
    appears under `tests` of the blast."""
    return create_test(session.connection(), principal, blast_id, body, ctx, utcnow())


@router.post("/{blast_id}/pause", response_model=BlastOut)
def pause_blast(blast_id: int, principal: PrincipalDep, session: SessionDep) -> BlastOut:
    """Stop handing its messages out (a scheduled or sending blast); 409 otherwise."""
    return steer(session.connection(), principal, blast_id, "pause")


@router.post("/{blast_id}/resume", response_model=BlastOut)
def resume_blast(blast_id: int, principal: PrincipalDep, session: SessionDep) -> BlastOut:
    """Carry on with a paused blast; 409 otherwise."""
    return steer(session.connection(), principal, blast_id, "resume")


@router.post("/{blast_id}/cancel", response_model=BlastOut)
def cancel_blast(blast_id: int, principal: PrincipalDep, session: SessionDep) -> BlastOut:
    """Cancel a blast: its messages not yet handed to Twilio are skipped; 409 when it is
    done or cancelled already."""
    return steer(session.connection(), principal, blast_id, "cancel")
