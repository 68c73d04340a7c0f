"""Logging set-up shared by every service: one line per event, credentials redacted."""

from __future__ import annotations

import logging
import sys

from camrec_contracts.redact import redact_text

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then removes URL credentials from the whole line (traceback too)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def setup_logging(level: str = "INFO") -> None:
    """Log to stderr at ``level`` with credentials redacted; idempotent."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # nats-py logs every reconnect attempt at ERROR; ours say it once per state change.
    logging.getLogger("nats").setLevel(logging.WARNING)
    for noisy in ("httpx", "httpcore"):  # a line per request: noise, and URLs carry secrets
        logging.getLogger(noisy).setLevel(logging.WARNING)
