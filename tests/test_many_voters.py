"""Many voters at once, through the signed webhook, on SQLite and PostgreSQL: each keeps their
own conversation, language and saved answers, whatever the others text in between.

Two ways: interleaved one message at a time in a shuffled order (every voter's place in the
flows must come from their own conversation), and truly at once, each voter in a thread of
their own against the app on a real port.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy import Engine, select
from twilio.request_validator import RequestValidator

from bot.clock import utcnow
from bot.settings import Settings
from bot.tables import CONTACTS, CONVERSATIONS, INBOUND, OUTBOUND
from bot.voter.roll.loader import import_voters
from messages.catalog import Catalogs
from tests.helpers.sending import free_port, served
from tests.helpers.voter import ROLL, write_roll
from tests.helpers.webhook import AUTH_TOKEN, TO, Signer, bodies, sid

pytestmark = pytest.mark.db
CATALOGS = Catalogs.load()
GREETED = ["welcome.greeting", "main.menu"]


def yes(language: str) -> str:
    """The first word a language's catalog lists for "yes"."""
    return CATALOGS.by_language[language].words("keywords.yes")[0]


@dataclass
class Voter:
    """One texter and their conversation: what they send and the replies' keys they must get."""

    phone: str
    language: str
    script: list[tuple[str, list[str]]]
    reminders: bool = False
    got: list[tuple[str, list[str], list[str]]] = field(default_factory=list)  # text, keys, bodies


def _registration(first: str, name: str, dob: str, zip_code: str, outcome: str) -> list[Any]:
    return [
        (first, GREETED),
        ("1", ["registration.ask_name"]),
        (name, ["registration.ask_dob"]),
        (dob, ["registration.ask_zip"]),
        (zip_code, [f"registration.{outcome}"]),
    ]


def _reminders(first: str, language: str, prelude: list[Any] | None = None) -> list[Any]:
    return [
        *(prelude or [(first, GREETED)]),
        ("3", ["reminders.ask"]),
        (yes(language), ["reminders.confirmed"]),
        ("2", ["polling.lookup"]),
    ]


def voters() -> list[Voter]:
    """Two dozen texters in nine languages: registration checks that must each read their own
    saved name and date of birth (two claim the same name with different birth dates),
    reminders, the language menu, and a returning voter mid-way."""
    found = [
        Voter(
            "+12135550101",
            "es",
            _registration("hola", "José García-López", "5 de marzo de 1980", "90057", "active"),
        ),
        Voter(
            "+12135550102",
            "es",
            _registration("hola", "José García-López", "5 de marzo de 1981", "90057", "not_found"),
        ),
        Voter(
            "+12135550103",
            "vi",
            _registration("xin chào", "Nguyễn Thị Hoa", "30/04/1975", "90057", "active"),
        ),
        Voter(
            "+12135550104",
            "ko",
            _registration("안녕하세요", "김민준", "1985-02-03", "90010", "not_found"),
        ),
        Voter(
            "+12135550105",
            "en",
            [
                ("hello", ["language.menu"]),
                ("1", GREETED),
                ("1", ["registration.ask_name"]),
                ("Ana de la Cruz Ruiz", ["registration.ask_dob"]),
                ("1/15/1990", ["registration.ask_zip"]),
                ("85004", ["registration.inactive"]),
            ],
        ),
    ]
    greetings = {
        "es": "hola",
        "zh": "你好",
        "vi": "xin chào",
        "ko": "안녕하세요",
        "th": "สวัสดี",
        "ja": "こんにちは",
        "tl": "kumusta",
        "hi": "नमस्ते",
        "km": "សួស្តី",
    }
    for n, (language, word) in enumerate(sorted(greetings.items()) * 2):
        voter = Voter(f"+1213555{200 + n:04d}", language, _reminders(word, language))
        voter.reminders = True
        found.append(voter)
    menu = [("hmm", ["language.menu"]), ("2", GREETED)]  # number 2 of the menu: Spanish
    for n in range(3):
        found.append(Voter(f"+1213555{300 + n:04d}", "es", _reminders("", "es", menu)))
        found[-1].reminders = True
    return found


def _keys(engine: Engine, message_sid: str) -> list[str]:
    o, i = OUTBOUND.c, INBOUND.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.message_key, o.language)
            .join(INBOUND, i.id == o.inbound_id)
            .where(i.message_sid == message_sid)
            .order_by(o.id)
        ).all()
    return [str(key) for key, _ in rows]


