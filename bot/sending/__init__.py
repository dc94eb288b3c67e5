"""Sending: blasts, election reminders and the outbox they fill, and the rules every message
obeys when it is claimed for sending (opt-out, quiet hours, frequency cap, WhatsApp window).

The dispatcher that drains the outbox lives in `scheduler.dispatcher`; everything here is
database work and pure rules, so that the web app and the CLI can create, preview and steer
sends without the scheduler.
"""
