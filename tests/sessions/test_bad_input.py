"""Bad input gets a clear 4xx/502 and leaves no trace: no KV record, no slot, no relay path."""

from __future__ import annotations

import httpx
import pytest

from camrec_contracts.jetstream import ADMISSION_BUCKET, SESSIONS_BUCKET
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_devstack.procs import free_port
from camrec_runtime.bus import Bus
from tests.fixtures.nats import kv_keys
from tests.fixtures.proxy import RelayStreams

INVALID = [
    ("", "the camera URL is empty"),
    ("ftp://cam.local/stream", "unsupported scheme 'ftp:'"),
    ("file:///etc/passwd", "unsupported scheme 'file:'"),
    ("exec:ffmpeg -re -i /dev/zero -f rtsp {output}", "unsupported scheme 'exec:'"),
    ("echo:rtsp://x", "unsupported scheme 'echo:'"),
    ("ffmpeg:rtsp://cam/x#video=h264", "unsupported scheme 'ffmpeg:'"),
    ("rtsp://", "the camera URL has no host"),
    ("rtsp:///live", "the camera URL has no host"),
    ("http://h/x#video=copy", "contains '#'"),
    ("rtsp://cam/live exec:rm", "contains whitespace"),
    ("rtsp://cam/" + "a" * 10_000, "the camera URL is too long (10011 characters"),
]


@pytest.mark.parametrize(("url", "message"), INVALID, ids=[u[:24] for u, _ in INVALID])
async def test_invalid_url_is_422_with_reason(
    url: str, message: str, api: httpx.AsyncClient, bus: Bus, relay_streams: RelayStreams
) -> None:
    response = await api.post("/api/sessions", json={"url": url})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_request"
    assert message in response.json()["message"]
    assert await kv_keys(bus, SESSIONS_BUCKET) == []
    assert await relay_streams() == set()


async def test_malformed_bodies_are_422(api: httpx.AsyncClient) -> None:
    for body in [b"not json", b"{}", b'{"url": 5}', b'{"url": "rtsp://x/y", "extra": 1}']:
        response = await api.post(
            "/api/sessions", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, body
        assert response.json()["code"] == "invalid_request"
        assert response.json()["message"]


def _unreachable(mjpeg: MjpegCamera) -> list[tuple[str, str]]:
    closed = free_port()
    return [
        (f"rtsp://127.0.0.1:{closed}/live", "refused the connection"),
        (f"http://127.0.0.1:{closed}/video.mjpeg", "refused the connection"),
        ("rtsp://camera.does-not-exist.invalid/live", "does not resolve"),
        (f"{mjpeg.base_url}/index.html", "not an MJPEG stream: the URL serves text/html"),
        (f"{mjpeg.base_url}/auth/stream.mjpeg", "requires a user name and password (HTTP 401)"),
        (
            f"http://admin:wrong@127.0.0.1:{mjpeg.port}/auth/stream.mjpeg",
            "refused the credentials (HTTP 401)",
        ),
        (f"{mjpeg.base_url}/nothing-here", "the camera answered HTTP 404"),
    ]


async def test_unreachable_cameras_are_502_and_leave_nothing(
    api: httpx.AsyncClient, bus: Bus, mjpeg_camera: MjpegCamera, relay_streams: RelayStreams
) -> None:
    for url, message in _unreachable(mjpeg_camera):
        response = await api.post("/api/sessions", json={"url": url})
        assert response.status_code == 502, (url, response.text)
        assert response.json()["code"] == "upstream"
        assert message in response.json()["message"], (url, response.json())
        assert "wrong" not in response.text
        assert await kv_keys(bus, SESSIONS_BUCKET) == []
        assert await kv_keys(bus, ADMISSION_BUCKET) == []
        assert await relay_streams() == set()
    # a failure frees its slot: the limit is still fully available afterwards
    listed = (await api.get("/api/sessions")).json()
    assert listed == {"sessions": [], "limit": 3}


async def test_rtsp_path_that_does_not_exist_fails_within_the_time_limit(
    api: httpx.AsyncClient, rtsp_cameras: object, relay_streams: RelayStreams
) -> None:
    url = rtsp_cameras.url("h264_aac").rsplit("/", 1)[0] + "/no-such-stream"  # type: ignore[attr-defined]
    response = await api.post("/api/sessions", json={"url": url})
    assert response.status_code == 502
    assert response.json()["message"].startswith("time-out: the camera did not deliver")
    assert await relay_streams() == set()
