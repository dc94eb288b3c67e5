"""The rules a message obeys at the moment it is sent: quiet hours in the recipient's own time
zone, the WhatsApp 24-hour window, and which channel carries it. Pure functions of their
arguments (and of two offline tables: ZIP codes and phone-number prefixes)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import phonenumbers
import zipcodes
from phonenumbers import timezone as phone_timezones

from bot.clock import zone
from bot.statuses import SendKind, SendStatus, SkipReason

# WhatsApp lets a business send free text within 24 hours of the user's last message; we stop
# five minutes short so that a message claimed just inside the window is not sent just after.
WHATSAPP_WINDOW = timedelta(hours=24)
WINDOW_MARGIN = timedelta(minutes=5)


@lru_cache(maxsize=65536)
def zone_for_zip(zip_code: str | None) -> ZoneInfo | None:
    """The time zone of a US ZIP code (offline table), if known."""
    if not zip_code:
        return None
    five = zip_code.strip()[:5]
    if len(five) != 5 or not five.isdigit():
        return None
    try:
        found = zipcodes.matching(five)  # type: ignore[no-untyped-call]
    except (TypeError, ValueError):
        return None
    return zone(found[0].get("timezone")) if found else None


@lru_cache(maxsize=65536)
def _zones_for_prefix(number: str) -> tuple[str, ...]:
    try:
        parsed = phonenumbers.parse(number)
    except phonenumbers.NumberParseException:
        return ()
    zones = phone_timezones.time_zones_for_number(parsed)
    return tuple(z for z in zones if z != phone_timezones.UNKNOWN_TIMEZONE)


def zone_for_phone(phone: str | None, now: datetime) -> ZoneInfo | None:
    """The time zone a phone number belongs to, when its prefix tells one: a single zone, or
    several that keep the same time now (the UK's Crown dependencies); else None (a US area
    code that spans two zones, a mobile prefix of a country with several)."""
    if not phone:
        return None
    # Zones are per prefix: a number's first digits decide, so cache on a short prefix too.
    names = _zones_for_prefix(phone)
    zones = [z for z in (zone(name) for name in names) if z is not None]
    if not zones:
        return None
    offsets = {now.astimezone(z).utcoffset() for z in zones}
    return zones[0] if len(offsets) == 1 else None


def contact_zone(
    *,
    contact_zone_name: str | None,
    zip_code: str | None,
    phone: str | None,
    election_zone_name: str | None,
    default_zone_name: str,
    now: datetime,
) -> ZoneInfo:
    """The recipient's time zone: their own, else their ZIP's, else their phone number's, else
    the election's, else the coalition's default."""
    return (
        zone(contact_zone_name)
        or zone_for_zip(zip_code)
        or zone_for_phone(phone, now)
        or zone(election_zone_name)
        or zone(default_zone_name)
        or ZoneInfo("UTC")
    )


def _inside(local: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # a window across midnight, e.g. 22:00-06:00


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """`day` at `at` on the local clock of `tz`, as an aware datetime. A time that does not
    exist that day (the hour skipped when clocks spring forward) moves to the same number of
    minutes after the gap, as clocks show it."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=tz)
    round_trip = aware.astimezone(ZoneInfo("UTC")).astimezone(tz)
    if round_trip.replace(tzinfo=None) != naive:  # in the gap
        return round_trip
    return aware


def next_allowed(now: datetime, tz: ZoneInfo, start: time, end: time) -> datetime | None:
    """None when `now` is inside the allowed hours in `tz`; else the first minute they allow,
    as an aware UTC time. Quiet hours defer a message; they never drop it."""
    local = now.astimezone(tz)
    if _inside(local.time().replace(tzinfo=None), start, end):
        return None
    # The next time the clock shows `start`: today's (its second pass too, fold=1, when
    # clocks fall back), else tomorrow's; never a time in the past.
    for days in (0, 1, 2):
        first = local_instant(local.date() + timedelta(days=days), start, tz)
        for opening in (first, first.replace(fold=1)):
            if opening > now:
                return opening.astimezone(ZoneInfo("UTC"))
    raise AssertionError("unreachable: an opening comes within two days")


def whatsapp_window_open(last_inbound: datetime | None, now: datetime) -> bool:
    """Whether free text may go on WhatsApp: the contact wrote to us within the last 24 hours
    (less a small margin)."""
    return last_inbound is not None and now - last_inbound < WHATSAPP_WINDOW - WINDOW_MARGIN


@dataclass(frozen=True)
class Route:
    """How one message goes: a channel and a WhatsApp template, or why it cannot go."""

    channel: str | None
    content_sid: str | None = None
    skip: str | None = None  # whatsapp_window, no_channel


