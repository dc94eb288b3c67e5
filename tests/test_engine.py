"""The flow engine, pure: golden transcripts (inputs → reply keys, effects, final node) and
start-up validation of flow files."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.conversation.keywords import INTENTS, lexicon_from_catalogs
from flows.engine import ContactView, Effect, Event, LookupResult, Result, step
from flows.lexicon import Lexicon
from flows.model import DEFINITIONS, FlowError, FlowSet, load_flows
from messages.catalog import Catalogs

TRANSCRIPTS = sorted((Path(__file__).parent / "transcripts").glob("*.yaml"))
START = datetime(2026, 11, 1, 17, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load()


@pytest.fixture(scope="module")
def lexicon(catalogs: Catalogs) -> Lexicon:
    return lexicon_from_catalogs(catalogs)


@pytest.fixture(scope="module")
def flows(catalogs: Catalogs) -> FlowSet:
    return load_flows(catalogs.keys, INTENTS)


def _apply(contact: ContactView, effects: list[Effect]) -> ContactView:
    for e in effects:
        if e.kind == "set_language":
            contact = replace(contact, language=e.value)
        elif e.kind == "opt_out":
            contact = replace(contact, opted_out=True, reminders=False)
        elif e.kind == "opt_in":
            contact = replace(contact, opted_out=False)
        elif e.kind in ("reminders_opt_in", "reminders_opt_out"):
            contact = replace(contact, reminders=e.kind == "reminders_opt_in")
    return contact


def _effect_names(effects: list[Effect]) -> list[str]:
    return [f"{e.kind}:{e.value}" if e.value else e.kind for e in effects]


# What the host answers when no voter data is loaded; a transcript turn may give its own
# answers as `answers: [{lookup: NAME, outcome: ..., params: {...}, expect_data: {...}}]`.
NO_DATA = {"polling_place": "no_data", "registration": "no_roll"}


def _with_lookups(
    result: Result, turn: dict[str, Any], run: Any, where: str
) -> tuple[Result, list[str]]:
    """Answer the engine's lookups as a host would; return the result and the lookups asked."""
    answers = list(turn.get("answers", []))
    asked: list[str] = []
    while (request := next((e for e in result.effects if e.kind == "lookup"), None)) is not None:
        asked.append(request.value or "")
        given: dict[str, Any] = answers.pop(0) if answers else {"lookup": request.value}
        assert given["lookup"] == request.value, where
        for name, value in given.get("expect_data", {}).items():
            assert (request.data or {}).get(name) == value, f"{where}: lookup data {name}"
        outcome = given.get("outcome", NO_DATA.get(request.value or "", "no_data"))
        answer = LookupResult(request.value or "", outcome, given.get("params", {}))
        more = run(Event(lookup=answer), result.state)
        effects = [e for e in result.effects if e is not request]
        result = Result(more.state, [*result.replies, *more.replies], effects + more.effects)
    assert not answers, f"{where}: answers left over"
    return result, asked


@pytest.mark.parametrize("path", TRANSCRIPTS, ids=[p.stem for p in TRANSCRIPTS])
def test_golden_transcript(path: Path, flows: FlowSet, lexicon: Lexicon) -> None:
    script: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    contact = ContactView(**script.get("contact", {}))
    state = {"node": script["state"], "at": START.isoformat()} if script.get("state") else None
    idle = timedelta(minutes=script.get("idle_minutes", 24 * 60))
    now = START
    for number, turn in enumerate(script["steps"], start=1):
        now += timedelta(minutes=turn.get("after_minutes", 1))
        event = Event(turn["send"], turn.get("media", 0), turn.get("detected"))
        result = step(flows, lexicon, state, event, contact, now, idle)
        where = f"{path.name} step {number} ({turn['send']!r})"

        view = _apply(contact, result.effects)  # the lookup's answer sees the new language

        def run(ev: Event, st: Any, c: ContactView = view, n: datetime = now) -> Result:
            return step(flows, lexicon, st, ev, c, n, idle)

        result, asked = _with_lookups(result, turn, run, where)
        if "lookups" in turn:
            assert asked == turn["lookups"], where
        assert [r.key for r in result.replies] == turn["expect"], where
        if "effects" in turn:
            assert _effect_names(result.effects) == turn["effects"], where
        if "at" in turn:
            assert (result.state or {}).get("node") == turn["at"], where
        contact, state = _apply(contact, result.effects), result.state


def test_engine_does_not_mutate_its_input(flows: FlowSet, lexicon: Lexicon) -> None:
    state = {"node": "main.choose", "at": START.isoformat()}
    before = dict(state)
    step(flows, lexicon, state, Event("3"), ContactView("en"), START, timedelta(hours=1))
    assert state == before


def test_every_transcript_node_exists(flows: FlowSet) -> None:
    for path in TRANSCRIPTS:
        script = yaml.safe_load(path.read_text(encoding="utf-8"))
        nodes = [t["at"] for t in script["steps"] if t.get("at")] + [script.get("state")]
        assert {n for n in nodes if n} <= set(flows.nodes), path.name


# --- validation at load: each broken flow is a start-up error naming the file and node ---


def _broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    target = tmp_path / "defs"
    shutil.copytree(DEFINITIONS, target)
    path = target / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return target


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        (
            "main.yaml",
            "goto: polling}",
            "goto: nowhere}",
            "main.yaml: node 'choose': goto 'nowhere'",
        ),
        (
            "polling.yaml",
            "say: polling.lookup",
            "say: polling.nope",
            "polling.yaml: node 'find': unknown message key 'polling.nope'",
        ),
        (
            "main.yaml",
            "{when: choice, is: 1,",
            "{when: chose, is: 1,",
            "main.yaml: node 'choose': unknown router test 'chose'",
        ),
        (
            "handoff.yaml",
            "goto: waiting",
            "goto: main.menu",
            "handoff.yaml: node 'waiting' is unreachable",
        ),
        (
            "handoff.yaml",
            "do: handoff\n",
            "do: launch_rockets\n",
            "handoff.yaml: node 'request': unknown effect 'launch_rockets'",
        ),
        (
            "main.yaml",
            "      - {when: other, say: main.not_understood}\n",
            "",
            "main.yaml: node 'choose': the last wait route must be `when: other`",
        ),
        (
            "reminders.yaml",
            "start: start",
            "start: begin",
            "reminders.yaml: start node 'begin' does not exist",
        ),
        ("flows.yaml", "  polling: polling", "  voting: polling", "unknown intent 'voting'"),
        ("main.yaml", "nodes:", "nodes: [", "main.yaml: not valid YAML"),
    ],
)
def test_broken_flow_is_a_startup_error(
    tmp_path: Path, catalogs: Catalogs, file: str, old: str, new: str, message: str
) -> None:
    directory = _broken(tmp_path, file, old, new)
    with pytest.raises(FlowError) as caught:
        load_flows(catalogs.keys, INTENTS, directory)
    assert message in str(caught.value)


def test_shipped_flows_load(flows: FlowSet) -> None:
    assert flows.start == "welcome.start"
    assert flows.menu == "main.menu"
    assert set(flows.intents) == set(INTENTS)
