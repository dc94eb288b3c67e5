"""Voting Information Project feeds: 5.x and 6.0, XML and CSV."""
