"""camrec recorder service."""
