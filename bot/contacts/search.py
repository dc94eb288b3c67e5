"""Finding contacts on an organization's list: by name or the last digits of a phone, by
language, ZIP, tag and consent state, a page at a time or as a whole CSV export; and one
contact as the list has them (memberships, consent history).

A partner sees its own memberships only, and of the consent log its own events and the
voter's own (STOP, START): another organization's list and consent stay invisible, exactly
as in `bot.contacts.directory`. A coalition admin sees every list, or one they choose.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, and_, func, or_, select

from bot.access import Caller
from bot.contacts.imports.normalize import ValueProblem, tags
from bot.errors import Invalid, NotFound
from bot.tables import CONSENT, CONTACTS, MEMBERSHIPS, ORGANIZATIONS

CONSENT_STATES = ("subscribed", "opted_out", "reminders")
PER_PAGE = 50
CHUNK = 1000
EXPORT_COLUMNS = (
    "organization",
    "phone",
    "first_name",
    "last_name",
    "zip",
    "email",
    "external_id",
    "language",
    "tags",
    "opted_in_at",
    "consent_source",
    "opted_out",
    "reminders",
    "created_at",
    "updated_at",
)


@dataclass(frozen=True)
class Filters:
    """What an organizer searches for; empty strings are no filter."""

    q: str = ""
    language: str = ""
    zip: str = ""
    tag: str = ""
    consent: str = ""
    organization_id: int | None = None  # an admin's choice; partners: always their own

    def described(self) -> dict[str, Any]:
        """The filters for the audit log: never the searched text (it may be a phone's
        digits), only whether there was one."""
        return {
            "search": bool(self.q),
            "language": self.language or None,
            "zip": self.zip or None,
            "tag": self.tag or None,
            "consent": self.consent or None,
            "organization_id": self.organization_id,
        }


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def scope(caller: Caller, organization_id: int | None) -> int | None:
    """The organization whose list is read (None: every one, for an admin naming none)."""
    if caller.is_admin:
        return organization_id
    if organization_id not in (None, caller.organization_id):
        raise NotFound()
    return caller.organization_id


def _language() -> Any:
    return func.coalesce(CONTACTS.c.language, MEMBERSHIPS.c.language)


def _query(caller: Caller, filters: Filters) -> Select[Any]:
    m, c, o = MEMBERSHIPS.c, CONTACTS.c, ORGANIZATIONS.c
    query = (
        select(
            m.id,
            m.contact_id,
            o.id.label("organization_id"),
            o.slug.label("organization"),
            o.name.label("organization_name"),
            c.phone,
            m.first_name,
            m.last_name,
            m.zip,
            m.email,
            m.external_id,
            _language().label("language"),
            m.tags,
            m.opted_in_at,
            m.consent_source,
            c.opted_out,
            c.reminders,
            m.created_at,
            m.updated_at,
        )
        .join(CONTACTS, c.id == m.contact_id)
        .join(ORGANIZATIONS, o.id == m.organization_id)
    )
    wanted = scope(caller, filters.organization_id)
    if wanted is not None:
        query = query.where(m.organization_id == wanted)
    text = " ".join(filters.q.split())[:100]
    # Digits in any script ("٤٥٦٧" typed on an Arabic keyboard) as the ASCII ones phones use.
    digits = "".join(str(unicodedata.digit(ch)) for ch in text if ch.isdigit())
    if text and digits and len(digits) >= 2 and not any(ch.isalpha() for ch in text):
        query = query.where(c.phone.like(f"%{digits}"))
    elif text:
        for word in text.lower().split():
            pattern = _like(word)
            query = query.where(
                or_(
                    func.lower(m.first_name).like(pattern, escape="\\"),
                    func.lower(m.last_name).like(pattern, escape="\\"),
                )
            )
    if filters.language:
        query = query.where(_language() == filters.language)
    if filters.zip:
        query = query.where(m.zip.like(_like(filters.zip.strip())[1:], escape="\\"))
    if filters.tag:
        try:
            folded = tags(filters.tag)
        except ValueProblem as exc:
            raise Invalid(f"tag: {exc}", where="tag") from None
        for one in folded.strip("|").split("|"):
            if one:
                query = query.where(m.tags.like(_like(f"|{one}|"), escape="\\"))
    if filters.consent == "opted_out":
        query = query.where(c.opted_out.is_(True))
    elif filters.consent == "subscribed":
        query = query.where(c.opted_out.is_(False))
    elif filters.consent == "reminders":
        query = query.where(and_(c.opted_out.is_(False), c.reminders.is_(True)))
    elif filters.consent:
        raise Invalid("consent: choose subscribed, opted out or reminders", where="consent")
    return query


def tag_list(stored: str | None) -> list[str]:
    """A membership's tags as stored (`|a|b|`) as a list."""
    return [t for t in (stored or "").split("|") if t]


