"""Reviewing translations: who may, what each message's state is, and saving a reviewer's text
(as a draft, or reviewed: then the bot says it at once) once it passes the suite's checks.

A message's state in a language, as the console and `turnout languages` show it:
- `reviewed`: the coalition reviewed it here (its text is in the database and in effect), or
  the catalog file has it reviewed (no fuzzy flag, a `# reviewed-by:` line);
- `draft`: the catalog's draft (fuzzy) is in effect, maybe with a reviewer's edit in progress;
- `missing`: the catalog has no translation: the bot says it in English.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from bot.access import Caller
from bot.accounts import audit
from bot.errors import Forbidden, Invalid, NotFound
from bot.tables import (
    TRANSLATION_REVIEWERS,
    TRANSLATION_VERSION,
    TRANSLATIONS,
    USERS,
)
from bot.translations.live import VERSION_ROW
from messages import quality
from messages.catalog import Catalogs, budget, is_list_key, placeholders
from messages.segments import SegmentInfo, count_segments

DRAFT, REVIEWED = "draft", "reviewed"
MAX_TEXT = 1600  # ten segments of GSM-7: far over any budget


class TranslationRefused(Invalid):
    """A text that fails the suite's checks: nothing was stored."""

    def __init__(self, problems: list[quality.Problem]) -> None:
        super().__init__("; ".join(p.detail for p in problems), where="text")
        self.problems = problems


@dataclass(frozen=True)
class LanguageStatus:
    """One language's coverage and review state."""

    code: str
    name: str
    total: int  # messages sent (English has them all)
    translated: int
    reviewed: int  # in the files or in the database
    reviewed_here: int  # reviewed by the coalition in the console (in the database)
    drafts_here: int  # edits saved as drafts in the console

    @property
    def drafts(self) -> int:
        """Messages still in effect as drafts."""
        return self.translated - self.reviewed


@dataclass(frozen=True)
class MessageState:
    """One message in one language, as a reviewer sees it."""

    key: str
    english: str
    text: str  # what the bot says now
    state: str  # reviewed, draft, missing
    here: bool  # reviewed in the console (the database's text is in effect)
    edited: bool  # a draft edit is saved in the console
    comment: str
    variables: list[str]
    budget: int | None
    catalog_text: str | None  # the file's translation
    draft_text: str | None  # the console's saved draft, when there is one
    previous_text: str | None  # what was in effect before the last review here
    reviewed_by: str | None
    reviewed_at: datetime | None


def clean(text: str) -> str:
    """A browser's text as a message: line ends as \\n, NFC, no trailing blanks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


def is_reviewer(conn: Connection, *, user_id: int, language: str) -> bool:
    """Whether the user is a reviewer of the language."""
    r = TRANSLATION_REVIEWERS.c
    found = conn.execute(
        select(r.id).where(r.user_id == user_id, r.language == language).limit(1)
    ).first()
    return found is not None


def can_review(conn: Connection, *, caller: Caller, user_id: int | None, language: str) -> bool:
    """A coalition admin reviews every language; anyone else, the languages they review."""
    if caller.is_admin:
        return True
    return user_id is not None and is_reviewer(conn, user_id=user_id, language=language)


def reviewer_languages(conn: Connection, *, user_id: int) -> list[str]:
    """The languages a user reviews."""
    r = TRANSLATION_REVIEWERS.c
    rows = conn.execute(select(r.language).where(r.user_id == user_id).order_by(r.language))
    return [str(code) for code in rows.scalars()]


def reviewers(conn: Connection, *, language: str | None = None) -> list[tuple[str, str]]:
    """(email, language) of every reviewer (of one language)."""
    r, u = TRANSLATION_REVIEWERS.c, USERS.c
    query = select(u.email, r.language).join(USERS, u.id == r.user_id)
    if language is not None:
        query = query.where(r.language == language)
    return [(str(e), str(c)) for e, c in conn.execute(query.order_by(r.language, u.email))]


def _language(catalogs: Catalogs, language: str) -> str:
    if language not in catalogs.by_language or language == catalogs.source:
        raise NotFound(f"no translated language {language[:16]!r}")
    return language


def set_reviewer(
    conn: Connection,
    *,
    caller: Caller,
    catalogs: Catalogs,
    user_id: int,
    language: str,
    reviewer: bool,
    now: datetime,
) -> bool:
    """Make a user a reviewer of a language (or no longer one); True when it changed."""
    caller.require_admin()
    if language not in catalogs.by_language or language == catalogs.source:
        supported = ", ".join(c for c in catalogs.languages if c != catalogs.source)
        raise Invalid(f"--language: {language!r} is not a translated language ({supported})")
    already = is_reviewer(conn, user_id=user_id, language=language)
    if already == reviewer:
        return False
    r = TRANSLATION_REVIEWERS.c
    if reviewer:
        conn.execute(
            insert(TRANSLATION_REVIEWERS).values(user_id=user_id, language=language, created_at=now)
        )
    else:
        conn.execute(
            delete(TRANSLATION_REVIEWERS).where(r.user_id == user_id, r.language == language)
        )
    audit.record(
        conn,
        user_id=caller.user_id,
        organization_id=None,
        action="translation.reviewer" if reviewer else "translation.reviewer_removed",
        subject=f"user:{user_id}",
        now=now,
        detail={"language": language},
    )
    return True


def _rows(conn: Connection, language: str | None = None) -> dict[tuple[str, str], Any]:
    t, u = TRANSLATIONS.c, USERS.c
    query = select(TRANSLATIONS, u.email.label("reviewer_email"), u.name.label("reviewer_name"))
    query = query.outerjoin(USERS, u.id == t.reviewed_by)
    if language is not None:
        query = query.where(t.language == language)
    return {(str(row.language), str(row.key)): row for row in conn.execute(query)}


def sent_keys(catalogs: Catalogs) -> list[str]:
    """The messages the bot sends (not the word lists), in the source catalog's order."""
    return [k for k in catalogs.by_language[catalogs.source].entries if not is_list_key(k)]


