"""The RTSP camera simulators, judged by ffprobe."""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path

import pytest

from camrec_devstack.cameras.rtsp import (
    CAMERAS,
    H264_AAC,
    H264_ALAW,
    H264_NOAUDIO,
    H265_AAC,
    RtspCameras,
    camera_command,
    start_rtsp_cameras,
)
from camrec_devstack.go2rtc import Go2RTCConfig, render_go2rtc_config
from tests.media import codecs, probe_frame_times, probe_streams

EXPECTED = {
    H264_AAC: {"video": "h264", "audio": "aac"},
    H264_ALAW: {"video": "h264", "audio": "pcm_alaw"},
    H264_NOAUDIO: {"video": "h264"},
    H265_AAC: {"video": "hevc", "audio": "aac"},
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


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    cameras = start_rtsp_cameras(tmp_path)
    url = cameras.url(H264_NOAUDIO)
    assert codecs(probe_streams(url)) == {"video": "h264"}  # FFmpeg was started by go2rtc
    pgid = cameras.process.pid
    cameras.stop()
    assert not _group_alive(pgid)
    with pytest.raises(KeyError):
        cameras.url("nope")
