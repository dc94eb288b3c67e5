"""Signed webhooks as Twilio sends them: form fields, the TwiML answer, what got stored."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any, cast

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from bot.models import Contact
from bot.runtime import Runtime

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


def runtime(client: TestClient) -> Runtime:
    """The app's runtime (catalogs, flows, settings), to render the replies a test expects."""
    rt: Runtime = cast(FastAPI, client.app).state.runtime
    return rt


def contact(engine: Engine, phone: str = "+12135550123") -> Contact | None:
    with Session(engine) as s:
        return s.scalars(select(Contact).where(col(Contact.phone) == phone)).first()
