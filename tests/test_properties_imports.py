"""Whatever a partner uploads, through the API: random bytes, any delimiter, stray and doubled
quotes, byte-order marks, cells of tens of thousands of characters, NUL bytes, garbage in the
phone column, rows too short and too long, in any encoding. The answer is never a 5xx, every
import that starts finishes (done, or failed with a reason), and a voter who opted out stays
opted out whatever the file says and however it spells their number."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select, update

from bot.app import create_app
from bot.clock import utcnow
from bot.settings import Settings
from bot.tables import CONSENT, CONTACTS, MEMBERSHIPS
from tests.helpers.partners import bearer, csv_text, make_org, upload
from tests.helpers.sending import add_contact

pytestmark = pytest.mark.db
EXAMPLES = 40
OPTED_OUT = "+12135550104"
# How partners' files spell that number.
SPELLINGS = [
    "+12135550104",
    "2135550104",
    "12135550104",
    "(213) 555-0104",
    "213-555-0104",
    "213.555.0104",
    "+1 213 555 0104",
    "1-213-555-0104",
    "'+12135550104",
    "tel:+1-213-555-0104",
    " 213 555 0104 ",
    "+1 (213) 555-0104 ext. 0",
    "２１３５５５０１０４",  # full-width digits
]
PHONE_HEADERS = ["phone", "Cell Phone", "mobile", "CellPhone", "Teléfono", "tel"]
WELL_FORMED = csv_text("phone,first_name", *(f'"{phone}",Ana' for phone in SPELLINGS))
HEADERS = ["first_name", "last name", "zip", "email", "tags", "language", "VANID", ""]
DELIMITERS = [",", ",", ",", ";", "\t", "|", " ", ":", "\x00"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"]

text = st.text(max_size=40)
garbage = st.one_of(
    text,
    st.sampled_from(["NaN", "#N/A", "=2+3", "0", "-", "+", "()", "1e10", "2.13555E+09", "555"]),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.text(alphabet="0123456789+-() .", min_size=1, max_size=30),
)
long_cell = st.integers(min_value=1_000, max_value=40_000).map(lambda n: "x" * n)
cell = st.one_of(
    st.sampled_from(SPELLINGS),
    garbage,
    text.map(lambda t: f"{t}\x00{t}"),
    text.map(lambda t: f'"{t}'),  # a quote that opens and never closes
    text.map(lambda t: f'"{t}""{t}"'),
    long_cell,
)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    """A file a spreadsheet (or something worse) might have made."""
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return draw(st.binary(max_size=3000))
    delimiter = draw(st.sampled_from(DELIMITERS))
    header = draw(st.lists(st.sampled_from(HEADERS) | text, max_size=5))
    if draw(st.integers(min_value=0, max_value=5)):  # most lists have a phone column
        header.insert(draw(st.integers(0, len(header))), draw(st.sampled_from(PHONE_HEADERS)))
    rows = draw(st.lists(st.lists(cell, max_size=8), max_size=12))
    # The opted-out number is in most files, in its own spelling each time.
    phones = draw(st.lists(st.sampled_from(SPELLINGS), min_size=1, max_size=3))
    rows += [[phone, *draw(st.lists(cell, max_size=3))] for phone in phones]
    rows = draw(st.permutations(rows))
    line_end = draw(st.sampled_from(["\r\n", "\n", "\r"]))
    body = line_end.join(delimiter.join(row) for row in [header, *rows])
    encoding = draw(st.sampled_from(ENCODINGS))
    content = body.encode(encoding, errors="replace")
    if draw(st.booleans()) and not encoding.startswith("utf-16"):
        content = draw(st.sampled_from([codecs.BOM_UTF8, codecs.BOM_UTF16_LE, b""])) + content
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        at = draw(st.integers(min_value=0, max_value=len(content)))
        content = content[:at] + draw(st.binary(max_size=64)) + content[at:]
    return content


@pytest.fixture
def api(settings: Settings, engine: Engine, tmp_path: Path) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={"import_dir": str(tmp_path / "spool"), "import_max_bytes": 1 << 20}
    )
    with TestClient(create_app(configured, engine)) as client:
        yield client


def _opted_out(engine: Engine) -> list[bool]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                select(CONTACTS.c.opted_out).where(CONTACTS.c.phone == OPTED_OUT)
            ).scalars()
        )


def test_no_file_undoes_an_opt_out_or_breaks_the_api(
    api: TestClient, engine: Engine, tmp_path: Path
) -> None:
    _, _, alpha = make_org(engine, "Alpha")
    _, _, admin = make_org(engine, "Coalition", admin=True)
    contact_id = add_contact(engine, OPTED_OUT, "es", [])
    with engine.begin() as conn:  # opted out by SMS, before any list knew them
        conn.execute(
            update(CONTACTS)
            .where(CONTACTS.c.id == contact_id)
            .values(opted_out=True, opted_out_at=utcnow())
        )
    outcomes: dict[str, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(content=csv_files(), name=st.sampled_from(["list.csv", "list.txt", "list.xlsx"]))
    @example(content=WELL_FORMED, name="list.csv")  # so the voter is met at least once
    def upload_anything(content: bytes, name: str) -> None:
        response = upload(api, alpha, content, name=name)
        assert response.status_code < 500, response.text
        assert response.status_code in (202, 422), response.text
        if response.status_code == 202:
            # The import ran after the response, before the client returned.
            found = api.get(response.headers["location"], headers=bearer(admin)).json()
            assert found["status"] in ("done", "failed"), found
            assert found["status"] == "done" or found["error"], found
            outcome = found["status"]
            outcomes["suppressed"] = outcomes.get("suppressed", 0) + found["suppressed"]
        else:
            outcome = "refused"
            detail = response.json()["detail"]
            assert "\x00" not in detail and "5550104" not in "".join(filter(str.isdigit, detail))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        assert _opted_out(engine) == [True]

    upload_anything()
    assert _opted_out(engine) == [True]
    with engine.connect() as conn:
        listed = conn.execute(
            select(func.count())
            .select_from(MEMBERSHIPS)
            .where(MEMBERSHIPS.c.contact_id == contact_id)
        ).scalar_one()
        opted_in = conn.execute(
            select(func.count())
            .select_from(CONSENT)
            .where(CONSENT.c.contact_id == contact_id, CONSENT.c.kind == "opt_in")
        ).scalar_one()
    assert (listed, opted_in) == (0, 0)  # never put on Alpha's list, no consent recorded
    # Files of every kind were tried, and the importer did meet the voter in them.
    assert outcomes.get("done", 0) > 0 and outcomes.get("refused", 0) > 0, outcomes
    assert outcomes.get("suppressed", 0) > 0, outcomes
