"""The console's voter-data page on SQLite and PostgreSQL: uploading a VIP feed, a places CSV
and a voter roll, their import in the background to the end, each source's status, date and
problems grouped by kind, the audit rows, "try an address" answering exactly as the bot does,
and that only coalition admins see any of it."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bot.clock import utcnow
from bot.tables import AUDIT_EVENTS, PLACE_SOURCES, VOTER_ROLLS
from bot.voter import uploads
from bot.voter.places.importer import import_places
from tests.helpers.console import Person, make_user, person
from tests.helpers.partners import make_org
from tests.helpers.voter import ALBEMARLE, ROLL, write_roll
from tests.helpers.webhook import Signer, bodies, fields

pytestmark = pytest.mark.db
PLACES_CSV = ALBEMARLE.parent / "places.csv"
ADDRESS = "250 Patterson Mill Lane, Crozet VA 22932"
VOTER = "+12135550188"


@pytest.fixture(autouse=True)
def _no_jobs_left() -> Iterator[None]:
    """Each test starts with no import of an earlier one, and leaves none running."""
    uploads._REGISTRY.jobs.clear()
    yield
    for job in list(uploads._REGISTRY.jobs.values()):
        uploads.wait(job.id)
    uploads._REGISTRY.jobs.clear()


class World:
    """The coalition's admin and viewer, a partner's organizer."""

    def __init__(self, engine: Engine, client: TestClient) -> None:
        self.coalition, _, _ = make_org(engine, "Coalition", admin=True)
        self.alpha, _, _ = make_org(engine, "Alpha")
        make_user(engine, "admin@coalition.org", self.coalition, "admin")
        make_user(engine, "vic@coalition.org", self.coalition, "viewer")
        make_user(engine, "ana@alpha.org", self.alpha, "organizer")
        self.engine, self.client = engine, client

    def sign_in(self, email: str) -> Person:
        self.client.cookies.clear()
        return person(self.client, self.engine, email)

    def audit(self, action: str) -> list[Any]:
        with self.engine.connect() as conn:
            query = select(AUDIT_EVENTS).where(AUDIT_EVENTS.c.action == action)
            return list(conn.execute(query.order_by(AUDIT_EVENTS.c.id)))


@pytest.fixture
def world(engine: Engine, client: TestClient) -> World:
    return World(engine, client)


def _text(page: Any) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def _upload(admin: Person, kind: str, path: Path, name: str | None = None) -> Any:
    with path.open("rb") as handle:
        return admin.client.post(
            "/console/voter-data/upload",
            data={"csrf_token": admin.csrf, "kind": kind},
            files={"file": (name or path.name, handle, "application/octet-stream")},
            follow_redirects=False,
        )


def _finished(admin: Person, answer: Any) -> tuple[str, Any]:
    """Wait for the import the upload started; its id and its progress fragment."""
    assert answer.status_code == 303, answer.text[:1000]
    found = re.search(r"job=([0-9a-f]+)", answer.headers["location"])
    assert found
    job_id = found.group(1)
    done = uploads.wait(job_id)
    assert done is not None and done.status != "running"
    return job_id, admin.get(f"/console/voter-data/jobs/{job_id}")


def test_signed_out_goes_to_the_sign_in(world: World) -> None:
    world.client.cookies.clear()
    answer = world.client.get("/console/voter-data", follow_redirects=False)
    assert answer.status_code == 303 and "/console/login" in answer.headers["location"]


def test_a_vip_feed_imports_in_the_background(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    empty = admin.get("/console/voter-data")
    assert empty.status_code == 200 and "No polling places or voter roll yet" in empty.text
    job_id, fragment = _finished(admin, _upload(admin, "places", ALBEMARLE))
    assert fragment.status_code == 200
    text = _text(fragment)
    assert "Imported: it answers voters now." in text and "hx-trigger" not in fragment.text
    assert "polling location 27" not in text  # counts by the importer's kinds
    assert re.search(r"polling place\s+\d+", text) and "street segments 13" in text
    # The feed's one problem, grouped by kind, with its example.
    assert "PollingLocation: LatLng N is N miles from ZIP N; dropped" in text
    assert "pl81516" in text
    with world.engine.connect() as conn:
        source = conn.execute(select(PLACE_SOURCES)).one()
    assert source.status == "active"
    page = _text(admin.get("/console/voter-data"))
    assert f"Polling places: {source.name} active" in page
    assert "updated 2013-10-24" in page and "problems: 1" in page
    assert "PollingLocation: LatLng N is N miles from ZIP N; dropped" in page
    [started] = world.audit("voterdata.upload")
    assert started.subject == f"upload:{job_id}" and started.detail["kind"] == "places"
    [finished] = world.audit("voterdata.import")
    assert finished.subject == f"place_source:{source.id}"
    assert finished.detail["status"] == "done" and finished.detail["problem_count"] == 1


def test_a_places_csv_reports_its_problems_by_kind(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    _, fragment = _finished(admin, _upload(admin, "places", PLACES_CSV))
    text = _text(fragment)
    assert "PollingPlace: no name or no address; skipped" in text
    assert "PollingPlace: zip '…' is not a ZIP code" in text
    assert "row6: zip '9001' is not a ZIP code" in text


def test_a_voter_roll_imports_and_lists_its_counts(world: World, tmp_path: Path) -> None:
    admin = world.sign_in("admin@coalition.org")
    roll = write_roll(
        tmp_path / "roll.csv", [*ROLL, ["5", "", "", "", "", "x", "", "", "9", "", "A"]]
    )
    _, fragment = _finished(admin, _upload(admin, "roll", roll))
    text = _text(fragment)
    assert "Imported" in text and "imported 3" in text and "rejected 1" in text
    assert "not registered 1" in text and "row 6" in text
    with world.engine.connect() as conn:
        found = conn.execute(select(VOTER_ROLLS)).one()
    assert (found.status, found.imported) == ("active", 3)
    page = _text(admin.get("/console/voter-data"))
    assert "Voter roll: roll.csv active" in page and "problems: 1" in page
    # Nothing from the roll's rows but counts: no names, addresses or phones on the page.
    for private in ("García", "Elm St", "2135550100"):
        assert private not in page


def test_a_broken_file_fails_and_says_why(world: World, tmp_path: Path) -> None:
    admin = world.sign_in("admin@coalition.org")
    broken = tmp_path / "broken.xml"
    broken.write_text("<VipObject><Election")
    _, fragment = _finished(admin, _upload(admin, "places", broken))
    assert "The import failed, and nothing of it is used" in _text(fragment)
    [finished] = world.audit("voterdata.import")
    assert finished.detail["status"] == "failed" and finished.detail["error"]


def test_uploads_that_cannot_start(world: World, tmp_path: Path) -> None:
    admin = world.sign_in("admin@coalition.org")
    wrong = tmp_path / "list.xlsx"
    wrong.write_bytes(b"PK")
    answer = _upload(admin, "places", wrong)
    assert answer.status_code == 422 and 'href="#file"' in answer.text
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert _upload(admin, "roll", empty).status_code == 422
    assert _upload(admin, "nonsense", ALBEMARLE).status_code == 422
    none = admin.post("/console/voter-data/upload", {"kind": "places"})
    assert none.status_code == 422 and "choose a file" in none.text
    # One import at a time.
    busy = uploads.Upload("busy", "places", "x.xml", None, None, utcnow())
    uploads._REGISTRY.jobs["busy"] = busy
    answer = _upload(admin, "places", ALBEMARLE)
    assert answer.status_code == 409 and "an import is running" in answer.text
    assert 'hx-get="/console/voter-data/jobs/busy"' in admin.get("/console/voter-data").text
    busy.status = "done"
    assert world.audit("voterdata.upload") == []
    assert admin.get("/console/voter-data/jobs/nope").status_code == 404


def _bot_says(post_signed: Signer, language_choice: str, text: str) -> list[str]:
    def say(words: str) -> list[str]:
        return bodies(post_signed("/twilio/messages", fields(words, sender=VOTER)))

    say(language_choice)
    say("2")  # where do I vote?
    return say(text)


@pytest.mark.parametrize(("choice", "language"), [("English", "en"), ("Español", "es")])
@pytest.mark.parametrize("address", [ADDRESS, "22932", "1 Nowhere Rd, Springfield IL 62701"])
def test_try_an_address_answers_as_the_bot(
    world: World, post_signed: Signer, choice: str, language: str, address: str
) -> None:
    import_places(engine=world.engine, path=ALBEMARLE, now=utcnow())
    admin = world.sign_in("admin@coalition.org")
    answer = admin.post(
        "/console/voter-data/try",
        {"address": address, "language": language},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    shown = re.findall(
        r'<p class="voter-text bot-answer" lang="(\w+)" dir="ltr">(.*?)</p>', answer.text, re.S
    )
    assert shown and all(lang == language for lang, _ in shown)
    assert "<html" not in answer.text  # a fragment for htmx
    assert [html.unescape(text) for _, text in shown] == _bot_says(post_signed, choice, address)


def test_try_an_address_without_htmx_and_without_an_address(world: World) -> None:
    import_places(engine=world.engine, path=ALBEMARLE, now=utcnow())
    admin = world.sign_in("admin@coalition.org")
    whole = admin.post("/console/voter-data/try", {"address": ADDRESS, "language": "es"})
    assert whole.status_code == 200 and "<html" in whole.text
    assert "CROZET ELEMENTARY SCHOOL" in whole.text and 'value="250 Patterson' in whole.text
    blank = admin.post("/console/voter-data/try", {"address": "  "}, headers={"HX-Request": "1"})
    assert blank.status_code == 422 and "Write an address or a ZIP code." in blank.text
    odd = admin.post("/console/voter-data/try", {"address": "22932", "language": "xx"})
    assert odd.status_code == 200 and 'lang="en"' in odd.text


@pytest.mark.parametrize("email", ["ana@alpha.org", "vic@coalition.org"])
def test_only_coalition_admins(world: World, email: str) -> None:
    other = world.sign_in(email)
    assert 'href="/console/voter-data"' not in other.get("/console/profile").text  # the nav
    assert other.get("/console/voter-data").status_code == 403
    assert other.get("/console/voter-data/jobs/x").status_code == 403
    assert _upload(other, "places", ALBEMARLE).status_code == 403
    assert other.post("/console/voter-data/try", {"address": ADDRESS}).status_code == 403
    with world.engine.connect() as conn:
        assert conn.execute(select(PLACE_SOURCES)).first() is None
    admin = world.sign_in("admin@coalition.org")
    assert 'href="/console/voter-data"' in admin.get("/console/profile").text


def test_changes_need_the_forms_token(world: World) -> None:
    admin = world.sign_in("admin@coalition.org")
    with ALBEMARLE.open("rb") as handle:
        answer = admin.client.post(
            "/console/voter-data/upload",
            data={"kind": "places"},
            files={"file": ("feed.xml", handle)},
            follow_redirects=False,
        )
    assert answer.status_code == 403 and "Reload the page" in answer.text
    no_token = admin.client.post("/console/voter-data/try", data={"address": ADDRESS})
    assert no_token.status_code == 403 and "Reload the page" in no_token.text
    with world.engine.connect() as conn:  # the refused upload started nothing
        assert conn.execute(select(PLACE_SOURCES)).first() is None
    assert world.audit("voterdata.upload") == []
