"""Logging: to stderr, with the format every process uses. Phone numbers are masked by the code
that logs them (`bot.phones.mask`); message bodies are logged at DEBUG only."""

from __future__ import annotations

import logging


def configure_logging(level: str = "INFO") -> None:
    """Log to stderr; phone numbers are masked by the code that logs them."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every run of every job at INFO: the dispatcher's runs every second.
    # Our jobs log what they did; the scheduler's own warnings (missed runs) still show.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
