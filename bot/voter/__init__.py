"""Voter tools, pure: polling-place feeds (VIP 5/6, the places CSV), addresses typed by
voters, street-segment and identity matching, distances and ZIP codes. No database, no web."""
