"""`turnout` as an operator runs it: a real process on a SQLite file of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def turnout(tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "TURNOUT_COALITION_NAME": "Voter Power Coalition",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.main", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
