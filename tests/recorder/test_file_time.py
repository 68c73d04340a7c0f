"""File time of a part: FFmpeg's time minus the wait for the first video keyframe, read from
the part's own fragmented file (a real one, written by FFmpeg with the recorder's flags)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest

from camrec_devstack.paths import binary
from camrec_recorder.ffmpeg_args import FRAGMENTED_MP4
from camrec_recorder.file_time import PROBE_TRIES, STOP_MARGIN_S, PartClock
from camrec_recorder.keyframes import keyframe_wait, probe_keyframe_wait
from camrec_recorder.supervisor import Progress


def at(out_time_s: float, frames: int = 0) -> Progress:
    """FFmpeg's reading: its time (the furthest track's) and the video frames written."""
    return Progress(out_time_s, 0, None, frames)


def test_the_wait_is_where_the_video_starts() -> None:
    streams = [
        {"codec_type": "audio", "start_time": "0.000000"},
        {"codec_type": "video", "start_time": "5.080000"},
    ]
    assert keyframe_wait(streams) == pytest.approx(5.08)
    assert keyframe_wait([{"codec_type": "video", "start_time": "0.000000"}]) == 0.0
    # no video packet described yet, or no video at all: not known
    assert keyframe_wait([{"codec_type": "video", "start_time": "N/A"}]) is None
    assert keyframe_wait([{"codec_type": "video"}]) is None
    assert keyframe_wait([{"codec_type": "audio", "start_time": "0.000000"}]) is None


def test_file_time_counts_from_the_keyframe_and_a_timed_part_stops_past_what_is_left() -> None:
    clock = PartClock("ffprobe", Path("/nowhere.mp4"), left_s=30)
    assert clock.file_s(5) == 0 and clock.stop_in(at(40)) is None  # the wait is not known yet
    clock.wait_s = 4.5
    assert clock.file_s(4) == 0
    assert clock.file_s(14.5) == pytest.approx(10)
    assert clock.stop_in(at(33.5)) is None  # 29 s in the file: the next reading comes first
    assert clock.stop_in(at(34.2)) == pytest.approx(30 + STOP_MARGIN_S - 29.7)
    assert clock.stop_in(at(40)) == 0
    until_stopped = PartClock("ffprobe", Path("/nowhere.mp4"), left_s=None)
    until_stopped.wait_s = 4.5
    assert until_stopped.stop_in(at(1000)) is None


def test_a_timed_part_waits_for_video_that_comes_in_late() -> None:
    """FFmpeg's time is its furthest track's: video 2 s behind the audio is waited for."""
    clock = PartClock("ffprobe", Path("/nowhere.mp4"), left_s=5, fps=25)
    clock.wait_s = 0
    assert clock.stop_in(at(5.5, frames=137)) == pytest.approx(0.02)  # 5.48 s of video
    assert clock.stop_in(at(5.5, frames=88)) is None  # 3.52 s of video: not yet
    assert clock.stop_in(at(7.5, frames=125)) == pytest.approx(0.5)  # 5 s of video


async def test_progress_is_capped_at_what_is_left(tmp_path: Path) -> None:
    """The finish cuts a timed file to the length asked: progress never says more."""
    clock = PartClock("ffprobe", tmp_path / "none.mp4", left_s=30)
    clock.wait_s = 2
    assert clock.update(at(20)) == 18
    assert clock.update(at(33)) == 30


def audio_first_part(path: Path, video_late_s: float, seconds: float) -> None:
    """A fragmented part as the recorder writes it, whose video starts ``video_late_s``
    after its audio (a camera joined mid-GOP)."""
    subprocess.run(
        [binary("ffmpeg"), "-v", "error", "-nostdin",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}",
         "-itsoffset", str(video_late_s),
         "-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds - video_late_s}",
         "-map", "1:v", "-map", "0:a", "-c:v", "libx264", "-preset", "ultrafast", "-g", "50",
         "-fps_mode", "passthrough",  # keep the video's late start (cfr moves it to 0)
         "-c:a", "aac", *FRAGMENTED_MP4, "-frag_duration", "1000000", "-y", str(path)],
        check=True,
        timeout=60,
    )  # fmt: skip


async def test_the_wait_read_from_a_part_and_settled(tmp_path: Path) -> None:
    part = tmp_path / "part.mp4"
    await asyncio.to_thread(audio_first_part, part, 3.2, 8)
    assert await probe_keyframe_wait(binary("ffprobe"), part) == pytest.approx(3.2, abs=0.05)
    # FFmpeg ended before a reading started the probe: settling reads the finished file
    clock = PartClock(binary("ffprobe"), part, left_s=None)
    assert await clock.settle(8.0) == pytest.approx(4.8, abs=0.05)


async def test_a_part_whose_start_cannot_be_read_counts_from_zero(tmp_path: Path) -> None:
    """Never less than was recorded: no file (or no header) means FFmpeg's own time."""
    clock = PartClock(binary("ffprobe"), tmp_path / "missing.mp4", left_s=None)
    assert await clock.settle(7.5) == 7.5
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not an mp4 at all")
    assert await PartClock(binary("ffprobe"), garbage, left_s=10).settle(7.5) == 7.5


async def test_a_file_that_never_says_counts_from_zero_after_the_tries(tmp_path: Path) -> None:
    """Not read every second for hours: after PROBE_TRIES readings, FFmpeg's own time."""
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not an mp4 at all")
    clock = PartClock(binary("ffprobe"), garbage, left_s=None)
    for _ in range(PROBE_TRIES):
        assert clock.update(at(12.0)) == 0
        assert clock._probe is not None
        await clock._probe
    assert clock.wait_s == 0 and clock.update(at(12.0)) == 12.0
