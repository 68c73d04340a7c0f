"""The join's own report of the packets it wrote, checked against the final file as it lies
on disk: its index (a regular MP4 says each track's packet count and start without being
read) and its last seconds. What doesn't check out is read again from the file, so the
health report always describes the file as written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .health import PacketTimes
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


def _shift(track: dict[str, Any] | None, starts: Sequence[float]) -> float | None:
    """How far the muxer moved a track: its start in the file's index minus the reported
    one; None unless the index counts as many packets as were reported."""
    start = _number(track.get("start_time")) if track else None
    count = _number(track.get("nb_frames")) if track else None
    if start is None or count != len(starts) or not starts:
        return None
    return start - min(starts)


def _tail_agrees(tail: list[float], reported: list[float]) -> bool:
    """The final file's last packet times of a track (some read) are the last reported."""
    if not tail or len(tail) > len(reported):
        return False
    ours = reported[len(reported) - len(tail) :]
    return all(abs(a - b) <= SAME_S for a, b in zip(sorted(tail), ours, strict=True))


def confirm(written: Written, info: dict[str, Any]) -> PacketTimes | None:
    """The reported packet times as the final file holds them, if the file agrees: each
    track's packet count, one start shift for both tracks, the same times in the last
    seconds ``info`` read (ffprobe JSON: ``streams`` with ``start_time`` and ``nb_frames``,
    ``packets`` with ``stream_index`` and ``pts_time``). None when anything differs."""
    v, a = _track(info, "video"), _track(info, "audio")
    v_shift = _shift(v, written.video)
    if v is None or v_shift is None or abs(v_shift) > MAX_SHIFT_S:
        return None
    a_shift = v_shift
    if a is not None or written.audio:
        a_shift = _shift(a, [s for s, _ in written.audio])  # type: ignore[assignment]
        if a_shift is None or abs(a_shift - v_shift) > SAME_S:
            return None
    tails: dict[int, list[float]] = {}
    for packet in info.get("packets", []):
        pts = _number(packet.get("pts_time"))
        if pts is not None and isinstance(packet.get("stream_index"), int):
            tails.setdefault(packet["stream_index"], []).append(pts)
    video = sorted(t + v_shift for t in written.video)
    audio = sorted((s + a_shift, e + a_shift) for s, e in written.audio)
    if not _tail_agrees(tails.get(v.get("index", -1), []), video):
        return None
    if a is not None and not _tail_agrees(tails.get(a.get("index", -1), []), [s for s, _ in audio]):
        return None
    return PacketTimes(video=video, audio=audio, has_audio_track=a is not None)
