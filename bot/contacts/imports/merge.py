"""One batch of normalized rows into contacts, memberships and the consent log, set-based.

The rows go into a temporary table (COPY on PostgreSQL, executemany on SQLite), then a few
statements merge them, the same on both databases:

1. new phones become contacts (on conflict, nothing: the contact exists already);
2. each row is joined to its contact (and whether that contact opted out) and to its
   membership in this organization, if any, into a second temporary table;
3. the counts come from that, before anything else is written;
4. rows of contacts who opted out are left alone: no membership, no consent, no update;
5. new memberships are inserted with an `opt_in` consent event each; existing ones take the
   file's non-empty values (a row repeating a phone seen earlier in the same import only fills
   gaps, so the first row for a phone wins and re-importing a file changes nothing).

Tags are the exception to "non-empty values only": a file with a tags column says what the
organization's tags for each of its rows are, so they replace the membership's, an empty cell
("" staged) clearing them. NULL staged (no tags column, or tags left out) leaves them alone.

No statement here ever writes `contacts.opted_out`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    case,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.schema import CreateTable, DropTable

from bot.contacts.imports.columns import IMPORTED
from bot.contacts.imports.copytext import copy_text
from bot.conversation.store import CONSENT_COLUMNS
from bot.sql import upsert_insert
from bot.tables import CONSENT, CONTACTS, MEMBERSHIPS

PROFILE = ("first_name", "last_name", "zip", "email", "external_id", "language")
STAGED = (*IMPORTED, "row_number", "rows")
RESOLVED = ("contact_id", "opted_out", "membership_id", "seen", "changed")
_META = MetaData()


def _staged_columns() -> list[Column[Any]]:
    return [
        Column("phone", String(20)),
        *(Column(f, String(254)) for f in PROFILE),
        Column("opted_in_at", DateTime(timezone=True)),
        Column("consent_source", String(200)),
        Column("tags", String(500)),  # "" for none: see above
        Column("row_number", Integer),
        Column("rows", Integer),
    ]


# The batch as read (phones are unique in it: the reader merged repeats), then joined.
STAGE = Table(
    "import_stage",
    _META,
    *_staged_columns(),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
BATCH = Table(
    "import_batch",
    _META,
    *_staged_columns(),
    Column("contact_id", Integer),
    Column("opted_out", Boolean),
    Column("membership_id", Integer),
    Column("seen", Boolean),
    Column("changed", Boolean),
    prefixes=["TEMPORARY"],
    postgresql_on_commit="DELETE ROWS",
)
# Phones a dry run has seen: it writes no memberships to mark them.
SEEN = Table(
    "import_seen", _META, Column("phone", String(20), primary_key=True), prefixes=["TEMPORARY"]
)
WORK_TABLES = (STAGE, BATCH, SEEN)
B, M = BATCH.c, MEMBERSHIPS.c


def create_work_tables(conn: Connection) -> None:
    """The temporary tables, private to this connection."""
    for table in WORK_TABLES:
        conn.execute(DropTable(table, if_exists=True))
        conn.execute(CreateTable(table))


def drop_work_tables(conn: Connection) -> None:
    """Drop the temporary tables (a pooled connection outlives the import)."""
    for table in WORK_TABLES:
        conn.execute(DropTable(table, if_exists=True))


def _sqlite_time(value: Any) -> Any:
    # The text SQLAlchemy writes for a UTC DateTime on SQLite, so that reads and comparisons
    # treat staged values like any other.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


_PLANNER = (
    "SELECT "
    + ", ".join(
        f"set_config('{name}', 'off', true)"
        for name in ("enable_hashjoin", "enable_mergejoin", "enable_material", "jit")
    )
    + ", set_config('synchronous_commit', 'off', true)"
)  # a lost batch is resumed, not corrupt


def stage(conn: Connection, rows: Sequence[Sequence[Any]], payload: bytes | None = None) -> None:
    """Put a batch's rows (in STAGED order) into the staging table; on PostgreSQL, `payload`
    is the rows' COPY text when it was made ahead."""
    names = ", ".join(STAGED)
    if conn.dialect.name == "postgresql":
        # A batch touches a few thousand rows of tables a bulk load is busy growing, whose
        # statistics lag behind: plans costed from them have been seen to hash, or rescan,
        # the whole table once per batch. Index probes it is (every join here is by an
        # indexed key); and no JIT for 10 ms queries.
        conn.exec_driver_sql(_PLANNER)
        raw: Any = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY import_stage ({names}) FROM STDIN") as cp:
            cp.write(payload if payload is not None else copy_text(rows))
        # No ANALYZE of the staging table: with only nested loops allowed the plan does not
        # depend on its statistics, and analyzing it cost more than the COPY.
        return
    conn.exec_driver_sql("DELETE FROM import_stage")
    conn.exec_driver_sql("DELETE FROM import_batch")
    at = STAGED.index("opted_in_at")
    marks = ", ".join("?" * len(STAGED))
    times: dict[Any, Any] = {}  # dates repeat: each is formatted once
    for row in rows:
        if (when := row[at]) not in times:
            times[when] = _sqlite_time(when)
    conn.exec_driver_sql(
        f"INSERT INTO import_stage ({names}) VALUES ({marks})",  # noqa: S608  (our names)
        [(*row[:at], times[row[at]], *row[at + 1 :]) for row in rows],
    )


