"""Previewer settings (``CAMREC_*``)."""

from __future__ import annotations

from pydantic import Field

from camrec_contracts.settings import CamrecSettings


class PreviewerSettings(CamrecSettings):
    previewer_host: str = Field(default="127.0.0.1", description="Previewer HTTP bind address.")
    previewer_port: int = Field(
        default=8002, ge=1, le=65535, description="Previewer HTTP port (WebSocket preview)."
    )
