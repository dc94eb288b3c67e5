"""The console's translations pages (see docs/console.md): every language's coverage and
review state, a language's messages, and a message's review page, where a reviewer of the
language (or a coalition admin) edits its text with a live preview and segment count, saves
a draft or marks it reviewed (in effect for the bot's next reply), and the `.po` export."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.accounts.sessions import Signed
from bot.console.deps import check_csrf, parts, signed_in
from bot.console.pages import page
from bot.translations import reviews
from bot.translations.pofile import export_po
from bot.translations.reviews import TranslationRefused
from messages import quality
from messages.catalog import budget

router = APIRouter()
ACTIONS = ("draft", "review", "revert")


def _catalogs(request: Request) -> Any:
    return parts(request).runtime.catalogs


@router.get("/translations", response_class=HTMLResponse)
def overview(request: Request) -> Response:
    """Per language: how much is translated, reviewed in the files or here, and drafts."""
    catalogs = _catalogs(request)
    with signed_in(request) as (conn, signed, _):
        found = reviews.overview(conn, catalogs=catalogs)
        mine = reviews.reviewer_languages(conn, user_id=signed.user_id)
    context = {
        "active": "translations",
        "languages": [s for s in found if s.code != catalogs.source],
        "mine": mine,
    }
    return page(request, "translations.html", context, signed)


@router.get("/translations/{language}", response_class=HTMLResponse)
def language_page(request: Request, language: str) -> Response:
    """A language's messages, their state, and which need a review."""
    catalogs = _catalogs(request)
    wanted = request.query_params.get("state") or ""
    with signed_in(request) as (conn, signed, _):
        found = reviews.messages(conn, catalogs=catalogs, language=language)
        editable = reviews.can_review(
            conn, caller=signed.caller, user_id=signed.user_id, language=language
        )
    shown = [m for m in found if not wanted or m.state == wanted]
    context = {
        "active": "translations",
        "language": language,
        "name": catalogs.by_language[language].name,
        "messages": shown,
        "counts": {
            s: sum(1 for m in found if m.state == s) for s in ("reviewed", "draft", "missing")
        },
        "wanted": wanted if wanted in ("reviewed", "draft", "missing") else "",
        "editable": editable,
    }
    return page(request, "translations_language.html", context, signed)


@router.get("/translations/{language}/export.po")
def export(request: Request, language: str) -> Response:
    """The language's `.po` file with the coalition's reviewed translations, for upstream."""
    catalogs = _catalogs(request)
    with signed_in(request) as (conn, _signed, _):
        reviews.messages(conn, catalogs=catalogs, language=language)  # NotFound for English
        body = export_po(conn, catalogs=catalogs, language=language)
    return Response(
        body,
        media_type="text/x-gettext-translation; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{language}.po"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _edit_context(
    request: Request, conn: Any, signed: Signed, language: str, key: str
) -> dict[str, Any]:
    catalogs = _catalogs(request)
    state = reviews.message(conn, catalogs=catalogs, language=language, key=key)
    editable = reviews.can_review(
        conn, caller=signed.caller, user_id=signed.user_id, language=language
    )
    typed = state.draft_text if state.draft_text is not None else state.text
    return {
        "active": "translations",
        "language": language,
        "name": catalogs.by_language[language].name,
        "message": state,
        "editable": editable,
        "typed": typed,
    }


def _preview_context(request: Request, language: str, key: str, text: str) -> dict[str, Any]:
    catalogs = _catalogs(request)
    rendered, info = reviews.preview(catalogs, key, language, text)
    found = quality.problems(catalogs, key, language, reviews.clean(text))
    source = catalogs.by_language[catalogs.source].entries[key]
    return {
        "language": language,
        "rendered": rendered,
        "info": info,
        "length": len(rendered or ""),
        "budget": budget(source),
        "problems": found,
    }


@router.get("/translations/{language}/{key}", response_class=HTMLResponse)
def edit_page(request: Request, language: str, key: str) -> Response:
    """A message's English text, the draft, its comment and variables, and (for a reviewer)
    the editor with its live preview."""
    with signed_in(request) as (conn, signed, _):
        context = _edit_context(request, conn, signed, language, key)
    context |= _preview_context(request, language, key, context["typed"])
    context["saved"] = request.query_params.get("saved") or ""
    return page(request, "translations_edit.html", context, signed)


@router.post("/translations/{language}/{key}/preview", response_class=HTMLResponse)
async def preview(request: Request, language: str, key: str) -> Response:
    """The text being typed, rendered with realistic values: its segments and problems."""
    form = await request.form()
    with signed_in(request) as (conn, signed, _):
        check_csrf(request, signed, form)
        reviews.message(conn, catalogs=_catalogs(request), language=language, key=key)
    raw = form.get("text")
    context = _preview_context(request, language, key, raw if isinstance(raw, str) else "")
    return page(request, "translations_preview.html", context, signed)


@router.post("/translations/{language}/{key}", response_class=HTMLResponse)
async def save(request: Request, language: str, key: str) -> Response:
    """Save the reviewer's text as a draft, mark it reviewed, or go back to the catalog's."""
    form = await request.form()
    raw, action = form.get("text"), form.get("action")
    text = raw if isinstance(raw, str) else ""
    chosen = action if isinstance(action, str) and action in ACTIONS else "draft"
    catalogs = _catalogs(request)
    refused: TranslationRefused | None = None
    with signed_in(request) as (conn, signed, now):
        check_csrf(request, signed, form)
        common = {
            "caller": signed.caller,
            "user_id": signed.user_id,
            "catalogs": catalogs,
            "language": language,
            "key": key,
            "now": now,
        }
        try:
            if chosen == "revert":
                reviews.revert(conn, **common)
            else:
                reviews.save(conn, text=text, review=chosen == "review", **common)
        except TranslationRefused as exc:
            refused = exc
    if refused is None:
        parts(request).runtime.translations.expire()  # the next reply here reads it
        return RedirectResponse(
            f"/console/translations/{language}/{key}?saved={chosen}", status_code=303
        )
    with signed_in(request) as (conn, signed, _):
        context = _edit_context(request, conn, signed, language, key)
    context |= _preview_context(request, language, key, text)
    context["typed"] = text
    context["refused"] = [("text", problem.detail) for problem in refused.problems]
    context["saved"] = ""
    return page(request, "translations_edit.html", context, signed, status=422)
