"""The sending rules' order, table-driven (`bot.sending.rules.decide`): each row breaks one or
more rules, and the first rule in the order decides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sending.rules import Candidate, Defer, Send, Skip, decide
from bot.statuses import SendKind, SkipReason

LA = ZoneInfo("America/Los_Angeles")
NOON = dt.datetime(2026, 11, 2, 20, tzinfo=dt.UTC)  # 12:00 in Los Angeles
NIGHT = dt.datetime(2026, 11, 3, 7, tzinfo=dt.UTC)  # 23:00 in Los Angeles
MORNING = dt.datetime(2026, 11, 3, 16, tzinfo=dt.UTC)  # 08:00 the next day, when hours open
HOURS = (dt.time(8), dt.time(21))
BASE = Candidate(
    kind=SendKind.BLAST,
    send_status="sending",
    expires_at=None,
    opted_out=False,
    zone=LA,
    blasts_today=0,
    listed=True,
    sms_last_inbound=None,
    whatsapp_last_inbound=None,
    template=None,
)


@dataclass
class Case:
    label: str
    changes: dict[str, Any]
    expected: Any
    now: dt.datetime = NOON
    available: frozenset[str] = frozenset({"sms", "whatsapp"})
    text: str | None = "Vote!"
    calls: list[int] = field(default_factory=list)


CASES = [
    Case("everything allows it", {}, Send("sms", "Vote!")),
    Case(
        "cancelled beats everything",
        {"send_status": "cancelled", "opted_out": True},
        Skip(SkipReason.CANCELLED),
        now=NIGHT,
    ),
    Case(
        "opted out beats expiry",
        {"opted_out": True, "expires_at": NOON},
        Skip(SkipReason.OPTED_OUT),
    ),
    Case("expired beats quiet hours", {"expires_at": NIGHT}, Skip(SkipReason.EXPIRED), now=NIGHT),
    Case("quiet hours defer to the opening", {}, Defer(MORNING), now=NIGHT),
    Case(
        "a deferral past the expiry is an expiry",
        {"expires_at": NIGHT + dt.timedelta(hours=2)},
        Skip(SkipReason.EXPIRED),
        now=NIGHT,
    ),
    Case("quiet hours beat the cap", {"blasts_today": 5}, Defer(MORNING), now=NIGHT),
    Case(
        "tests ignore quiet hours and the cap",
        {"kind": SendKind.TEST, "blasts_today": 5},
        Send("sms", "Vote!"),
        now=NIGHT,
    ),
    Case(
        "reminders are not capped",
        {"kind": SendKind.REMINDER, "blasts_today": 5},
        Send("sms", "Vote!"),
    ),
    Case(
        "the cap beats the channel",
        {"blasts_today": 1, "listed": False},
        Skip(SkipReason.FREQUENCY_CAP),
    ),
    Case("no channel beats no text", {"listed": False}, Skip(SkipReason.NO_CHANNEL), text=None),
    Case("no text last", {}, Skip(SkipReason.NO_TEXT), text=None),
    Case(
        "WhatsApp outside the window with a template",
        {"whatsapp_last_inbound": NOON - dt.timedelta(days=2), "template": "HX" + "0" * 32},
        Send("whatsapp", None, "HX" + "0" * 32),
        text=None,
    ),
    Case(
        "WhatsApp outside the window, no template, no SMS",
        {"whatsapp_last_inbound": NOON - dt.timedelta(days=2), "listed": False},
        Skip(SkipReason.WHATSAPP_WINDOW),
    ),
    Case(
        "WhatsApp refused it: SMS",
        {"sms_only": True, "whatsapp_last_inbound": NOON},
        Send("sms", "Vote!"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_the_first_rule_in_the_order_decides(case: Case) -> None:
    calls: list[int] = []

    def text() -> str | None:
        calls.append(1)
        return case.text

    found = decide(
        replace(BASE, **case.changes),
        now=case.now,
        allowed=HOURS,
        blasts_per_day=1,
        available=case.available,
        text=text,
    )
    assert found == case.expected
    # The text is rendered only for a message every other rule lets go as free text.
    assert bool(calls) == (
        (isinstance(found, Send) and found.body is not None) or found == Skip(SkipReason.NO_TEXT)
    )
