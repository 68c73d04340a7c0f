"""Previewer settings (``CAMREC_*``)."""

from __future__ import annotations

from pydantic import Field

from camrec_contracts.settings import RelayReaderSettings


class PreviewerSettings(RelayReaderSettings):
    previewer_host: str = Field(default="127.0.0.1", description="Previewer HTTP bind address.")
    previewer_port: int = Field(
        default=8002, ge=1, le=65535, description="Previewer HTTP port (WebSocket preview)."
    )
    preview_max_width: int = Field(
        default=960, ge=160, le=3840, description="Preview frames wider than this are downscaled."
    )
    preview_jpeg_quality: int = Field(
        default=75, ge=10, le=100, description="JPEG quality of frames the previewer encodes."
    )
    preview_idle_stop_s: float = Field(
        default=5.0, ge=0, le=300, description="Stop a capture this long after its last viewer."
    )
    preview_stall_s: float = Field(
        default=5.0, gt=0, le=60, description="No frame for this long: the source is reconnected."
    )
    preview_retry_max_s: float = Field(
        default=5.0, gt=0, le=60, description="Longest wait between reconnect attempts."
    )
    preview_send_buffer_kb: int = Field(
        default=64,
        ge=16,
        le=8192,
        description="Socket send buffer per viewer: bounds how much a slow viewer has in flight.",
    )
