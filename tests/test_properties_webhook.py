"""Property tests of what strangers send the bot: any signed inbound form gets a 200 or a 400
(never a 5xx), and a 400 stores nothing; any phone number as written comes out as E.164 in
ASCII digits, or is refused with a reason."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from bot.models import Contact, InboundMessage
from bot.phones import AddressError, parse_address
from tests.helpers.webhook import TO, Signer, count, sid

E164 = re.compile(r"\+[1-9][0-9]{7,14}")
# Digits as people type them in the scripts of the coalition's languages and others.
DIGIT_SETS = [
    "0123456789",
    "٠١٢٣٤٥٦٧٨٩",
    "۰۱۲۳۴۵۶۷۸۹",
    "०१२३४५६७८९",
    "០១២៣៤៥៦៧៨៩",
    "๐๑๒๓๔๕๖๗๘๙",
    "０１２３４５６７８９",
]
SEPARATORS = st.sampled_from(["", " ", "-", ".", "  ", "\u00a0"])
WEIRD = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=40
)


@st.composite
def written_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """A US number as someone might write it, and its E.164 form."""
    area = draw(st.sampled_from(["213", "323", "415", "626", "714", "818", "916"]))
    rest = draw(st.integers(min_value=2_000_000, max_value=9_999_999))
    national = f"{area}{rest}"
    digits = draw(st.sampled_from(DIGIT_SETS))
    shown = "".join(digits[int(d)] for d in national)
    sep = draw(SEPARATORS)
    parts = [shown[:3], shown[3:6], shown[6:]]
    style = draw(st.sampled_from(["plain", "parens", "plus1", "1"]))
    body = sep.join(parts)
    if style == "parens":
        body = f"({parts[0]}){sep}{parts[1]}{sep}{parts[2]}"
    elif style == "plus1":
        body = f"+{digits[1]}{sep}{body}"
    elif style == "1":
        body = f"{digits[1]}{sep}{body}"
    return body, f"+1{national}"


@given(written_numbers())
@settings(max_examples=300, deadline=None)
def test_a_number_in_any_script_is_its_ascii_e164(written: tuple[str, str]) -> None:
    raw, expected = written
    assert parse_address(raw, "US").phone == expected


@given(WEIRD)
@settings(max_examples=400, deadline=None)
def test_anything_is_ascii_e164_or_refused_with_a_reason(raw: str) -> None:
    try:
        phone = parse_address(raw, "US").phone
    except AddressError as exc:
        assert str(exc)  # a reason, in words
        assert len(raw.strip()) < 4 or raw.strip() not in str(exc)  # the value is not quoted
        return
    assert E164.fullmatch(phone) and phone.isascii()


@given(
    st.text(alphabet=string.ascii_letters, min_size=1, max_size=6),
    written_numbers(),
)
@settings(max_examples=150, deadline=None)
def test_letters_in_a_number_are_refused(letters: str, written: tuple[str, str]) -> None:
    raw, _ = written
    with pytest.raises(AddressError):
        parse_address(f"{raw[:4]}{letters}{raw[4:]}", "US")


FIELD_VALUES = st.one_of(
    WEIRD,
    st.sampled_from(["-1", "0", "10", "11", "9" * 30, "²", "①", "", " ", "\x00", "NaN"]),
    st.text(min_size=0, max_size=3000),
)


@pytest.mark.db
@given(
    body=FIELD_VALUES,
    sender=st.one_of(WEIRD, st.just("+12135550123"), st.just("whatsapp:+12135550123")),
    num_media=FIELD_VALUES,
    message_sid=st.one_of(st.just(None), WEIRD),
    opt_out=st.one_of(st.just(None), WEIRD, st.sampled_from(["STOP", "stop", "START"])),
)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_any_signed_form_is_200_or_a_400_that_stores_nothing(
    post_signed: Signer,
    engine: Engine,
    body: str,
    sender: str,
    num_media: str,
    message_sid: str | None,
    opt_out: str | None,
) -> None:
    data = {"MessageSid": message_sid or sid(), "From": sender, "To": TO, "Body": body}
    data["NumMedia"] = num_media
    if opt_out is not None:
        data["OptOutType"] = opt_out
    before = (count(engine, InboundMessage), count(engine, Contact))
    response = post_signed("/twilio/messages", data)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert (count(engine, InboundMessage), count(engine, Contact)) == before
        assert len(response.json()["detail"]) < 300  # says what, quotes nothing long
    else:
        assert count(engine, InboundMessage) == before[0] + 1
