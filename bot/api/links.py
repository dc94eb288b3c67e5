"""OpenAPI links: which operation a response's ids lead to (a blast just made → its page,
its test, its pause ...), so that clients and stateful testers can follow them."""

from __future__ import annotations

from typing import Any

PREFIX = "/api/v1"


def link(path: str, method: str, description: str, **parameters: str) -> dict[str, Any]:
    """A link to the operation `method` of `path` (under /api/v1), its parameters given as
    runtime expressions (`$response.body#/id`, `$request.path.blast_id`)."""
    pointer = f"{PREFIX}{path}".replace("~", "~0").replace("/", "~1")
    return {
        "operationRef": f"#/paths/{pointer}/{method.lower()}",
        "parameters": parameters,
        "description": description,
    }


def links(status: int, **found: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route whose `status` response has these links."""
    return {status: {"links": found}}
