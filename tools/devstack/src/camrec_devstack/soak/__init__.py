"""``./scripts/soak``: record the long presets for real on the local stack and report."""
