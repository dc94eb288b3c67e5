"""The voter tables as migrated: what the roll keeps (and does not), and the lookup indexes."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, inspect

pytestmark = pytest.mark.db


def test_the_roll_keeps_no_name_address_party_or_phone(engine: Engine) -> None:
    schema = inspect(engine)
    voters = {c["name"] for c in schema.get_columns("voters")}
    assert voters == {"id", "roll_id", "dob", "zip", "county", "status", "registration_date"}
    assert {c["name"] for c in schema.get_columns("voter_keys")} == {"key", "voter_id"}
    assert schema.get_pk_constraint("voter_keys")["constrained_columns"] == ["key", "voter_id"]


@pytest.mark.parametrize(
    ("table", "columns"),
    [
        ("street_segments", ["zip", "street_name"]),
        ("street_segments", ["city", "street_name"]),
        ("polling_places", ["source_id", "zip"]),
        ("polling_places", ["lat", "lng"]),
        ("place_hours", ["place_id", "day"]),
        ("elections", ["date"]),
    ],
)
def test_lookups_have_their_indexes(engine: Engine, table: str, columns: list[str]) -> None:
    indexes = [index["column_names"] for index in inspect(engine).get_indexes(table)]
    assert columns in indexes


def test_checks_are_counted_per_contact_and_day(engine: Engine) -> None:
    schema = inspect(engine)
    pk = schema.get_pk_constraint("registration_checks")["constrained_columns"]
    assert pk == ["contact_id", "checked_on"]
    (fk,) = schema.get_foreign_keys("registration_checks")
    assert fk["referred_table"] == "contacts"
