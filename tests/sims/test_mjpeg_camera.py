"""The MJPEG-over-HTTP camera simulator: a real multipart stream with irregular timing."""

from __future__ import annotations

import statistics
import threading
from itertools import pairwise

import httpx
import pytest

from camrec_devstack.cameras.mjpeg import MjpegCamera
from tests.media import codecs, probe_frame_times, probe_streams


def read_frames(url: str, count: int, auth: tuple[str, str] | None = None) -> list[bytes]:
    """Read ``count`` JPEGs from a multipart stream (parsing its Content-Length headers)."""
    frames: list[bytes] = []
    with httpx.stream("GET", url, auth=auth, timeout=10) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("multipart/x-mixed-replace")
        buffer = b""
        for chunk in response.iter_bytes():
            buffer += chunk
            while b"\r\n\r\n" in buffer:
                head, rest = buffer.split(b"\r\n\r\n", 1)
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                if len(rest) < length + 2:
                    break
                frames.append(rest[:length])
                buffer = rest[length + 2 :]
                if len(frames) == count:
                    return frames
    return frames


def test_ffprobe_sees_mjpeg_1280x720(mjpeg_camera: MjpegCamera) -> None:
    streams = probe_streams(mjpeg_camera.url)
    assert codecs(streams) == {"video": "mjpeg"}
    assert (streams[0]["width"], streams[0]["height"]) == (1280, 720)


def test_frames_are_whole_distinct_jpegs_logged_as_sent(mjpeg_camera: MjpegCamera) -> None:
    frames = read_frames(mjpeg_camera.url, 10)
    assert len(frames) == 10
    assert all(f.startswith(b"\xff\xd8") and f.endswith(b"\xff\xd9") for f in frames)
    assert len(set(frames)) == 10
    client = mjpeg_camera.clients()[-1]
    assert len(mjpeg_camera.frames_sent(client)) >= 10


def test_intervals_are_irregular_and_ffprobe_sees_them(mjpeg_camera: MjpegCamera) -> None:
    times = probe_frame_times(
        mjpeg_camera.url, max_frames=30, extra_args=["-use_wallclock_as_timestamps", "1"]
    )
    assert len(times) == 30
    sent = mjpeg_camera.frames_sent(mjpeg_camera.clients()[-1])
    sent_gaps = [b.monotonic - a.monotonic for a, b in pairwise(sent)][:29]
    seen_gaps = [b - a for a, b in pairwise(times)]
    assert max(sent_gaps) - min(sent_gaps) > 0.06  # variable frame rate, not a fixed grid
    assert min(sent_gaps) >= 0.039 and max(sent_gaps) <= 0.2
    # what ffprobe timed on arrival follows what was sent (loopback adds little jitter)
    assert statistics.median(seen_gaps) == pytest.approx(statistics.median(sent_gaps), abs=0.03)
    assert statistics.stdev(seen_gaps) > 0.015


def test_two_clients_at_once(mjpeg_camera: MjpegCamera) -> None:
    results: list[int] = []

    def read() -> None:
        results.append(len(read_frames(mjpeg_camera.url, 8)))

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results == [8, 8]
    assert len(mjpeg_camera.clients()) == 2


def test_auth_path_answers_401_without_credentials(mjpeg_camera: MjpegCamera) -> None:
    url = f"{mjpeg_camera.base_url}/auth/stream.mjpeg"
    response = httpx.get(url, timeout=5)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert len(read_frames(url, 2, auth=("admin", "secret"))) == 2


def test_html_page_is_not_a_stream(mjpeg_camera: MjpegCamera) -> None:
    response = httpx.get(f"{mjpeg_camera.base_url}/index.html", timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


def test_drop_after_closes_the_stream() -> None:
    with MjpegCamera(drop_after_s=0.5, frame_count=5, width=320, height=240) as camera:
        frames = read_frames(camera.url, 1000)  # returns when the camera hangs up
        assert 2 <= len(frames) < 30


def test_offline_camera_refuses_and_comes_back() -> None:
    with MjpegCamera(frame_count=5, width=320, height=240) as camera:
        camera.set_offline(True)
        assert httpx.get(camera.url, timeout=5).status_code == 503
        camera.set_offline(False)
        assert len(read_frames(camera.url, 3)) == 3
