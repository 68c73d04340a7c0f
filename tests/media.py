"""Judge media with ffprobe (run as a subprocess with a time-out)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from typing import Any

from camrec_devstack.paths import binary
from tests.relay_reader import TEST_RELAY_READER


def _input_args(source: str) -> list[str]:
    return ["-rtsp_transport", "tcp"] if source.startswith(("rtsp://", "rtsps://")) else []


def ffprobe_json(source: str, args: Sequence[str], timeout_s: float = 30) -> dict[str, Any]:
    """An RTSP ``source`` is read as camrec's readers read a relay: with the read user (the
    tests' relays want it; a camera simulator asks no one)."""
    url = TEST_RELAY_READER.url(source) if source.startswith("rtsp://") else source
    argv = [binary("ffprobe"), "-v", "error", *_input_args(source), *args, "-of", "json", url]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    if result.returncode != 0:
        raise AssertionError(f"ffprobe {source} failed: {result.stderr.strip()}")
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def probe_streams(source: str, extra_args: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Each stream: codec_type, codec_name, width, height, sample_rate, channels."""
    entries = "stream=codec_type,codec_name,width,height,sample_rate,channels,r_frame_rate"
    data = ffprobe_json(source, [*extra_args, "-show_entries", entries])
    return list(data.get("streams", []))


def probe_frame_times(
    source: str,
    max_frames: int = 100,
    extra_args: Sequence[str] = (),
    read_intervals: str | None = None,
) -> list[float]:
    """best-effort timestamps (s) of the first ``max_frames`` video frames (or of the frames
    in ffprobe's ``read_intervals``, e.g. ``"12.5%"``: from 12.5 s to the end)."""
    data = ffprobe_json(
        source,
        [
            *extra_args,
            "-select_streams",
            "v:0",
            "-read_intervals",
            read_intervals or f"%+#{max_frames}",
            "-show_entries",
            "frame=best_effort_timestamp_time",
        ],
        timeout_s=60,
    )
    return [
        float(f["best_effort_timestamp_time"])
        for f in data.get("frames", [])
        if f.get("best_effort_timestamp_time") not in (None, "N/A")
    ]


def codecs(streams: list[dict[str, Any]]) -> dict[str, str]:
    """{"video": codec, "audio": codec} for the streams present."""
    return {s["codec_type"]: s["codec_name"] for s in streams}
