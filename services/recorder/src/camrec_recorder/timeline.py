"""The join's own report of the packets it wrote, checked against the final file as it lies
on disk: its index (a regular MP4 says each track's packet count and start without being
read) and its last seconds. What doesn't check out is read again from the file, so the
health report always describes the file as written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .health import PacketTimes
from .packet_arrays import sorted_times
from .report import Written

SAME_S = 0.001
"""Two times of one packet agree within this: the final file's video start is held in the
movie's 1/1000 s time scale (an edit list)."""
MAX_SHIFT_S = 1.0
"""The MP4 muxer may move a track's start by an edit list (its audio's encoder delay, tens
of ms); a larger move means the report is not of this file."""


def _track(info: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((s for s in info.get("streams", []) if s.get("codec_type") == kind), None)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _shift(track: dict[str, Any] | None, first: float | None, count: int) -> float | None:
    """How far the muxer moved a track: its start in the file's index minus the reported
    ``first`` one; None unless the index counts as many packets as were reported."""
    start = _number(track.get("start_time")) if track else None
    frames = _number(track.get("nb_frames")) if track else None
    if start is None or first is None or frames != count or not count:
        return None
    return start - first


def _tail_agrees(tail: list[float], reported: Sequence[float]) -> bool:
    """The final file's last packet times of a track (some read) are the last reported."""
    if not tail or len(tail) > len(reported):
        return False
    ours = reported[len(reported) - len(tail) :]
    return all(abs(a - b) <= SAME_S for a, b in zip(sorted(tail), ours, strict=True))


def confirm(written: Written, info: dict[str, Any]) -> PacketTimes | None:
    """The reported packet times as the final file holds them, if the file agrees: each
    track's packet count, one start shift for both tracks, the same times in the last
    seconds ``info`` read (ffprobe JSON: ``streams`` with ``start_time`` and ``nb_frames``,
    ``packets`` with ``stream_index`` and ``pts_time``). None when anything differs.

    Takes over ``written``'s arrays: they are shifted and sorted in place, so a 2 h report
    is never held twice."""
    v, a = _track(info, "video"), _track(info, "audio")
    video, audio = written.video, written.audio
    v_shift = _shift(v, min(video, default=None), len(video))
    if v is None or v_shift is None or abs(v_shift) > MAX_SHIFT_S:
        return None
    a_shift = v_shift
    if a is not None or audio:
        first = min(audio.starts, default=None)
        a_shift = _shift(a, first, len(audio))  # type: ignore[assignment]
        if a_shift is None or abs(a_shift - v_shift) > SAME_S:
            return None
    tails: dict[int, list[float]] = {}
    for packet in info.get("packets", []):
        pts = _number(packet.get("pts_time"))
        if pts is not None and isinstance(packet.get("stream_index"), int):
            tails.setdefault(packet["stream_index"], []).append(pts)
    for i, t in enumerate(video):
        video[i] = t + v_shift
    video = written.video = sorted_times(video)
    audio.shift(a_shift)
    audio.sort()
    if not _tail_agrees(tails.get(v.get("index", -1), []), video):
        return None
    if a is not None:
        a_tail = tails.get(a.get("index", -1), [])
        ours = audio.starts[max(0, len(audio) - len(a_tail)) :]
        if not _tail_agrees(a_tail, ours) or len(a_tail) > len(audio):
            return None
    return PacketTimes(video=video, audio=audio, has_audio_track=a is not None)
