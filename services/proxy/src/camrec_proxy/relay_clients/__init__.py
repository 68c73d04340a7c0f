"""Small typed clients for the relays' HTTP APIs. Each raises only :class:`RelayError`."""

from __future__ import annotations


class RelayError(Exception):
    """The relay's API could not be reached or refused a request."""
