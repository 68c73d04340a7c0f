"""``GET /api/config``: what the page needs to know before the first click."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict

from camrec_contracts import __version__
from camrec_contracts.recordings import PRESETS_S

from .settings import ApiSettings

RECORDING_DURATIONS_S: list[int | None] = [*PRESETS_S, None]
"""The page's duration buttons: 1 min, 5 min, 1 h, 1 h 30, 2 h, until stopped (None)."""


class DemoCamera(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rtsp_url: str
    mjpeg_url: str


class ClientConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: str
    demo_camera: DemoCamera
    recording_durations_s: list[int | None]


router = APIRouter()


@router.get("/api/config", response_model=ClientConfig)
async def client_config(request: Request) -> ClientConfig:
    settings: ApiSettings = request.app.state.settings
    return ClientConfig(
        version=__version__,
        demo_camera=DemoCamera(rtsp_url=settings.demo_rtsp_url, mjpeg_url=settings.demo_mjpeg_url),
        recording_durations_s=RECORDING_DURATIONS_S,
    )
