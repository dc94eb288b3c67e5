"""The Twilio webhook, table-driven, signed with the twilio package's RequestValidator, on
SQLite and PostgreSQL."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from bot.app import create_app
from bot.models import (
    ConsentEvent,
    Contact,
    Conversation,
    HandoffRequest,
    InboundMessage,
    OutboundMessage,
)
from bot.settings import Settings
from tests.helpers.webhook import Signer, bodies, contact, count, fields, runtime

pytestmark = pytest.mark.db


# --- signatures and malformed requests --------------------------------------------------


@dataclass
class Case:
    label: str
    data: dict[str, str]
    expected_status: int
    expected_body: str
    signature: str | None = None  # None: sign correctly
    token: str | None = None  # sign with another token
    headers: dict[str, str] = field(default_factory=dict)


CASES = [
    Case(
        "Receive Invalid Signature",
        fields("hi"),
        403,
        "X-Twilio-Signature",
        signature="bm90IGEgc2lnbmF0dXJl",
    ),
    Case("Receive Missing Signature", fields("hi"), 403, "X-Twilio-Signature", signature=""),
    Case(
        "Receive Signature With Another Token",
        fields("hi"),
        403,
        "X-Twilio-Signature",
        token="someone-elses-token",
    ),
    Case("Missing From", {k: v for k, v in fields("hi").items() if k != "From"}, 400, "From"),
    Case("Missing To", {k: v for k, v in fields("hi").items() if k != "To"}, 400, "To"),
    Case(
        "Missing MessageSid",
        {k: v for k, v in fields("hi").items() if k != "MessageSid"},
        400,
        "MessageSid",
    ),
    Case("Missing Everything", {}, 400, "MessageSid, From, To"),
    Case("From Not A Phone", fields("hi", sender="not-a-number"), 400, "From is not a phone"),
    Case("NumMedia Not A Number", fields("hi", NumMedia="two"), 400, "NumMedia"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_rejected_requests_store_nothing(case: Case, post_signed: Signer, engine: Engine) -> None:
    kwargs: dict[str, Any] = {"signature": case.signature}
    if case.token:
        kwargs["token"] = case.token
    response = post_signed("/twilio/messages", case.data, **kwargs)
    assert response.status_code == case.expected_status
    assert case.expected_body in response.json()["detail"]
    assert count(engine, InboundMessage) == 0
    assert count(engine, Contact) == 0


def test_no_auth_token_configured_answers_503(settings: Settings, engine: Engine) -> None:
    unconfigured = settings.model_copy(update={"twilio_auth_token": None})
    with TestClient(create_app(unconfigured, engine)) as c:
        response = c.post("/twilio/messages", data=fields("hi"))
    assert response.status_code == 503
    assert "TWILIO_AUTH_TOKEN" in response.json()["detail"]
    assert count(engine, InboundMessage) == 0


def test_signature_over_public_base_url(settings: Settings, engine: Engine) -> None:
    from twilio.request_validator import RequestValidator

    public = settings.model_copy(update={"public_base_url": "https://turnout.example.org"})
    data = fields("hi")
    with TestClient(create_app(public, engine)) as c:
        good = RequestValidator(settings.twilio_auth_token).compute_signature(
            "https://turnout.example.org/twilio/messages", data
        )
        local = RequestValidator(settings.twilio_auth_token).compute_signature(
            "http://testserver/twilio/messages", data
        )
        assert (
            c.post("/twilio/messages", data=data, headers={"X-Twilio-Signature": local}).status_code
            == 403
        )
        ok = c.post("/twilio/messages", data=data, headers={"X-Twilio-Signature": good})
    assert ok.status_code == 200
    root = ET.fromstring(ok.content)
    actions = [m.get("action") for m in root.findall("Message")]
    assert actions and all(
        a and a.startswith("https://turnout.example.org/twilio/status?i=") for a in actions
    )


# --- conversations over SMS and WhatsApp --------------------------------------------------


def test_first_message_in_spanish_is_answered_in_spanish(
    post_signed: Signer, engine: Engine
) -> None:
    response = post_signed("/twilio/messages", fields("Hola, ¿dónde voto?"))
    assert response.status_code == 200
    texts = bodies(response)
    assert len(texts) == 2
    assert "Voter Power Coalition" in texts[0] and "STOP" in texts[0]
    assert "https://www.vote.org/polling-place-locator/" in texts[1]
    assert "votación" in texts[1] or "votar" in texts[1]
    found = contact(engine)
    assert found is not None and (found.language, found.language_source) == ("es", "detected")
    assert found.sms_last_inbound_at is not None and found.whatsapp_last_inbound_at is None


def test_whatsapp_sender_is_the_same_contact(post_signed: Signer, engine: Engine) -> None:
    post_signed("/twilio/messages", fields("English"))
    wa = fields("1", sender="whatsapp:+12135550123", ProfileName="María", WaId="12135550123")
    response = post_signed("/twilio/messages", wa)
    assert response.status_code == 200
    assert "registration" in bodies(response)[0]
    assert count(engine, Contact) == 1
    found = contact(engine)
    assert found is not None and found.whatsapp_last_inbound_at is not None
    with Session(engine) as s:
        out = s.scalars(select(OutboundMessage).order_by(col(OutboundMessage.id).desc())).first()
    assert out is not None and out.channel == "whatsapp"
    assert out.to_address == "whatsapp:+12135550123"


def test_duplicate_sid_is_answered_the_same_and_processed_once(
    post_signed: Signer, engine: Engine
) -> None:
    first_fields = fields("3", sender="+12135550199")
    post_signed("/twilio/messages", fields("English", sender="+12135550199"))
    first = post_signed("/twilio/messages", first_fields)
    again = post_signed("/twilio/messages", first_fields)
    assert again.status_code == 200
    assert again.content == first.content
    assert "YES" in bodies(first)[0]
    assert count(engine, InboundMessage) == 2
    with Session(engine) as s:
        replies = s.scalar(select(func.count()).select_from(OutboundMessage))
        conv = s.scalars(select(Conversation)).one()
    assert replies == 3  # changed + menu for "English", the question for "3": nothing more
    assert conv.state is not None and conv.state["node"] == "reminders.asking"


def test_media_only_gets_a_polite_answer(post_signed: Signer, engine: Engine) -> None:
    post_signed("/twilio/messages", fields("English"))
    data = fields(
        "",
        NumMedia="1",
        MediaUrl0="https://api.twilio.com/media/ME1",
        MediaContentType0="image/jpeg",
    )
    response = post_signed("/twilio/messages", data)
    assert bodies(response) == [
        "Sorry, I can only read text. Please type your question, or reply MENU for the menu."
    ]


@pytest.mark.parametrize(
    "body",
    ["👋🗳️✅", "x" * 1600, "مرحبا كيف حالك", "Привет", "\u202ehello\u202c", "<Response>&amp;"],
)
def test_any_script_emoji_and_long_bodies_work(
    body: str, post_signed: Signer, engine: Engine
) -> None:
    response = post_signed("/twilio/messages", fields(body))
    assert response.status_code == 200
    assert len(bodies(response)) >= 1
    with Session(engine) as s:
        stored = s.scalars(select(InboundMessage)).one()
    assert stored.body == body


# --- each language ---------------------------------------------------------------------

LANGUAGE_FIRST_MESSAGES = [
    ("en", "Where do I vote?", "Find your polling place"),
    ("es", "¿Dónde voto?", "vote.org"),
    ("zh", "我在哪里投票？", "vote.org"),
    ("vi", "Tôi bỏ phiếu ở đâu?", "vote.org"),
    ("ko", "어디서 투표해요?", "vote.org"),
    ("tl", "Saan po ako boboto?", "vote.org"),
    ("zh-Hant", "我在哪裡投票？", "vote.org"),
    ("hi", "मैं वोट कहाँ डालूँ?", "vote.org"),
    ("ja", "どこで投票できますか？", "vote.org"),
    ("km", "តើខ្ញុំបោះឆ្នោតនៅឯណា?", "vote.org"),
    ("th", "ฉันไปเลือกตั้งที่ไหน", "vote.org"),
]


@pytest.mark.parametrize(("language", "text", "expected"), LANGUAGE_FIRST_MESSAGES)
def test_each_language_is_answered_in_it(
    language: str,
    text: str,
    expected: str,
    post_signed: Signer,
    engine: Engine,
    client: TestClient,
) -> None:
    response = post_signed("/twilio/messages", fields(text))
    texts = bodies(response)
    rt = runtime(client)
    assert texts == [rt.render("welcome.greeting", language), rt.render("polling.lookup", language)]
    assert expected in texts[1]
    found = contact(engine)
    assert found is not None and found.language == language


def test_language_menu_when_unsure_then_choice_by_number(
    post_signed: Signer, engine: Engine, client: TestClient
) -> None:
    rt = runtime(client)
    menu = bodies(post_signed("/twilio/messages", fields("ok")))
    assert len(menu) == 1
    for code in ("en", "es", "zh", "vi", "ko", "tl"):
        assert rt.catalogs.by_language[code].name in menu[0]
    position = rt.catalogs.languages.index("vi") + 1
    texts = bodies(post_signed("/twilio/messages", fields(str(position))))
    assert texts == [rt.render("welcome.greeting", "vi"), rt.render("main.menu", "vi")]
    found = contact(engine)
    assert found is not None and (found.language, found.language_source) == ("vi", "menu")


# --- opt-out, START, HELP ------------------------------------------------------------------

STOP_WORDS = [
    ("en", "STOP"),
    ("en", "stopall"),
    ("en", "Unsubscribe"),
    ("en", "cancel"),
    ("en", "END"),
    ("en", "quit"),
    ("en", "REVOKE"),
    ("en", "optout"),
    ("en", "Stop texting me"),
    ("es", "ALTO"),
    ("es", "parar"),
    ("es", "Cancelar"),
    ("es", "basta"),
    ("es", "no más mensajes"),
    ("zh", "停止"),
    ("zh", "取消"),
    ("zh", "退订"),
    ("zh", "不要再发了"),
    ("vi", "DỪNG"),
    ("vi", "dung"),
    ("vi", "HỦY"),
    ("vi", "huy"),
    ("ko", "중지"),
    ("ko", "그만"),
    ("tl", "HINTO"),
    ("tl", "TIGIL"),
    ("zh-Hant", "退訂"),
    ("hi", "रोको"),
    ("hi", "BAND KARO"),
    ("ja", "配信停止"),
    ("km", "ឈប់"),
    ("th", "หยุด"),
]


@pytest.mark.parametrize(("language", "word"), STOP_WORDS)
def test_opt_out_family_per_language(
    language: str, word: str, post_signed: Signer, engine: Engine, client: TestClient
) -> None:
    rt = runtime(client)
    phone = "+12135550150"
    post_signed("/twilio/messages", fields(rt.catalogs.by_language[language].name, sender=phone))
    assert bodies(post_signed("/twilio/messages", fields("3", sender=phone)))  # mid-question
    stopped = bodies(post_signed("/twilio/messages", fields(word, sender=phone)))
    assert stopped == [rt.render("consent.stopped", language)]
    found = contact(engine, phone)
    assert found is not None and found.opted_out and not found.reminders
    # nothing but HELP and START gets an answer now, whatever they write
    for other in ("hola", "yes", "1", "MENU", "where do I vote", "English"):
        assert bodies(post_signed("/twilio/messages", fields(other, sender=phone))) == []
    with Session(engine) as s:
        events = s.scalars(select(ConsentEvent).order_by(col(ConsentEvent.id))).all()
    assert [(e.kind, e.source, e.channel, e.text) for e in events] == [
        ("opt_out", "keyword", "sms", word)
    ]


HELP_WORDS = [
    ("en", "HELP"),
    ("es", "AYUDA"),
    ("zh", "帮助"),
    ("zh-Hant", "幫助"),
    ("vi", "GIÚP"),
    ("vi", "giup"),
    ("ko", "도움"),
    ("tl", "TULONG"),
    ("hi", "मदद"),
    ("ja", "ヘルプ"),
    ("km", "ជំនួយ"),
    ("th", "ช่วยด้วย"),
]


@pytest.mark.parametrize(("language", "word"), HELP_WORDS)
def test_help_per_language(
    language: str, word: str, post_signed: Signer, engine: Engine, client: TestClient
) -> None:
    rt = runtime(client)
    phone = "+12135550151"
    post_signed("/twilio/messages", fields(rt.catalogs.by_language[language].name, sender=phone))
    asked = bodies(post_signed("/twilio/messages", fields("3", sender=phone)))
    helped = bodies(post_signed("/twilio/messages", fields(word, sender=phone)))
    assert helped == [rt.render("help.info", language)]
    assert "Voter Power Coalition" in helped[0] and "213-555-0100" in helped[0]
    # HELP leaves the texter where they were: YES still answers the reminders question
    confirmed = bodies(post_signed("/twilio/messages", fields("YES", sender=phone)))
    assert asked == [rt.render("reminders.ask", language)]
    assert confirmed == [rt.render("reminders.confirmed", language)]


def test_help_while_opted_out_and_only_start_resubscribes(
    post_signed: Signer, engine: Engine, client: TestClient
) -> None:
    rt = runtime(client)
    post_signed("/twilio/messages", fields("Español"))
    post_signed("/twilio/messages", fields("ALTO"))
    helped = bodies(post_signed("/twilio/messages", fields("AYUDA")))
    assert helped == [rt.render("help.info", "es")]
    assert "call 213-555-0100" in helped[0] and "Voter Power Coalition" in helped[0]
    assert bodies(post_signed("/twilio/messages", fields("sí"))) == []
    started = bodies(post_signed("/twilio/messages", fields("START")))
    assert started == [rt.render("consent.started", "es")]
    found = contact(engine)
    assert found is not None and not found.opted_out
    again = bodies(post_signed("/twilio/messages", fields("hola")))
    assert again[0] == rt.render("welcome.greeting", "es")
    with Session(engine) as s:
        kinds = [e.kind for e in s.scalars(select(ConsentEvent).order_by(col(ConsentEvent.id)))]
    assert kinds == ["opt_out", "help", "opt_in"]


@pytest.mark.parametrize(
    ("opt_out_type", "kind", "opted_out"),
    [("STOP", "opt_out", True), ("START", "opt_in", False), ("HELP", "help", False)],
)
def test_twilio_advanced_opt_out_is_honored(
    opt_out_type: str, kind: str, opted_out: bool, post_signed: Signer, engine: Engine
) -> None:
    post_signed("/twilio/messages", fields("English"))
    response = post_signed("/twilio/messages", fields("Stop please", OptOutType=opt_out_type))
    assert bodies(response) == []  # Twilio already answered the keyword
    found = contact(engine)
    assert found is not None and found.opted_out is opted_out
    with Session(engine) as s:
        event = s.scalars(select(ConsentEvent)).one()
    assert (event.kind, event.source) == (kind, "twilio_advanced_opt_out")


def test_reminders_yes_is_recorded_as_consent(post_signed: Signer, engine: Engine) -> None:
    post_signed("/twilio/messages", fields("English"))
    post_signed("/twilio/messages", fields("3"))
    assert "signed up" in bodies(post_signed("/twilio/messages", fields("YES")))[0]
    found = contact(engine)
    assert found is not None and found.reminders
    with Session(engine) as s:
        event = s.scalars(select(ConsentEvent)).one()
    assert (event.kind, event.text, event.source) == ("reminders_opt_in", "YES", "conversation")


def test_talk_to_a_person_records_one_handoff(post_signed: Signer, engine: Engine) -> None:
    post_signed("/twilio/messages", fields("English"))
    assert (
        "A person from Voter Power Coalition"
        in bodies(post_signed("/twilio/messages", fields("4")))[0]
    )
    assert (
        bodies(post_signed("/twilio/messages", fields("I need a ride to my polling place"))) == []
    )
    with Session(engine) as s:
        handoffs = s.scalars(select(HandoffRequest)).all()
    assert [h.status for h in handoffs] == ["open"]
