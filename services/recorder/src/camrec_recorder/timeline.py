"""Where the parts' packets land in the final file, worked out from the part reads alone, and
checked against the final file's index (cheap: a regular MP4 says each track's packet count
and start without being read) and its last seconds. What doesn't check out is read again
from the final file, so the health report always describes the file as written."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .health import PacketTimes
from .packets import PartPackets

SAME_S = 0.001
"""Two times of one packet agree within this: the final file's video start is held in the
movie's 1/1000 s time scale (an edit list), the concat demuxer moves each part by a whole
number of its time base (1/48000 s for audio)."""
CUT_SHORT = 2
"""Packets at a part's end that ffprobe lists and the join may drop: the last one of each
track of a part whose FFmpeg was killed mid-write (one video packet seen, 2 h part cut at
100 MB); 2 for margin."""
MAX_SHIFT_S = 1.0
"""The muxer moves a track's start by its audio's encoder delay or the video's offset from
the audio (tens of ms); a larger move means the parts were not joined as :func:`place` says."""


@dataclass(frozen=True)
class Placed:
    """Packet times of the final file as the join makes them, before the muxer's start shift:
    video packet starts and audio (start, end) spans, in the order the join writes them."""

    video: list[float]
    audio: list[tuple[float, float]]

    @property
    def last_frame_s(self) -> float:
        return max(self.video, default=0.0)


@dataclass(frozen=True)
class Span:
    """One part in the final file: from ``inpoint`` (its first video frame), ``length`` long;
    ``None`` for a part put in whole (remuxed, or kept as it is)."""

    packets: PartPackets
    inpoint: float | None = None
    length: float | None = None
    first: dict[int, float] | None = None
    """Each stream's first packet the join keeps (pts by stream index: ``join.first_kept``)."""


def _starts(p: PartPackets, first: dict[int, float]) -> dict[int, int] | None:
    """Where in the part's read order each stream's first kept packet is; a stream the join
    met nothing of in its first second starts with the part's first packet of it. None
    when a packet said to be first is not in the part."""
    starts: dict[int, int] = {}
    for n, (index, pts) in enumerate(zip(p.stream, p.pts, strict=True)):
        if index in first and index not in starts and abs(pts - first[index]) < SAME_S / 2:
            starts[index] = n
    return starts if starts.keys() == first.keys() else None


def place(spans: Sequence[Span]) -> Placed | None:
    """The packets the concat demuxer keeps of each part and their times in the joined file:
    in each part's read order, from each stream's first kept packet, until the first packet
    (of any stream) whose dts reaches the outpoint; moved by ``start - inpoint``, ``start``
    being where the parts before it end. None when the join can't be followed (a part
    without video, or one whose first packets were not read)."""
    if not spans:
        return None
    video_index, audio_index = spans[0].packets.video_index, spans[0].packets.audio_index
    video: list[float] = []
    audio: list[tuple[float, float]] = []
    start = 0.0
    first: dict[int, int]
    for span in spans:
        p = span.packets
        if span.inpoint is None or span.length is None:
            if len(spans) > 1:
                return None
            inpoint, outpoint, first = 0.0, math.inf, {}  # every packet, as it is
        else:
            inpoint, outpoint = span.inpoint, round(span.inpoint + span.length, 6)
            found = _starts(p, span.first) if span.first is not None else None
            if found is None:
                return None
            first = found
        shift = start - inpoint
        for n, (index, pts, dts, length) in enumerate(
            zip(p.stream, p.pts, p.dts, p.duration, strict=True)
        ):
            if n < first.get(index, 0):
                continue
            if dts >= outpoint - 5e-7:  # FFmpeg: dts >= outpoint ends the part (µs in the list)
                break
            if math.isnan(pts):
                continue
            if index == video_index:
                video.append(pts + shift)
            elif index == audio_index:
                end = pts if math.isnan(length) else pts + length
                audio.append((pts + shift, end + shift))
        start += span.length or 0.0
    return Placed(video, audio)


def _track(info: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((s for s in info.get("streams", []) if s.get("codec_type") == kind), None)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _in_file(track: dict[str, Any] | None, placed: list[Any]) -> list[Any] | None:
    """The placed packets of a track the file's index counts: all of them, or all but the
    last few when the part ended in a packet cut short (FFmpeg killed), which ffprobe lists
    and the join drops."""
    count = _number(track.get("nb_frames")) if track else None
    if count is None or not 0 <= len(placed) - count <= CUT_SHORT:
        return None
    return placed[: int(count)]


def _shift(track: dict[str, Any] | None, starts: Sequence[float]) -> float | None:
    """How far the muxer moved a track: its start in the file's index minus the placed one."""
    start = _number(track.get("start_time")) if track else None
    if start is None or not starts:
        return None
    return start - min(starts)


def _tail_agrees(tail: list[float], placed: list[float]) -> bool:
    """The final file's last packet times of a track (some read) are the last placed ones."""
    if not tail or len(tail) > len(placed):
        return False
    ours = sorted(placed)[len(placed) - len(tail) :]
    return all(abs(a - b) <= SAME_S for a, b in zip(sorted(tail), ours, strict=True))


def confirm(placed: Placed, info: dict[str, Any]) -> PacketTimes | None:
    """The placed packet times as the final file holds them, if the file agrees: the packet
    count of each track, one start shift for both tracks, and the same times in the last
    seconds ``info`` read (ffprobe JSON: ``streams`` with ``start_time`` and ``nb_frames``,
    ``packets`` with ``stream_index`` and ``pts_time``). None when anything differs."""
    v, a = _track(info, "video"), _track(info, "audio")
    video = _in_file(v, placed.video)
    audio = _in_file(a, placed.audio) if a is not None else []
    if v is None or video is None or audio is None or (a is None and placed.audio):
        return None
    v_shift = _shift(v, video)
    if v_shift is None or abs(v_shift) > MAX_SHIFT_S:
        return None
    a_shift = _shift(a, [s for s, _ in audio]) if a is not None else v_shift
    if a_shift is None or abs(a_shift - v_shift) > SAME_S:
        return None
    tails: dict[int, list[float]] = {}
    for packet in info.get("packets", []):
        pts = _number(packet.get("pts_time"))
        if pts is not None and isinstance(packet.get("stream_index"), int):
            tails.setdefault(packet["stream_index"], []).append(pts)
    video = sorted(t + v_shift for t in video)
    audio = sorted((s + a_shift, e + a_shift) for s, e in audio)
    if not _tail_agrees(tails.get(v.get("index", -1), []), video):
        return None
    if a is not None and not _tail_agrees(tails.get(a.get("index", -1), []), [s for s, _ in audio]):
        return None
    return PacketTimes(video=video, audio=audio, has_audio_track=a is not None)
