"""camrec api: the HTTP gateway (HTTP <-> NATS, files)."""
