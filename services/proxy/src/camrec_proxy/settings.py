"""Proxy settings (``CAMREC_*``)."""

from __future__ import annotations

from camrec_contracts.settings import CamrecSettings


class ProxySettings(CamrecSettings):
    """The proxy owns sessions; its own settings arrive with the sessions feature."""
