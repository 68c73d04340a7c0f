"""camrec proxy service."""
