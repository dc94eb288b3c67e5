"""Prometheus metrics, served at /metrics. Labels never carry phone numbers or text."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

INBOUND = Counter("turnout_inbound_messages_total", "Inbound messages processed", ["channel"])
DUPLICATES = Counter("turnout_inbound_duplicates_total", "Inbound messages seen before (same SID)")
REPLIES = Counter("turnout_replies_total", "Replies sent back in TwiML", ["channel", "language"])
OPT_OUTS = Counter("turnout_opt_outs_total", "Contacts who opted out", ["source"])
STATUS_CALLBACKS = Counter("turnout_status_callbacks_total", "Twilio status callbacks", ["status"])
WEBHOOK_LATENCY = Histogram(
    "turnout_webhook_latency_seconds",
    "Time to answer a Twilio webhook",
    ["route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
PEOPLES_REPLIES = Counter(
    "turnout_replies_by_people_total", "Replies people wrote in the console", ["channel"]
)
FIRST_ANSWER = Histogram(
    "turnout_handoff_first_answer_seconds",
    "Time from a voter's request for a person to a person's first reply",
    buckets=(60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400),
)
OPEN_REQUESTS = Gauge("turnout_handoff_open_requests", "Voters' requests for a person, open")
