"""Voter tools through the signed webhook: where do I vote, am I registered, on both databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from bot.clock import utcnow
from bot.models import Conversation
from bot.voter.elections import save_election
from bot.voter.places.importer import import_places
from bot.voter.roll.loader import import_voters
from messages.segments import count_segments
from tests.helpers.voter import ALBEMARLE, MARICOPA, NOW, ROLL, write_roll
from tests.helpers.webhook import Signer, bodies, fields, runtime

pytestmark = pytest.mark.db
PHONE = "+12135550177"


def _say(post_signed: Signer, text: str) -> list[str]:
    return bodies(post_signed("/twilio/messages", fields(text, sender=PHONE)))


def test_where_do_i_vote_from_an_address(post_signed: Signer, engine: Engine) -> None:
    import_places(engine=engine, path=ALBEMARLE, now=NOW)
    _say(post_signed, "English")
    assert _say(post_signed, "2") == [
        "What is your home address or ZIP code? For example: 123 Main St, 90057"
    ]
    reply = _say(post_signed, "250 Patterson Mill Lane, Crozet VA 22932")
    assert len(reply) == 1
    assert reply[0].startswith("Where you can vote:\nCROZET ELEMENTARY SCHOOL, 1407 Crozet Ave")
    assert "Election day 11/5, 6:00-19:00." in reply[0] and "maps.google.com" in reply[0]
    assert reply[0].endswith(
        "Updated 2013-10-24, source: State Board of Elections, Commonwealth of Virginia (VIP 51)."
    )
    assert count_segments(reply[0]).segments <= 3
    with Session(engine) as s:
        state = s.scalars(select(col(Conversation.state))).one()
    assert state is not None and "vars" not in state  # the address is not kept


def test_the_address_in_the_question_is_used_at_once(post_signed: Signer, engine: Engine) -> None:
    import_places(engine=engine, path=ALBEMARLE, now=NOW)
    _say(post_signed, "Español")
    reply = _say(post_signed, "¿dónde voto? 250 Patterson Mill Ln, Crozet 22932")
    assert len(reply) == 1
    assert reply[0].startswith("Lugares donde puede votar:\nCROZET ELEMENTARY SCHOOL")
    assert "Actualizado el 2013-10-24" in reply[0] and count_segments(reply[0]).segments <= 3


def test_without_polling_places_the_official_page(post_signed: Signer) -> None:
    _say(post_signed, "English")
    reply = _say(post_signed, "2")
    assert reply == [
        "Find your polling place and its hours on the official site: "
        "https://www.vote.org/polling-place-locator/\nReply MENU for more."
    ]


@pytest.mark.parametrize(
    ("name", "dob", "zip_code", "expected"),
    [
        ("José García-López", "03/05/1980", "90057", "registration is active"),
        ("garcia lopez, jose", "March 5, 1980", "my zip is 90057", "registration is active"),
        ("Ana de la Cruz Ruiz", "1/15/1990", "85004", "Your registration is inactive"),
        ("José García-López", "03/05/1981", "90057", "could not find your registration"),
    ],
)
def test_am_i_registered(
    post_signed: Signer,
    engine: Engine,
    tmp_path: Path,
    name: str,
    dob: str,
    zip_code: str,
    expected: str,
) -> None:
    import_voters(engine=engine, path=write_roll(tmp_path / "roll.csv", ROLL), now=NOW)
    _say(post_signed, "English")
    assert "first and last name" in _say(post_signed, "1")[0]
    assert "date of birth" in _say(post_signed, name)[0]
    assert "ZIP" in _say(post_signed, dob)[0]
    reply = _say(post_signed, zip_code)
    assert len(reply) == 1 and expected in reply[0]
    # nothing from the roll but the status: no address, city, party or phone
    for private in ("Elm St", "Pine Rd", "DEM", "2135550100", "2010-01-02", "Maricopa"):
        assert private not in reply[0]
    with Session(engine) as s:
        state = s.scalars(select(col(Conversation.state))).one()
    assert state is not None and "vars" not in state  # name and birth date are not kept


def test_an_unreadable_birth_date_is_asked_again(
    post_signed: Signer, engine: Engine, tmp_path: Path
) -> None:
    import_voters(engine=engine, path=write_roll(tmp_path / "roll.csv", ROLL), now=NOW)
    _say(post_signed, "Español")
    _say(post_signed, "1")
    _say(post_signed, "José García-López")
    again = _say(post_signed, "el treinta de febrero")
    assert len(again) == 1 and "03/25/1980" in again[0]
    assert "ZIP" in _say(post_signed, "5 de marzo de 1980")[0]
    assert _say(post_signed, "90057") == [
        "¡Buenas noticias! Usted está registrado para votar y su registro está activo."
    ]


def test_at_most_five_checks_a_day(post_signed: Signer, engine: Engine, tmp_path: Path) -> None:
    import_voters(engine=engine, path=write_roll(tmp_path / "roll.csv", ROLL), now=NOW)
    _say(post_signed, "English")
    answers = []
    for _ in range(6):
        _say(post_signed, "1")
        _say(post_signed, "José García-López")
        _say(post_signed, "03/05/1980")
        answers.append(_say(post_signed, "90057")[0])
    assert all("registration is active" in a for a in answers[:5])
    assert "limit" in answers[5]


def test_without_a_roll_the_official_lookup(post_signed: Signer, client: TestClient) -> None:
    _say(post_signed, "English")
    rt = runtime(client)
    assert _say(post_signed, "1") == [rt.render("registration.lookup", "en")]


def test_without_a_roll_the_elections_link_and_deadline(
    post_signed: Signer, engine: Engine
) -> None:
    today = utcnow().date()
    deadline = today + timedelta(days=10)
    with engine.begin() as conn:
        save_election(
            conn,
            source="cli",
            now=NOW,
            values={
                "name": "General",
                "date": today + timedelta(days=25),
                "state": "CA",
                "registration_deadline": deadline,
                "links": {
                    "registration_lookup": {
                        "default": "https://voterstatus.sos.ca.gov/",
                        "es": "https://voterstatus.sos.ca.gov/es",
                    }
                },
            },
        )
    _say(post_signed, "Español")
    reply = _say(post_signed, "1")
    assert len(reply) == 1
    assert "https://voterstatus.sos.ca.gov/es" in reply[0]
    assert f"{deadline.month}/{deadline.day}/{deadline.year}" in reply[0]


def test_maricopa_zip_in_spanish_gives_nearby_vote_centers(
    post_signed: Signer, engine: Engine
) -> None:
    import_places(engine=engine, path=MARICOPA, now=NOW)
    _say(post_signed, "Español")
    reply = _say(post_signed, "¿Dónde puedo votar? Vivo en el 85201")
    assert len(reply) == 1 and reply[0].startswith("Lugares donde puede votar:\n")
    places = reply[0].split("\n")[1:-1]
    assert 2 <= len(places) <= 3  # more places to choose from rather than more marks on one
    assert places[0].startswith("MESA CONVENTION CENTER - BUILDING A, 263 N CENTER ST, MESA")
    assert all(", AZ 85" in line and "de 6:00 a 19:00" in line for line in places)
    # the feed gives no coordinates: places sit at their ZIP's centre, so no "0.0 millas"
    assert all("millas" not in line for line in places)
    assert reply[0].split("\n")[-1] == (
        "Actualizado el 2020-08-04. Fuente: MARICOPA COUNTY BOARD OF ELECTIONS (VIP 04013)."
    )
    assert count_segments(reply[0]).segments <= 3
