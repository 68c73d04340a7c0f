"""Ports and paths of the local stack (``CAMREC_*``), defaults as documented in the README."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from camrec_contracts.settings import CamrecSettings

from .paths import REPO

Port = Field(ge=1, le=65535)


class StackSettings(CamrecSettings):
    """Everything ``./scripts/dev`` needs; each service also reads its own settings."""

    state_dir: Path = Field(
        default=REPO / ".camrec", description="Local stack state: NATS store, logs, configs."
    )
    recordings_dir: Path = Field(
        default=REPO / "recordings", description="Where recordings are written."
    )
    web_root: Path = Field(
        default=REPO / "frontend" / "dist", description="The built frontend nginx serves."
    )
    http_port: int = Field(default=8000, ge=1, le=65535, description="The browser origin.")
    api_port: int = Field(default=8001, ge=1, le=65535, description="Api HTTP port.")
    previewer_port: int = Field(default=8002, ge=1, le=65535, description="Previewer port.")
    nats_port: int = Field(default=4222, ge=1, le=65535, description="NATS client port.")
    nats_monitor_port: int = Field(default=8222, ge=1, le=65535, description="NATS monitoring.")
    mediamtx_api_port: int = Field(
        default=9997, ge=1, le=65535, description="MediaMTX (the RTSP relay) control API."
    )
    mediamtx_rtsp_port: int = Field(
        default=8554, ge=1, le=65535, description="MediaMTX (the RTSP relay) RTSP."
    )
    go2rtc_api_port: int = Field(
        default=1984, ge=1, le=65535, description="go2rtc (the MJPEG relay) API."
    )
    go2rtc_rtsp_port: int = Field(
        default=8555, ge=1, le=65535, description="go2rtc (the MJPEG relay) RTSP."
    )
    democam_api_port: int = Field(default=1985, ge=1, le=65535, description="Demo camera API.")
    democam_rtsp_port: int = Field(default=8564, ge=1, le=65535, description="Demo camera RTSP.")

    @property
    def local_nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"
