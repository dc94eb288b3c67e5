"""Polling places: what voters type as an address, the imports of feeds and the lookups."""
