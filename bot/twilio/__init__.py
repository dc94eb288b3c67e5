"""Twilio, in one place: the webhooks (inbound messages, status callbacks), the sender, error
codes and status maps."""
