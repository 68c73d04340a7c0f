"""The RTSP camera simulators, judged by ffprobe."""

from __future__ import annotations

import subprocess
import time
from itertools import pairwise
from pathlib import Path

import pytest

from camrec_devstack.cameras.rtsp import (
    CAMERAS,
    H264_AAC,
    H264_AAC_GOP6,
    H264_ALAW,
    H264_CLOCK,
    H264_CLOCK_VIDEO,
    H264_NOAUDIO,
    H265_AAC,
    RtspCameras,
    camera_command,
    start_rtsp_cameras,
)
from camrec_devstack.go2rtc import Go2RTCConfig, render_go2rtc_config
from camrec_devstack.paths import binary
from tests.media import codecs, ffprobe_json, probe_frame_times, probe_streams

EXPECTED = {
    H264_AAC: {"video": "h264", "audio": "aac"},
    H264_ALAW: {"video": "h264", "audio": "pcm_alaw"},
    H264_NOAUDIO: {"video": "h264"},
    H265_AAC: {"video": "hevc", "audio": "aac"},
    H264_CLOCK: {"video": "h264", "audio": "aac"},
    H264_CLOCK_VIDEO: {"video": "h264"},
    H264_AAC_GOP6: {"video": "h264", "audio": "aac"},
}


@pytest.mark.parametrize("name", CAMERAS)
def test_camera_codecs_and_size(rtsp_cameras: RtspCameras, name: str) -> None:
    streams = probe_streams(rtsp_cameras.url(name))
    assert codecs(streams) == EXPECTED[name]
    video = next(s for s in streams if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1280, 720)


def test_h264_camera_runs_at_25_fps(rtsp_cameras: RtspCameras) -> None:
    times = probe_frame_times(rtsp_cameras.url(H264_NOAUDIO), max_frames=51)
    assert len(times) >= 50
    gaps = [b - a for a, b in pairwise(times)]
    assert sorted(gaps)[len(gaps) // 2] == pytest.approx(0.04, abs=0.002)


@pytest.mark.parametrize(("name", "gop_s"), [(H264_AAC, 2), (H264_AAC_GOP6, 6)])
def test_keyframe_interval(rtsp_cameras: RtspCameras, name: str, gop_s: int) -> None:
    """Keyframes every 2 s, like most cameras; every 6 s on the long-GOP camera."""
    packets = ffprobe_json(
        rtsp_cameras.url(name),
        ["-select_streams", "v:0", "-read_intervals", f"%+#{25 * (2 * gop_s + 1)}",
         "-show_entries", "packet=pts_time,flags"],
        timeout_s=60,
    )["packets"]  # fmt: skip
    # (the first packets may come before the stream's clock is set: no pts)
    keys = [float(p["pts_time"]) for p in packets if p["flags"].startswith("K") and "pts_time" in p]
    assert len(keys) >= 2, keys
    assert all(b - a == pytest.approx(gop_s, abs=0.05) for a, b in pairwise(keys)), keys


def test_rtsp_url_names_the_stream() -> None:
    cfg = Go2RTCConfig(1, 2, streams={"a": "x"})
    assert cfg.rtsp_url("a") == "rtsp://127.0.0.1:2/a"


def test_command_is_real_time_and_publishes_over_tcp() -> None:
    argv = camera_command("ffmpeg", "h264", None)
    assert argv.count("-re") == 1 and "-an" not in argv and "sine" not in " ".join(argv)
    assert argv[-5:] == ["-rtsp_transport", "tcp", "-f", "rtsp", "{output}"]
    with_audio = camera_command("ffmpeg", "h264", "alaw")
    assert "pcm_alaw" in with_audio and "sine=frequency=440:sample_rate=8000" in with_audio


def test_go2rtc_config_sets_ports_and_turns_other_listeners_off() -> None:
    doc = render_go2rtc_config(Go2RTCConfig(11, 12, {"cam": "exec:x"}), "/usr/bin/ffmpeg")
    assert doc["api"]["listen"] == "127.0.0.1:11"
    assert doc["rtsp"]["listen"] == "127.0.0.1:12"
    for off in ("webrtc", "srtp", "rtmp"):
        assert doc[off]["listen"] == ""
    assert doc["streams"] == {"cam": "exec:x"} and doc["ffmpeg"]["bin"] == "/usr/bin/ffmpeg"
    assert "streams" not in render_go2rtc_config(Go2RTCConfig(11, 12), "ffmpeg")


def _live_in_group(pgid: int) -> list[str]:
    """Commands of live (non-zombie) processes in the group, read from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append((entry / "cmdline").read_text().replace("\0", " "))
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    """Stopping the cameras while a client reads ends go2rtc and the FFmpeg it started."""
    cameras = start_rtsp_cameras(tmp_path)
    reader = subprocess.Popen(
        [
            binary("ffmpeg"),
            "-v",
            "error",
            "-rtsp_transport",
            "tcp",
            "-i",
            cameras.url(H264_NOAUDIO),
            "-f",
            "null",
            "-",
        ],
        stdin=subprocess.DEVNULL,
    )
    try:
        pgid = cameras.process.pid
        deadline = time.monotonic() + 15
        while not any("ffmpeg" in cmd for cmd in _live_in_group(pgid)):
            assert time.monotonic() < deadline, "go2rtc never started the camera's FFmpeg"
            time.sleep(0.05)
        cameras.stop()
        assert _live_in_group(pgid) == []
    finally:
        reader.kill()
        reader.wait()
    with pytest.raises(KeyError):
        cameras.url("nope")
