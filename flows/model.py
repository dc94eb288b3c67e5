"""Flow definitions: declarative YAML files, loaded and validated once at start-up.

A flow is a set of nodes. Entering a node sends its `say` keys and performs its `do` effects,
then the node either moves on at once (`goto`), picks a way on from what is known (`branch`),
or waits for the texter's next message and routes it (`wait`). A route is
`{when: TEST, is: ARG, say: [...], do: [...], goto: TARGET, forward: true}`; a route without
`goto` stays on the waiting node; `forward` hands the same message on to the waiting node it
leads to, so a texter who answers another question than the one asked is still understood.
Targets are `node`, `flow.node` or `flow` (its start node). A waiting node also follows
free-text intents ("where do I vote") unless it says `intents: false`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

DEFINITIONS = Path(__file__).with_name("definitions")

# Tests a waiting node can route on (they look at the message) ...
INPUT_TESTS = frozenset({"choice", "said_yes", "said_no", "intent", "language", "text", "other"})
# ... and tests a branch can use (they look at what is known about the contact).
BRANCH_TESTS = frozenset({"language_unknown", "reminders_on", "other"})
# ... and tests a lookup's result routes use (they look at the host's answer).
RESULT_TESTS = frozenset({"outcome", "other"})
TESTS_WITH_ARG = frozenset({"choice", "intent", "outcome"})
# Lookups the host answers (bot.conversation.lookups): the engine asks, the host queries, the
# engine goes on.
LOOKUPS = frozenset({"polling_place", "registration", "staffing"})


class EffectKind(StrEnum):
    """What the host must do; it handles every kind (`bot.conversation.consent`)."""

    OPT_OUT = "opt_out"  # STOP and its family: nothing more but HELP and START answers
    OPT_IN = "opt_in"  # START, UNSTOP: messages again
    HELP = "help"  # recorded in the consent log
    SET_LANGUAGE = "set_language"  # value: the language code
    REMINDERS_OPT_IN = "reminders_opt_in"  # an explicit YES to election reminders
    REMINDERS_OPT_OUT = "reminders_opt_out"
    HANDOFF = "handoff"  # a request for a person
    LOOKUP = "lookup"  # value: the lookup's name; data: the message and what the flow saved


# Effects a flow file may ask for with `do:` (the others come from keywords and lookups).
EFFECTS = frozenset(
    {
        EffectKind.SET_LANGUAGE,
        EffectKind.REMINDERS_OPT_IN,
        EffectKind.REMINDERS_OPT_OUT,
        EffectKind.HANDOFF,
    }
)


class FlowError(ValueError):
    """A flow file is invalid; the message names the file and the node."""


@dataclass(frozen=True)
class Route:
    """One way out of a node: a test, what to say and do when it matches, and where to go."""

    when: str
    arg: str | None = None
    say: tuple[str, ...] = ()
    do: tuple[str, ...] = ()
    goto: str | None = None  # fully qualified "flow.node", or None to stay
    forward: bool = False
    save: str | None = None  # keep the message's text under this name for the flow's lookups


@dataclass(frozen=True)
class Node:
    """A step of a flow."""

    flow: str
    name: str
    say: tuple[str, ...] = ()
    do: tuple[str, ...] = ()
    goto: str | None = None
    branch: tuple[Route, ...] = ()
    wait: tuple[Route, ...] = ()
    intents: bool = True  # a waiting node also follows free-text intents ("where do I vote")
    lookup: str | None = None  # ask the host this, then follow `result` on its answer
    result: tuple[Route, ...] = ()

    @property
    def ref(self) -> str:
        """The node's fully qualified name, `flow.node`."""
        return f"{self.flow}.{self.name}"

    def exits(self) -> list[str]:
        """Every node this one can lead to."""
        targets = [self.goto] if self.goto else []
        targets += [r.goto for r in (*self.branch, *self.wait, *self.result) if r.goto]
        return targets


@dataclass(frozen=True)
class FlowSet:
    """All flows, plus the entry points the engine needs (start, menu, intents)."""

    nodes: Mapping[str, Node]
    start: str  # a brand-new conversation
    menu: str  # MENU, and a conversation that went idle
    intents: Mapping[str, str] = field(default_factory=dict)  # intent -> node

    def node(self, ref: str) -> Node:
        """The node a fully qualified name refers to."""
        return self.nodes[ref]


