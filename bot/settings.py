"""Settings from the environment or a `.env` file, named as in the design's contract."""

from __future__ import annotations

import re
from datetime import time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"TURNOUT_TIMEZONE must be an IANA time zone, got {value!r}") from None
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

    @field_validator("public_base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @property
    def allowed_hours(self) -> tuple[time, time]:
        """The local hours inside which outbound messages may go, as (start, end)."""
        start, end = self.quiet_hours.split("-")
        return time.fromisoformat(start.zfill(5)), time.fromisoformat(end.zfill(5))


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once; tests build their own `Settings` instead."""
    return Settings()
