"""What needs a person, for the dashboard: messages in review after a crash, imports that
failed or rejected rows, a Twilio configuration problem, catalogs over their SMS budget.

Each warning is a plain value with a kind (for the template's wording), a count, and where to
go; none carries a voter's phone or text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, or_, select

from bot.reports.scoping import Scope, sends_clause
from bot.settings import Settings
from bot.statuses import ImportStatus, OutboxStatus
from bot.tables import IMPORTS, OUTBOUND, OUTBOX, SENDS

RECENT = dt.timedelta(days=7)
# Twilio's errors that mean Turnout's configuration is wrong, not the recipient.
CONFIG_ERRORS: Mapping[int, str] = {
    20003: "authentication failed: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN",
    20404: "the account or the sender was not found",
    21212: "the From number is not valid",
    21606: "the From number cannot send messages to this destination",
    21608: "a trial account can only send to verified numbers",
    21659: "the From number is not a Twilio number of this account",
    63007: "the WhatsApp sender was not found for this account",
}


@dataclass(frozen=True)
class Warning:
    """One thing a person should look at."""

    kind: str  # review, import, twilio_settings, twilio_error, budget
    count: int
    link: str | None = None
    subject: str = ""  # a send's or an import's name, a setting, an error code
    detail: str = ""
    items: tuple[str, ...] = field(default=())


def review(conn: Connection, scope: Scope) -> list[Warning]:
    """Sends with messages in review (sent or not: Twilio could not say after a crash)."""
    x, s = OUTBOX.c, SENDS.c
    rows = conn.execute(
        select(s.id, s.name, s.kind, func.count())
        .join(SENDS, s.id == x.send_id)
        .where(x.status == OutboxStatus.REVIEW, sends_clause(scope, x.contact_id))
        .group_by(s.id, s.name, s.kind)
        .order_by(s.id)
    )
    return [
        Warning(
            "review",
            int(n),
            f"/console/blasts/{sid}" if kind == "blast" else None,
            subject=str(name),
        )
        for sid, name, kind, n in rows
    ]


def imports(conn: Connection, scope: Scope, now: dt.datetime) -> list[Warning]:
    """Imports of the last week that failed or rejected rows (dry runs left out)."""
    i = IMPORTS.c
    query = select(i.id, i.filename, i.status, i.rejected, i.error).where(
        i.dry_run.is_(False),
        i.updated_at >= now - RECENT,
        or_(i.status == ImportStatus.FAILED, i.rejected > 0),
    )
    if not scope.coalition:
        query = query.where(i.organization_id == scope.organization_id)
    return [
        Warning(
            "import_failed" if status == ImportStatus.FAILED else "import_rejected",
            int(rejected or 0),
            f"/console/imports/{iid}",
            subject=str(filename),
            detail=str(error or "")[:200],
        )
        for iid, filename, status, rejected, error in conn.execute(query.order_by(i.id.desc()))
    ]


def missing_settings(settings: Settings) -> list[str]:
    """The Twilio settings Turnout cannot send without."""
    missing = [
        name
        for name, value in (
            ("TWILIO_ACCOUNT_SID", settings.twilio_account_sid),
            ("TWILIO_AUTH_TOKEN", settings.twilio_auth_token),
        )
        if not value
    ]
    if not settings.twilio_sms_from and not settings.twilio_messaging_service_sid:
        missing.append("TWILIO_SMS_FROM or TWILIO_MESSAGING_SERVICE_SID")
    return missing


def twilio(conn: Connection, settings: Settings, now: dt.datetime) -> list[Warning]:
    """Missing Twilio settings, and configuration errors Twilio answered this week."""
    found = []
    missing = missing_settings(settings)
    if missing:
        found.append(Warning("twilio_settings", len(missing), items=tuple(missing)))
    codes = list(CONFIG_ERRORS)
    counts: dict[int, int] = {}
    for table in (OUTBOX, OUTBOUND):
        rows = conn.execute(
            select(table.c.error_code, func.count())
            .where(table.c.error_code.in_(codes), table.c.updated_at >= now - RECENT)
            .group_by(table.c.error_code)
        )
        for code, n in rows:
            counts[int(code)] = counts.get(int(code), 0) + int(n)
    for code in sorted(counts):
        found.append(
            Warning("twilio_error", counts[code], subject=str(code), detail=CONFIG_ERRORS[code])
        )
    return found


def budgets(over: Iterable[tuple[str, str, int, int]]) -> list[Warning]:
    """Catalog messages that take more SMS segments than their budget with these settings
    (from `Catalogs.over_budget`)."""
    items = tuple(
        f"{code}:{key} ({segments}/{limit})" for code, key, segments, limit in sorted(over)
    )
    return (
        [Warning("budget", len(items), "/console/translations", items=items[:10])] if items else []
    )


def warnings(
    conn: Connection,
    *,
    scope: Scope,
    settings: Settings,
    over_budget: Iterable[tuple[str, str, int, int]],
    admin: bool,
    now: dt.datetime,
) -> list[Warning]:
    """Everything on the dashboard that needs a person. Twilio's problems are everyone's
    (sends stop); the catalogs' budgets, the operator's settings, an admin's."""
    found = review(conn, scope) + imports(conn, scope, now) + twilio(conn, settings, now)
    if admin:
        found += budgets(over_budget)
    return found


def as_dict(warning: Warning) -> dict[str, Any]:
    """A warning as plain values."""
    return {
        "kind": warning.kind,
        "count": warning.count,
        "link": warning.link,
        "subject": warning.subject,
        "detail": warning.detail,
        "items": list(warning.items),
    }
