"""Where a part's video starts and how long it lasts (the join's cut), without reading the
part through: its first and last seconds, which the fragments' index finds."""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass
from pathlib import Path

from .media import run_tool

HEAD_S = 12.0
"""Seconds read from a part's start for its first video frame: the audio FFmpeg writes while
it waits for the first keyframe is up to a GOP long (cameras: up to 10 s)."""
TAIL_S = 4.0
"""Seconds read before a part's end for its last frame (the read starts at the keyframe
before: it holds the last frames)."""


@dataclass(frozen=True)
class Extent:
    """A part's video: where it starts, how long it lasts (s), its packets per second
    (from the first seconds read; None when they hold too few)."""

    start: float
    length: float
    rate: float | None


def rate(spans: list[tuple[float, float]]) -> float | None:
    """Packets per second over sorted ``spans`` (first start to last start)."""
    if len(spans) < 2 or spans[-1][0] <= spans[0][0]:
        return None
    return (len(spans) - 1) / (spans[-1][0] - spans[0][0])


def extent(spans: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Where video starts and how long it lasts, from its packets' (start, end) spans: first
    start to the last packet's end (its duration included)."""
    if not spans:
        return None
    spans = sorted(spans)
    last_start, last_end = spans[-1]
    if last_end <= last_start:  # the last frame's duration is not stored: take the usual one
        gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(spans))
        last_end = last_start + (gaps[len(gaps) // 2] if gaps else 0.04)
    return spans[0][0], max(last_end, max(end for _, end in spans)) - spans[0][0]


async def _video_spans(
    ffprobe: str, path: Path, interval: str | None
) -> tuple[list[tuple[float, float]], float | None]:
    """The video packets' (start, end) in ``interval`` (all without one), and the file's
    duration."""
    code, out, _ = await run_tool(
        [ffprobe, "-v", "error", "-select_streams", "v:0",
         *(["-read_intervals", interval] if interval else []),
         "-show_entries", "format=duration:packet=pts_time,duration_time",
         "-of", "csv=p=1", str(path)],
        30 if interval else 300,
    )  # fmt: skip
    spans, duration = [], None
    for line in out.decode(errors="replace").split() if code == 0 else []:
        fields = line.split(",")
        with contextlib.suppress(ValueError, IndexError):
            if fields[0] == "format":
                duration = float(fields[1])
            elif fields[0] == "packet":
                pts = float(fields[1])
                length = float(fields[2]) if fields[2] != "N/A" else 0.0
                spans.append((pts, pts + length))
    return spans, duration


async def video_extent(ffprobe: str, path: Path) -> Extent | None:
    """The part's video extent from its first and last seconds (a fraction of a second for
    2 h); from every video packet when those don't show both ends."""
    head, duration = await _video_spans(ffprobe, path, f"%+{HEAD_S:g}")
    spans: list[tuple[float, float]] | None = None
    if head and duration is not None:
        if duration < HEAD_S:  # the head read it all
            spans = head
        else:
            tail, _ = await _video_spans(ffprobe, path, f"{max(duration - TAIL_S, 0):.3f}%")
            spans = sorted(set(head + tail)) if tail else None
    if spans is None:
        spans, _ = await _video_spans(ffprobe, path, None)
        head = spans
    found = extent(spans)
    return None if found is None else Extent(*found, rate(sorted(head)))
