"""Live preview: the WebSocket protocol (``/ws/preview/{session_id}?format=h264|jpeg``) and
the stats request.

The previewer serves one WebSocket per viewer, in one of two formats:

* ``jpeg`` (the default, and always for MJPEG cameras and video the browser can't decode,
  H.265 today): each binary message is exactly one JPEG (bytes FF D8 … FF D9, nothing else).
* ``h264`` (asked with ``?format=h264`` for an H.264 camera): the camera's own access units,
  forwarded without decoding, for the page to decode (WebCodecs ``VideoDecoder``). A
  :class:`PreviewConfig` text message comes first (and again whenever the stream's parameters
  change, e.g. after a reconnect); then each binary message is one access unit framed as
  :data:`H264_HEADER`: a kind byte (:data:`H264_KEY` or :data:`H264_DELTA`), the timestamp in
  microseconds (unsigned 64-bit, big-endian; the source's, it starts again after a
  reconnect), then the Annex B bytes (start codes, no length prefixes; a key unit begins
  with the SPS and PPS). A viewer's first unit is a key unit; a viewer that falls behind
  gets nothing more until the next key unit, which it gets whole.

A binary message is a JPEG if it starts with FF D8, else a framed H.264 unit. Text messages
are :class:`PreviewStatus` JSON (its ``format`` says which one this socket carries), sent
when the state changes and about every :data:`STATUS_INTERVAL_S`, and :class:`PreviewConfig`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .model import ContractModel
from .rpc import Endpoint
from .services import PREVIEWER

PreviewState = Literal["connecting", "live", "reconnecting", "ended"]
PreviewFormat = Literal["h264", "jpeg"]
FORMAT_PARAM = "format"
"""The query parameter a viewer asks its format with (``?format=h264``); default ``jpeg``."""

H264_KEY = 1
"""Kind byte of a framed H.264 unit that starts a picture on its own (IDR, with SPS/PPS)."""
H264_DELTA = 2
"""Kind byte of any other H.264 unit."""
H264_HEADER = ">BQ"
"""``struct`` format of a framed H.264 unit's header (9 bytes): kind, timestamp in µs."""

STATUS_INTERVAL_S = 2.0
CLOSE_NORMAL = 1000
"""The session closed: the viewer got a final ``ended`` status."""
CLOSE_UNKNOWN_SESSION = 4404
"""No such session (or it is closed): sent right after the handshake, with a reason."""
CLOSE_UNAVAILABLE = 4503
"""The previewer could not ask the proxy about the session (NATS or proxy down)."""


class PreviewStatus(ContractModel):
    """Text message on the preview WebSocket."""

    type: Literal["status"] = "status"
    state: PreviewState
    width: int | None = Field(default=None, description="of the JPEGs sent, once known")
    height: int | None = None
    fps: float | None = Field(default=None, description="measured over the last seconds")
    reason: str | None = Field(default=None, description="why reconnecting or ended")
    format: PreviewFormat | None = Field(
        default=None, description="what this socket's binary messages are: h264 units or JPEGs"
    )
    skipping: bool | None = Field(
        default=None,
        description="JPEG: decoding runs behind the camera, so pictures are skipped until it "
        "has caught up (fps counts the pictures sent)",
    )


class PreviewConfig(ContractModel):
    """Text message before the first H.264 unit (and when the stream's parameters change):
    what to configure the page's decoder with."""

    type: Literal["config"] = "config"
    codec: str = Field(description="RFC 6381 codec string from the SPS, e.g. avc1.64001F")
    width: int | None = Field(default=None, description="coded picture size, once known")
    height: int | None = None


class ViewerStats(ContractModel):
    viewer: int = Field(description="per-session viewer number")
    frames_sent: int
    frames_skipped: int = Field(description="replaced in the one-frame slot before sending")


class SessionPreviewStats(ContractModel):
    session_id: str
    source_kind: Literal["rtsp", "mjpeg"]
    format: PreviewFormat = Field(description="one preview per session and format")
    state: PreviewState
    capturing: bool = Field(description="a reader is on the relay now")
    captures_started: int = Field(description="readers opened on the relay so far")
    viewers: int
    frames_in: int = Field(description="frames read from the relay")
    frames_out: int = Field(description="frames handed to viewers' sockets, all viewers")
    frames_passed_through: int = Field(description="JPEGs forwarded as the camera sent them")
    frames_skipped_reading: int = Field(
        default=0, description="pictures decoded but not sent: the reader was behind the camera"
    )
    encode_ms_avg: float | None = Field(
        description="decode + scale + JPEG encode per encoded frame, milliseconds"
    )
    fps: float | None
    per_viewer: list[ViewerStats]


class PreviewStatsRequest(ContractModel):
    pass


class PreviewerStats(ContractModel):
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
