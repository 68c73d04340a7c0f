"""What a recording must be for every player to open it (Windows' own players included):
H.264 at most High@5.1 (Media Foundation's decoder: "Baseline, Main, and High profiles, up to
level 5.1"), 4:2:0, AAC-LC, the index before the media, frame-rate fields that say a frame
rate (not the 90 kHz clock)."""

from __future__ import annotations

import re
import struct
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

from tests.media import ffprobe_json

PROFILES = {"Constrained Baseline", "Baseline", "Main", "High"}
MAX_LEVEL = 51  # ffprobe's level field is level_idc: 5.1 -> 51
MAX_PLAUSIBLE_FPS = 120


def top_level_boxes(path: Path) -> list[str]:
    boxes, data = [], path.read_bytes()
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        boxes.append(kind.decode(errors="replace"))
        if size < 8:
            break
        at += size
    return boxes


def sps_frame_rate(path: Path) -> Fraction | None:
    """The frame rate the H.264 stream's own header (SPS timing) states, which players use;
    None if it states none. (ffprobe's ``r_frame_rate`` is guessed from the first frames'
    timestamps: a simulator starved by a loaded machine gave 301/12 for a 25 fps header.)"""
    trace = subprocess.run(
        ["ffmpeg", "-hide_banner", "-i", str(path), "-map", "0:v:0", "-c", "copy",
         "-bsf:v", "trace_headers", "-frames:v", "1", "-f", "null", "-"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stderr  # fmt: skip
    names = r"\b(timing_info_present_flag|num_units_in_tick|time_scale)\b"
    fields = dict(re.findall(names + r".* = (\d+)", trace))
    if fields.get("timing_info_present_flag") != "1":
        return None
    return Fraction(int(fields["time_scale"]), 2 * int(fields["num_units_in_tick"]))


def assert_every_player_opens(path: Path) -> dict[str, Any]:
    """Check the file's H.264 and AAC as players read them; return the video stream."""
    entries = (
        "stream=codec_type,codec_name,profile,level,pix_fmt,r_frame_rate,avg_frame_rate,time_base"
    )
    streams = ffprobe_json(str(path), ["-show_entries", entries])["streams"]
    print(path.name, [{k: v for k, v in s.items() if k != "disposition"} for s in streams])
    video = next(s for s in streams if s["codec_type"] == "video")
    assert video["codec_name"] == "h264", video
    assert video["profile"] in PROFILES, video
    assert 0 < int(video["level"]) <= MAX_LEVEL, video
    assert video["pix_fmt"] == "yuv420p", video
    for field in ("r_frame_rate", "avg_frame_rate"):
        assert 1 <= Fraction(video[field]) <= MAX_PLAUSIBLE_FPS, video
    # a time base no finer than the RTSP clock's (1/90000), coarse enough for a frame
    assert Fraction(1, 90000) <= Fraction(video["time_base"]) <= 1 / Fraction(video["r_frame_rate"])
    for audio in (s for s in streams if s["codec_type"] == "audio"):
        assert audio["codec_name"] == "aac" and audio["profile"] == "LC", audio
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat"), boxes
    return dict(video)
