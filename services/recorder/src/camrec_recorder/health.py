"""The health report of a finished recording: a pure function of the file's packet times and
what the recorder saw while recording (reconnects, how it ended)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from camrec_contracts.recordings import Gap, Reconnect, RecordingHealth, RecordingState, Verdict

from .packet_arrays import Spans, intervals, median, sorted_times

GAP_FACTOR = 3.0
"""An interval longer than this many median intervals is a gap..."""
GAP_FLOOR_MS = 250.0
"""...and never shorter than this (a 30 fps camera's 120 ms hiccup is not worth a word)."""
AUDIO_SLACK_S = 1.0
"""Audio missing for longer than this (at the start, end or between packets) is lost audio."""


@dataclass(frozen=True)
class PacketTimes:
    """Packet times (seconds, file timeline) of the file's first video and audio tracks: video
    packet starts, audio packet (start, end) spans. Long ones are arrays
    (:mod:`.packet_arrays`): nothing here makes a Python object per packet."""

    video: Sequence[float]
    audio: Sequence[tuple[float, float]] = ()
    has_audio_track: bool = False


def _clock(seconds: float) -> str:
    whole = max(0, round(seconds))
    h, rest = divmod(whole, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def find_gaps(times: Sequence[float]) -> tuple[list[Gap], float | None, float | None]:
    """Gaps in sorted ``times``, the threshold used (ms) and the median interval (ms)."""
    middle = median(intervals(times))
    if middle is None:
        return [], None, None
    threshold = max(middle * GAP_FACTOR, GAP_FLOOR_MS / 1000)
    gaps = [
        Gap(at_s=round(a, 3), length_s=round(b - a, 3))
        for a, b in itertools.pairwise(times)
        if b - a > threshold
    ]
    return gaps, round(threshold * 1000, 1), round(middle * 1000, 2)


def _audio_holes(p: PacketTimes, v_start: float, v_end: float) -> list[str]:
    """Where audio is missing for longer than the slack: start, middle, end."""
    if not p.audio:
        return ["the file has no audio" if not p.has_audio_track else "the audio track is empty"]
    holes = []
    spans = Spans(p.audio) if not isinstance(p.audio, Spans) else p.audio
    spans.sort()
    a_start, a_end = spans.starts[0], max(spans.ends)
    if a_start - v_start > AUDIO_SLACK_S:
        holes.append(f"no audio for the first {a_start - v_start:.1f} s")
    for end, start in zip(spans.ends, itertools.islice(spans.starts, 1, None), strict=False):
        if start - end > AUDIO_SLACK_S:
            holes.append(f"no audio for {start - end:.1f} s at {_clock(end)}")
    if v_end - a_end > AUDIO_SLACK_S:
        holes.append(f"audio stops {v_end - a_end:.1f} s before the video ends")
    return holes


def assess(
    p: PacketTimes,
    reconnects: Sequence[Reconnect],
    *,
    audio_expected: bool,
    state: RecordingState,
    end_reason: str | None,
) -> RecordingHealth:
    video = sorted_times(p.video)
    gaps, threshold_ms, median_ms = find_gaps(video)
    steps = intervals(video)
    span = video[-1] - video[0] if len(video) > 1 else 0.0
    fps = round((len(video) - 1) / span, 3) if span > 0 else None
    v_start = video[0] if video else 0.0
    v_end = video[-1] + (median_ms or 0) / 1000 if video else 0.0
    holes = _audio_holes(p, v_start, v_end) if audio_expected and video else []
    a_start = min(start for start, _ in p.audio) if p.audio else None
    a_end = max(end for _, end in p.audio) if p.audio else None

    verdict: Verdict
    if state in ("interrupted", "failed"):
        verdict = "interrupted"
    elif holes:
        verdict = "audio lost"
    elif gaps or reconnects:
        verdict = "has gaps"
    else:
        verdict = "clean"

    facts = [f"{len(video)} frames" + (f" at {fps:.2f} fps" if fps else "")]
    if gaps:
        longest = max(gaps, key=lambda g: g.length_s)
        facts.append(
            f"{len(gaps)} gap{'s' if len(gaps) > 1 else ''} "
            f"(longest {longest.length_s:.1f} s at {_clock(longest.at_s)})"
        )
    if reconnects:
        away = sum(r.away_s or 0 for r in reconnects)
        facts.append(
            f"{len(reconnects)} reconnect{'s' if len(reconnects) > 1 else ''}"
            + (f" ({away:.1f} s without the source)" if away else "")
        )
    facts += holes
    lead = {
        "clean": "clean",
        "has gaps": "has gaps",
        "audio lost": "audio lost",
        "interrupted": f"interrupted ({end_reason})" if end_reason else "interrupted",
    }[verdict]
    return RecordingHealth(
        verdict=verdict,
        summary=f"{lead}: " + "; ".join(facts),
        frames=len(video),
        fps=fps,
        median_frame_interval_ms=median_ms,
        min_frame_interval_ms=round(min(steps) * 1000, 2) if steps else None,
        max_frame_interval_ms=round(max(steps) * 1000, 2) if steps else None,
        gap_threshold_ms=threshold_ms,
        gaps=gaps,
        reconnects=list(reconnects),
        audio_expected=audio_expected,
        video_start_s=round(v_start, 3) if video else None,
        video_end_s=round(v_end, 3) if video else None,
        audio_start_s=round(a_start, 3) if a_start is not None else None,
        audio_end_s=round(a_end, 3) if a_end is not None else None,
        av_drift_ms=round((a_end - v_end) * 1000, 1) if a_end is not None and video else None,
    )
