"""`/api/v1/blasts`: schedule, list, preview, test, pause, resume and cancel blasts. Thin: each
route parses its input, calls `bot.sending.blasts` and returns its view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from bot.api.deps import CallerDep, EngineDep, Id, SessionDep
from bot.api.errors import ERRORS
from bot.api.links import link, links
from bot.clock import utcnow
from bot.sending import blasts
from bot.sending.drafts import BlastIn, SendContext, Status, TestIn
from bot.sending.views import BlastOut, PreviewOut, TestCreated

router = APIRouter(prefix="/blasts", tags=["blasts"], responses=ERRORS)
BLAST = "/blasts/{blast_id}"


def _blast_links(status: int, blast_id: str) -> dict[int | str, dict[str, Any]]:
    """Links from a response about a blast to what can be done with it."""
    return links(
        status,
        show=link(BLAST, "get", "the blast", blast_id=blast_id),
        preview=link(f"{BLAST}/preview", "get", "what it would do now", blast_id=blast_id),
        test=link(f"{BLAST}/test", "post", "send a test", blast_id=blast_id),
        pause=link(f"{BLAST}/pause", "post", "pause it", blast_id=blast_id),
        resume=link(f"{BLAST}/resume", "post", "resume it", blast_id=blast_id),
        cancel=link(f"{BLAST}/cancel", "post", "cancel it", blast_id=blast_id),
    )


CREATED_LINKS = _blast_links(201, "$response.body#/id")
STEERED_LINKS = _blast_links(200, "$request.path.blast_id")


def get_context(request: Request) -> SendContext:
    """The send context of the app's runtime."""
    return SendContext.of(request.app.state.runtime)


ContextDep = Annotated[SendContext, Depends(get_context)]


@router.post(
    "",
    response_model=BlastOut,
    status_code=201,
    summary="Schedule a blast",
    responses=CREATED_LINKS,
)
def create_blast(
    body: BlastIn, caller: CallerDep, session: SessionDep, ctx: ContextDep
) -> BlastOut:
    """Schedule a blast from the caller's organization (sent at `send_at`, or now)."""
    return blasts.create_blast(
        session.connection(), caller=caller, body=body, ctx=ctx, now=utcnow()
    )


@router.get("", response_model=list[BlastOut], summary="Blasts, newest first")
def list_blasts(
    caller: CallerDep,
    session: SessionDep,
    status: Annotated[Status | None, Query(description="only blasts in this state")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[BlastOut]:
    """The caller's organization's blasts (a coalition admin: every organization's)."""
    return blasts.list_blasts(session.connection(), caller=caller, status=status, limit=limit)


@router.post("/preview", response_model=PreviewOut, summary="Preview a blast, storing nothing")
def preview_new(
    body: BlastIn, caller: CallerDep, session: SessionDep, ctx: ContextDep
) -> PreviewOut:
    """What a blast with this body would do: recipients, segments and cost per language."""
    return blasts.preview_draft(
        session.connection(), caller=caller, body=body, ctx=ctx, now=utcnow()
    )


@router.get("/{blast_id}", response_model=BlastOut)
def show_blast(blast_id: Id, caller: CallerDep, session: SessionDep) -> BlastOut:
    """A blast: its state, its counts so far, and its test sends."""
    return blasts.show_blast(session.connection(), caller=caller, blast_id=blast_id)


@router.get("/{blast_id}/preview", response_model=PreviewOut)
def preview_blast(
    blast_id: Id, caller: CallerDep, session: SessionDep, ctx: ContextDep
) -> PreviewOut:
    """What a blast would do if it started now."""
    return blasts.preview_blast(session.connection(), caller=caller, blast_id=blast_id, ctx=ctx)


@router.post("/{blast_id}/test", response_model=TestCreated, status_code=202)
def test_blast(
    blast_id: Id, body: TestIn, caller: CallerDep, session: SessionDep, ctx: ContextDep
) -> TestCreated:
    """Send the blast now to one number, in its language or the one given; its outcome
    appears under `tests` of the blast."""
    return blasts.create_test(
        session.connection(), caller=caller, blast_id=blast_id, body=body, ctx=ctx, now=utcnow()
    )


def _steer(
    blast_id: int, action: str, caller: CallerDep, session: SessionDep, engine: EngineDep
) -> BlastOut:
    blasts.steer(
        session.connection(), caller=caller, blast_id=blast_id, action=action, now=utcnow()
    )
    session.commit()  # the dispatchers see it from now on; then wait for what is already out
    blasts.settle(engine, blast_id=blast_id, action=action)
    return blasts.show_blast(session.connection(), caller=caller, blast_id=blast_id)


@router.post("/{blast_id}/pause", response_model=BlastOut, responses=STEERED_LINKS)
def pause_blast(
    blast_id: Id, caller: CallerDep, session: SessionDep, engine: EngineDep
) -> BlastOut:
    """Stop handing its messages out (a scheduled or sending blast); 409 otherwise. Answers
    once the requests already on their way to Twilio are answered: from then on, nothing
    more of it reaches Twilio until it is resumed."""
    return _steer(blast_id, "pause", caller, session, engine)


@router.post("/{blast_id}/resume", response_model=BlastOut, responses=STEERED_LINKS)
def resume_blast(
    blast_id: Id, caller: CallerDep, session: SessionDep, engine: EngineDep
) -> BlastOut:
    """Carry on with a paused blast; 409 otherwise."""
    return _steer(blast_id, "resume", caller, session, engine)


@router.post("/{blast_id}/cancel", response_model=BlastOut, responses=STEERED_LINKS)
def cancel_blast(
    blast_id: Id, caller: CallerDep, session: SessionDep, engine: EngineDep
) -> BlastOut:
    """Cancel a blast: its messages not yet handed to Twilio are skipped; 409 when it is
    done or cancelled already. Answers once the requests already on their way are answered:
    from then on, nothing more of it reaches Twilio."""
    return _steer(blast_id, "cancel", caller, session, engine)
