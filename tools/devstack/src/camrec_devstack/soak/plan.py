"""What a soak records: durations as typed on the command line, and which camera each uses."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..cameras.rtsp import H264_AAC, H264_NOAUDIO

MJPEG = "mjpeg"
PRESET_CAMERAS = (H264_AAC, H264_NOAUDIO, MJPEG)
"""First preset on H.264 + AAC, second on H.264 without audio, third on MJPEG; then cycle."""
UNTIL_STOPPED_CAMERA = H264_AAC

_PART = re.compile(r"(\d+(?:\.\d+)?)([hms]?)")
_NEXT_UNIT = {"h": "m", "m": "s"}
_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``90``, ``1m``, ``1m30``, ``1h``, ``1h30`` (= 1 h 30 min), ``2h``."""
    value = text.strip().lower()
    parts = list(_PART.finditer(value))
    if not value or "".join(p.group(0) for p in parts) != value:
        raise ValueError(f"not a duration: {text!r} (try 30s, 1m, 1h30, 2h)")
    total, previous = 0.0, ""
    for p in parts:
        unit = p.group(2) or _NEXT_UNIT.get(previous, "s")
        if previous and _SECONDS[unit] >= _SECONDS[previous]:
            raise ValueError(f"not a duration: {text!r} (units must go h, m, s)")
        total += float(p.group(1)) * _SECONDS[unit]
        previous = unit
    if total <= 0:
        raise ValueError(f"not a duration: {text!r} (must be more than 0)")
    return total


def parse_presets(text: str) -> list[float]:
    return [parse_duration(part) for part in text.split(",") if part.strip()]


def label(seconds: float) -> str:
    """``5400`` → ``1h30m``; ``70`` → ``1m10s``."""
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return "".join(f"{v}{u}" for v, u in ((h, "h"), (m, "m"), (sec, "s")) if v) or "0s"


@dataclass(frozen=True)
class Planned:
    name: str
    camera: str
    preset_s: float | None
    """None: until stopped."""


def plan(presets: list[float]) -> list[Planned]:
    """One recording per preset on the cameras in order (cycling), plus the until-stopped one."""
    out = [
        Planned(f"p{i + 1}-{label(p)}", PRESET_CAMERAS[i % len(PRESET_CAMERAS)], p)
        for i, p in enumerate(presets)
    ]
    return [*out, Planned("until-stopped", UNTIL_STOPPED_CAMERA, None)]
