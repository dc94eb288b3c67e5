"""/api/v1/blasts and /api/v1/elections/{id}/reminders: what organizers create, preview, test
and steer, who may, and what each refusal says. The dispatcher is not run: sends are started
with `start_send`, as the scheduler starts them, and the outbox rows it makes are checked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from bot.clock import utcnow
from bot.sending.drafts import PARTNER_AUDIENCE
from bot.sending.sends import start_send
from bot.tables import CONTACTS, OUTBOX, SENDS
from tests.helpers.partners import bearer, make_org
from tests.helpers.sending import add_contact

pytestmark = pytest.mark.db
HX = "HX" + "0123456789abcdef" * 2
FOOTER = "\nReply STOP to opt out."
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


@dataclass
class World:
    """The coalition and two partners, Alpha and Beta, with their lists:

    en   +12135550101  Alpha            90012 (Los Angeles County)  volunteer
    es   +12135550102  Alpha and Beta   90012 / 85004
    zh   +12135550103  Beta             85004 (Maricopa County)     volunteer, Guide ES
    es   +12135550104  Alpha            opted out
    vi   +12135550105  Alpha            90012
    """

    admin: str
    alpha: str
    beta: str
    alpha_id: int
    beta_id: int
    contacts: dict[str, int]


@pytest.fixture
def world(engine: Engine) -> World:
    _, _, admin = make_org(engine, "Coalition", admin=True)
    alpha_id, _, alpha = make_org(engine, "Alpha")
    beta_id, _, beta = make_org(engine, "Beta")
    contacts = {
        "en": add_contact(engine, "+12135550101", "en", [(alpha_id, "90012", ["volunteer"])]),
        "es": add_contact(
            engine, "+12135550102", "es", [(alpha_id, "90012", []), (beta_id, "85004", [])]
        ),
        "zh": add_contact(
            engine, "+12135550103", "zh", [(beta_id, "85004", ["Volunteer", "Guide ES"])]
        ),
        "out": add_contact(
            engine, "+12135550104", "es", [(alpha_id, "90012", ["volunteer"])], opted_out=True
        ),
        "vi": add_contact(engine, "+12135550105", "vi", [(alpha_id, "90012-1234", [])]),
    }
    return World(admin, alpha, beta, alpha_id, beta_id, contacts)


def blast_body(**changes: Any) -> dict[str, Any]:
    return {"name": "Early voting", "texts": {"en": "Early voting starts Saturday!"}, **changes}


def by_language(preview: dict[str, Any]) -> dict[str, int]:
    found = {lang["language"]: lang["recipients"] for lang in preview["languages"]}
    return found | {code: n for code, n in preview["without_text"].items()}


def create(client: TestClient, key: str, **changes: Any) -> dict[str, Any]:
    made = client.post("/api/v1/blasts", headers=bearer(key), json=blast_body(**changes))
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def outbox_of(engine: Engine, send_id: int) -> list[tuple[int, str, str]]:
    o = OUTBOX.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(o.contact_id, o.language, o.status)
            .where(o.send_id == send_id)
            .order_by(o.contact_id)
        )
        return [(int(c), str(lang), str(status)) for c, lang, status in rows]


def start(engine: Engine, send_id: int) -> None:
    """Start a send as the scheduler does (its outbox rows, in one transaction)."""
    with engine.begin() as conn:
        start_send(conn, send_id, default_language="en", now=utcnow())


# --- creating ---------------------------------------------------------------------------------


def test_a_partner_creates_a_blast_to_its_own_list(client: TestClient, world: World) -> None:
    send_at = (utcnow() + dt.timedelta(days=2)).replace(microsecond=0)
    made = create(
        client,
        world.alpha,
        texts={"en": "  Early voting starts Saturday!  ", "es": "¡El voto anticipado empieza!"},
        send_at=send_at.astimezone(dt.timezone(dt.timedelta(hours=-8))).isoformat(),
        whatsapp_templates={"es": HX},
        audience={"tags": ["Volunteer"], "zips": ["90012"]},
    )
    assert made["organization"] == "alpha" and made["status"] == "scheduled"
    assert made["texts"] == {
        "en": "Early voting starts Saturday!",
        "es": "¡El voto anticipado empieza!",
    }
    assert made["message_key"] is None and made["whatsapp_templates"] == {"es": HX}
    assert made["audience"] == {
        "organizations": ["alpha"],
        "languages": [],
        "zips": ["90012"],
        "counties": [],
        "tags": ["volunteer"],
    }
    assert dt.datetime.fromisoformat(made["send_at"]) == send_at  # stored in UTC
    assert made["send_at"].endswith("Z")
    assert made["recipients"] is None and made["tests"] == [] and made["started_at"] is None
    assert made["counts"] == {
        "recipients": 0,
        "queued": 0,
        "deferred": 0,
        "sending": 0,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        "review": 0,
        "skipped": {},
        "failed_by_error": {},
    }
    again = client.get(f"/api/v1/blasts/{made['id']}", headers=bearer(world.alpha)).json()
    assert again == made
    # naming its own list is the same as naming none; send_at defaults to now
    own = create(client, world.alpha, audience={"organizations": ["alpha"]})
    assert own["audience"]["organizations"] == ["alpha"]
    assert abs(dt.datetime.fromisoformat(own["send_at"]) - utcnow()) < dt.timedelta(minutes=1)


def test_a_catalog_message_blast(client: TestClient, world: World) -> None:
    made = create(client, world.alpha, texts=None, message_key="blasts.footer")
    assert (made["texts"], made["message_key"]) == (None, "blasts.footer")
    shown = client.get(f"/api/v1/blasts/{made['id']}/preview", headers=bearer(world.alpha)).json()
    texts = {lang["language"]: (lang["text"], lang["fallback"]) for lang in shown["languages"]}
    assert texts["en"] == ("Reply STOP to opt out.", False)  # says STOP already: no footer
    assert texts["es"][1] is False and texts["es"][0] != texts["en"][0]  # translated


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"texts": {"xx": "Hi"}}, "texts: unknown language 'xx'"),
        ({"texts": {"en": "   "}}, "texts"),
        ({"texts": {"en": "x" * 1601}}, "texts"),
        ({"texts": {"en": "x" * 1590}}, "texts.en: 1613 characters with the opt-out line"),
        ({"texts": {}}, "texts"),
        ({"message_key": "blasts.footer"}, "exactly one of texts (per language) or message_key"),
        ({"texts": None}, "exactly one of texts (per language) or message_key"),
        ({"texts": None, "message_key": "no.such"}, "message_key: no message 'no.such'"),
        ({"texts": None, "message_key": "keywords.stop"}, "message_key: no message"),
        ({"texts": None, "message_key": "reminders.eve"}, "message_key: 'reminders.eve' needs"),
        ({"name": ""}, "name"),
        ({"audience": {"zips": ["9001"]}}, "zips"),
        ({"audience": {"counties": ["Nowhere"]}}, "audience.counties: unknown county 'Nowhere'"),
        ({"audience": {"languages": ["fr"]}}, "audience.languages: unknown language 'fr'"),
        ({"audience": {"tags": ["!!"]}}, "audience.tags: '!!' has no letters or digits"),
        ({"audience": {"regions": ["x"]}}, "regions"),
        ({"send_at": "2026-12-01T10:00:00"}, "send_at"),
        ({"send_at": "tomorrow"}, "send_at"),
        ({"whatsapp_templates": {"en": "HX123"}}, "whatsapp_templates"),
        ({"whatsapp_templates": {"xx": HX}}, "whatsapp_templates: unknown language 'xx'"),
        ({"sender": "me"}, "sender"),
    ],
)
def test_invalid_blasts_are_refused_naming_the_field(
    client: TestClient, world: World, changes: dict[str, Any], named: str
) -> None:
    body = {k: v for k, v in blast_body(**changes).items() if v is not None}
    for path in ("/api/v1/blasts", "/api/v1/blasts/preview"):
        response = client.post(path, headers=bearer(world.alpha), json=body)
        assert response.status_code == 422, response.text
        assert named in str(response.json()["detail"]), response.json()
    assert client.get("/api/v1/blasts", headers=bearer(world.admin)).json() == []


def test_send_at_must_be_soon_enough_and_not_past(client: TestClient, world: World) -> None:
    now = utcnow()
    for when, problem in [
        (now - dt.timedelta(hours=1), "is in the past"),
        (now + dt.timedelta(days=400), "more than a year ahead"),
    ]:
        response = client.post(
            "/api/v1/blasts", headers=bearer(world.alpha), json=blast_body(send_at=when.isoformat())
        )
        assert response.status_code == 422
        detail = response.json()["detail"]
        assert detail.startswith("send_at: ") and problem in detail
    just_now = (now - dt.timedelta(minutes=1)).isoformat()
    assert create(client, world.alpha, send_at=just_now)["status"] == "scheduled"


def test_organizations_a_blast_may_name(client: TestClient, world: World) -> None:
    alpha = bearer(world.alpha)
    for slugs in (["beta"], ["nobody"], ["alpha", "beta"], ["coalition"]):
        body = blast_body(audience={"organizations": slugs})
        for path in ("/api/v1/blasts", "/api/v1/blasts/preview"):
            response = client.post(path, headers=alpha, json=body)
            assert (response.status_code, response.json()) == (403, {"detail": PARTNER_AUDIENCE})
    unknown = client.post(
        "/api/v1/blasts",
        headers=bearer(world.admin),
        json=blast_body(audience={"organizations": ["beta", "nobody"]}),
    )
    assert (unknown.status_code, unknown.json()) == (
        422,
        {"detail": "audience.organizations: no organization 'nobody'"},
    )
    assert client.get("/api/v1/blasts", headers=bearer(world.admin)).json() == []
    both = create(client, world.admin, audience={"organizations": ["beta", "alpha"]})
    assert (both["organization"], both["audience"]["organizations"]) == (
        "coalition",
        ["beta", "alpha"],
    )
    everyone = create(client, world.admin)
    assert everyone["audience"]["organizations"] == []


# --- previews ---------------------------------------------------------------------------------


def test_preview_counts_the_audience_once_and_never_the_opted_out(
    client: TestClient, world: World
) -> None:
    def preview(key: str, **audience: Any) -> dict[str, Any]:
        body = blast_body(texts={"en": "Vote!", "es": "¡Vota!", "zh": "投票!"}, audience=audience)
        response = client.post("/api/v1/blasts/preview", headers=bearer(key), json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        assert result["recipients"] == sum(by_language(result).values())
        return result

    # Alpha: its own list (en, es, vi); the opted-out contact is not counted
    assert by_language(preview(world.alpha)) == {"en": 1, "es": 1, "vi": 1}
    assert by_language(preview(world.beta)) == {"es": 1, "zh": 1}
    # every list: the contact on both lists is counted once
    everyone = preview(world.admin)
    assert (everyone["recipients"], by_language(everyone)) == (
        4,
        {"en": 1, "es": 1, "vi": 1, "zh": 1},
    )
    assert by_language(preview(world.admin, organizations=["beta"])) == {"es": 1, "zh": 1}
    assert by_language(preview(world.admin, organizations=["alpha", "beta"]))["es"] == 1
    assert by_language(preview(world.admin, languages=["es"])) == {"es": 1}
    assert by_language(preview(world.admin, languages=["es", "zh"], zips=["85004"])) == {
        "es": 1,
        "zh": 1,
    }
    assert by_language(preview(world.admin, zips=["90012"])) == {"en": 1, "es": 1, "vi": 1}
    assert by_language(preview(world.alpha, zips=["85004"])) == {}  # Beta's ZIP for that voter
    assert by_language(preview(world.admin, counties=["Maricopa County, AZ"])) == {
        "es": 1,
        "zh": 1,
    }
    assert by_language(preview(world.admin, counties=["los angeles"])) == {
        "en": 1,
        "es": 1,
        "vi": 1,
    }
    assert by_language(preview(world.admin, tags=["VOLUNTEER"])) == {"en": 1, "zh": 1}
    assert by_language(preview(world.admin, tags=["guide es"])) == {"zh": 1}
    assert by_language(preview(world.alpha, tags=["volunteer"])) == {"en": 1}
    assert preview(world.admin, tags=["nobody-has-this"]) == {
        "recipients": 0,
        "languages": [],
        "without_text": {},
        "cost_per_segment": "0.0083",
        "estimated_cost": "0.00",
        "holdout": None,  # no share held back: nothing to measure
    }


def test_preview_texts_segments_and_costs(client: TestClient, world: World) -> None:
    long_en = "Early voting starts Saturday at every vote center in the county. " * 3
    body = blast_body(texts={"en": long_en.strip(), "zh": "提前投票周六开始！"})
    shown = client.post("/api/v1/blasts/preview", headers=bearer(world.admin), json=body).json()
    languages = {lang["language"]: lang for lang in shown["languages"]}
    en_text = long_en.strip() + FOOTER
    assert languages["en"] == {
        "language": "en",
        "recipients": 1,
        "text": en_text,
        "text_language": "en",
        "fallback": False,
        "characters": len(en_text),
        "encoding": "GSM-7",
        "segments": 2,
        "estimated_cost": "0.02",  # 1 × 2 × 0.0083
    }
    # Spanish and Vietnamese have no text: the default language's, flagged
    assert {k: languages[k]["fallback"] for k in ("es", "vi")} == {"es": True, "vi": True}
    assert languages["es"]["text"] == en_text and languages["es"]["text_language"] == "en"
    zh = languages["zh"]
    assert (zh["encoding"], zh["segments"], zh["fallback"]) == ("UCS-2", 1, False)
    assert zh["text"].startswith("提前投票周六开始！\n")  # with the Chinese opt-out line
    assert shown["recipients"] == 4 and shown["without_text"] == {}
    assert shown["cost_per_segment"] == "0.0083"
    assert shown["estimated_cost"] == "0.06"  # (2 + 2 + 2 + 1) × 0.0083 = 0.0581


def test_preview_flags_languages_without_any_text(client: TestClient, world: World) -> None:
    body = blast_body(texts={"es": "¡Vota el martes!"})  # no English, the default language
    shown = client.post("/api/v1/blasts/preview", headers=bearer(world.admin), json=body).json()
    assert [(lang["language"], lang["recipients"]) for lang in shown["languages"]] == [("es", 1)]
    assert shown["without_text"] == {"en": 1, "vi": 1, "zh": 1}
    assert shown["recipients"] == 4 and shown["estimated_cost"] == "0.01"


def test_a_stored_blasts_preview(client: TestClient, world: World) -> None:
    made = create(client, world.alpha, audience={"languages": ["en", "vi"]})
    shown = client.get(f"/api/v1/blasts/{made['id']}/preview", headers=bearer(world.alpha))
    assert by_language(shown.json()) == {"en": 1, "vi": 1}
    assert client.get(f"/api/v1/blasts/{made['id']}/preview", headers=bearer(world.admin)).json()
    other = client.get(f"/api/v1/blasts/{made['id']}/preview", headers=bearer(world.beta))
    assert (other.status_code, other.json()) == (404, {"detail": "not found"})


# --- reading, listing, steering ---------------------------------------------------------------


def test_who_sees_which_blasts(client: TestClient, world: World) -> None:
    first = create(client, world.alpha, name="Alpha one")
    second = create(client, world.beta, name="Beta one")
    third = create(client, world.alpha, name="Alpha two")
    listed = client.get("/api/v1/blasts", headers=bearer(world.alpha)).json()
    assert [b["name"] for b in listed] == ["Alpha two", "Alpha one"]
    everything = client.get("/api/v1/blasts", headers=bearer(world.admin)).json()
    assert [b["id"] for b in everything] == [third["id"], second["id"], first["id"]]
    for key, blast, status in [
        (world.beta, first, 404),
        (world.alpha, second, 404),
        (world.admin, first, 200),
        (world.admin, second, 200),
    ]:
        response = client.get(f"/api/v1/blasts/{blast['id']}", headers=bearer(key))
        assert response.status_code == status
        assert response.json() == (blast if status == 200 else {"detail": "not found"})
    missing = client.get("/api/v1/blasts/999999", headers=bearer(world.admin))
    assert (missing.status_code, missing.json()) == (404, {"detail": "not found"})
    client.post(f"/api/v1/blasts/{first['id']}/pause", headers=bearer(world.alpha))
    paused = client.get("/api/v1/blasts?status=paused", headers=bearer(world.admin)).json()
    assert [b["id"] for b in paused] == [first["id"]]
    bad = client.get("/api/v1/blasts?status=lost", headers=bearer(world.admin))
    assert bad.status_code == 422 and "status" in str(bad.json())


def test_pause_resume_cancel_and_their_conflicts(client: TestClient, world: World) -> None:
    made = create(client, world.alpha)
    path = f"/api/v1/blasts/{made['id']}"
    alpha, beta = bearer(world.alpha), bearer(world.beta)

    def act(action: str, key: dict[str, str] = alpha) -> tuple[int, Any]:
        response = client.post(f"{path}/{action}", headers=key)
        body = response.json()
        return response.status_code, body.get("status", body)

    assert act("pause", beta) == (404, {"detail": "not found"})
    assert act("resume") == (
        409,
        {"detail": "only a paused send can be resumed; this one is scheduled"},
    )
    assert act("pause") == (200, "paused")
    assert act("pause") == (409, {"detail": "a paused send cannot be paused"})
    assert act("resume") == (200, "scheduled")
    assert act("pause", bearer(world.admin)) == (200, "paused")  # the coalition may too
    assert act("cancel") == (200, "cancelled")
    assert act("cancel") == (409, {"detail": "a cancelled send cannot be cancelled"})
    assert act("resume") == (
        409,
        {"detail": "only a paused send can be resumed; this one is cancelled"},
    )
    assert act("pause") == (409, {"detail": "a cancelled send cannot be paused"})
    final = client.get(path, headers=alpha).json()
    assert final["status"] == "cancelled" and final["finished_at"] is not None


def test_a_started_blast_reaches_its_audience_and_cancelling_skips_the_rest(
    client: TestClient, world: World, engine: Engine
) -> None:
    made = create(client, world.admin, audience={"organizations": ["alpha", "beta"]})
    start(engine, made["id"])
    c = world.contacts
    assert outbox_of(engine, made["id"]) == sorted(
        [
            (c["en"], "en", "pending"),
            (c["es"], "es", "pending"),  # once, although on both lists
            (c["zh"], "zh", "pending"),
            (c["vi"], "vi", "pending"),
        ]
    )  # and never the opted-out contact
    shown = client.get(f"/api/v1/blasts/{made['id']}", headers=bearer(world.admin)).json()
    assert (shown["status"], shown["started_at"] is not None) == ("sending", True)
    assert (shown["counts"]["recipients"], shown["counts"]["queued"]) == (4, 4)
    paused = client.post(f"/api/v1/blasts/{made['id']}/pause", headers=bearer(world.admin))
    assert paused.json()["status"] == "paused"
    resumed = client.post(f"/api/v1/blasts/{made['id']}/resume", headers=bearer(world.admin))
    assert resumed.json()["status"] == "sending"  # it had started
    cancelled = client.post(f"/api/v1/blasts/{made['id']}/cancel", headers=bearer(world.admin))
    counts = cancelled.json()["counts"]
    assert (counts["recipients"], counts["queued"], counts["skipped"]) == (4, 0, {"cancelled": 4})


def test_a_partners_started_blast_reaches_its_list_only(
    client: TestClient, world: World, engine: Engine
) -> None:
    made = create(client, world.beta, texts={"en": "Vote!"}, audience={"tags": ["volunteer"]})
    start(engine, made["id"])
    assert outbox_of(engine, made["id"]) == [(world.contacts["zh"], "zh", "pending")]


# --- test sends -------------------------------------------------------------------------------


def test_a_test_send_goes_to_one_number(client: TestClient, world: World, engine: Engine) -> None:
    made = create(client, world.alpha, whatsapp_templates={"en": HX})
    path = f"/api/v1/blasts/{made['id']}/test"
    # A coalition admin tests a partner's blast on a number nobody has listed.
    queued = client.post(
        path, headers=bearer(world.admin), json={"phone": "(213) 555-0199", "language": "es"}
    )
    assert queued.status_code == 202, queued.text
    test = queued.json()
    assert test["blast_id"] == made["id"] and test["to"] == "…0199"
    assert (test["language"], test["status"]) == ("es", "scheduled")
    with engine.connect() as conn:
        row = conn.execute(select(SENDS).where(SENDS.c.id == test["id"])).one()
        phone = conn.execute(
            select(CONTACTS.c.phone).where(CONTACTS.c.id == row.audience["contact_id"])
        ).scalar_one()
    assert (row.kind, row.parent_id, row.organization_id) == ("test", made["id"], world.alpha_id)
    assert (row.texts, row.templates, phone) == (made["texts"], {"en": HX}, "+12135550199")
    assert row.audience["language"] == "es" and row.status == "scheduled"
    shown = client.get(f"/api/v1/blasts/{made['id']}", headers=bearer(world.alpha)).json()
    assert [(t["id"], t["to"], t["status"], t["outcome"]) for t in shown["tests"]] == [
        (test["id"], "…0199", "scheduled", None)
    ]
    assert shown["counts"]["recipients"] == 0  # a test is not part of the blast's counts
    # started as the scheduler starts it: one message, to that number, in Spanish
    start(engine, test["id"])
    assert outbox_of(engine, test["id"]) == [(row.audience["contact_id"], "es", "pending")]
    shown = client.get(f"/api/v1/blasts/{made['id']}", headers=bearer(world.alpha)).json()
    assert [(t["status"], t["outcome"], t["language"]) for t in shown["tests"]] == [
        ("sending", "pending", "es")
    ]
    # a known number is that contact, in their own language unless told otherwise
    known = client.post(path, headers=bearer(world.admin), json={"phone": "+12135550102"})
    assert known.status_code == 202 and known.json()["language"] is None
    start(engine, known.json()["id"])
    assert outbox_of(engine, known.json()["id"]) == [(world.contacts["es"], "es", "pending")]


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"phone": "not a phone"}, "phone: not a phone number"),
        ({"phone": "12"}, "phone: "),
        ({"phone": "+12135550199", "language": "fr"}, "language: unknown language 'fr'"),
    ],
)
def test_test_sends_refuse_bad_input(
    client: TestClient, world: World, engine: Engine, body: dict[str, str], detail: str
) -> None:
    made = create(client, world.alpha)
    response = client.post(
        f"/api/v1/blasts/{made['id']}/test", headers=bearer(world.admin), json=body
    )
    assert response.status_code == 422 and response.json()["detail"].startswith(detail)
    with engine.connect() as conn:
        kinds = list(conn.execute(select(SENDS.c.kind)).scalars())
    assert kinds == ["blast"]
    other = client.post(
        f"/api/v1/blasts/{made['id']}/test",
        headers=bearer(world.beta),
        json={"phone": "+12135550199"},
    )
    assert (other.status_code, other.json()) == (404, {"detail": "not found"})


@pytest.mark.parametrize(
    "phone",
    [
        "+12135550199",  # on nobody's list
        "+12135550103",  # on Beta's list only
        "+15005550006",  # the coalition's own number
        "+1٢١٣٥٥٥٠١٠٣",  # Beta's, in Arabic-Indic digits
    ],
)
def test_a_partner_tests_only_on_its_own_contacts(
    client: TestClient, world: World, engine: Engine, phone: str
) -> None:
    made = create(client, world.alpha)
    path = f"/api/v1/blasts/{made['id']}/test"
    with engine.connect() as conn:
        before = conn.execute(select(CONTACTS.c.id, CONTACTS.c.phone)).all()
    refused = client.post(path, headers=bearer(world.alpha), json={"phone": phone})
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert detail.startswith("phone: ")
    assert ("not on your list" in detail) or ("own number" in detail)
    assert "opted" not in detail and "Beta" not in detail and "beta" not in detail
    with engine.connect() as conn:
        after = conn.execute(select(CONTACTS.c.id, CONTACTS.c.phone)).all()
        kinds = list(conn.execute(select(SENDS.c.kind)).scalars())
    assert (after, kinds) == (before, ["blast"])  # no contact made, no test stored


def test_a_partners_test_to_its_own_opted_out_contact_says_so_only_to_it(
    client: TestClient, world: World, engine: Engine
) -> None:
    made = create(client, world.alpha)
    path = f"/api/v1/blasts/{made['id']}/test"
    # Alpha's own contact who opted out: Alpha's list shows it already, the test says so too.
    queued = client.post(path, headers=bearer(world.alpha), json={"phone": "+12135550104"})
    assert queued.status_code == 202, queued.text
    assert queued.json()["to"] == "…0104"
    # Beta cannot even learn that the number is a contact of someone.
    beta = create(client, world.beta)
    other = client.post(
        f"/api/v1/blasts/{beta['id']}/test",
        headers=bearer(world.beta),
        json={"phone": "+12135550104"},
    )
    assert other.status_code == 422 and "opted" not in other.json()["detail"]


def test_test_sends_are_limited_per_organization_and_day(
    client: TestClient, world: World, engine: Engine
) -> None:
    from bot.sending.blasts import TESTS_PER_DAY

    made = create(client, world.alpha)
    path = f"/api/v1/blasts/{made['id']}/test"
    for i in range(TESTS_PER_DAY):
        key = world.alpha if i % 2 else world.admin  # the partner's own and the admin's count
        phone = "+12135550101" if i % 2 else f"+1213555{i:04d}"
        sent = client.post(path, headers=bearer(key), json={"phone": phone})
        assert sent.status_code == 202, sent.text
    over = client.post(path, headers=bearer(world.alpha), json={"phone": "+12135550101"})
    assert over.status_code == 429
    assert over.json()["detail"] == f"at most {TESTS_PER_DAY} test sends a day per organization"
    with engine.connect() as conn:
        tests = conn.execute(select(SENDS.c.id).where(SENDS.c.kind == "test")).all()
    assert len(tests) == TESTS_PER_DAY


# --- election reminders -----------------------------------------------------------------------


def election(days: int = 60, **changes: Any) -> dict[str, Any]:
    day = dt.date.today() + dt.timedelta(days=days)
    return {
        "name": "Special Election",
        "date": day.isoformat(),
        "state": "CA",
        "polls_open": "07:00",
        "polls_close": "20:00",
        "timezone": "America/Los_Angeles",
        "registration_deadline": (day - dt.timedelta(days=15)).isoformat(),
        "early_voting_start": (day - dt.timedelta(days=10)).isoformat(),
        **changes,
    }


def reminder_rows(engine: Engine) -> list[tuple[str, dt.datetime]]:
    s = SENDS.c
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.reminder, s.send_at).where(s.kind == "reminder").order_by(s.send_at)
        )
        return [(str(step), when) for step, when in rows]


def test_an_election_gets_its_reminder_plan_at_once(
    client: TestClient, world: World, engine: Engine
) -> None:
    made = client.post("/api/v1/elections", headers=bearer(world.admin), json=election())
    assert made.status_code == 201, made.text
    steps = ["registration_deadline", "early_voting", "eve", "morning", "closing"]
    assert [step for step, _ in reminder_rows(engine)] == steps  # before anyone asks
    plan = client.get(
        f"/api/v1/elections/{made.json()['id']}/reminders", headers=bearer(world.beta)
    )
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert [r["reminder"] for r in body] == steps
    day = dt.date.fromisoformat(election()["date"])
    eve = body[2]
    assert eve | {"id": 0} == {
        "id": 0,
        "reminder": "eve",
        "name": "Special Election: eve",
        "election_date": day.isoformat(),
        "status": "scheduled",
        "send_at": eve["send_at"],
        "expires_at": eve["expires_at"],
        "edited": False,
        "message_key": "reminders.eve",
        "texts": None,
        "templates": None,
        "recipients": None,
        "counts": body[0]["counts"],
    }
    local = dt.datetime.fromisoformat(eve["send_at"]).astimezone(LOS_ANGELES)
    assert (local.date(), local.hour) == (day - dt.timedelta(days=1), 17)
    assert body[0]["counts"]["recipients"] == 0
    missing = client.get("/api/v1/elections/999999/reminders", headers=bearer(world.beta))
    assert (missing.status_code, missing.json()) == (404, {"detail": "not found"})


def test_a_coalition_admin_edits_a_reminder(
    client: TestClient, world: World, engine: Engine
) -> None:
    election_id = client.post(
        "/api/v1/elections", headers=bearer(world.admin), json=election()
    ).json()["id"]
    base = f"/api/v1/elections/{election_id}/reminders"
    plan = client.get(base, headers=bearer(world.admin)).json()
    eve, closing = plan[2], plan[4]
    admin = bearer(world.admin)

    refused = client.patch(f"{base}/{eve['id']}", headers=bearer(world.alpha), json={"texts": {}})
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "this needs a coalition admin's API key"},
    )
    earlier = dt.datetime.fromisoformat(eve["send_at"]) - dt.timedelta(hours=3)
    moved = client.patch(
        f"{base}/{eve['id']}",
        headers=admin,
        json={"send_at": earlier.isoformat(), "templates": {"es": HX}},
    )
    assert moved.status_code == 200, moved.text
    assert dt.datetime.fromisoformat(moved.json()["send_at"]) == earlier
    assert (moved.json()["edited"], moved.json()["templates"]) == (True, {"es": HX})
    texts = {"en": "Polls open tomorrow!", "es": "¡Las urnas abren mañana!"}
    own = client.patch(f"{base}/{eve['id']}", headers=admin, json={"texts": texts}).json()
    assert (own["texts"], own["templates"], own["message_key"]) == (
        texts,
        {"es": HX},
        "reminders.eve",
    )
    back = client.patch(f"{base}/{eve['id']}", headers=admin, json={"texts": {}}).json()
    assert back["texts"] is None and back["edited"] is True

    after_expiry = dt.datetime.fromisoformat(closing["expires_at"]) + dt.timedelta(minutes=1)
    for body, detail in [
        ({}, "give send_at, templates or texts"),
        ({"send_at": "2030-01-01T10:00:00"}, "send_at"),
        ({"send_at": after_expiry.isoformat()}, "send_at: this reminder is not worth sending"),
        ({"send_at": (utcnow() - dt.timedelta(hours=2)).isoformat()}, "send_at: "),
        ({"texts": {"fr": "Votez"}}, "texts: unknown language 'fr'"),
        ({"templates": {"en": "HX1"}}, "templates"),
        ({"when": "soon"}, "when"),
    ]:
        response = client.patch(f"{base}/{closing['id']}", headers=admin, json=body)
        assert response.status_code == 422, (body, response.text)
        assert detail in str(response.json()["detail"]), response.json()
    unchanged = client.get(base, headers=admin).json()[4]
    assert unchanged == closing

    # another election's reminder is not found under this one
    other = client.post(
        "/api/v1/elections", headers=admin, json=election(90, name="Runoff")
    ).json()["id"]
    wrong = client.patch(
        f"/api/v1/elections/{other}/reminders/{eve['id']}", headers=admin, json={"texts": {}}
    )
    assert (wrong.status_code, wrong.json()) == (404, {"detail": "not found"})

    # the election's facts change: unedited steps follow, the moved one stays
    client.post("/api/v1/elections", headers=admin, json=election(polls_close="21:00"))
    again = {r["reminder"]: r for r in client.get(base, headers=admin).json()}
    assert dt.datetime.fromisoformat(again["eve"]["send_at"]) == earlier
    later = dt.datetime.fromisoformat(again["closing"]["send_at"])
    assert later - dt.datetime.fromisoformat(closing["send_at"]) == dt.timedelta(hours=1)


def test_reminders_pause_resume_cancel(client: TestClient, world: World) -> None:
    admin = bearer(world.admin)
    election_id = client.post("/api/v1/elections", headers=admin, json=election()).json()["id"]
    base = f"/api/v1/elections/{election_id}/reminders"
    step = client.get(base, headers=admin).json()[0]
    path = f"{base}/{step['id']}"

    def act(action: str, key: dict[str, str] = admin) -> tuple[int, Any]:
        response = client.post(f"{path}/{action}", headers=key)
        body = response.json()
        return response.status_code, body.get("status", body)

    assert act("pause", bearer(world.alpha)) == (
        403,
        {"detail": "this needs a coalition admin's API key"},
    )
    assert act("pause") == (200, "paused")
    assert act("pause") == (409, {"detail": "a paused send cannot be paused"})
    assert act("resume") == (200, "scheduled")
    assert act("cancel") == (200, "cancelled")
    assert act("resume") == (
        409,
        {"detail": "only a paused send can be resumed; this one is cancelled"},
    )
    edit = client.patch(path, headers=admin, json={"texts": {"en": "Vote"}})
    assert (edit.status_code, edit.json()) == (
        409,
        {"detail": "a cancelled reminder cannot be changed"},
    )
    # a cancelled step stays cancelled when the plan is brought up to date
    plan = client.get(base, headers=admin).json()
    assert (plan[0]["id"], plan[0]["status"]) == (step["id"], "cancelled")
    assert len(plan) == 5
    missing = client.post(f"{base}/999999/pause", headers=admin)
    assert (missing.status_code, missing.json()) == (404, {"detail": "not found"})


def test_reminders_start_for_contacts_who_asked_for_them(
    client: TestClient, world: World, engine: Engine
) -> None:
    wants = add_contact(engine, "+12135550177", "ko", [], reminders=True)
    add_contact(engine, "+12135550178", "es", [], reminders=True, opted_out=True)
    admin = bearer(world.admin)
    election_id = client.post("/api/v1/elections", headers=admin, json=election()).json()["id"]
    base = f"/api/v1/elections/{election_id}/reminders"
    step = client.get(base, headers=admin).json()[0]
    start(engine, step["id"])
    assert outbox_of(engine, step["id"]) == [(wants, "ko", "pending")]
    shown = client.get(base, headers=bearer(world.beta)).json()[0]
    assert (shown["status"], shown["counts"]["recipients"], shown["counts"]["queued"]) == (
        "sending",
        1,
        1,
    )
