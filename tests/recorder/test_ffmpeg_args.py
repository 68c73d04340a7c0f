"""FFmpeg command lines are pure functions: checked here without running FFmpeg. At the end,
the whole command a recording runs, written out once per kind of source (as go2rtc's
``ffmpeg_test.go`` does), and the join's: a reader finds them here, in one place. The recorder
always reads the session's relay (MediaMTX for RTSP cameras, go2rtc for MJPEG over HTTP),
never the camera."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest

from camrec_contracts.measurements import StreamMeasurement
from camrec_contracts.sessions import AudioInfo, Session, VideoInfo
from camrec_recorder.ffmpeg_args import (
    DEFAULT_FPS,
    encode_fps,
    h264_level,
    record_args,
    remux_args,
    thumbnail_args,
)
from camrec_recorder.files import Files, file_name
from camrec_recorder.join import join_args
from camrec_recorder.settings import RecorderSettings
from camrec_recorder.supervisor import parse_progress

SETTINGS = RecorderSettings(worker_id="w1")
OUT = Path("/rec/.partial/abc.mp4")


def session(video: str, audio: str | None) -> Session:
    return Session(
        id="0123456789ab",
        name="door",
        url="rtsp://***@cam/live",
        source_kind="rtsp",
        relay="go2rtc",
        relay_url="rtsp://relay:8555/camrec-0123456789ab",
        state="ready",
        video=VideoInfo(codec=video, width=1280, height=720, fps=25),
        audio=AudioInfo(codec=audio) if audio else None,
        created_at=datetime.now(UTC),
    )


def measurement(fps: float) -> StreamMeasurement:
    return StreamMeasurement(
        fps=fps, bitrate_kbps=2000, seconds=4, frames=round(4 * fps), measured_at=datetime.now(UTC)
    )


def after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_h264_aac_is_copied_from_the_relay_over_tcp() -> None:
    argv = record_args(SETTINGS, session("h264", "aac"), OUT, 60)
    assert after(argv, "-i") == "rtsp://relay:8555/camrec-0123456789ab"


def test_the_relay_is_read_with_the_read_user_of_the_settings() -> None:
    """The session's relay URL has no credentials (it is in KV and events); FFmpeg's has."""
    settings = RecorderSettings(
        worker_id="w1", relay_read_user="camrec-reader", relay_read_password="pw"
    )
    argv = record_args(settings, session("h264", "aac"), OUT, 60)
    assert after(argv, "-i") == "rtsp://camrec-reader:pw@relay:8555/camrec-0123456789ab"
    assert after(argv, "-rtsp_transport") == "tcp"
    assert after(argv, "-c:v") == "copy" and after(argv, "-c:a") == "copy"
    assert "libx264" not in argv and "-fps_mode" not in argv
    assert after(argv, "-t") == "60"
    assert argv[-1] == str(OUT)


@pytest.mark.parametrize("codec", ["hevc", "mjpeg", "mpeg4"])
def test_other_video_is_encoded_keeping_every_timestamp(codec: str) -> None:
    argv = record_args(SETTINGS, session(codec, None), OUT, None)
    assert after(argv, "-c:v") == "libx264"
    assert after(argv, "-preset") == "veryfast" and after(argv, "-crf") == "23"
    assert after(argv, "-pix_fmt") == "yuv420p"
    assert after(argv, "-profile:v") == "high"
    assert after(argv, "-fps_mode") == "passthrough"


def test_an_encode_is_declared_at_the_real_rate_on_the_rtsp_clock() -> None:
    # 1280x720 whose header says 25 fps, measured at 9.6 (an MJPEG camera's real rhythm)
    measured = session("mjpeg", None).model_copy(update={"measured": measurement(9.6)})
    argv = record_args(SETTINGS, measured, OUT, None)
    assert after(argv, "-r") == "10"  # what libx264 is told: its level and SPS timing
    assert after(argv, "-level:v") == "3.1"
    assert after(argv, "-bsf:v") == "h264_metadata=tick_rate=20"  # SPS: 10 fps, not 90000
    # the timestamps stay the source's: passthrough on the RTSP clock, not a 1/10 s grid
    assert after(argv, "-enc_time_base:v") == "1/90000"
    assert after(argv, "-fps_mode") == "passthrough"


@pytest.mark.parametrize("video", ["h264", "hevc", "mjpeg"])
def test_never_a_constant_frame_rate(video: str) -> None:
    argv = record_args(SETTINGS, session(video, "aac"), OUT, 10)
    joined = " ".join(argv)
    assert "fps=" not in joined and "-vsync" not in argv and "cfr" not in joined
    if "-r" in argv:  # only declares the rate: every frame keeps its own time
        assert after(argv, "-fps_mode") == "passthrough"
        assert after(argv, "-enc_time_base:v") == "1/90000"
        assert argv.index("-r") > argv.index("-i")  # an output option, not the input's rate


@pytest.mark.parametrize(
    ("width", "height", "fps", "level"),
    [
        (640, 360, 10, "3"),  # small pictures: 3 at least
        (1280, 720, 25, "3.1"),
        (1280, 720, 30, "3.1"),
        (1280, 720, 31, "3.2"),
        (1280, 720, 60, "3.2"),
        (1920, 1080, 30, "4.1"),  # 8160 macroblocks x 30 = 244800 <= 245760
        (1920, 1080, 31, "4.2"),
        (1920, 1080, 60, "4.2"),
        (2560, 1440, 30, "5"),
        (3840, 2160, 30, "5.1"),
        (3840, 2160, 60, "5.1"),  # needs 5.2: never above 5.1 (Windows' decoder stops there)
        (7680, 4320, 120, "5.1"),
        (3840, 240, 10, "4.1"),  # 3600 macroblocks, but 240 wide: over sqrt(8 x MaxFS) until 4.1
    ],
)
def test_h264_level_from_picture_size_and_rate(
    width: int, height: int, fps: int, level: str
) -> None:
    assert h264_level(width, height, fps) == level


@pytest.mark.parametrize(
    ("header", "measured", "fps"),
    [
        (25.0, 24.97, 25),  # the measurement, whole
        (25.0, 9.6, 10),  # the header claims more than the camera sends
        (25.0, None, 25),  # not measured yet: the header
        (None, None, DEFAULT_FPS),  # MJPEG before its measurement: no header rate
        (None, 0.4, 1),  # one frame every 2.5 s: at least 1
        (15.0, 1000.0, 15),  # a measurement out of bounds is not believed
    ],
)
def test_the_rate_an_encode_is_declared_at(
    header: float | None, measured: float | None, fps: int
) -> None:
    s = session("mjpeg", None)
    s = s.model_copy(
        update={
            "video": s.video.model_copy(update={"fps": header}),
            "measured": None if measured is None else measurement(measured),
        }
    )
    assert encode_fps(s) == fps


@pytest.mark.parametrize(
    ("audio", "expected"),
    [
        ("aac", ["-c:a", "copy"]),
        ("pcm_alaw", ["-c:a", "aac", "-profile:a", "aac_low", "-b:a", "128k"]),
        ("pcm_mulaw", ["-c:a", "aac", "-profile:a", "aac_low", "-b:a", "128k"]),
        ("opus", ["-c:a", "aac", "-profile:a", "aac_low", "-b:a", "128k"]),
        (None, ["-an"]),
    ],
)
def test_audio_becomes_aac_or_nothing(audio: str | None, expected: list[str]) -> None:
    argv = record_args(SETTINGS, session("h264", audio), OUT, None)
    start = argv.index(expected[0])
    assert argv[start : start + len(expected)] == expected
    assert ("-map" in argv and "0:a:0?" in argv) == (audio is not None)


def test_until_stopped_has_no_duration_and_writes_flushed_fragments() -> None:
    argv = record_args(SETTINGS, session("h264", "aac"), OUT, None)
    assert "-t" not in argv
    assert after(argv, "-movflags") == "+frag_keyframe+delay_moov+default_base_moof"
    assert after(argv, "-frag_duration") == "1000000"
    assert after(argv, "-flush_packets") == "1"
    assert after(argv, "-progress") == "pipe:1"


def test_remux_copies_with_the_index_in_front() -> None:
    argv = remux_args("ffmpeg", OUT, Path("/rec/x.mp4"))
    assert after(argv, "-c") == "copy" and after(argv, "-movflags") == "+faststart"
    assert thumbnail_args("ffmpeg", Path("/rec/x.mp4"), Path("/t.jpg"), 1.0)[-1] == "/t.jpg"


def test_file_names_are_safe_and_never_from_a_path() -> None:
    started = datetime(2026, 11, 24, 10, 0, 0, tzinfo=UTC)
    assert (
        file_name("Front door", started, "abcdef012345")
        == "Front-door_20261124-100000_abcdef01.mp4"
    )
    assert (
        file_name("../../etc/passwd", started, "abcdef012345")
        == "etc-passwd_20261124-100000_abcdef01.mp4"
    )
    assert file_name("∅", started, "abcdef012345").startswith("camera_")


def test_files_refuse_names_outside_the_folder(tmp_path: Path) -> None:
    files = Files(tmp_path)
    assert files.final("a.mp4") == (tmp_path / "a.mp4").resolve()
    with pytest.raises(ValueError):
        files.final("../a.mp4")


def test_progress_blocks() -> None:
    block = {
        "frame": "176",
        "out_time_us": "7040000",
        "total_size": "1048576",
        "bitrate": "1191.6kbits/s",
    }
    p = parse_progress(block)
    assert p is not None and p.elapsed_s == 7.04 and p.size_bytes == 1048576
    assert p.frames == 176
    assert p.bitrate_kbps == 1191.6
    assert parse_progress({"out_time_us": "N/A", "bitrate": "N/A"}) is None
    assert parse_progress({"out_time_us": "0", "bitrate": "N/A"}).bitrate_kbps is None  # type: ignore[union-attr]
    first = parse_progress({"out_time_us": "0", "total_size": "1272", "bitrate": "925090.9kbits/s"})
    assert first is not None and first.bitrate_kbps is None  # no rate over no time


# -- the whole command ---------------------------------------------------------------------
READ = (
    "ffmpeg -hide_banner -loglevel warning -nostats -progress pipe:1 -stats_period 1"
    " -rtsp_transport tcp -timeout 5000000 -i rtsp://relay:8555/camrec-0123456789ab"
)
ENCODE = (
    "-c:v libx264 -preset veryfast -crf 23 -profile:v high -level:v 3.1 -pix_fmt yuv420p"
    " -bf 0 -fps_mode passthrough -enc_time_base:v 1/90000 -r 25"
    " -bsf:v h264_metadata=tick_rate=50 -force_key_frames expr:gte(t,n_forced*2)"
)
WRITE = (
    "-f mp4 -movflags +frag_keyframe+delay_moov+default_base_moof -frag_duration 1000000"
    " -flush_packets 1 -y /rec/.partial/abc.mp4"
)


@pytest.mark.parametrize(
    ("video", "audio", "duration_s", "command"),
    [
        pytest.param(
            "h264", "aac", 70,
            f"{READ} -map 0:v:0 -map 0:a:0? -c:v copy -c:a copy -t 70 {WRITE}",
            id="RTSP H.264 + AAC, timed (1 min: -t is a safety net 10 s past it)",
        ),
        pytest.param(
            "h264", "pcm_alaw", None,
            f"{READ} -map 0:v:0 -map 0:a:0? -c:v copy -c:a aac -profile:a aac_low -b:a 128k"
            f" {WRITE}",
            id="RTSP H.264 + G.711 A-law, until stopped",
        ),
        pytest.param(
            "h264", None, None,
            f"{READ} -map 0:v:0 -c:v copy -an {WRITE}",
            id="RTSP H.264 without audio",
        ),
        pytest.param(
            "hevc", "aac", None,
            f"{READ} -map 0:v:0 -map 0:a:0? {ENCODE} -c:a copy {WRITE}",
            id="RTSP H.265 + AAC: the video encoded (browsers can't play H.265)",
        ),
        pytest.param(
            "mjpeg", None, None,
            f"{READ} -map 0:v:0 {ENCODE} -an {WRITE}",
            id="MJPEG over HTTP, through go2rtc's RTSP",
        ),
    ],
)  # fmt: skip
def test_the_whole_command_a_recording_runs(
    video: str, audio: str | None, duration_s: float | None, command: str
) -> None:
    argv = record_args(SETTINGS, session(video, audio), OUT, duration_s)
    assert argv == shlex.split(command), shlex.join(argv)


def test_the_whole_command_that_joins_the_parts() -> None:
    """After the recording: its parts (one per connection to the source) cut and joined by
    copy into the final MP4, with every packet written reported on stdout."""
    argv = join_args("ffmpeg", Path("/tmp/camrec-parts-x.txt"), Path("/rec/door.mp4"), 1_000_000)
    assert argv == shlex.split(
        "ffmpeg -hide_banner -loglevel error -nostdin -f concat -safe 0"
        " -i /tmp/camrec-parts-x.txt -map 0 -c copy -moov_size 1000000 -f mp4 -y /rec/door.mp4"
        " -map 0 -c copy -flush_packets 0 -f framecrc pipe:1"
    ), shlex.join(argv)