def insert_contacts(conn: Connection, now: datetime) -> int:
    """Create contacts for phones the coalition does not know yet; how many were new."""
    s = STAGE.c
    at = bindparam("now", now, type_=CONTACTS.c.created_at.type)
    # Every staged phone, the known ones left to ON CONFLICT: cheaper than looking them up
    # first, and right when the webhook creates one of them meanwhile. (SQLite needs the
    # WHERE to tell the ON CONFLICT of the INSERT from a join's ON.)
    new = select(
        s.phone,
        s.language,
        case((s.language.is_not(None), literal("import"))),
        false(),
        false(),
        at,
        at,
    ).where(true())
    columns = [
        "phone",
        "language",
        "language_source",
        "opted_out",
        "reminders",
        "created_at",
        "updated_at",
    ]
    stmt = upsert_insert(conn, CONTACTS).from_select(columns, new)
    result = conn.execute(
        stmt.on_conflict_do_nothing(index_elements=["phone"]),
        execution_options={"preserve_rowcount": True},
    )
    return int(result.rowcount)


def _changed(repeat: str) -> str:
    """SQL: would this row change the membership `m`? A repeat within the import only fills
    gaps; a row from a new import overwrites with its non-empty values."""
    fills = " OR ".join(
        [
            *(f"(s.{f} IS NOT NULL AND m.{f} IS NULL)" for f in PROFILE),
            "(s.tags IS NOT NULL AND s.tags <> '' AND m.tags IS NULL)",
        ]
    )
    overwrites = " OR ".join(
        [
            *(f"(s.{f} IS NOT NULL AND (m.{f} IS NULL OR m.{f} <> s.{f}))" for f in PROFILE),
            "(s.tags IS NOT NULL AND COALESCE(m.tags, '') <> s.tags)",
        ]
    )
    return f"CASE WHEN m.id IS NULL THEN NULL WHEN {repeat} THEN ({fills}) ELSE ({overwrites}) END"


def _resolve_sql(dry_run: bool) -> Any:
    # A repeat: this import already wrote the membership (or, in a dry run, saw the phone).
    repeat = (
        "(s.phone IN (SELECT phone FROM import_seen))"
        if dry_run
        else ("COALESCE(m.last_import_id = :iid, false)")
    )
    staged = ", ".join(f"s.{name}" for name in STAGED)
    return text(
        f"INSERT INTO import_batch ({', '.join(STAGED)}, {', '.join(RESOLVED)}) "  # noqa: S608
        f"SELECT {staged}, c.id, c.opted_out, m.id, {repeat}, {_changed(repeat)} "
        "FROM import_stage s LEFT JOIN contacts c ON c.phone = s.phone "
        "LEFT JOIN memberships m ON m.organization_id = :org AND m.contact_id = c.id"
    )


_RESOLVE = {dry: _resolve_sql(dry) for dry in (False, True)}


def resolve(conn: Connection, *, organization_id: int, import_id: int, dry_run: bool) -> None:
    """Join each staged row to its contact, opt-out and membership, and mark repeats."""
    conn.execute(_RESOLVE[dry_run], {"org": organization_id, "iid": import_id})
    if dry_run:
        conn.execute(
            upsert_insert(conn, SEEN)
            .from_select(["phone"], select(B.phone).where(~func.coalesce(B.opted_out, False)))
            .on_conflict_do_nothing()
        )


