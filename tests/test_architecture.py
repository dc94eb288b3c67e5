"""The shape of the code, enforced:

- dependencies run one way: scheduler → bot → flows, bot → messages; flows and messages are
  pure (no web framework, ORM, Twilio or scheduler) and do not import each other;
- the front ends (`bot.api`, `bot.cli`, `bot.console`) call the domains' services; nothing
  imports a front end but the front end itself, the app factory (`bot.app`) and the CLI's
  entry point (`bot.cli.main`);
- no two modules of the domains and the core share a name (the front ends mirror the domains'
  names on purpose: `bot/api/blasts.py` calls `bot/sending/blasts.py`).
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = {"fastapi", "starlette", "sqlmodel", "sqlalchemy", "twilio", "apscheduler", "uvicorn"}
FORBIDDEN = {
    "flows": FRAMEWORKS | {"bot", "scheduler", "messages"},
    "messages": FRAMEWORKS | {"bot", "scheduler", "flows"},
    "bot": {"scheduler"},
}
FRONT_ENDS = ("bot.api", "bot.cli", "bot.console")
COMPOSERS = {"bot/app.py", "bot/cli/main.py"}
PACKAGES = ("bot", "scheduler", "flows", "messages")


def _modules(path: Path) -> set[str]:
    """Every module a file imports, dotted and whole (`from bot.api import x` gives both
    `bot.api` and `bot.api.x`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _files(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, package
    return files


def _front_end(module: str) -> str | None:
    return next((f for f in FRONT_ENDS if module == f or module.startswith(f"{f}.")), None)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_dependencies_run_one_way(package: str) -> None:
    for path in _files(package):
        bad = {m.split(".")[0] for m in _modules(path)} & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("package", ["bot", "scheduler"])
def test_only_the_composition_imports_the_front_ends(package: str) -> None:
    for path in _files(package):
        where = path.relative_to(ROOT).as_posix()
        own = _front_end(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for module in _modules(path):
            front = _front_end(module)
            if front is None or front == own or where in COMPOSERS:
                continue
            pytest.fail(f"{where} imports the front end {front} ({module})")


def test_domain_and_core_modules_have_names_of_their_own() -> None:
    names: Counter[str] = Counter()
    where: dict[str, list[str]] = {}
    for package in PACKAGES:
        for path in _files(package):
            dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            if path.name == "__init__.py" or _front_end(dotted):
                continue
            names[path.stem] += 1
            where.setdefault(path.stem, []).append(path.relative_to(ROOT).as_posix())
    repeated = {name: where[name] for name, n in names.items() if n > 1}
    assert not repeated, f"modules that share a name: {repeated}"
