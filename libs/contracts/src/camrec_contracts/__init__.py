"""camrec contracts: the one library every camrec service shares.

Subjects, queue groups, KV bucket and stream names, message models, the typed
request/reply layer on ``nats.micro``, events, settings, logging and redaction.
"""

__version__ = "0.1.0"
