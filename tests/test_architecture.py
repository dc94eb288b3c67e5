"""Dependencies run one way: scheduler → bot → flows, bot → messages; flows and messages are
pure (no web framework, ORM, Twilio or scheduler) and do not import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = {"fastapi", "starlette", "sqlmodel", "sqlalchemy", "twilio", "apscheduler", "uvicorn"}
FORBIDDEN = {
    "flows": FRAMEWORKS | {"bot", "scheduler", "messages"},
    "messages": FRAMEWORKS | {"bot", "scheduler", "flows"},
    "bot": {"scheduler"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_run_one_way(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    for path in files:
        bad = _imports(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
