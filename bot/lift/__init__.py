"""Turnout lift: randomized holdouts on blasts and reminders, vote-history import, and the
measured effect (docs/lift.md)."""
