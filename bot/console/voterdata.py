"""The console's voterdata pages (see docs/console.md)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
