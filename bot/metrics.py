"""Prometheus metrics, served at /metrics. Labels never carry phone numbers or text."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

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