def _aware(when: datetime | None) -> datetime | None:
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def find(
    conn: Connection, *, caller: Caller, filters: Filters, page: int = 1, per_page: int = PER_PAGE
) -> tuple[list[dict[str, Any]], int]:
    """One page of the memberships that match (newest first), and how many match."""
    query = _query(caller, filters)
    total = int(conn.execute(select(func.count()).select_from(query.subquery())).scalar_one())
    found = conn.execute(
        query.order_by(MEMBERSHIPS.c.id.desc()).limit(per_page).offset((page - 1) * per_page)
    )
    return [_row(r) for r in found], total


def _row(r: Any) -> dict[str, Any]:
    row = dict(r._mapping)
    row["tag_list"] = tag_list(row["tags"])
    row["opted_out"], row["reminders"] = bool(row["opted_out"]), bool(row["reminders"])
    for name in ("opted_in_at", "created_at", "updated_at"):
        row[name] = _aware(row[name])
    return row


def export_rows(engine: Engine, caller: Caller, filters: Filters) -> Iterator[tuple[Any, ...]]:
    """Every matching membership as a row of EXPORT_COLUMNS (tags separated by `;`, as the
    importer reads them back), a short transaction per chunk (for streaming)."""
    after = 0
    while True:
        with engine.connect() as conn:
            query = _query(caller, filters).where(MEMBERSHIPS.c.id > after)
            found = [_row(r) for r in conn.execute(query.order_by(MEMBERSHIPS.c.id).limit(CHUNK))]
        for row in found:
            row["tags"] = ";".join(row["tag_list"])
            yield tuple(row[name] for name in EXPORT_COLUMNS)
        if len(found) < CHUNK:
            return
        after = found[-1]["id"]


def contact(conn: Connection, *, caller: Caller, contact_id: int) -> dict[str, Any]:
    """A contact as the caller's lists have them: the voter's own state, the memberships the
    caller may see, the consent history; NotFound when none of the caller's lists has them."""
    c, m, o, e = CONTACTS.c, MEMBERSHIPS.c, ORGANIZATIONS.c, CONSENT.c
    row = conn.execute(select(CONTACTS).where(c.id == contact_id)).first()
    if row is None:
        raise NotFound()
    memberships = _query(caller, Filters()).where(m.contact_id == contact_id)
    lists = [_row(r) for r in conn.execute(memberships.order_by(o.name))]
    if not lists and not caller.is_admin:
        raise NotFound()
    visible = [r["organization_id"] for r in lists]
    events = select(e.id, e.kind, e.channel, e.source, e.text, e.created_at, o.name.label("org"))
    events = events.outerjoin(ORGANIZATIONS, o.id == e.organization_id).where(
        e.contact_id == contact_id
    )
    if not caller.is_admin:
        events = events.where(or_(e.organization_id.is_(None), e.organization_id.in_(visible)))
    history = [
        {**dict(r._mapping), "created_at": _aware(r.created_at)}
        for r in conn.execute(events.order_by(e.created_at.desc(), e.id.desc()).limit(200))
    ]
    return {
        "id": int(row.id),
        "phone": row.phone,
        "language": row.language,
        "opted_out": bool(row.opted_out),
        "opted_out_at": _aware(row.opted_out_at),
        "reminders": bool(row.reminders),
        "memberships": lists,
        "consent": history,
    }
