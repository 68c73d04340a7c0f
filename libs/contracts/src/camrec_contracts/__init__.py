"""camrec contracts: the one library every camrec service shares.

Subjects, queue groups, KV bucket and stream names, message models, the typed
request/reply layer on ``nats.micro``, events, settings, logging and redaction.
"""

__version__ = "0.1.0"

# Feature modules register their event topics on import; import them here so that any use of
# the package (e.g. parse_event) knows every topic.
from . import sessions as _sessions  # noqa: F401
