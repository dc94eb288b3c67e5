"""Logging: to stderr, with the format every process uses, and nothing of a voter's in it.

Our code masks phone numbers itself (`bot.phones.mask`) and logs message bodies at DEBUG only.
What it does not write itself (a database error quoting the row it failed on, a traceback
from the web server) passes through `RedactPhones` on every handler, which masks anything
that looks like a phone number in records above DEBUG, tracebacks included. SQL parameters
are never in errors at all (`hide_parameters` on every engine, `bot.db`).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

# E.164 (+ and 8 to 15 digits, as Twilio and our contacts write numbers), or a North American
# number written with separators, (213) 555-0100 or 213-555-0100, as partners' files do.
PHONE = re.compile(
    r"\+[1-9][0-9]{7,14}|(?<![0-9])(?:\([0-9]{3}\)\s?|[0-9]{3}[-. ])[0-9]{3}[-. ][0-9]{4}(?![0-9])"
)
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact(text: str) -> str:
    """`text` with every phone-like number masked to its last four digits."""
    return PHONE.sub(lambda m: "…" + m.group(0)[-4:], text)


class RedactPhones(logging.Filter):
    """On a handler: masks phone numbers in records above DEBUG, their tracebacks included."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place (its message and traceback text); never drop it."""
        if record.levelno <= logging.DEBUG:
            return True
        message = record.getMessage()
        masked = redact(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr, phone numbers masked on every handler."""
    logging.basicConfig(level=level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactPhones) for f in handler.filters):
            handler.addFilter(RedactPhones())
    # APScheduler logs every run of every job at INFO: the dispatcher's runs every second.
    # Our jobs log what they did; the scheduler's own warnings (missed runs) still show, but
    # not "skipped: maximum number of running instances": a dispatch pass that takes longer
    # than a second (a blast going out) is the normal case, and the next run catches up.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").addFilter(_NotStillRunning())


class _NotStillRunning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in str(record.msg)


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration, with phone numbers masked on its handlers (its
    error log carries the tracebacks of requests that failed)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_phones"] = {"()": RedactPhones}
    for handler in config.get("handlers", {}).values():
        handler.setdefault("filters", []).append("redact_phones")
    return config
