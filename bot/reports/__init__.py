"""Reports and the dashboard: what happened (texts, lookups, opt-outs, handoffs, deliveries)
by day, language, organization and county, what is happening (blasts in flight, the next
sends) and what needs a person (messages in review, failed imports, Twilio's configuration,
catalogs over their SMS budget). Read-only services over SQLAlchemy Core, the same on SQLite
and PostgreSQL: rows are read for a bounded window and bucketed by local day in Python (the
two databases bucket dates differently)."""
