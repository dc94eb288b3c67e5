"""Property tests of the engine, driven with the real flows, catalogs and lexicon the way the
host drives it: one step per inbound message, lookups answered and stepped again, consent and
language effects applied to the contact between messages (`bot.conversation.service`).

For any sequence of messages (keywords of every language, menu numbers, addresses, language
names, random Unicode, empty texts, media alone) the engine never raises, never changes the
state it is given, replies only with keys the catalogs define, and returns a JSON state.
Once a texter has opted out, nothing is sent but the answers to HELP and START; START brings
the service back, and a later STOP silences it again.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import hypothesis
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.conversation.keywords import INTENTS, lexicon_from_catalogs
from flows.engine import ContactView, Effect, Event, LookupResult, Result, step
from flows.model import LOOKUPS, EffectKind, load_flows
from messages.catalog import Catalogs, is_list_key

DEPTH = int(os.environ.get("TURNOUT_PROPERTY_DEPTH", "1"))  # 10: ten times the examples
SETTINGS = settings(max_examples=300 * DEPTH, deadline=None, database=None, print_blob=True)

CATALOGS = Catalogs.load()
LEXICON = lexicon_from_catalogs(CATALOGS)
FLOWS = load_flows(CATALOGS.keys, INTENTS)
REPLY_KEYS = {key for key in CATALOGS.keys if not is_list_key(key)}
START = datetime(2026, 11, 1, 17, 0, tzinfo=UTC)
IDLE = timedelta(hours=24)
MAX_LOOKUPS = 3  # as the host: bot.conversation.service


def _words(key: str) -> list[str]:
    return sorted({w for words in CATALOGS.words(key).values() for w in words})


STOP_WORDS = _words("keywords.stop") + _words("keywords.stop_phrases")
START_WORDS = _words("keywords.start")
HELP_WORDS = _words("keywords.help")
OTHER_WORDS = [
    *_words("keywords.menu"),
    *_words("keywords.yes"),
    *_words("keywords.no"),
    *_words("language.aliases"),
    *(CATALOGS.by_language[code].name for code in CATALOGS.languages),
    *(w for intent in INTENTS for w in _words(f"intents.{intent}")),
]
MENU_NUMBERS = ["1", "2", "3", "4", "5", "6", "0", "9", "10", "２", "#3", "3.", "1️⃣", "५", "๒"]
ADDRESSES = ["123 Main St 90057", "90057", "my address is 4500 W Sunset Blvd", "Jane Doe"]
ADDRESSES += ["1990-04-01", "04/01/1990", "¿Dónde voto? 90057", "住在 123 Main St"]

texts = st.one_of(
    st.sampled_from(STOP_WORDS),
    st.sampled_from(START_WORDS),
    st.sampled_from(HELP_WORDS),
    st.sampled_from(OTHER_WORDS),
    st.sampled_from(MENU_NUMBERS),
    st.sampled_from(ADDRESSES),
    st.text(max_size=30),
    st.sampled_from(["", " ", "\n", "\u200b", "🛑", "👍🏽"]),
)
events = st.builds(
    Event,
    text=texts,
    media_count=st.sampled_from([0, 0, 0, 0, 1, 3]),
    detected_language=st.none() | st.sampled_from(CATALOGS.languages),
)
contacts = st.builds(
    ContactView,
    language=st.none() | st.sampled_from(CATALOGS.languages),
    opted_out=st.booleans(),
    reminders=st.booleans(),
)
gaps = st.sampled_from([0, 1, 5, 60, 24 * 60, 3 * 24 * 60])  # minutes between messages


def _outcomes(lookup: str) -> list[str]:
    """Every outcome a lookup's result routes name, and one none of them does."""
    named = {r.arg for n in FLOWS.nodes.values() if n.lookup == lookup for r in n.result if r.arg}
    return [*sorted(named), "no_data"]


OUTCOMES = {name: _outcomes(name) for name in LOOKUPS}


@dataclass
class Turn:
    """One inbound message as the host handles it: the result, the contact before and after."""

    event: Event
    before: ContactView
    result: Result
    after: ContactView


