"""The voter roll: imports, keys and registration checks."""
