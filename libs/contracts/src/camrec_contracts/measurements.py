"""A stream's real frame rate and bitrate, measured from a few seconds of its packets.

Stream headers guess (``avg_frame_rate`` is often the encoder's nominal rate, or nothing for
MJPEG); the packets say what arrives. Both the proxy (the session view) and the recorder
("will it fit?" before anything was recorded) measure a relay the same way: ffprobe reads
packet times and sizes for a few seconds, nothing is decoded (:func:`camrec_runtime.measure.measure`
runs it; here the model, the command line and the parsing).
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

MEASURE_SECONDS = 4.0


class StreamMeasurement(BaseModel):
    """What a few seconds of the relayed stream carried."""

    model_config = ConfigDict(extra="forbid")

    fps: float | None = Field(description="video frames per second, from packet times")
    bitrate_kbps: float = Field(description="all tracks, from packet sizes over the span")
    seconds: float = Field(description="the span measured")
    frames: int
    measured_at: datetime


def measure_args(ffprobe: str, rtsp_url: str, seconds: float = MEASURE_SECONDS) -> list[str]:
    """ffprobe reading ``seconds`` of packets (time, size, track) over TCP, as JSON."""
    return [
        ffprobe, "-v", "error", "-rtsp_transport", "tcp", "-timeout", "5000000",
        "-read_intervals", f"%+{seconds:g}",
        "-show_entries", "packet=stream_index,pts_time,size:stream=index,codec_type",
        "-of", "json", rtsp_url,
    ]  # fmt: skip


def parse_measurement(data: dict[str, Any], at: datetime) -> StreamMeasurement | None:
    """ffprobe's JSON (``measure_args``) → the measurement; None when it holds no video."""
    kinds = {s.get("index"): s.get("codec_type") for s in data.get("streams") or []}
    video: list[float] = []
    stamps: list[float] = []
    total = 0
    for packet in data.get("packets") or []:
        with contextlib.suppress(KeyError, ValueError, TypeError):
            pts = float(packet["pts_time"])
            total += int(packet.get("size") or 0)
            stamps.append(pts)
            if kinds.get(packet.get("stream_index")) == "video":
                video.append(pts)
    if len(video) < 2:
        return None
    video.sort()
    span = video[-1] - video[0]
    whole = max(stamps) - min(stamps) or span
    return StreamMeasurement(
        fps=round((len(video) - 1) / span, 3) if span > 0 else None,
        bitrate_kbps=round(total * 8 / 1000 / whole, 1) if whole > 0 else 0.0,
        seconds=round(whole, 2),
        frames=len(video),
        measured_at=at,
    )
