"""A city-wide catch-all precinct (IncludesAllStreets) beside ordinary street segments: the most
specific segment decides the precinct, the catch-all's early voting places join the answer, and
a true tie gets both precincts' places, never a question about what the voter already gave."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from bot import tables
from bot.models import Conversation
from bot.voter.answers import PlacesAnswer
from bot.voter.places.address import most_specific, specificity
from bot.voter.places.finder import find_polling_places
from bot.voter.places.importer import import_places
from bot.voter.records import StreetSegment
from messages.segments import count_segments
from tests.helpers.voter import ALBEMARLE, NOW
from tests.helpers.webhook import Signer, bodies, fields, runtime

CATCHALL = ALBEMARLE.parent / "catchall_feed_v5.xml"
EARLY_DAY = dt.date(2024, 10, 22)  # inside the feed's early voting, before its election day
NORTH, SOUTH = "NORTH ELEMENTARY SCHOOL", "SOUTH FIRE HALL"
EARLY, DROP_BOX = "CITY HALL EARLY VOTING CENTER", "CENTRAL LIBRARY DROP BOX"
PHONE = "+12135550179"


def _find(engine: Engine, text: str) -> PlacesAnswer:
    with engine.connect() as conn:
        return find_polling_places(conn, text_or_query=text, today=EARLY_DAY, language="en")


def _names(answer: PlacesAnswer) -> list[str]:
    return [place.name for place in answer.places]


def _segment(source_id: str, precinct: str, *, whole: str | None = None) -> StreetSegment:
    """An Elm St segment: 1-99, or the whole "street", or the whole "city"."""
    return StreetSegment(
        source_id=source_id,
        precinct_id=precinct,
        start_house_number=None if whole else 1,
        end_house_number=None if whole else 99,
        odd_even_both="both",
        street_name=None if whole == "city" else "ELM",
        city="CHARLOTTESVILLE",
        state="VA",
        zip="22901",
        includes_all_addresses=whole is not None,
        includes_all_streets=whole == "city",
    )


def test_the_most_specific_segment_wins() -> None:
    city = _segment("city", "P0", whole="city")
    street = _segment("street", "P1", whole="street")
    house = _segment("house", "P2")
    assert [specificity(s) for s in (city, street, house)] == [0, 1, 2]
    assert most_specific([city, street, house]) == [house]
    assert most_specific([street, city]) == [street]
    assert most_specific([city]) == [city]
    other = _segment("house-too", "P3")
    assert most_specific([house, city, other]) == [house, other]  # a tie stays a tie


@pytest.mark.db
@pytest.mark.parametrize(
    ("address", "precinct", "own"),
    [
        ("150 Elm St, Charlottesville VA 22901", "101 - NORTH", NORTH),
        ("250 Elm St, Charlottesville VA 22901", "102 - SOUTH", SOUTH),
        ("25 Cedar St, Charlottesville VA 22901", "101 - NORTH", NORTH),  # range > whole street
        ("75 Cedar St, Charlottesville VA 22901", "102 - SOUTH", SOUTH),  # whole street alone
        ("10 Oak Ave, Charlottesville VA 22903", "102 - SOUTH", SOUTH),  # whole street > city
    ],
)
def test_an_ordinary_segment_gets_its_polling_place_and_the_early_center(
    engine: Engine, address: str, precinct: str, own: str
) -> None:
    import_places(engine=engine, path=CATCHALL, now=NOW)
    answer = _find(engine, address)
    assert (answer.outcome, answer.precinct) == ("found", precinct)
    assert _names(answer) == [own, EARLY, DROP_BOX]
    first, early, drop_box = answer.places
    assert first.is_polling_place and first.hours is not None
    assert first.hours.day == dt.date(2024, 11, 5)  # election day, at the precinct's own place
    assert early.is_early_voting and early.hours is not None and early.hours.is_today
    assert drop_box.is_drop_box and not drop_box.is_polling_place


@pytest.mark.db
def test_an_address_only_the_catch_all_covers_gets_its_places(engine: Engine) -> None:
    import_places(engine=engine, path=CATCHALL, now=NOW)
    answer = _find(engine, "7 Walnut St, Charlottesville VA 22901")
    assert (answer.outcome, answer.precinct) == ("found", "000 - CITY-WIDE EARLY VOTING")
    assert _names(answer) == [EARLY, DROP_BOX]
    assert not any(place.is_polling_place for place in answer.places)
    # The catch-all is Charlottesville's: Crozet's ZIP gets its nearest places, no precinct.
    elsewhere = _find(engine, "7 Walnut St, Crozet VA 22932")
    assert (elsewhere.outcome, elsewhere.precinct) == ("found", None)


@pytest.mark.db
@pytest.mark.parametrize(
    "address",
    [
        "110 Maple Dr, Charlottesville VA 22901",  # ZIP and city: nothing left to ask
        "110 Maple Dr 22901",  # the ZIP: the city would tell nothing more
        "110 Maple Dr, Charlottesville",  # the city: both segments are in one ZIP
    ],
)
def test_a_true_tie_is_answered_with_both_precincts(engine: Engine, address: str) -> None:
    import_places(engine=engine, path=CATCHALL, now=NOW)
    answer = _find(engine, address)
    assert (answer.outcome, answer.precinct) == ("candidates", None)
    assert _names(answer) == [NORTH, SOUTH, EARLY]  # each one's polling place, then early voting
    # Outside the overlap of the two ranges, one precinct again.
    alone = _find(engine, address.replace("110", "50"))
    assert (alone.outcome, alone.precinct) == ("found", "101 - NORTH")


@pytest.mark.db
def test_only_the_zip_is_asked_for_and_only_when_it_tells_apart(engine: Engine) -> None:
    import_places(engine=engine, path=CATCHALL, now=NOW)
    asked = _find(engine, "50 Birch Ln, Charlottesville VA")
    assert (asked.outcome, asked.given) == ("ambiguous", ("city",))
    assert "zip" in asked.disambiguate and "city" not in asked.disambiguate
    for zip_code, precinct in (("22901", "101 - NORTH"), ("22903", "102 - SOUTH")):
        answer = _find(engine, f"50 Birch Ln, Charlottesville VA {zip_code}")
        assert (answer.outcome, answer.precinct) == ("found", precinct)


@pytest.mark.db
def test_albemarles_county_wide_early_voting_center_is_no_rival(engine: Engine) -> None:
    # The real sample has the same catch-all (pre00000, every street of Charlottesville).
    import_places(engine=engine, path=ALBEMARLE, now=NOW)
    answer = _find(engine, "5 Arbor Crest Dr, Charlottesville VA 22901")
    assert (answer.outcome, answer.precinct) == ("found", "203 - GEORGETOWN")
    assert answer.places[0].name == "ALBEMARLE HIGH SCHOOL" and answer.places[0].is_polling_place
    # A mail-only precinct has no place of its own: the catch-all's drop box is the answer.
    mail = _find(engine, "10 Chapel Hill Rd, Charlottesville VA 22901")
    assert (mail.outcome, mail.precinct) == ("found", "9999 - PERMANENT MAIL-IN")
    assert [p.is_drop_box for p in mail.places] == [True]


# --- Through the signed webhook ----------------------------------------------------------------


def _say(post_signed: Signer, text: str) -> list[str]:
    return bodies(post_signed("/twilio/messages", fields(text, sender=PHONE)))


def _node(engine: Engine) -> str:
    with Session(engine) as s:
        state = s.scalars(select(col(Conversation.state))).one()
    assert state is not None
    return str(state["node"])


def _ref(engine: Engine) -> str | None:
    with engine.connect() as conn:
        ref = conn.execute(
            select(tables.CONTACTS.c.polling_place_ref).where(tables.CONTACTS.c.phone == PHONE)
        ).scalar()
    return str(ref) if ref is not None else None


def _places(reply: str) -> list[str]:
    """The places' names, one a line between the reply's first line and its source line."""
    return [line.split(",")[0] for line in reply.split("\n")[1:-1]]


@pytest.mark.db
def test_conversation_an_ordinary_address_and_a_catch_all_one(
    post_signed: Signer, engine: Engine
) -> None:
    import_places(engine=engine, path=CATCHALL, now=NOW)
    _say(post_signed, "English")
    _say(post_signed, "2")
    (reply,) = _say(post_signed, "150 Elm St, Charlottesville VA 22901")
    assert reply.startswith("Where you can vote:\nNORTH ELEMENTARY SCHOOL, 1200 Lambs Rd")
    assert _places(reply)[:2] == [NORTH, EARLY] and SOUTH not in reply
    assert count_segments(reply).segments <= 3
    ref = _ref(engine)
    assert ref is not None and ref.endswith("|pl_north")  # reminders will name it
    assert _node(engine) == "main.choose"
    _say(post_signed, "2")
    (reply,) = _say(post_signed, "7 Walnut St, Charlottesville VA 22901")
    assert _places(reply) == [EARLY, DROP_BOX]
    assert _ref(engine) == ref  # an early voting center is not a polling place to remember


@pytest.mark.db
def test_conversation_a_tie_is_answered_and_never_asked_again(
    post_signed: Signer, engine: Engine, client: TestClient
) -> None:
    import_places(engine=engine, path=CATCHALL, now=NOW)
    rt = runtime(client)
    questions = {rt.render("polling.ambiguous", "en"), rt.render("polling.ambiguous_zip", "en")}
    header = rt.render("polling.candidates", "en", {"places": "", "source": ""}).split("\n")[0]
    _say(post_signed, "English")
    for _ in range(2):  # asked twice: the same answer, no question either time
        _say(post_signed, "2")
        (reply,) = _say(post_signed, "110 Maple Dr, Charlottesville VA 22901")
        assert reply not in questions and reply.startswith(f"{header}\n")
        assert _places(reply)[:2] == [NORTH, SOUTH]
        assert count_segments(reply).segments <= 3
        assert _node(engine) == "main.choose"  # not waiting for the address again
    assert _ref(engine) is None  # neither place is surely the voter's


@pytest.mark.db
def test_conversation_asks_each_missing_part_once(
    post_signed: Signer, engine: Engine, client: TestClient
) -> None:
    import_places(engine=engine, path=CATCHALL, now=NOW)
    rt = runtime(client)
    _say(post_signed, "English")
    _say(post_signed, "2")
    assert _say(post_signed, "50 Birch Ln") == [rt.render("polling.ambiguous", "en")]
    # The city given, only the ZIP is asked for (it is what tells the two Birch Lanes apart).
    only_zip = _say(post_signed, "50 Birch Ln, Charlottesville")
    assert only_zip == [rt.render("polling.ambiguous_zip", "en")]
    assert "city" not in only_zip[0].lower() and _node(engine) == "polling.address"
    (reply,) = _say(post_signed, "50 Birch Ln, Charlottesville 22903")
    assert reply.startswith(f"Where you can vote:\n{SOUTH}")
    assert _node(engine) == "main.choose"
