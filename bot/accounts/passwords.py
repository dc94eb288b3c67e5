"""Passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's second recommendation), and
what a password must be."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 256  # argon2 takes any length; a bound keeps a request from hashing a novel
_HASHER = PasswordHasher()
# Verifying against this when the account does not exist takes as long as a real check, so
# that timing does not tell which emails have accounts.
_DUMMY = _HASHER.hash("not anyone's password, only for timing")


def check_new(password: str) -> str:
    """A password someone chose, or Invalid saying what it needs."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"password: at least {MIN_LENGTH} characters", where="password")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"password: at most {MAX_LENGTH} characters", where="password")
    if len(set(password)) < 4:
        raise Invalid("password: more than a few different characters", where="password")
    return password


def hash_password(password: str) -> str:
    """The stored form of a password."""
    return _HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether a password matches its stored hash (the same time spent when there is none)."""
    try:
        return _HASHER.verify(stored or _DUMMY, password[:MAX_LENGTH]) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored)
