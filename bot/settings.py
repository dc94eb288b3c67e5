"""Settings from the environment or a `.env` file, named as in the design's contract."""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.clock import zone

# What carriers let one sender send, messages a second (Twilio's figures for US senders;
# a 10DLC campaign's real figure depends on its brand score: set TURNOUT_SEND_RATE).
SENDER_RATES = {"long_code": 1.0, "toll_free": 3.0, "10dlc": 4.0, "short_code": 100.0}
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class Settings(BaseSettings):
    """Every knob an operator can turn; environment names are the contract's."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field("sqlite:///turnout.db", alias="DATABASE_URL")
    twilio_account_sid: str | None = Field(None, alias="TWILIO_ACCOUNT_SID")
    twilio_auth_token: str | None = Field(None, alias="TWILIO_AUTH_TOKEN")
    twilio_sms_from: str | None = Field(None, alias="TWILIO_SMS_FROM")
    twilio_messaging_service_sid: str | None = Field(None, alias="TWILIO_MESSAGING_SERVICE_SID")
    twilio_whatsapp_from: str | None = Field(None, alias="TWILIO_WHATSAPP_FROM")
    twilio_api_base_url: str = Field("https://api.twilio.com", alias="TWILIO_API_BASE_URL")
    public_base_url: str | None = Field(None, alias="PUBLIC_BASE_URL")
    default_language: str = Field("en", alias="TURNOUT_DEFAULT_LANGUAGE")
    quiet_hours: str = Field("08:00-21:00", alias="TURNOUT_QUIET_HOURS")

    coalition_name: str = Field("Turnout", alias="TURNOUT_COALITION_NAME")
    help_contact: str = Field("reply 4 to reach a person", alias="TURNOUT_HELP_CONTACT")
    registration_url: str = Field(
        "https://www.vote.org/am-i-registered-to-vote/", alias="TURNOUT_REGISTRATION_URL"
    )
    polling_place_url: str = Field(
        "https://www.vote.org/polling-place-locator/", alias="TURNOUT_POLLING_PLACE_URL"
    )
    conversation_idle_minutes: int = Field(60 * 24, alias="TURNOUT_CONVERSATION_IDLE_MINUTES", ge=1)
    default_region: str = Field("US", alias="TURNOUT_DEFAULT_REGION")
    # Where uploaded contact lists wait to be imported (and stay while an interrupted import
    # waits to be resumed); the system's temporary directory when unset.
    import_dir: str | None = Field(None, alias="TURNOUT_IMPORT_DIR")
    import_max_bytes: int = Field(512 * 1024 * 1024, alias="TURNOUT_IMPORT_MAX_BYTES", ge=1)
    import_batch_rows: int = Field(10_000, alias="TURNOUT_IMPORT_BATCH_ROWS", ge=1)
    timezone: str = Field("America/Los_Angeles", alias="TURNOUT_TIMEZONE")

    # Sending (the dispatcher). The sender kind sets the pace carriers allow a sender;
    # TURNOUT_SEND_RATE (messages a second, 0 = unpaced) overrides it, e.g. for a 10DLC
    # campaign's own throughput. WhatsApp has its own rate.
    sender_kind: Literal["long_code", "toll_free", "10dlc", "short_code"] = Field(
        "long_code", alias="TURNOUT_SENDER_KIND"
    )
    send_rate: float | None = Field(None, alias="TURNOUT_SEND_RATE", ge=0)
    whatsapp_rate: float = Field(20.0, alias="TURNOUT_WHATSAPP_RATE", ge=0)
    send_concurrency: int = Field(100, alias="TURNOUT_SEND_CONCURRENCY", ge=1, le=1000)
    send_max_attempts: int = Field(8, alias="TURNOUT_SEND_MAX_ATTEMPTS", ge=1)
    # Coalition-wide: at most this many blasts a contact in 24 hours (election reminders
    # and test sends are not counted).
    blasts_per_day: int = Field(1, alias="TURNOUT_BLASTS_PER_DAY", ge=0)
    cost_per_segment: float = Field(0.0083, alias="TURNOUT_COST_PER_SEGMENT", ge=0)
    # How long a dispatcher holds a claimed or sending row before another may settle it (a
    # row still `sending` after this is looked up at Twilio, never blindly sent again).
    send_lease_seconds: float = Field(120.0, alias="TURNOUT_SEND_LEASE_SECONDS", gt=0)

    # The organizer console: how long a signed-in browser stays signed in without use, and
    # at most; how long a voter's request for a person waits for an answer before the voter
    # is handed back to the bot; WhatsApp templates (per language) for a person's reply
    # outside WhatsApp's 24-hour window.
    session_idle_minutes: int = Field(8 * 60, alias="TURNOUT_SESSION_IDLE_MINUTES", ge=1)
    session_hours: int = Field(72, alias="TURNOUT_SESSION_HOURS", ge=1)
    handoff_timeout_hours: float = Field(24.0, alias="TURNOUT_HANDOFF_TIMEOUT_HOURS", gt=0)
    reply_templates: dict[str, str] = Field(default_factory=dict, alias="TURNOUT_REPLY_TEMPLATES")

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        if zone(value) is None:
            raise ValueError(f"TURNOUT_TIMEZONE must be an IANA time zone, got {value!r}")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _check_quiet_hours(cls, value: str) -> str:
        match = _HOURS.match(value.strip())
        if not match or not all(
            0 <= int(h) <= 23 and 0 <= int(m) <= 59
            for h, m in (match.group(1, 2), match.group(3, 4))
        ):
            raise ValueError(f"TURNOUT_QUIET_HOURS must look like 08:00-21:00, got {value!r}")
        return value.strip()

    @field_validator("reply_templates")
    @classmethod
    def _check_templates(cls, value: dict[str, str]) -> dict[str, str]:
        bad = [lang for lang, sid in value.items() if not re.fullmatch(r"HX[0-9a-fA-F]{32}", sid)]
        if bad:
            raise ValueError(
                "TURNOUT_REPLY_TEMPLATES maps languages to Content SIDs (HX...), as JSON; "
                f"not one for {', '.join(sorted(bad))}"
            )
        return value

    @property
    def secure_cookies(self) -> bool:
        """Whether the console's cookies are sent over HTTPS only (PUBLIC_BASE_URL's scheme)."""
        return bool(self.public_base_url and self.public_base_url.startswith("https://"))

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def allowed_hours(self) -> tuple[time, time]:
        """The local hours inside which outbound messages may go, as (start, end)."""
        start, end = self.quiet_hours.split("-")
        return time.fromisoformat(start.zfill(5)), time.fromisoformat(end.zfill(5))

    @property
    def sms_rate(self) -> float:
        """Messages a second for the SMS sender (0: unpaced)."""
        if self.send_rate is not None:
            return self.send_rate
        return SENDER_RATES[self.sender_kind]


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once; tests build their own `Settings` instead."""
    return Settings()
