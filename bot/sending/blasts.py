"""The blast service: schedule a blast, find one the caller may see, list them, preview one,
send a test of one, pause, resume or cancel one. Keyword-only functions over a connection and
the caller; they raise `bot.errors` (another organization's blast is `NotFound`, exactly like a
missing one); the caller commits.

A partner organization sees and steers its own blasts only; a coalition admin, every one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, Engine, select

from bot.access import Caller
from bot.errors import Invalid, NotFound, TooMany
from bot.lift.holdouts import enroll_blast, holdout_view, preview_of
from bot.phones import AddressError, contact_number, mask
from bot.sending.drafts import (
    BlastIn,
    SendContext,
    TestIn,
    check_blast,
    check_holdout,
    check_languages,
    unsaved,
    utc,
)
from bot.sending.sends import (
    Audience,
    audience_query,
    contact_for_phone,
    counts,
    create_send,
    language_counts,
    member_for_phone,
    set_state,
    tests_since,
    wait_in_flight,
)
from bot.sending.views import (
    AudienceOut,
    BlastOut,
    Counts,
    LanguagePreview,
    PreviewOut,
    TestCreated,
    TestOut,
)
from bot.statuses import SendStatus
from bot.tables import CONTACTS, OUTBOX, SENDS
from bot.tables import ORGANIZATIONS as ORGS
from messages.segments import count_segments

STATUSES = tuple(SendStatus)
ACTIONS = ("pause", "resume", "cancel")
TEST_EXPIRY = dt.timedelta(hours=1)  # a test not sent within the hour is not worth sending
TESTS_PER_DAY = 20  # per organization: a test goes to any number, without consent
CENT = Decimal("0.01")
NOT_A_MEMBER = (
    "phone: a test goes to one of your organization's contacts; this number is not on your "
    "list (import it first, or ask a coalition admin)"
)


def find_blast(conn: Connection, *, caller: Caller, blast_id: int, lock: bool = False) -> Any:
    """A blast the caller may see and steer; NotFound otherwise (another's looks missing)."""
    query = select(SENDS).where(SENDS.c.id == blast_id, SENDS.c.kind == "blast")
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None or row.organization_id is None or not caller.can_see(row.organization_id):
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
        holdout=holdout_view(conn, row.id),
    )


def list_blasts(
    conn: Connection,
    *,
    caller: Caller,
    status: str | None = None,
    organization_id: int | None = None,
    limit: int = 100,
) -> list[BlastOut]:
    """The caller's blasts (an admin: everyone's, or one organization's), newest first."""
    s = SENDS.c
    query = select(SENDS).where(s.kind == "blast")
    if not caller.is_admin:
        query = query.where(s.organization_id == caller.organization_id)
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


def create_test(
    conn: Connection,
    *,
    caller: Caller,
    blast_id: int,
    body: TestIn,
    ctx: SendContext,
    now: dt.datetime,
) -> TestCreated:
    """A test send of a blast to one number, due now. A partner's test goes only to its own
    contacts (the answer for any other number is the same refusal, whatever that number is:
    on another list, opted out, unknown); a coalition admin's, to any number but ours."""
    caller.require_change()
    blast = find_blast(conn, caller=caller, blast_id=blast_id)
    _hold_organization(conn, blast.organization_id)  # the daily count and the insert, alone
    if tests_since(conn, blast.organization_id, now - dt.timedelta(days=1)) >= TESTS_PER_DAY:
        # Keep a test a test, not a side channel.
        raise TooMany(f"at most {TESTS_PER_DAY} test sends a day per organization")
    settings = ctx.settings
    ours = (settings.twilio_sms_from, settings.twilio_whatsapp_from)
    try:
        phone = contact_number(body.phone, settings.default_region, ours)
    except AddressError as exc:
        raise Invalid(f"phone: {exc}") from None
    if body.language is not None:
        check_languages("language", [body.language], ctx.catalogs)
    if caller.is_admin:
        contact_id = contact_for_phone(conn, phone, body.language, now)
    else:
        found = member_for_phone(conn, blast.organization_id, phone)
        if found is None:
            raise Invalid(NOT_A_MEMBER)
        contact_id = found
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


def steer(
    conn: Connection, *, caller: Caller, blast_id: int, action: str, now: dt.datetime
) -> BlastOut:
    """Pause, resume or cancel a blast; Conflict when its state does not allow it."""
    caller.require_change()
    find_blast(conn, caller=caller, blast_id=blast_id, lock=True)
    set_state(conn, blast_id, action, now)
    return blast_view(conn, find_blast(conn, caller=caller, blast_id=blast_id))


def create_blast(
    conn: Connection, *, caller: Caller, body: BlastIn, ctx: SendContext, now: dt.datetime
) -> BlastOut:
    """Schedule a blast of the caller's organization (at `send_at`, or now)."""
    caller.require_change()
    values = check_blast(conn, caller=caller, body=body, ctx=ctx, now=now)
    blast_id = create_send(conn, values, now)
    election = check_holdout(conn, share=body.holdout_share, send_at=values["send_at"])
    if election is not None:  # drawn now, fixed from now on (bot.lift.assign)
        enroll_blast(
            conn,
            send_id=blast_id,
            election_date=election,
            share=body.holdout_share,
            audience=Audience.from_json(values["audience"]),
            default_language=ctx.settings.default_language,
            now=now,
        )
    return blast_view(conn, find_blast(conn, caller=caller, blast_id=blast_id))


def preview_draft(
    conn: Connection, *, caller: Caller, body: BlastIn, ctx: SendContext, now: dt.datetime
) -> PreviewOut:
    """What a blast with this body would do, storing nothing."""
    values = check_blast(conn, caller=caller, body=body, ctx=ctx, now=now)
    found = preview(conn, unsaved(values), Audience.from_json(values["audience"]), ctx)
    election = check_holdout(conn, share=body.holdout_share, send_at=values["send_at"])
    found.holdout = preview_of(
        conn, audience=found.recipients, share=body.holdout_share, election_date=election
    )
    return found


def preview_blast(
    conn: Connection, *, caller: Caller, blast_id: int, ctx: SendContext
) -> PreviewOut:
    """What a stored blast would do if it started now."""
    row = find_blast(conn, caller=caller, blast_id=blast_id)
    return preview(conn, row, Audience.from_json(row.audience), ctx)


def show_blast(conn: Connection, *, caller: Caller, blast_id: int) -> BlastOut:
    """A blast: its state, its counts so far, and its test sends."""
    return blast_view(conn, find_blast(conn, caller=caller, blast_id=blast_id))


def settle(engine: Engine, *, blast_id: int, action: str) -> int:
    """After a pause or a cancel has committed: wait until the requests already out are
    answered, so that nothing more of the blast reaches Twilio; returns those still out."""
    if action not in ("pause", "cancel"):
        return 0
    return wait_in_flight(engine, blast_id)


def _hold_organization(conn: Connection, organization_id: int) -> None:
    """Lock the organization's row (PostgreSQL; SQLite has one writer): concurrent test sends
    of one organization count and insert one after the other, so the daily cap holds."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            select(ORGS.c.id).where(ORGS.c.id == organization_id).with_for_update()
        ).scalar()
