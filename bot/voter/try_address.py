"""What the bot answers a voter who asked "where do I vote?" and then gave this address (or ZIP):
the same flow, lookup and messages as a conversation, for the console's "try an address" box.
Nothing is kept: no contact, no conversation, no polling place remembered."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection

from bot.conversation import lookups
from bot.runtime import Runtime
from flows.engine import ContactView, Event, Result, step
from flows.model import EffectKind

ADDRESS_NODE = "polling.address"  # where the flow waits for the address it asked for
MAX_LOOKUPS = 3
NOBODY = 0  # no contact has this id: the lookup remembers no place for anyone


def bot_answer(
    rt: Runtime, conn: Connection, *, text: str, language: str, now: datetime
) -> list[str]:
    """The replies the bot would send, in `language`, to `text` given as the address."""
    view = ContactView(language, False, False)
    state = {"node": ADDRESS_NODE, "at": now.isoformat()}
    result = step(rt.flows, rt.lexicon, state, Event(text=text), view, now, rt.idle)
    for _ in range(MAX_LOOKUPS):
        request = next((e for e in result.effects if e.kind is EffectKind.LOOKUP), None)
        if request is None:
            break
        found = lookups.answer(rt, conn, request, contact_id=NOBODY, language=language, now=now)
        more = step(rt.flows, rt.lexicon, result.state, Event(lookup=found), view, now, rt.idle)
        effects = [e for e in result.effects if e is not request] + more.effects
        result = Result(more.state, [*result.replies, *more.replies], effects)
    return [rt.render(reply.key, language, reply.params) for reply in result.replies]
