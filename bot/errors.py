"""Turnout's errors: one root, which each front end maps to its own answer (the API to a status
and a JSON body, the CLI to a one-line message and an exit code, the console to a page).

    TurnoutError          something the caller may be told, in words safe to show anyone
     ├── NotAuthenticated  no key or session, an unknown one or a revoked one (one answer)
     ├── Forbidden         the caller's role does not allow it
     ├── NotFound          missing, or another organization's (the same answer)
     ├── Conflict          it exists already, or its state does not allow it
     ├── TooLarge          an upload over the limit
     ├── TooMany           over a limit that protects voters (test sends a day, sign-ins)
     └── Invalid           understood, but it cannot be done: says what to change, and where
          ├── AddressError       bot.phones: not a phone number we can text
          ├── SendError          bot.sending.sends: a send cannot be made or changed so
          ├── PartnerError       bot.contacts.organizations
          ├── ImportRefused      bot.contacts.imports.intake (and its file's problems)
          └── FeedError          bot.voter.records: a polling-place file we cannot read

Messages never carry a voter's phone number or text: front ends show them as they are.
"""

from __future__ import annotations

from typing import ClassVar


class TurnoutError(Exception):
    """An outcome other than success, with a message safe to show anyone."""

    default: ClassVar[str] = "the request could not be done"

    def __init__(self, detail: str | None = None, *, where: str | None = None) -> None:
        self.detail = detail or self.default
        self.where = where  # the field or place the problem is in, when there is one
        super().__init__(self.detail)


class NotAuthenticated(TurnoutError):
    """No key or session, an unknown one or a revoked one: deliberately one answer."""

    default = "missing, invalid or revoked credentials"


class Forbidden(TurnoutError):
    """The caller is known, and their role does not allow this."""

    default = "your role does not allow this"


class NotFound(TurnoutError):
    """Missing, or another organization's: a partner cannot tell which."""

    default = "not found"


class Conflict(TurnoutError):
    """It exists already, or its state does not allow what was asked."""

    default = "conflicts with what exists"


class TooLarge(TurnoutError):
    """An upload over the configured limit."""

    default = "too large"


class TooMany(TurnoutError):
    """Over a limit that protects voters or accounts; the message says which."""

    default = "too many requests"


class Invalid(TurnoutError, ValueError):
    """Understood, but it cannot be done as asked; the message says what to change."""

    default = "invalid request"