def route(
    *,
    sms_last_inbound: datetime | None,
    whatsapp_last_inbound: datetime | None,
    has_sms_consent: bool,
    template: str | None,
    available: frozenset[str],
    now: datetime,
    sms_only: bool = False,
) -> Route:
    """Pick the channel for one message.

    The contact's channel is the one they last wrote on; a contact on a partner's list who
    never wrote is an SMS contact. On WhatsApp, free text within the 24-hour window; outside
    it the approved template; without one, SMS when the contact has an SMS channel; else the
    message is skipped. Free text never goes on WhatsApp outside the window.
    """
    has_sms = has_sms_consent or sms_last_inbound is not None
    prefers_whatsapp = whatsapp_last_inbound is not None and (
        sms_last_inbound is None or whatsapp_last_inbound > sms_last_inbound
    )
    sms_ok = has_sms and "sms" in available
    if sms_only:  # WhatsApp refused the message (63016): SMS or nothing
        return Route("sms") if sms_ok else Route(None, skip="whatsapp_window")
    if prefers_whatsapp and "whatsapp" in available:
        if whatsapp_window_open(whatsapp_last_inbound, now):
            return Route("whatsapp")
        if template:
            return Route("whatsapp", content_sid=template)
        return Route("sms") if sms_ok else Route(None, skip="whatsapp_window")
    return Route("sms") if sms_ok else Route(None, skip="no_channel")


@dataclass(frozen=True)
class Candidate:
    """One claimed outbox row, as the rules see it: its send, its recipient, what they got."""

    kind: SendKind
    send_status: str
    expires_at: datetime | None
    opted_out: bool
    zone: ZoneInfo  # the recipient's (see `contact_zone`)
    blasts_today: int  # blasts that reached the recipient in the last 24 hours
    listed: bool  # on a partner's list: consent to SMS
    sms_last_inbound: datetime | None
    whatsapp_last_inbound: datetime | None
    template: str | None  # the send's WhatsApp template for the recipient's language
    sms_only: bool = False  # WhatsApp refused it (63016): SMS or nothing


@dataclass(frozen=True)
class Send:
    """Send now, on this channel, with this text or template."""

    channel: str
    body: str | None
    content_sid: str | None = None


@dataclass(frozen=True)
class Defer:
    """Not now: quiet hours in the recipient's zone; due again at `until` (UTC)."""

    until: datetime


@dataclass(frozen=True)
class Skip:
    """Never: the reason is recorded on the row."""

    reason: SkipReason


Decision = Send | Defer | Skip
RECENT = timedelta(hours=1)  # a person's reply to a voter who wrote this recently: any hour


def _answering(row: Candidate, now: datetime) -> bool:
    """A person's reply to a voter who has just written: quiet hours do not hold it back."""
    if row.kind != SendKind.REPLY:
        return False
    last = max((t for t in (row.sms_last_inbound, row.whatsapp_last_inbound) if t), default=None)
    return last is not None and now - last < RECENT


def decide(
    row: Candidate,
    *,
    now: datetime,
    allowed: tuple[time, time],
    blasts_per_day: int,
    available: frozenset[str],
    text: Callable[[], str | None],
) -> Decision:
    """The sending rules, in their order: cancelled, opted out, expired, quiet hours (not for
    tests, nor for a person's reply to a voter who wrote within the hour; a deferral past the
    expiry is an expiry), the frequency cap (blasts only), the channel, then the text (`text`
    is called only when everything else allows the message)."""
    if row.send_status == SendStatus.CANCELLED:
        return Skip(SkipReason.CANCELLED)
    if row.opted_out:
        return Skip(SkipReason.OPTED_OUT)
    if row.expires_at is not None and now >= row.expires_at:
        return Skip(SkipReason.EXPIRED)
    if row.kind != SendKind.TEST and not _answering(row, now):
        opening = next_allowed(now, row.zone, *allowed)
        if opening is not None:
            if row.expires_at is not None and opening >= row.expires_at:
                return Skip(SkipReason.EXPIRED)
            return Defer(opening)
    if row.kind == SendKind.BLAST and row.blasts_today >= blasts_per_day:
        return Skip(SkipReason.FREQUENCY_CAP)
    way = route(
        sms_last_inbound=row.sms_last_inbound,
        whatsapp_last_inbound=row.whatsapp_last_inbound,
        has_sms_consent=row.listed or row.kind == SendKind.TEST,
        template=row.template,
        available=available,
        now=now,
        sms_only=row.sms_only,
    )
    if way.channel is None:
        return Skip(SkipReason(way.skip or SkipReason.NO_CHANNEL))
    if way.content_sid:
        return Send(way.channel, None, way.content_sid)
    body = text()
    if body is None:
        return Skip(SkipReason.NO_TEXT)
    return Send(way.channel, body)
