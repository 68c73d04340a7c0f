"""Where the video starts in a part FFmpeg is writing: the wait for the first keyframe.

FFmpeg's clock (``-progress`` ``out_time``, ``-t``) starts at the first packet it copies,
often audio; stream-copied video starts only at the first keyframe, up to a GOP later (6 s
and more from cameras in a "smart codec" mode), and a re-encoded one at the first frame the
decoder could decode. That wait, ``k``, is read from the part's own fragmented file: its
header is written with the first fragment, once every track has a packet (FFmpeg's
``delay_moov``), and gives each track's start on FFmpeg's clock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from .media import run_tool

PROBE_TIMEOUT_S = 20.0


def keyframe_wait(streams: Sequence[Mapping[str, object]]) -> float | None:
    """``k``: where the video starts on FFmpeg's clock, from ffprobe's ``streams`` (each with
    ``codec_type`` and ``start_time``). The file's timeline is FFmpeg's output timeline
    (``out_time`` and ``-t`` count from its zero), so the video's own start is the wait.
    None while the video's start is not in the file yet."""
    for stream in streams:
        if stream.get("codec_type") != "video":
            continue
        try:
            return max(float(str(stream.get("start_time"))), 0.0)
        except ValueError:  # "N/A" or missing: no video packet described yet
            return None
    return None


async def probe_keyframe_wait(ffprobe: str, path: Path) -> float | None:
    """``k`` of the part being written to ``path``, or None (no header yet, no video)."""
    code, out, _ = await run_tool(
        [ffprobe, "-v", "error", "-show_entries", "stream=codec_type,start_time",
         "-of", "json", str(path)],
        PROBE_TIMEOUT_S,
    )  # fmt: skip
    if code != 0:
        return None
    try:
        streams = json.loads(out or b"{}").get("streams", [])
    except ValueError:
        return None
    return keyframe_wait(streams)
