"""camrec contracts: what every camrec service agrees on, and nothing that runs.

Subjects with their request and reply models, queue groups, KV bucket and stream names,
event models, errors, the settings base and redaction. Importing it needs pydantic only
(``tests/contracts/test_pure.py``); the NATS connection, serving and calling endpoints and
the service lifecycle are :mod:`camrec_runtime`.
"""

__version__ = "0.1.0"

# Feature modules register their event topics on import; import them here so that any use of
# the package (e.g. parse_event) knows every topic.
from . import sessions as _sessions  # noqa: F401
