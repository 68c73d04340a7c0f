"""camrec runtime: what the services share at run time (the NATS connection, serving and
calling endpoints, events, KV helpers, the service lifecycle, liveness, logging, running
tools). The contracts it serves are :mod:`camrec_contracts`, which imports none of this."""
