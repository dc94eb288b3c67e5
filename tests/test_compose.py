"""compose.yaml, the production shape (docs/production.md): its structure always, and
`docker compose config` (the Compose specification's own validation) when docker and its
compose plugin are present."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).parent.parent
COMPOSE = ROOT / "compose.yaml"


def _compose() -> dict[str, Any]:
    found: dict[str, Any] = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return found


def test_the_production_shape_is_composed() -> None:
    services = _compose()["services"]
    assert {"db", "migrate", "web", "scheduler"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    assert "pgdata" in _compose()["volumes"]
    web, scheduler = services["web"], services["scheduler"]
    assert "--workers" in " ".join(web["command"]) and "--no-scheduler" in " ".join(web["command"])
    assert scheduler["command"] == ["turnout", "scheduler"]
    assert scheduler["deploy"]["replicas"] == 2
    for name in ("db", "web", "scheduler"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("migrate", "web", "scheduler"):
        assert services[name]["env_file"] == ".env"
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert services[name]["depends_on"]["db"]["condition"] == "service_healthy"
    for name in ("web", "scheduler"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def _docker_compose() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    found = subprocess.run(
        [docker, "compose", "version"], capture_output=True, text=True, check=False
    )
    return [docker, "compose"] if found.returncode == 0 else None


def test_docker_compose_config_validates_it(tmp_path: Path) -> None:
    command = _docker_compose()
    if command is None:
        pytest.skip(
            "docker with its compose plugin is not installed: `docker compose config` not run"
        )
    shutil.copy(COMPOSE, tmp_path / "compose.yaml")
    (tmp_path / ".env").write_text(
        (ROOT / ".env.example").read_text(encoding="utf-8") + "\nPOSTGRES_PASSWORD=secret\n",
        encoding="utf-8",
    )
    (tmp_path / "Dockerfile").write_text((ROOT / "Dockerfile").read_text(encoding="utf-8"))
    done = subprocess.run(
        [
            *command,
            "--project-directory",
            str(tmp_path),
            "-f",
            str(tmp_path / "compose.yaml"),
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # Without a PostgreSQL password it refuses, naming it.
    (tmp_path / ".env").write_text("TWILIO_AUTH_TOKEN=x\n", encoding="utf-8")
    refused = subprocess.run(
        [
            *command,
            "--project-directory",
            str(tmp_path),
            "-f",
            str(tmp_path / "compose.yaml"),
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0 and "POSTGRES_PASSWORD" in refused.stderr
