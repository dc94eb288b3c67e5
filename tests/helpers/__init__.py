"""What the tests share: builders, the Twilio double, signed webhooks, the CLI in a process.

Tests import from here, never from each other.
"""