def overview(conn: Connection, *, catalogs: Catalogs) -> list[LanguageStatus]:
    """Every language's coverage and review state, the database's reviews counted."""
    rows = _rows(conn)
    keys = sent_keys(catalogs)
    found = []
    for code, (total, translated, reviewed) in _status(catalogs, rows).items():
        here = sum(1 for k in keys if (code, k) in rows and rows[(code, k)].reviewed_text)
        drafts = sum(1 for k in keys if (code, k) in rows and rows[(code, k)].state == DRAFT)
        name = catalogs.by_language[code].name
        found.append(LanguageStatus(code, name, total, translated, reviewed, here, drafts))
    return found


def _status(
    catalogs: Catalogs, rows: dict[tuple[str, str], Any]
) -> dict[str, tuple[int, int, int]]:
    """Catalogs.review_status, with the database's reviewed texts (as stored now, whatever
    this process holds)."""
    keys = sent_keys(catalogs)
    status = {}
    for code in catalogs.languages:
        entries = catalogs.by_language[code].entries
        translated = [k for k in keys if k in entries or _here(rows, code, k)]
        reviewed = [
            k for k in translated if _here(rows, code, k) or (k in entries and not entries[k].draft)
        ]
        status[code] = (len(keys), len(translated), len(reviewed))
    return status


def _here(rows: dict[tuple[str, str], Any], code: str, key: str) -> bool:
    row = rows.get((code, key))
    return row is not None and row.reviewed_text is not None


def _state(catalogs: Catalogs, language: str, key: str, row: Any) -> MessageState:
    source = catalogs.by_language[catalogs.source].entries[key]
    own = catalogs.by_language[language].entries.get(key)
    here = row is not None and row.reviewed_text is not None
    if here:
        text, state = str(row.reviewed_text), REVIEWED
    elif own is not None:
        text, state = own.text, DRAFT if own.draft else REVIEWED
    else:
        text, state = source.text, "missing"
    edited = row is not None and row.state == DRAFT
    reviewed_by = None
    if here:
        reviewed_by = str(row.reviewer_name or row.reviewer_email or "")
    elif own is not None and not own.draft:
        reviewed_by = own.reviewer
    return MessageState(
        key=key,
        english=source.text,
        text=text,
        state=state,
        here=here,
        edited=edited,
        comment=(own.comment if own else "") or source.comment,
        variables=sorted(placeholders(source.text)),
        budget=budget(source),
        catalog_text=own.text if own else None,
        draft_text=str(row.text) if edited else None,
        previous_text=str(row.previous_text) if row is not None and row.previous_text else None,
        reviewed_by=reviewed_by,
        reviewed_at=row.reviewed_at if here else None,
    )


def messages(conn: Connection, *, catalogs: Catalogs, language: str) -> list[MessageState]:
    """Every sent message of a language, with its state."""
    code = _language(catalogs, language)
    rows = _rows(conn, code)
    return [_state(catalogs, code, key, rows.get((code, key))) for key in sent_keys(catalogs)]


