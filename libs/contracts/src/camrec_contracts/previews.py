"""Live preview: the WebSocket protocol (``/ws/preview/{session_id}``) and the stats request.

The previewer serves one WebSocket per viewer. Binary messages carry exactly one JPEG
each (bytes FF D8 … FF D9, nothing else); text messages are :class:`PreviewStatus` JSON,
sent when the state changes and about every :data:`STATUS_INTERVAL_S`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .rpc import Endpoint
from .services import PREVIEWER

PreviewState = Literal["connecting", "live", "reconnecting", "ended"]

STATUS_INTERVAL_S = 2.0
CLOSE_NORMAL = 1000
"""The session closed: the viewer got a final ``ended`` status."""
CLOSE_UNKNOWN_SESSION = 4404
"""No such session (or it is closed): sent right after the handshake, with a reason."""
CLOSE_UNAVAILABLE = 4503
"""The previewer could not ask the proxy about the session (NATS or proxy down)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PreviewStatus(_Model):
    """Text message on the preview WebSocket."""

    type: Literal["status"] = "status"
    state: PreviewState
    width: int | None = Field(default=None, description="of the JPEGs sent, once known")
    height: int | None = None
    fps: float | None = Field(default=None, description="measured over the last seconds")
    reason: str | None = Field(default=None, description="why reconnecting or ended")


class ViewerStats(_Model):
    viewer: int = Field(description="per-session viewer number")
    frames_sent: int
    frames_skipped: int = Field(description="replaced in the one-frame slot before sending")


class SessionPreviewStats(_Model):
    session_id: str
    source_kind: Literal["rtsp", "mjpeg"]
    state: PreviewState
    capturing: bool = Field(description="a reader is on the relay now")
    captures_started: int = Field(description="readers opened on the relay so far")
    viewers: int
    frames_in: int = Field(description="frames read from the relay")
    frames_out: int = Field(description="frames handed to viewers' sockets, all viewers")
    frames_passed_through: int = Field(description="JPEGs forwarded as the camera sent them")
    encode_ms_avg: float | None = Field(
        description="decode + scale + JPEG encode per encoded frame, milliseconds"
    )
    fps: float | None
    per_viewer: list[ViewerStats]


class PreviewStatsRequest(_Model):
    pass


class PreviewerStats(_Model):
    sessions: list[SessionPreviewStats]


PREVIEW_STATS = Endpoint(
    service=PREVIEWER,
    name="previewer-stats",
    subject="camrec.previewer.stats",
    request=PreviewStatsRequest,
    reply=PreviewerStats,
    summary="per session: viewers, frames in/out, skipped per viewer, encode time",
)

PREVIEW_ENDPOINTS = (PREVIEW_STATS,)
