"""`turnout org ...` and `turnout contacts ...` as an operator runs them: real processes on a
real SQLite file."""

from __future__ import annotations

import csv
import io
import sqlite3
from pathlib import Path

from tests.helpers.cli import turnout
from tests.helpers.partners import csv_text

BASIS = "Sign-up sheet at the Lunar New Year festival"


def _db(tmp_path: Path) -> sqlite3.Connection:
    return sqlite3.connect(tmp_path / "cli.db")


def test_organizations_and_keys(tmp_path: Path) -> None:
    made = turnout(tmp_path, "org", "create", "Chinatown Votes")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("turnout_") and len(key) == 51
    assert "chinatown-votes" in made.stderr and "only this once" in made.stderr
    assert turnout(tmp_path, "org", "create", "Coalition HQ", "--admin").returncode == 0
    again = turnout(tmp_path, "org", "create", "Chinatown  Votes")
    assert again.returncode == 1 and "exists already" in again.stderr
    listed = turnout(tmp_path, "org", "list").stdout
    assert "chinatown-votes" in listed and "coalition-hq" in listed
    keys = turnout(tmp_path, "org", "keys", "chinatown-votes").stdout
    assert key[:16] in keys and key not in keys
    with _db(tmp_path) as conn:
        ((key_id, stored),) = conn.execute(
            "SELECT id, key_hash FROM api_keys WHERE prefix = ?", (key[:16],)
        ).fetchall()
    assert key not in stored and len(stored) == 64  # only the digest is kept
    revoked = turnout(tmp_path, "org", "revoke", str(key_id))
    assert revoked.returncode == 0 and "revoked" in revoked.stderr
    with _db(tmp_path) as conn:
        assert (
            conn.execute("SELECT revoked_at FROM api_keys WHERE id = ?", (key_id,)).fetchone()[0]
            is not None
        )


def test_contacts_import_dry_run_then_real_with_a_report(tmp_path: Path) -> None:
    assert turnout(tmp_path, "org", "create", "Alpha").returncode == 0
    path = tmp_path / "van.csv"
    path.write_bytes(
        csv_text(
            "VANID,FirstName,LastName,Home,Cell,Idioma",
            "101,Ana,García,3235550100,(213) 555-0101,español",
            "102,Bo,Li,,3.23555E+09,Cantonese",
            "103,Cy,Kim,,213-555-0103,Korean",
        )
    )
    common = (
        "contacts",
        "import",
        str(path),
        "--org",
        "alpha",
        "--basis",
        BASIS,
        "--consent-date",
        "2024-02-10",
        "--consent-language",
        "zh",
        "--map",
        "Cell=phone",
        "--map",
        "Idioma=language",
    )
    dry = turnout(tmp_path, *common, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing was changed" in dry.stdout
    with _db(tmp_path) as conn:
        assert conn.execute("SELECT count(*) FROM contacts").fetchone() == (0,)
    real = turnout(tmp_path, *common)
    assert real.returncode == 0, real.stderr
    out = " ".join(real.stdout.split())
    assert "new memberships │ 2" in out and "rejected │ 1" in out
    assert "scientific notation" in out and "turnout contacts errors 2" in out
    with _db(tmp_path) as conn:
        rows = conn.execute(
            "SELECT m.external_id, c.phone, m.language FROM memberships m "
            "JOIN contacts c ON c.id = m.contact_id ORDER BY 1"
        ).fetchall()
        consent = conn.execute("SELECT kind, channel, text FROM consent_events").fetchall()
    assert rows == [("101", "+12135550101", "es"), ("103", "+12135550103", "ko")]
    assert consent == [("opt_in", "import", f"{BASIS} [import #2, van.csv; asked in zh]")] * 2
    report = turnout(tmp_path, "contacts", "errors", "2")
    assert list(csv.reader(io.StringIO(report.stdout)))[1][:2] == ["3", "Cell"]


def test_an_import_without_a_basis_is_refused(tmp_path: Path) -> None:
    assert turnout(tmp_path, "org", "create", "Alpha").returncode == 0
    path = tmp_path / "list.csv"
    path.write_bytes(csv_text("phone", "2135550101"))
    refused = turnout(tmp_path, "contacts", "import", str(path), "--org", "alpha")
    assert refused.returncode == 2
    assert "Import refused: a consent basis is required" in " ".join(refused.stderr.split())
    no_language = turnout(
        tmp_path,
        "contacts",
        "import",
        str(path),
        "--org",
        "alpha",
        "--basis",
        BASIS,
        "--consent-date",
        "2024-01-01",
    )
    assert no_language.returncode == 2
    assert "consent language is required" in " ".join(no_language.stderr.split())
    unknown = turnout(
        tmp_path,
        "contacts",
        "import",
        str(path),
        "--org",
        "nobody",
        "--basis",
        BASIS,
        "--consent-date",
        "2024-01-01",
        "--consent-language",
        "es",
    )
    assert unknown.returncode == 2 and "no organization 'nobody'" in unknown.stderr
    with _db(tmp_path) as conn:
        assert conn.execute("SELECT count(*) FROM contact_imports").fetchone() == (0,)
    resumed = turnout(tmp_path, "contacts", "resume", "41")
    assert resumed.returncode == 1 and "import 41 is finished, missing" in resumed.stderr
