"""Voter tools: polling-place feeds (VIP 5/6, the places CSV), addresses typed by voters,
street-segment and identity matching, distances and ZIP codes (pure modules), and the tables,
imports and lookups built on them (`tables`, `importing`, `lookups`)."""
