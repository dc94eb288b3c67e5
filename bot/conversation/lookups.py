"""The host's answers to the flows' lookups: polling places and registration checks.

The engine stops at a `lookup` node with the message and what the flow saved; `answer` queries
the voter-tools tables (inside the same transaction: indexed reads, no network) and returns
the outcome the flow routes on, with the reply's variables rendered in the contact's language.
Nothing from the voter roll but a status word ever reaches a reply.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from sqlalchemy import Connection, update

from bot.conversation import handoffs
from bot.runtime import Runtime
from bot.sending.render import babel_locale
from bot.tables import CONTACTS
from bot.voter.answers import NextSteps, PlaceAnswer, PlacesAnswer
from bot.voter.elections import upcoming_election
from bot.voter.places.finder import find_polling_places
from bot.voter.roll.checker import active_roll, check_registration
from bot.voter.roll.dob import parse_dob
from flows.engine import Effect, LookupResult
from messages.segments import count_segments

FOUND_BUDGET = 3  # segments for the polling-place answer (issue 4)
_ZIP = re.compile(r"(?<!\d)(\d{5})(?:-\d{4})?(?!\d)")


def answer(
    rt: Runtime,
    conn: Connection,
    request: Effect,
    *,
    contact_id: int,
    language: str,
    now: datetime,
) -> LookupResult:
    """Answer one lookup the engine asked for."""
    data: dict[str, Any] = dict(request.data or {})
    today = now.astimezone(ZoneInfo(rt.settings.timezone)).date()
    if request.value == "polling_place":
        text = str(data.get("address") or data.get("text") or "")
        found = find_polling_places(conn, text_or_query=text, today=today, language=language)
        remember_polling_place(conn, contact_id, found)
        return _places(rt, found, language)
    if request.value == "registration":
        return _registration(rt, conn, data, contact_id=contact_id, language=language, today=today)
    if request.value == "staffing":
        return _staffing(rt, conn, contact_id=contact_id, language=language, now=now)
    raise ValueError(f"no answer for lookup {request.value!r}")


def remember_polling_place(conn: Connection, contact_id: int, found: PlacesAnswer) -> None:
    """When the voter's own address was matched to its precinct's polling place, keep which
    place it is (its feed's id, not the address), so that election reminders can name it."""
    first = found.places[0] if found.places else None
    if found.outcome != "found" or not found.precinct or first is None or not first.ref:
        return
    if not first.is_polling_place or not found.source_name:
        return
    ref = f"{found.source_name}|{first.ref}"[:300]
    conn.execute(update(CONTACTS).where(CONTACTS.c.id == contact_id).values(polling_place_ref=ref))


def _places(rt: Runtime, found: PlacesAnswer, language: str) -> LookupResult:
    if found.outcome == "not_found":
        office = found.office
        parts = [office.name, office.phone or office.url] if office else []
        contact = ", ".join(p for p in parts if p) or rt.settings.polling_place_url
        return LookupResult("polling_place", "not_found", {"office": contact})
    if found.outcome == "ambiguous" and "city" in found.given:
        return LookupResult("polling_place", "ambiguous_zip")  # ask for the ZIP alone
    if found.outcome not in ("found", "candidates"):
        return LookupResult("polling_place", found.outcome)
    updated = found.updated.isoformat() if found.updated else "-"
    source = rt.render(
        "polling.source", language, {"date": updated, "source": found.source_name or "-"}
    )
    places = _fit(rt, found, source, language)
    return LookupResult("polling_place", found.outcome, {"places": places, "source": source})


def _fit(rt: Runtime, found: PlacesAnswer, source: str, language: str) -> str:
    """Places that fit the answer's segment budget: at least two to choose from when there
    are two, then as much about each (hours before marks and links), then a third."""
    key = f"polling.{found.outcome}"  # polling.found, or polling.candidates for a tie
    options: list[tuple[int, int, int, list[str]]] = []
    for rank, detail in enumerate(("bare", "hours", "full")):
        lines: list[str] = []
        for place in found.places:
            candidate = [*lines, _place_line(rt, place, language, detail)]
            params = {"places": "\n".join(candidate), "source": source}
            if count_segments(rt.render(key, language, params)).segments > FOUND_BUDGET:
                break
            lines = candidate
        options.append((min(len(lines), 2), rank, len(lines), lines))
    best = max(options)[3]
    return "\n".join(best) or _place_line(rt, found.places[0], language, "bare")


def _place_line(rt: Runtime, place: PlaceAnswer, language: str, detail: str) -> str:
    details: list[str] = []
    if place.hours is not None and detail != "bare":
        hours = place.hours
        times = {"opens": _clock(hours.opens), "closes": _clock(hours.closes)}
        if hours.is_today:
            details.append(rt.render("polling.hours_today", language, times))
        else:
            day = f"{hours.day.month}/{hours.day.day}" if hours.day else ""
            details.append(
                rt.render("polling.hours_election_day", language, {**times, "date": day})
            )
    if detail == "full":
        flags = [
            ("polling.flag_drop_box", place.is_drop_box),
            ("polling.flag_early_voting", place.is_early_voting),
            ("polling.flag_language", bool(place.speaks_language) and language != "en"),
        ]
        details += [rt.render(key, language) for key, shown in flags if shown]
        if place.miles is not None:
            details.append(
                rt.render("polling.flag_distance", language, {"miles": f"{place.miles:.1f}"})
            )
    params = {
        "name": place.name,
        "address": place.address,
        "details": " ".join(details),
        "map": place.maps_url if detail != "bare" else "",
    }
    return " ".join(rt.render("polling.place", language, params).split())


def _clock(value: time) -> str:
    return f"{value.hour}:{value.minute:02d}"


def _registration(
    rt: Runtime,
    conn: Connection,
    data: dict[str, Any],
    *,
    contact_id: int,
    language: str,
    today: date,
) -> LookupResult:
    """What the registration check still needs, or its answer."""
    if active_roll(conn) is None:  # the official lookup, with the election's deadlines
        steps = NextSteps.of(upcoming_election(conn, today=today), language)
        return LookupResult("registration", "no_roll", _steps_params(rt, steps, language, today))
    name, dob, zip_text = (str(data.get(k) or "").strip() for k in ("name", "dob", "zip"))
    if not name:
        return LookupResult("registration", "need_name")
    if not dob:
        return LookupResult("registration", "need_dob")
    if parse_dob(dob, language, today=today) is None:
        return LookupResult("registration", "bad_date")
    zip_found = _ZIP.search(zip_text)
    if zip_found is None:
        return LookupResult("registration", "need_zip")
    first, last = split_name(name)
    result = check_registration(
        conn,
        contact_id=contact_id,
        first=first,
        last=last,
        dob_text=dob,
        zip=zip_found.group(1),
        language=language,
        today=today,
    )
    params = _steps_params(rt, result.next_steps, language, today)
    return LookupResult("registration", result.outcome, params)


def _steps_params(rt: Runtime, steps: NextSteps, language: str, today: date) -> dict[str, str]:
    return {
        "registration_url": steps.lookup_url or rt.settings.registration_url,
        "next_step": _next_step(rt, steps, language, today),
    }


def split_name(name: str) -> tuple[str, str]:
    """(first, last) from what a texter wrote: "Last, First" or "First ... Last"; the roll
    match also tries them the other way round."""
    if "," in name:
        last, first = (part.strip() for part in name.split(",", 1))
        return first, last
    words = name.split()
    return (words[0], " ".join(words[1:])) if len(words) > 1 else (name, "")


def _next_step(rt: Runtime, steps: NextSteps, language: str, today: date) -> str:
    deadline = steps.registration_deadline
    if deadline is not None and today <= deadline:
        when = f"{deadline.month}/{deadline.day}/{deadline.year}"
        return rt.render("registration.deadline", language, {"deadline": when})
    if steps.same_day_registration:
        where = steps.same_day_where or rt.settings.registration_url
        return rt.render("registration.same_day", language, {"where": where})
    return ""


def _staffing(
    rt: Runtime, conn: Connection, *, contact_id: int, language: str, now: datetime
) -> LookupResult:
    """Whether someone is at work for the voter's organizations now; if not, when (a day and
    a time as the voter's language writes them, in that organization's zone)."""
    found = handoffs.staffing(
        conn, contact_id=contact_id, default_zone=rt.settings.timezone, now=now
    )
    if found.now or found.opens_at is None:
        return LookupResult("staffing", "now")
    locale = babel_locale(language)
    day = format_date(found.opens_at, "EEEE", locale=locale)
    when = f"{day} {format_time(found.opens_at, 'short', tzinfo=found.zone, locale=locale)}"
    return LookupResult("staffing", "later", {"when": when})
