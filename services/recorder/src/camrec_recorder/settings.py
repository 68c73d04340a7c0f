"""Recorder settings (``CAMREC_*``)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from camrec_contracts.settings import RelayReaderSettings
from camrec_runtime.liveness import LivenessSettings


class RecorderSettings(LivenessSettings, RelayReaderSettings):
    recordings_dir: Path = Field(default=Path("recordings"), description="Where files go.")
    worker_id: str = Field(
        default_factory=lambda: socket.gethostname(),
        description="This worker's name; stable across restarts (owner of its recordings).",
    )
    worker_id_from: Literal["hostname", "container-name"] = Field(
        default="hostname",
        description="Where the worker id comes from when CAMREC_WORKER_ID is not set: the host "
        "name, or the container's name from Docker's DNS (compose sets it: the same across "
        "re-creation, one per replica; the host name if there is no answer).",
    )
    worker_capacity: int = Field(default=3, ge=1, le=32, description="Recordings per worker.")
    x264_preset: Literal[
        "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"
    ] = Field(default="veryfast", description="libx264 preset when a source is re-encoded.")
    x264_crf: int = Field(default=23, ge=0, le=51, description="libx264 CRF when re-encoding.")
    audio_bitrate_kbps: int = Field(default=128, ge=16, le=512, description="AAC when encoding.")
    fragment_s: float = Field(default=1.0, gt=0, le=10, description="fMP4 fragment length.")
    stall_timeout_s: float = Field(
        default=10.0, gt=0, description="No progress for this long ends a recording."
    )
    reconnect_window_s: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="A source that drops is retried this long before the recording ends (0: never)",
    )
    min_free_mb: int = Field(
        default=500,
        ge=0,
        description="Reserve kept free in the recordings folder: a start that would not fit "
        "above it is refused (507), a recording reaching it stops ('disk nearly full'); 0: off.",
    )
    lost_worker_grace_s: float = Field(
        default=60.0,
        ge=5,
        le=24 * 3600,
        description="A recording whose worker has not answered for this long is ended "
        "'interrupted' by another worker, which finishes its file if it sees the same folder "
        "(at least 5 s: a busy worker may miss a ping or two).",
    )
    ffmpeg: str = Field(default="ffmpeg", description="FFmpeg binary.")
    ffprobe: str = Field(default="ffprobe", description="ffprobe binary.")

    @field_validator("worker_id")
    @classmethod
    def _subject_safe(cls, value: str) -> str:
        return subject_safe(value)


def subject_safe(worker_id: str) -> str:
    """A worker id fit for a NATS subject token (it names the owner-stop subject)."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in worker_id)
    if not cleaned:
        raise ValueError("must contain letters or digits")
    return cleaned
