"""The engine: a pure step function.

    step(flows, lexicon, state, event, contact, now, idle) → Result(state, replies, effects)

No I/O and no clock: the host (`bot.conversation.service`) loads the state, passes `now`,
applies the effects, renders the replies (message keys) in the contact's language and persists
the result.
A node that needs data (a polling place, a registration status) ends the step with a `lookup`
effect; the host answers it and calls `step` again with the answer as the event
(`Event(lookup=LookupResult(...))`), in the same transaction.

Order of precedence for one message: opt-out state (an opted-out texter hears nothing but the
answers to HELP and START), then the global keywords (STOP family, START, HELP, MENU), then
the waiting node's own routes, then language names (so that Tagalog "hindi", no, answers a
yes/no question rather than switching to Hindi), then free-text intents, then the node's
`other` route.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from flows.lexicon import Lexicon, as_number
from flows.model import EffectKind, FlowSet, Node, Route

MAX_HOPS = 50


@dataclass(frozen=True)
class LookupResult:
    """The host's answer to a lookup: an outcome the flow routes on, and reply variables."""

    name: str
    outcome: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """One inbound message as the engine sees it, or the answer to a lookup it asked for."""

    text: str = ""
    media_count: int = 0
    detected_language: str | None = None  # set by the host only when detection was confident
    lookup: LookupResult | None = None


@dataclass(frozen=True)
class ContactView:
    """What the engine may know about the texter."""

    language: str | None = None
    opted_out: bool = False
    reminders: bool = False


