"""The compose check (``./scripts/compose-e2e``): the real ``compose.yaml`` on a Docker engine,
a user's and an operator's journey through it, and a table of what passed."""
