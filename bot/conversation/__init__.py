"""The conversation: one inbound text, its state, consent, lookups, keywords, language
identification and requests for a person."""
