"""ffprobe on the relay's RTSP URL: what the session really carries."""

from __future__ import annotations

import json
from typing import Any

from camrec_contracts.errors import CamrecError, ErrorCode
from camrec_contracts.redact import redact_text
from camrec_contracts.sessions import AudioInfo, VideoInfo
from camrec_runtime.tool import run_tool

ENTRIES = (
    "stream=codec_type,codec_name,width,height,avg_frame_rate,r_frame_rate,sample_rate,channels"
)


def ffprobe_args(ffprobe: str, url: str, io_timeout_s: float) -> list[str]:
    return [
        ffprobe,
        "-v",
        "error",
        "-rtsp_transport",
        "tcp",
        "-timeout",
        str(int(io_timeout_s * 1_000_000)),
        "-show_entries",
        ENTRIES,
        "-of",
        "json",
        url,
    ]


def _rate(text: str | None) -> float | None:
    try:
        num, den = (text or "").split("/")
        value = int(num) / int(den)
    except (ValueError, ZeroDivisionError):
        return None
    return round(value, 3) if 0 < value <= 240 else None


def parse_streams(data: dict[str, Any]) -> tuple[VideoInfo, AudioInfo | None]:
    streams = data.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None or not video.get("width"):
        raise CamrecError(ErrorCode.UPSTREAM, "not a video stream: the source has no video track")
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    return (
        VideoInfo(
            codec=str(video.get("codec_name")),
            width=int(video["width"]),
            height=int(video["height"]),
            fps=_rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate")),
        ),
        None if audio is None else AudioInfo.from_ffprobe(audio),
    )


async def probe(ffprobe: str, url: str, timeout_s: float) -> tuple[VideoInfo, AudioInfo | None]:
    """Probe once; CamrecError(UPSTREAM) with FFmpeg's last words if it fails."""
    code, out, err = await run_tool(ffprobe_args(ffprobe, url, min(timeout_s, 5.0)), timeout_s)
    if code != 0:
        last = (err.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise CamrecError(
            ErrorCode.UPSTREAM, f"the relay could not read the camera: {redact_text(last)}"
        )
    return parse_streams(json.loads(out or b"{}"))