def _apply(contact: ContactView, effects: list[Effect]) -> ContactView:
    """What the host does to the contact for each effect (`bot.conversation.consent`)."""
    for effect in effects:
        if effect.kind is EffectKind.SET_LANGUAGE:
            contact = replace(contact, language=effect.value)
        elif effect.kind is EffectKind.OPT_OUT:
            contact = replace(contact, opted_out=True, reminders=False)
        elif effect.kind is EffectKind.OPT_IN:
            contact = replace(contact, opted_out=False)
        elif effect.kind in (EffectKind.REMINDERS_OPT_IN, EffectKind.REMINDERS_OPT_OUT):
            contact = replace(contact, reminders=effect.kind is EffectKind.REMINDERS_OPT_IN)
    return contact


def _checked_step(
    state: dict[str, Any] | None, event: Event, contact: ContactView, now: datetime
) -> Result:
    """One engine step, checked: the input state is left alone, the output state is JSON."""
    given_state = copy.deepcopy(state)
    result = step(FLOWS, LEXICON, state, event, contact, now, IDLE)
    assert state == given_state, "the engine changed the state it was given"
    assert json.loads(json.dumps(result.state, allow_nan=False)) == result.state
    for reply in result.replies:
        assert reply.key in REPLY_KEYS, f"reply {reply.key!r} is not in the catalogs"
        json.dumps(reply.params, allow_nan=False)
    return result


def _host_turn(
    data: st.DataObject,
    state: dict[str, Any] | None,
    message: Event,
    contact: ContactView,
    now: datetime,
) -> Result:
    """A message, and the engine's lookups answered with outcomes drawn at random."""
    result = _checked_step(state, message, contact, now)
    view = _apply(contact, result.effects)
    for _ in range(MAX_LOOKUPS):
        request = next((e for e in result.effects if e.kind is EffectKind.LOOKUP), None)
        if request is None:
            break
        assert request.value in OUTCOMES
        outcome = data.draw(st.sampled_from(OUTCOMES[request.value]), label="outcome")
        answer = LookupResult(request.value, outcome, {})
        more = _checked_step(result.state, Event(lookup=answer), view, now)
        effects = [e for e in result.effects if e is not request]
        result = Result(more.state, [*result.replies, *more.replies], effects + more.effects)
    return result


def _conversation(data: st.DataObject, contact: ContactView, messages: list[Event]) -> list[Turn]:
    state: dict[str, Any] | None = None
    now = START
    turns: list[Turn] = []
    for message in messages:
        now += timedelta(minutes=data.draw(gaps, label="minutes"))
        result = _host_turn(data, state, message, contact, now)
        after = _apply(contact, result.effects)
        turns.append(Turn(message, contact, result, after))
        contact, state = after, result.state
    return turns


def _keyword(event: Event) -> str | None:
    text = event.text.strip()
    return LEXICON.keyword(text) if text else None


def _keys(result: Result) -> list[str]:
    return [reply.key for reply in result.replies]


def _kinds(result: Result) -> list[EffectKind]:
    return [effect.kind for effect in result.effects]


def _check_consent(turn: Turn) -> None:
    """An opted-out texter hears only HELP's and START's answers; STOP always opts out."""
    keyword, result = _keyword(turn.event), turn.result
    hypothesis.event(f"{'opted out' if turn.before.opted_out else 'opted in'}, keyword {keyword}")
    if turn.before.opted_out:
        if keyword == "start":
            assert (_keys(result), _kinds(result)) == (["consent.started"], [EffectKind.OPT_IN])
            assert result.state is None  # the next message is greeted anew
        elif keyword == "help":
            assert (_keys(result), _kinds(result)) == (["help.info"], [EffectKind.HELP])
        else:
            assert (_keys(result), _kinds(result)) == ([], []), f"sent while opted out: {turn}"
    elif keyword == "stop":
        assert (_keys(result), _kinds(result)) == (["consent.stopped"], [EffectKind.OPT_OUT])
        assert result.state is None and turn.after.opted_out
    else:
        assert EffectKind.OPT_OUT not in _kinds(result), f"opted out by {turn.event.text!r}"


