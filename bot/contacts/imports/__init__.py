"""Contact imports: partners' files read, normalized and merged, batch by batch."""