def counts(conn: Connection) -> dict[str, int]:
    """How the batch's rows will be counted (before any of them is written)."""
    out = func.coalesce(B.opted_out, False)
    seen = func.coalesce(B.seen, False)
    fresh = and_(~out, ~seen)
    row = conn.execute(
        select(
            func.sum(case((out, B.rows), else_=0)).label("suppressed"),
            func.sum(case((out, 0), (seen, B.rows), else_=B.rows - 1)).label("duplicates"),
            func.sum(case((and_(fresh, B.membership_id.is_(None)), 1), else_=0)).label("new"),
            func.sum(
                case((and_(fresh, B.membership_id.is_not(None), B.changed), 1), else_=0)
            ).label("updated"),
            func.sum(
                case((and_(fresh, B.membership_id.is_not(None), ~B.changed), 1), else_=0)
            ).label("unchanged"),
            func.sum(case((B.contact_id.is_(None), 1), else_=0)).label("unknown"),
        )
    ).one()
    return {
        "suppressed": int(row.suppressed or 0),
        "duplicates": int(row.duplicates or 0),
        "new_memberships": int(row.new or 0),
        "updated": int(row.updated or 0),
        "unchanged": int(row.unchanged or 0),
        "unknown_phones": int(row.unknown or 0),
    }


def write(
    conn: Connection,
    *,
    organization_id: int,
    import_id: int,
    consent_text: str,
    now: datetime,
) -> None:
    """Insert new memberships and their consent, update existing ones, fill in languages."""
    at = bindparam("now", now, type_=MEMBERSHIPS.c.created_at.type)
    member_columns = [
        "organization_id",
        "contact_id",
        *PROFILE,
        "opted_in_at",
        "consent_source",
        "tags",
        "last_import_id",
        "created_at",
        "updated_at",
    ]
    rows = select(
        literal(organization_id),
        B.contact_id,
        *(B[f] for f in PROFILE),
        B.opted_in_at,
        B.consent_source,
        _staged_tags(),
        literal(import_id),
        at,
        at,
    ).where(~B.opted_out, B.membership_id.is_(None))
    insert = upsert_insert(conn, MEMBERSHIPS).from_select(member_columns, rows)
    insert = insert.on_conflict_do_nothing(index_elements=["organization_id", "contact_id"])
    fixed = (
        literal("opt_in"),
        literal("import"),
        literal("import"),
        literal(consent_text),
        literal(organization_id),
        at,
    )
    if conn.dialect.name == "postgresql":
        # The consent of exactly the memberships inserted: another import of the same list
        # committing first makes this one's insert do nothing, and then no second opt-in.
        inserted = insert.returning(MEMBERSHIPS.c.contact_id).cte("inserted")
        conn.execute(
            CONSENT.insert().from_select(CONSENT_COLUMNS, select(inserted.c.contact_id, *fixed))
        )
    else:  # one writer at a time: what was resolved is what gets inserted
        conn.execute(insert)
        conn.execute(
            CONSENT.insert().from_select(
                CONSENT_COLUMNS,
                select(B.contact_id, *fixed).where(~B.opted_out, B.membership_id.is_(None)),
            )
        )
    _update_memberships(conn, import_id=import_id, at=at)
    conn.execute(
        update(CONTACTS)
        .values(language=B.language, language_source="import", updated_at=at)
        .where(
            CONTACTS.c.id == B.contact_id,
            CONTACTS.c.language.is_(None),
            B.language.is_not(None),
            ~B.opted_out,
        )
    )


def _staged_tags() -> Any:
    """The batch's tags as stored: "" (none) is NULL."""
    return func.nullif(B.tags, "")


def _update_memberships(conn: Connection, *, import_id: int, at: Any) -> None:
    repeat = M.last_import_id.is_not_distinct_from(import_id)
    values: dict[str, Any] = {
        f: case((repeat, func.coalesce(M[f], B[f])), else_=func.coalesce(B[f], M[f]))
        for f in PROFILE
    }
    values["tags"] = case(
        (B.tags.is_(None), M.tags),
        (repeat, func.coalesce(M.tags, _staged_tags())),
        else_=_staged_tags(),
    )
    values["last_import_id"] = import_id
    values["updated_at"] = case((B.changed, at), else_=M.updated_at)
    conn.execute(
        update(MEMBERSHIPS)
        .values(values)
        .where(M.id == B.membership_id, ~B.opted_out, or_(B.changed, ~repeat))
    )
