"""The health report as a pure function of packet times and what the recorder saw."""

from __future__ import annotations

from datetime import UTC, datetime

from camrec_contracts.measurements import parse_measurement
from camrec_contracts.recordings import Reconnect
from camrec_recorder.fit import duration_label, size_label
from camrec_recorder.health import PacketTimes, assess, find_gaps
from camrec_recorder.media import parse_packets


def frames(start: float, count: int, step: float = 0.04) -> list[float]:
    return [round(start + i * step, 6) for i in range(count)]


def audio(start: float, end: float, step: float = 0.021333) -> list[tuple[float, float]]:
    spans, t = [], start
    while t < end:
        spans.append((t, t + step))
        t += step
    return spans


def test_a_steady_25_fps_file_with_audio_is_clean() -> None:
    h = assess(
        PacketTimes(frames(0, 250), audio(0, 10), True),
        [],
        audio_expected=True,
        state="finished",
        end_reason="completed",
    )
    assert h.verdict == "clean" and h.frames == 250 and h.gaps == []
    assert h.fps is not None and abs(h.fps - 25) < 0.01
    assert h.median_frame_interval_ms == 40 and h.gap_threshold_ms == 250
    assert h.summary.startswith("clean: 250 frames at 25.00 fps")
    assert h.av_drift_ms is not None and abs(h.av_drift_ms) < 30


def test_a_three_second_pause_is_one_gap_at_its_time() -> None:
    times = frames(0, 100) + frames(3.96 + 3.0, 100)
    h = assess(PacketTimes(times), [], audio_expected=False, state="stopped", end_reason="stopped")
    assert h.verdict == "has gaps"
    assert len(h.gaps) == 1
    assert h.gaps[0].at_s == 3.96 and h.gaps[0].length_s == 3.0
    assert "1 gap (longest 3.0 s at 0:04)" in h.summary


def test_irregular_timing_is_not_a_gap() -> None:
    times, t = [], 0.0
    for i in range(200):  # 40..160 ms, like the MJPEG simulator
        times.append(t)
        t += 0.04 + (i * 37 % 13) / 100
    gaps, threshold, median = find_gaps(times)
    assert gaps == [] and threshold is not None and median is not None
    assert threshold >= 3 * median


def test_audio_that_stops_before_the_video_is_audio_lost_and_beats_has_gaps() -> None:
    drop = Reconnect(at_s=5.0, dropped_at=datetime(2026, 12, 1, tzinfo=UTC), away_s=2.5)
    h = assess(
        PacketTimes(frames(0, 250), audio(0, 5), True),
        [drop],
        audio_expected=True,
        state="stopped",
        end_reason="stopped",
    )
    assert h.verdict == "audio lost"
    assert "audio stops 5.0 s before the video ends" in h.summary
    assert "1 reconnect (2.5 s without the source)" in h.summary
    assert h.av_drift_ms is not None and h.av_drift_ms < -4900


def test_a_hole_in_the_audio_and_no_audio_at_all() -> None:
    holed = audio(0, 3) + audio(5, 10)
    h = assess(
        PacketTimes(frames(0, 250), holed, True),
        [],
        audio_expected=True,
        state="finished",
        end_reason=None,
    )
    assert h.verdict == "audio lost" and "no audio for 2.0 s at 0:03" in h.summary
    none = assess(
        PacketTimes(frames(0, 50)), [], audio_expected=True, state="finished", end_reason=None
    )
    assert none.verdict == "audio lost" and "the file has no audio" in none.summary


def test_a_reconnect_alone_has_gaps_and_an_interruption_wins() -> None:
    back = Reconnect(at_s=4.0, dropped_at=None, away_s=None)
    h = assess(
        PacketTimes(frames(0, 250)), [back], audio_expected=False, state="stopped", end_reason=None
    )
    assert h.verdict == "has gaps" and "1 reconnect" in h.summary
    cut = assess(
        PacketTimes(frames(0, 25)),
        [],
        audio_expected=False,
        state="interrupted",
        end_reason="disk full",
    )
    assert cut.verdict == "interrupted" and cut.summary.startswith("interrupted (disk full): ")


def test_packets_and_measurements_parse_from_ffprobe_output() -> None:
    text = (
        "stream_index=0|pts_time=0.000000|duration_time=0.040000\n"
        "stream_index=1|pts_time=0.000000|duration_time=0.021333\n"
        "stream_index=0|pts_time=0.040000|duration_time=N/A\n"
        "stream_index=1|pts_time=N/A|duration_time=0.021333\n"
    )
    p = parse_packets(text, 0, 1)
    assert list(p.video) == [0.0, 0.04] and list(p.audio) == [(0.0, 0.021333)]
    assert p.has_audio_track
    data = {
        "streams": [{"index": 0, "codec_type": "video"}, {"index": 1, "codec_type": "audio"}],
        "packets": [
            *({"stream_index": 0, "pts_time": f"{i * 0.1:.3f}", "size": "1000"} for i in range(11)),
            {"stream_index": 1, "pts_time": "0.5", "size": "250"},
        ],
    }
    m = parse_measurement(data, datetime(2026, 12, 1, tzinfo=UTC))
    assert m is not None and m.fps == 10 and m.frames == 11
    assert m.bitrate_kbps == round(11250 * 8 / 1000 / 1.0, 1)
    assert parse_measurement({"packets": []}, datetime(2026, 12, 1, tzinfo=UTC)) is None


def test_labels_people_read() -> None:
    assert [duration_label(s) for s in (60, 300, 3600, 5400, 7200)] == [
        "60 s", "5 min", "1 h", "1 h 30 min", "2 h",
    ]  # fmt: skip
    assert size_label(3.4e9) == "3.4 GB" and size_label(12e6) == "12 MB"
