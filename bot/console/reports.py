"""The console's reports pages (see docs/console.md)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