def _check(engine: Engine, everyone: list[Voter], render: Callable[[str, str], str]) -> None:
    """Each voter got their own replies, in their language, and the database says so."""
    for voter in everyone:
        assert [keys for _, keys, _ in voter.got] == [want for _, want in voter.script], voter
        for _text, keys, texts in voter.got:
            # Lookups fill in variables; the rest must be the catalog's text in their language.
            fixed = [k for k in keys if k.split(".")[0] in ("welcome", "main", "reminders")]
            for key in fixed:
                assert render(key, voter.language) in texts, (voter.phone, key, texts)
    with engine.connect() as conn:
        contacts = {r.phone: r for r in conn.execute(select(CONTACTS))}
        states = dict(
            conn.execute(
                select(CONTACTS.c.phone, CONVERSATIONS.c.state).join(
                    CONVERSATIONS, CONVERSATIONS.c.contact_id == CONTACTS.c.id
                )
            ).all()
        )
    assert len(contacts) == len(everyone)
    for voter in everyone:
        row = contacts[voter.phone]
        assert (row.language, row.reminders, row.opted_out) == (
            voter.language,
            voter.reminders,
            False,
        ), voter.phone
        state = states[voter.phone]
        assert state["node"] == "main.choose" and "vars" not in state, (voter.phone, state)


@pytest.fixture
def roll(engine: Engine, tmp_path: Path) -> None:
    import_voters(engine=engine, path=write_roll(tmp_path / "roll.csv", ROLL), now=utcnow())


@pytest.fixture
def render(settings: Settings) -> Callable[[str, str], str]:
    from bot.runtime import Runtime

    runtime = Runtime.load(settings)
    return lambda key, language: runtime.render(key, language)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.usefixtures("roll")
def test_interleaved_voters_keep_their_own_conversations(
    post_signed: Signer, engine: Engine, render: Callable[[str, str], str], seed: int
) -> None:
    everyone = voters()
    rng = random.Random(seed)
    progress = {v.phone: 0 for v in everyone}
    while any(progress[v.phone] < len(v.script) for v in everyone):
        # Everyone still talking sends their next message, in a new order each round; some
        # rounds only some of them do, so that voters fall out of step with each other.
        round_ = [v for v in everyone if progress[v.phone] < len(v.script)]
        rng.shuffle(round_)
        for voter in round_[: max(1, len(round_) - rng.randrange(3))]:
            text, _ = voter.script[progress[voter.phone]]
            data = {"MessageSid": sid(), "From": voter.phone, "To": TO, "Body": text}
            data |= {"NumMedia": "0", "AccountSid": "AC" + "0" * 32}
            response = post_signed("/twilio/messages", data)
            assert response.status_code == 200, response.text
            voter.got.append((text, _keys(engine, data["MessageSid"]), bodies(response)))
            progress[voter.phone] += 1
    _check(engine, everyone, render)


@pytest.mark.usefixtures("roll")
def test_voters_texting_at_the_same_time(
    settings: Settings, engine: Engine, render: Callable[[str, str], str]
) -> None:
    everyone = voters()
    public = f"http://127.0.0.1:{free_port()}"
    port = int(public.rsplit(":", 1)[1])
    live = settings.model_copy(update={"public_base_url": public})
    validator = RequestValidator(AUTH_TOKEN)
    start = threading.Barrier(len(everyone))
    errors: list[str] = []

    def converse(voter: Voter) -> None:
        with httpx.Client(base_url=public, timeout=30) as client:
            start.wait()  # everyone begins together
            for text, _ in voter.script:
                data = {"MessageSid": sid(), "From": voter.phone, "To": TO, "Body": text}
                data |= {"NumMedia": "0", "AccountSid": "AC" + "0" * 32}
                signature = validator.compute_signature(f"{public}/twilio/messages", data)
                response = client.post(
                    "/twilio/messages", data=data, headers={"X-Twilio-Signature": signature}
                )
                if response.status_code != 200:
                    errors.append(f"{voter.phone}: {response.status_code} {response.text}")
                    return
                voter.got.append((text, _keys(engine, data["MessageSid"]), bodies(response)))

    with served(live, engine, port):
        threads = [threading.Thread(target=converse, args=(v,)) for v in everyone]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert not errors
    _check(engine, everyone, render)
