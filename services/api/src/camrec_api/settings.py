"""Api settings (``CAMREC_*``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from camrec_contracts.settings import CamrecSettings, HttpUrlSetting, RtspUrlSetting


class ApiSettings(CamrecSettings):
    api_host: str = Field(default="127.0.0.1", description="Api HTTP bind address.")
    api_port: int = Field(default=8001, ge=1, le=65535, description="Api HTTP port.")
    recordings_dir: Path = Field(
        default=Path("recordings"), description="The recorder's folder (read-only for the api)."
    )
    demo_rtsp_url: RtspUrlSetting = Field(
        default="rtsp://127.0.0.1:8564/demo",
        description="The bundled demo camera's RTSP URL (pre-filled in the page).",
    )
    demo_mjpeg_url: HttpUrlSetting = Field(
        default="http://127.0.0.1:1985/api/stream.mjpeg?src=demo_mjpeg",
        description="The bundled demo camera's MJPEG-over-HTTP URL.",
    )
