"""camrec previewer service."""