def _tuple(value: Any, where: str, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise FlowError(f"{where}: {what} must be a message key or a list of them, got {value!r}")


def _qualify(target: Any, flow: str, where: str) -> str:
    if not isinstance(target, str) or not target:
        raise FlowError(f"{where}: goto must be a node name, got {target!r}")
    return target  # resolved once every flow is loaded: a local node first, then a flow


def _route(raw: Any, flow: str, where: str, tests: frozenset[str]) -> Route:
    if not isinstance(raw, dict) or "when" not in raw:
        raise FlowError(f"{where}: a route needs `when`, got {raw!r}")
    unknown = set(raw) - {"when", "is", "say", "do", "goto", "forward", "save"}
    if unknown:
        raise FlowError(f"{where}: unknown route field(s) {sorted(unknown)}")
    when = raw["when"]
    if when not in tests:
        raise FlowError(f"{where}: unknown router test {when!r} (known: {sorted(tests)})")
    arg = raw.get("is")
    if (when in TESTS_WITH_ARG) != (arg is not None):
        raise FlowError(f"{where}: test {when!r} {'needs' if arg is None else 'takes no'} `is`")
    goto = raw.get("goto")
    save = raw.get("save")
    if save is not None and (not isinstance(save, str) or not save.isidentifier()):
        raise FlowError(f"{where}: save must be a name, got {save!r}")
    forward = raw.get("forward", False)
    if not isinstance(forward, bool) or (forward and goto is None):
        raise FlowError(f"{where}: `forward: true` needs a goto")
    return Route(
        when=when,
        arg=str(arg) if arg is not None else None,
        say=_tuple(raw.get("say"), where, "say"),
        do=_tuple(raw.get("do"), where, "do"),
        goto=_qualify(goto, flow, where) if goto is not None else None,
        forward=forward,
        save=save,
    )


def _node(flow: str, name: str, raw: Any, path: Path) -> Node:
    where = f"{path.name}: node {name!r}"
    if not isinstance(raw, dict):
        raise FlowError(f"{where}: must be a mapping")
    unknown = set(raw) - {"say", "do", "goto", "branch", "wait", "intents", "lookup", "result"}
    if unknown:
        raise FlowError(f"{where}: unknown field(s) {sorted(unknown)}")
    if not isinstance(raw.get("intents", True), bool):
        raise FlowError(f"{where}: intents must be true or false")
    ways = [k for k in ("goto", "branch", "wait", "lookup") if k in raw]
    if len(ways) != 1:
        raise FlowError(
            f"{where}: needs exactly one of goto, branch, wait, lookup (has {ways or 'none'})"
        )
    if ("lookup" in raw) != ("result" in raw):
        raise FlowError(f"{where}: a lookup needs result routes, and result routes a lookup")
    if "lookup" in raw and raw["lookup"] not in LOOKUPS:
        raise FlowError(f"{where}: unknown lookup {raw['lookup']!r} (known: {sorted(LOOKUPS)})")
    routes: dict[str, tuple[Route, ...]] = {}
    for kind, tests in (("branch", BRANCH_TESTS), ("wait", INPUT_TESTS), ("result", RESULT_TESTS)):
        if kind in raw:
            items = raw[kind]
            if not isinstance(items, list) or not items:
                raise FlowError(f"{where}: {kind} must be a non-empty list of routes")
            routes[kind] = tuple(_route(r, flow, where, tests) for r in items)
            if routes[kind][-1].when != "other":
                raise FlowError(f"{where}: the last {kind} route must be `when: other`")
    return Node(
        flow=flow,
        name=name,
        say=_tuple(raw.get("say"), where, "say"),
        do=_tuple(raw.get("do"), where, "do"),
        goto=_qualify(raw["goto"], flow, where) if "goto" in raw else None,
        branch=routes.get("branch", ()),
        wait=routes.get("wait", ()),
        intents=raw.get("intents", True),
        lookup=raw.get("lookup"),
        result=routes.get("result", ()),
    )


def _load_file(path: Path) -> tuple[str, str, dict[str, Node]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise FlowError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("nodes"), dict):
        raise FlowError(f"{path.name}: needs `flow`, `start` and `nodes`")
    flow, start = raw.get("flow"), raw.get("start")
    if not isinstance(flow, str) or flow != path.stem:
        raise FlowError(f"{path.name}: `flow` must be the file's name, {path.stem!r}")
    if start not in raw["nodes"]:
        raise FlowError(f"{path.name}: start node {start!r} does not exist")
    nodes = {f"{flow}.{name}": _node(flow, name, body, path) for name, body in raw["nodes"].items()}
    return flow, f"{flow}.{start}", nodes


def _reachable(starts: Iterable[str], nodes: Mapping[str, Node]) -> set[str]:
    seen: set[str] = set()
    todo = list(starts)
    while todo:
        ref = todo.pop()
        if ref in seen or ref not in nodes:
            continue
        seen.add(ref)
        todo.extend(nodes[ref].exits())
    return seen


def _check(node: Node, where: str, keys: set[str], intents: set[str]) -> None:
    routes = (*node.branch, *node.wait, *node.result)
    for key in (*node.say, *(k for r in routes for k in r.say)):
        if key not in keys:
            raise FlowError(f"{where}: unknown message key {key!r}")
    for effect in (*node.do, *(e for r in routes for e in r.do)):
        if effect not in EFFECTS:
            raise FlowError(f"{where}: unknown effect {effect!r} (known: {sorted(EFFECTS)})")
    for route in node.wait:
        if route.when == "intent" and route.arg not in intents:
            raise FlowError(f"{where}: unknown intent {route.arg!r}")


@dataclass(frozen=True)
class _Targets:
    """Resolves `goto` targets once every flow file is read."""

    nodes: Mapping[str, Node]
    flow_starts: Mapping[str, str]

    def resolve(self, target: str, where: str, flow: str | None = None) -> str:
        if "." not in target and flow and f"{flow}.{target}" in self.nodes:
            return f"{flow}.{target}"  # a node of the same flow first ...
        if target in self.flow_starts:
            return self.flow_starts[target]  # ... then a flow's start node
        if target not in self.nodes:
            raise FlowError(f"{where}: goto {target!r}: no such node or flow")
        return target

    def node(self, node: Node, where: str) -> Node:
        def route(r: Route) -> Route:
            goto = self.resolve(r.goto, where, node.flow) if r.goto else None
            return replace(r, goto=goto)

        goto = self.resolve(node.goto, where, node.flow) if node.goto else None
        return replace(
            node,
            goto=goto,
            branch=tuple(map(route, node.branch)),
            wait=tuple(map(route, node.wait)),
            result=tuple(map(route, node.result)),
        )


def load_flows(
    known_keys: Iterable[str], known_intents: Iterable[str], directory: Path = DEFINITIONS
) -> FlowSet:
    """Load `flows.yaml` and every flow file beside it; raise FlowError naming file and node."""
    keys, intents_known = set(known_keys), set(known_intents)
    index_path = directory / "flows.yaml"
    nodes: dict[str, Node] = {}
    flow_starts: dict[str, str] = {}
    files: dict[str, Path] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path != index_path:
            flow, start, flow_nodes = _load_file(path)
            flow_starts[flow], files[flow] = start, path
            nodes.update(flow_nodes)
    targets = _Targets(nodes, flow_starts)
    resolved: dict[str, Node] = {}
    for ref, node in nodes.items():
        where = f"{files[node.flow].name}: node {node.name!r}"
        _check(node, where, keys, intents_known)
        resolved[ref] = targets.node(node, where)
    reachable = {flow: _reachable([first], resolved) for flow, first in flow_starts.items()}
    for ref, node in resolved.items():
        if ref not in reachable[node.flow]:
            raise FlowError(f"{files[node.flow].name}: node {node.name!r} is unreachable")
    return _entry_points(index_path, targets, intents_known, resolved)


def _entry_points(
    index_path: Path, targets: _Targets, intents_known: set[str], nodes: dict[str, Node]
) -> FlowSet:
    where = index_path.name
    index = yaml.safe_load(index_path.read_text(encoding="utf-8"))
    if not isinstance(index, dict):
        raise FlowError(f"{where}: needs `start`, `menu` and `intents`")
    intents = {}
    for intent, target in (index.get("intents") or {}).items():
        if intent not in intents_known:
            raise FlowError(f"{where}: unknown intent {intent!r}")
        intents[intent] = targets.resolve(str(target), f"{where}: intent {intent!r}")
    return FlowSet(
        nodes=nodes,
        start=targets.resolve(str(index.get("start")), f"{where}: start"),
        menu=targets.resolve(str(index.get("menu")), f"{where}: menu"),
        intents=intents,
    )
