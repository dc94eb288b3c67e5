"""Signed webhooks as Twilio sends them: form fields, the TwiML answer, what got stored."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from bot.models import Contact

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
Signer = Callable[..., Any]


_sids = itertools.count(1)


TO = "+15005550006"


def sid() -> str:
    return f"SM{next(_sids):032x}"


def fields(body: str, sender: str = "+12135550123", **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid(),
        "From": sender,
        "To": TO,
        "Body": body,
        "NumMedia": "0",
        "AccountSid": "AC" + "0" * 32,
        **extra,
    }


def bodies(response: Any) -> list[str]:
    """The texts of the TwiML reply's <Message> elements, in order."""
    assert response.headers["content-type"].startswith("application/xml"), response.text
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


def count(engine: Engine, model: Any) -> int:
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def contact(engine: Engine, phone: str = "+12135550123") -> Contact | None:
    with Session(engine) as s:
        return s.scalars(select(Contact).where(Contact.phone == phone)).first()