@dataclass(frozen=True)
class Reply:
    """A message to send back: a catalog key and its variables."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Effect:
    """Something the host must do: a consent change, a language, a handoff, a lookup."""

    kind: EffectKind
    value: str | None = None  # the language for set_language, the lookup's name
    source: str = "keyword"  # keyword, menu, detected ...
    data: dict[str, Any] | None = None  # for a lookup: the message and what the flow saved


@dataclass(frozen=True)
class Result:
    """The outcome of one step."""

    state: dict[str, Any] | None
    replies: list[Reply]
    effects: list[Effect]


class _Run:
    """The mutable bookkeeping of one step; discarded when the step returns."""

    def __init__(
        self,
        flows: FlowSet,
        lexicon: Lexicon,
        event: Event,
        contact: ContactView,
        state: dict[str, Any] | None,
    ):
        self.flows, self.lexicon, self.event, self.contact = flows, lexicon, event, contact
        self.replies: list[Reply] = []
        self.effects: list[Effect] = []
        self.hops = 0
        node = str((state or {}).get("node", ""))
        self.flow = node.split(".")[0]
        self.vars: dict[str, Any] = dict((state or {}).get("vars") or {})
        self.awaiting: str | None = None

    def say(self, keys: tuple[str, ...], params: dict[str, Any] | None = None) -> None:
        self.replies.extend(Reply(key, dict(params or {})) for key in keys)

    def state(self, ref: str | None, now: datetime) -> dict[str, Any] | None:
        """The state to keep: where the conversation waits, and what its flow saved."""
        if ref is None:
            return None
        kept: dict[str, Any] = {"node": ref, "at": now.isoformat()}
        if self.vars:
            kept["vars"] = self.vars
        if self.awaiting:
            kept["awaiting"] = self.awaiting
        return kept

    def do(self, names: tuple[str, ...], chosen: str | None = None) -> None:
        for name in names:
            kind = EffectKind(name)
            if kind is EffectKind.SET_LANGUAGE:
                self.set_language(chosen, "menu")
            else:
                self.effects.append(Effect(kind))
                if kind in (EffectKind.REMINDERS_OPT_IN, EffectKind.REMINDERS_OPT_OUT):
                    reminders = kind is EffectKind.REMINDERS_OPT_IN
                    self.contact = replace(self.contact, reminders=reminders)

    def set_language(self, code: str | None, source: str) -> None:
        if code:
            self.effects.append(Effect(EffectKind.SET_LANGUAGE, code, source))
            self.contact = replace(self.contact, language=code)

    def branch_matches(self, route: Route) -> bool:
        if route.when == "language_unknown":
            return self.contact.language is None
        if route.when == "reminders_on":
            return self.contact.reminders
        return route.when == "other"

    def input_match(self, route: Route, text: str) -> tuple[bool, str | None]:
        """Whether a waiting route takes the message, and the language it named (if any)."""
        lex = self.lexicon
        if route.when == "choice":
            return as_number(text) == int(route.arg or "0"), None
        if route.when in ("said_yes", "said_no"):
            return lex.answer(text) == route.when.removeprefix("said_"), None
        if route.when == "intent":
            return lex.intent(text) == route.arg, None
        if route.when == "language":
            code = lex.language_choice(text)
            return code is not None, code
        if route.when == "text":
            return bool(text.strip()), None
        return route.when == "other", None

    def enter(self, ref: str, pending: str | None = None) -> str:
        """Enter a node and move on until a node waits; return the waiting node."""
        while True:
            self.hops += 1
            if self.hops > MAX_HOPS:
                raise RuntimeError(f"flow loop: more than {MAX_HOPS} hops, last at {ref}")
            node = self.flows.node(ref)
            if node.flow != self.flow:  # what one flow saved (an address) leaves with it
                self.flow, self.vars = node.flow, {}
            if pending is not None:
                # A texter who already answered the question is not asked it: route the message
                # at the waiting node itself, or at the one this node only announces.
                ahead = self.flows.node(node.goto) if node.goto and not node.do else None
                waiting = node if node.wait else ahead if ahead and ahead.wait else None
                if waiting is not None:
                    routed = self.route(waiting, pending, allow_other=False)
                    if routed is not None:
                        return routed
                    pending = None
            self.say(node.say)
            self.do(node.do)
            if node.lookup:
                data = {**self.vars, "text": self.event.text}
                self.effects.append(Effect(EffectKind.LOOKUP, node.lookup, data=data))
                self.awaiting = node.lookup
                return ref
            if node.goto:
                ref = node.goto
            elif node.branch:
                route = next(r for r in node.branch if self.branch_matches(r))
                self.say(route.say)
                self.do(route.do)
                ref = route.goto or ref
            else:
                return ref

    def route(
        self, node: Node, text: str, *, allow_other: bool = True, use_intents: bool = True
    ) -> str | None:
        """Route a message at a waiting node; return where the conversation now waits, or
        None when nothing took it."""
        fallback: Route | None = None
        for route in node.wait:
            if route.when == "other":
                fallback = route
                continue
            matched, chosen = self.input_match(route, text)
            if matched:
                return self.follow(node, route, text, chosen)
        intent = self.lexicon.intent(text) if node.intents and use_intents else None
        if intent and intent in self.flows.intents:
            return self.enter(self.flows.intents[intent])
        if not allow_other or fallback is None:
            return None
        return self.follow(node, fallback, text, None)

    def follow(self, node: Node, route: Route, text: str, chosen: str | None) -> str:
        if route.save:
            self.vars[route.save] = text.strip()
        self.say(route.say)
        self.do(route.do, chosen)
        if route.goto is None:
            return node.ref
        return self.enter(route.goto, pending=text if route.forward else None)

    def resume(self, node: Node, answer: LookupResult) -> str:
        """Follow a lookup node's result route for the host's answer."""
        route = next(
            r for r in node.result if r.when == "other" or r.arg == answer.outcome
        )  # the last route is `other`: validated at load
        self.say(route.say, answer.params)
        self.do(route.do)
        return self.enter(route.goto) if route.goto else node.ref


def _waiting_at(
    state: dict[str, Any] | None, flows: FlowSet, now: datetime, idle: timedelta
) -> str | None:
    if not state or state.get("node") not in flows.nodes or state.get("awaiting"):
        return None  # an unanswered lookup (the host failed mid-way) starts again
    try:
        last = datetime.fromisoformat(str(state["at"]))
    except (KeyError, ValueError):
        return None
    if (last.tzinfo is None) != (now.tzinfo is None):
        last = last.replace(tzinfo=now.tzinfo)  # kept without a time zone: the host's clock's
    return str(state["node"]) if now - last <= idle else None


def _resume(run: _Run, state: dict[str, Any] | None, answer: LookupResult, now: datetime) -> Result:
    node = run.flows.nodes.get(str((state or {}).get("node")))
    if node is None or (state or {}).get("awaiting") != answer.name or not node.lookup:
        return Result(state, [], [])  # not the question asked: nothing to go on with
    return Result(run.state(run.resume(node, answer), now), run.replies, run.effects)


def step(
    flows: FlowSet,
    lexicon: Lexicon,
    state: dict[str, Any] | None,
    event: Event,
    contact: ContactView,
    now: datetime,
    idle: timedelta,
) -> Result:
    """Run one inbound message through the flows."""
    run = _Run(flows, lexicon, event, contact, state)
    if event.lookup is not None:
        return _resume(run, state, event.lookup, now)
    text = event.text.strip()
    keyword = lexicon.keyword(text) if text else None
    waiting = _waiting_at(state, flows, now, idle)
    is_new = state is None

    if contact.opted_out:
        if keyword == "start":
            run.effects.append(Effect(EffectKind.OPT_IN))
            run.say(("consent.started",))
            return Result(None, run.replies, run.effects)  # the next message is greeted anew
        if keyword == "help":
            run.effects.append(Effect(EffectKind.HELP))
            run.say(("help.info",))
        return Result(state, run.replies, run.effects)

    if keyword == "stop":
        run.effects.append(Effect(EffectKind.OPT_OUT))
        run.say(("consent.stopped",))
        return Result(None, run.replies, run.effects)

    if contact.language is None and event.detected_language:
        run.set_language(event.detected_language, "detected")

    if not text:
        if event.media_count:
            run.say(("media.unsupported",))
        return Result(run.state(waiting, now) if waiting else state, run.replies, run.effects)

    if keyword == "start":
        run.effects.append(Effect(EffectKind.OPT_IN))
        run.say(("consent.started",))
        return Result(run.state(waiting or run.enter(flows.menu), now), run.replies, run.effects)
    if keyword == "help":
        run.effects.append(Effect(EffectKind.HELP))
        run.say(("help.info",))
        return Result(run.state(waiting, now) if waiting else state, run.replies, run.effects)
    if keyword == "menu":
        return Result(run.state(run.enter(flows.menu), now), run.replies, run.effects)

    if waiting is not None:
        node = flows.node(waiting)
        routed = run.route(node, text, allow_other=False, use_intents=False)
        if routed is not None:
            return Result(run.state(routed, now), run.replies, run.effects)

    named = lexicon.language_name(text)
    if named:
        run.set_language(named, "chosen")
        if is_new:
            return Result(run.state(run.enter(flows.start), now), run.replies, run.effects)
        run.say(("language.changed",))
        return Result(run.state(run.enter(flows.menu), now), run.replies, run.effects)

    if waiting is None:
        start = flows.start if is_new else flows.menu
        return Result(run.state(run.enter(start, pending=text), now), run.replies, run.effects)
    where = run.route(flows.node(waiting), text) or waiting
    return Result(run.state(where, now), run.replies, run.effects)
