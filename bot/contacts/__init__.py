"""Contacts and partner organizations: organizations, API keys, contact lists and their imports."""
