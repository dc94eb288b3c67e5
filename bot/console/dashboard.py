"""The dashboard: the first page after sign-in. Today and the last 7 days for the person's
organization (the coalition, or one organization of an admin's choice): texts received,
voters answered, opt-outs, open requests for a person, blasts in flight with their progress,
the next scheduled sends, and the warnings that need a person. Its live part refreshes with
htmx from /console/dashboard/live. The figures come from `bot.reports`; see docs/console.md."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from bot.accounts.sessions import Signed
from bot.console.deps import parts, signed_in
from bot.console.pages import page
from bot.console.reports import organization_param
from bot.db import read_only
from bot.reports import attention, overview, scoping
from bot.runtime import Runtime

router = APIRouter()
_BUDGETS: dict[int, list[tuple[str, str, int, int]]] = {}


def _over_budget(runtime: Runtime) -> list[tuple[str, str, int, int]]:
    """The catalogs' messages over their SMS budget with the operator's settings (computed
    once per loaded catalogs: it renders every message in every language)."""
    key = id(runtime.catalogs)
    if key not in _BUDGETS:
        _BUDGETS.clear()
        _BUDGETS[key] = runtime.catalogs.over_budget(runtime.params)
    return _BUDGETS[key]


def _context(request: Request) -> tuple[dict[str, Any], Signed]:
    console = parts(request)
    with signed_in(request) as (conn, signed, now):
        scope = scoping.resolve(
            conn, caller=signed.caller, organization_id=organization_param(request)
        )
        choices = scoping.organizations(conn, caller=signed.caller)
    runtime = console.runtime
    with read_only(console.engine.connect()) as conn:
        found = overview.overview(conn, scope=scope, zone=console.settings.timezone, now=now)
        problems = attention.warnings(
            conn,
            scope=scope,
            settings=console.settings,
            over_budget=_over_budget(runtime) if signed.caller.is_admin else (),
            admin=signed.caller.is_admin,
            now=now,
        )
    chosen = signed.caller.is_admin and scope.organization_id
    query = f"organization={scope.organization_id}" if chosen else ""
    context = {
        "active": "dashboard",
        "scope": scope,
        "overview": found,
        "warnings": problems,
        "organizations": choices,
        "query": query,
    }
    return context, signed


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request) -> Response:
    """Today and the last 7 days, what is being sent, what needs a person."""
    context, signed = _context(request)
    return page(request, "dashboard.html", context, signed)


@router.get("/dashboard/live", response_class=HTMLResponse)
def dashboard_live(request: Request) -> Response:
    """The dashboard's figures alone, for htmx to refresh every few seconds."""
    context, signed = _context(request)
    return page(request, "dashboard_live.html", context, signed)
