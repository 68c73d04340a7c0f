"""Proxy settings (``CAMREC_*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from camrec_contracts.settings import HttpUrlSetting, RelayReaderSettings, RtspUrlSetting
from camrec_runtime.liveness import LivenessSettings


class ProxySettings(LivenessSettings, RelayReaderSettings):
    max_sessions: int = Field(default=3, ge=1, le=64, description="Sessions open at once.")
    rtsp_relay: Literal["mediamtx", "go2rtc"] = Field(
        default="mediamtx", description="Relay for rtsp:// and rtsps:// cameras."
    )
    mediamtx_api_url: HttpUrlSetting = Field(
        default="http://127.0.0.1:9997", description="MediaMTX control API."
    )
    mediamtx_rtsp_url: RtspUrlSetting = Field(
        default="rtsp://127.0.0.1:8554", description="MediaMTX RTSP, as the readers reach it."
    )
    go2rtc_api_url: HttpUrlSetting = Field(
        default="http://127.0.0.1:1984", description="go2rtc API."
    )
    go2rtc_rtsp_url: RtspUrlSetting = Field(
        default="rtsp://127.0.0.1:8555", description="go2rtc RTSP, as the readers reach it."
    )
    open_timeout_s: float = Field(
        default=15.0, gt=0, le=15, description="An open answers within this, whatever the camera."
    )
    relay_api_timeout_s: float = Field(default=5.0, gt=0, description="Per relay API call.")
    measure_interval_s: float = Field(
        default=300.0,
        ge=0,
        description="Re-measure each session's real fps and bitrate this often (0: once only).",
    )