@SETTINGS
@given(st.data(), contacts, st.lists(events, max_size=12))
def test_any_conversation_keeps_consent_and_the_catalogs(
    data: st.DataObject, contact: ContactView, messages: list[Event]
) -> None:
    for turn in _conversation(data, contact, messages):
        _check_consent(turn)


# What a texter may send once opted in again: anything but STOP and START.
PLAIN_TEXTS = [
    t
    for t in [*HELP_WORDS, *OTHER_WORDS, *MENU_NUMBERS, *ADDRESSES, "hello", "\u200b", "🛑"]
    if LEXICON.keyword(t) not in ("stop", "start")
]


@SETTINGS
@given(
    st.data(),
    contacts,
    st.sampled_from(STOP_WORDS),
    st.lists(events, max_size=6),
    st.sampled_from(START_WORDS),
    st.builds(Event, st.sampled_from(PLAIN_TEXTS)) | st.builds(Event, media_count=st.just(1)),
    st.lists(events, max_size=4),
    st.sampled_from(STOP_WORDS),
    st.lists(events, max_size=6),
)
def test_stop_silences_start_resumes_and_stop_again_silences(
    data: st.DataObject,
    contact: ContactView,
    stop: str,
    silenced: list[Event],
    start: str,
    first: Event,
    served: list[Event],
    stop_again: str,
    silenced_again: list[Event],
) -> None:
    contact = replace(contact, opted_out=False)
    without_start = [e for e in [*silenced, *silenced_again] if _keyword(e) != "start"]
    silenced, silenced_again = without_start[: len(silenced)], without_start[len(silenced) :]
    script = [
        Event(stop),
        *silenced,
        Event(start),
        first,
        *served,
        Event(stop_again),
        *silenced_again,
    ]
    turns = _conversation(data, contact, script)
    for turn in turns:
        _check_consent(turn)
    at = 0
    assert _kinds(turns[at].result) == [EffectKind.OPT_OUT]
    for turn in turns[1 : 1 + len(silenced)]:
        assert set(_keys(turn.result)) <= {"help.info"}, f"sent while opted out: {turn}"
    at = 1 + len(silenced)
    assert _keys(turns[at].result) == ["consent.started"] and not turns[at].after.opted_out
    assert turns[at + 1].result.replies, f"no answer after START to {first.text!r}"
    at += 2 + len(served)
    assert _kinds(turns[at].result)[-1:] == [EffectKind.OPT_OUT] or turns[at].before.opted_out
    assert turns[at].after.opted_out
    for turn in turns[at + 1 :]:
        assert set(_keys(turn.result)) <= {"help.info"}, f"sent while opted out: {turn}"


# States as the host may have stored them: written by an older version of the flows (a node
# since renamed), left waiting for a lookup, with a timestamp from before time zones were kept.
stored_states = st.none() | st.fixed_dictionaries(
    {"node": st.sampled_from(sorted(FLOWS.nodes)) | st.sampled_from(["main.gone", "x", ""])},
    optional={
        "at": st.one_of(
            st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
            st.datetimes().map(datetime.isoformat),
            st.sampled_from(["", "yesterday", "2026-13-01"]),
        ),
        "vars": st.dictionaries(st.sampled_from(["address", "name", "dob", "zip"]), st.text()),
        "awaiting": st.sampled_from(sorted(LOOKUPS)) | st.text(max_size=5),
    },
)


@SETTINGS
@given(st.data(), stored_states, contacts, events)
def test_any_stored_state_is_handled_and_stop_still_opts_out(
    data: st.DataObject, state: dict[str, Any] | None, contact: ContactView, message: Event
) -> None:
    now = START + timedelta(minutes=data.draw(gaps, label="minutes"))
    result = _host_turn(data, state, message, contact, now)
    _check_consent(Turn(message, contact, result, _apply(contact, result.effects)))
    stop = _checked_step(state, Event("STOP"), replace(contact, opted_out=False), now)
    assert (_keys(stop), _kinds(stop)) == (["consent.stopped"], [EffectKind.OPT_OUT])