def message(conn: Connection, *, catalogs: Catalogs, language: str, key: str) -> MessageState:
    """One sent message of a language; NotFound for a key the bot does not send."""
    code = _language(catalogs, language)
    if key not in catalogs.by_language[catalogs.source].entries or is_list_key(key):
        raise NotFound(f"no message {key[:64]!r}")
    return _state(catalogs, code, key, _rows(conn, code).get((code, key)))


def preview(
    catalogs: Catalogs, key: str, language: str, text: str
) -> tuple[str | None, SegmentInfo | None]:
    """A text rendered with the suite's realistic values, and its segments (None, None when
    its braces cannot be filled)."""
    rendered = quality.render_sample(catalogs, key, language, clean(text))
    return rendered, count_segments(rendered) if rendered is not None else None


def bump_version(conn: Connection, now: datetime) -> None:
    """Tell every process that the reviewed translations changed."""
    v = TRANSLATION_VERSION.c
    changed = conn.execute(
        update(TRANSLATION_VERSION)
        .where(v.id == VERSION_ROW)
        .values(version=v.version + 1, changed_at=now)
    ).rowcount
    if not changed:
        conn.execute(insert(TRANSLATION_VERSION).values(id=VERSION_ROW, version=1, changed_at=now))


def save(
    conn: Connection,
    *,
    caller: Caller,
    user_id: int | None,
    catalogs: Catalogs,
    language: str,
    key: str,
    text: str,
    review: bool,
    now: datetime,
) -> MessageState:
    """Store a reviewer's text for a message: as a draft, or reviewed (in effect at once, once
    the transaction commits and the process expires its copy). Forbidden for anyone but the
    language's reviewers and coalition admins; TranslationRefused (nothing stored) when the
    text fails the suite's checks."""
    current = message(conn, catalogs=catalogs, language=language, key=key)
    if not can_review(conn, caller=caller, user_id=user_id, language=language):
        raise Forbidden(f"only a reviewer of {language} can change its translations")
    wanted = clean(text)
    if len(wanted) > MAX_TEXT:
        raise TranslationRefused([quality.Problem("long", f"over {MAX_TEXT} characters")])
    problems = quality.problems(catalogs, key, language, wanted)
    if problems:
        raise TranslationRefused(problems)
    t = TRANSLATIONS.c
    row = _rows(conn, language).get((language, key))
    values: dict[str, Any] = {"text": wanted, "edited_by": user_id, "updated_at": now}
    if review:
        values |= {
            "state": REVIEWED,
            "reviewed_text": wanted,
            "previous_text": current.text,
            "reviewed_by": user_id,
            "reviewed_at": now,
        }
    else:
        values["state"] = DRAFT
    if row is None:
        conn.execute(
            insert(TRANSLATIONS).values(language=language, key=key, created_at=now, **values)
        )
    else:
        conn.execute(update(TRANSLATIONS).where(t.id == row.id).values(**values))
    if review:
        bump_version(conn, now)
    info = count_segments(quality.render_sample(catalogs, key, language, wanted) or wanted)
    audit.record(
        conn,
        user_id=user_id,
        organization_id=caller.organization_id,
        action="translation.review" if review else "translation.draft",
        subject=f"translation:{language}:{key}"[:100],
        now=now,
        detail={"language": language, "key": key, "segments": info.segments},
    )
    return message(conn, catalogs=catalogs, language=language, key=key)


def revert(
    conn: Connection,
    *,
    caller: Caller,
    user_id: int | None,
    catalogs: Catalogs,
    language: str,
    key: str,
    now: datetime,
) -> MessageState:
    """Forget the console's text of a message: the catalog file's is in effect again."""
    message(conn, catalogs=catalogs, language=language, key=key)
    if not can_review(conn, caller=caller, user_id=user_id, language=language):
        raise Forbidden(f"only a reviewer of {language} can change its translations")
    t = TRANSLATIONS.c
    gone = conn.execute(delete(TRANSLATIONS).where(t.language == language, t.key == key))
    if gone.rowcount:
        bump_version(conn, now)
        audit.record(
            conn,
            user_id=user_id,
            organization_id=caller.organization_id,
            action="translation.revert",
            subject=f"translation:{language}:{key}"[:100],
            now=now,
            detail={"language": language, "key": key},
        )
    return message(conn, catalogs=catalogs, language=language, key=key)
