"""Open each simulator through POST /api/sessions, read the relay, close it: real NATS,
real relays (MediaMTX for RTSP, go2rtc for MJPEG, as compose), real ffprobe."""

from __future__ import annotations

import httpx
import pytest

from camrec_contracts.jetstream import ADMISSION_BUCKET, SESSIONS_BUCKET
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_devstack.cameras.rtsp import H264_AAC, H264_ALAW, H264_NOAUDIO, H265_AAC, RtspCameras
from camrec_devstack.mediamtx import MediaMTXConfig
from camrec_runtime.bus import Bus
from tests.fixtures.mediamtx import mediamtx_get, mediamtx_path
from tests.fixtures.nats import kv_keys
from tests.fixtures.proxy import RelayStreams
from tests.media import codecs, probe_streams

EXPECTED = {
    H264_AAC: ("h264", {"codec": "aac", "sample_rate": 48000, "channels": 1}),
    H264_ALAW: ("h264", {"codec": "pcm_alaw", "sample_rate": 8000, "channels": 1}),
    H264_NOAUDIO: ("h264", None),
    H265_AAC: ("hevc", {"codec": "aac", "sample_rate": 48000, "channels": 1}),
    "mjpeg": ("mjpeg", None),
}


@pytest.mark.parametrize("camera", list(EXPECTED))
async def test_open_probe_read_close(
    camera: str,
    api: httpx.AsyncClient,
    bus: Bus,
    rtsp_cameras: RtspCameras,
    mjpeg_camera: MjpegCamera,
    relay_streams: RelayStreams,
    mediamtx_relay: MediaMTXConfig,
) -> None:
    url = mjpeg_camera.url if camera == "mjpeg" else rtsp_cameras.url(camera)
    response = await api.post("/api/sessions", json={"url": url, "name": f"cam {camera}"})
    assert response.status_code == 201, response.text
    session = response.json()
    video_codec, audio = EXPECTED[camera]
    assert session["name"] == f"cam {camera}"
    assert session["source_kind"] == ("mjpeg" if camera == "mjpeg" else "rtsp")
    assert session["relay"] == ("go2rtc" if camera == "mjpeg" else "mediamtx")
    assert session["state"] == "ready"
    assert session["video"]["codec"] == video_codec
    assert (session["video"]["width"], session["video"]["height"]) == (1280, 720)
    assert session["audio"] == audio
    if camera != "mjpeg":
        assert session["video"]["fps"] == 25.0

    # the relay URL plays, with the same tracks
    relayed = codecs(probe_streams(session["relay_url"]))
    assert relayed["video"] == video_codec
    assert relayed.get("audio") == (audio["codec"] if audio else None)

    sid = session["id"]
    path = f"camrec-{sid}"
    assert path in await relay_streams()
    if camera != "mjpeg":  # what MediaMTX itself says: a stream, pulled over RTSP
        state = await mediamtx_path(mediamtx_relay, path)
        assert state is not None and state["available"], state
        assert state["source"]["type"] == "rtspSource", state
        tracks = [t["codec"] for t in state["tracks2"]]  # in the order the camera's SDP has
        assert {"h264": "H264", "hevc": "H265"}[video_codec] in tracks, tracks
        assert len(tracks) == (2 if audio else 1), tracks
        conf = await mediamtx_get(mediamtx_relay, f"/v3/config/paths/get/{path}")
        assert conf is not None and conf["source"] == url and conf["rtspTransport"] == "tcp"
        assert session["relay_url"] == f"{mediamtx_relay.rtsp_url}/{path}"
    got = (await api.get(f"/api/sessions/{sid}")).json()
    assert {**got, "measured": None} == session  # measured: may have arrived meanwhile
    assert [s["id"] for s in (await api.get("/api/sessions")).json()["sessions"]] == [sid]
    assert await kv_keys(bus, SESSIONS_BUCKET) == [sid]

    assert (await api.delete(f"/api/sessions/{sid}")).status_code == 204
    assert path not in await relay_streams()
    assert await mediamtx_path(mediamtx_relay, path) is None
    assert (await api.get(f"/api/sessions/{sid}")).status_code == 404
    assert (await api.delete(f"/api/sessions/{sid}")).status_code == 404
    assert await kv_keys(bus, SESSIONS_BUCKET) == []
    assert await kv_keys(bus, ADMISSION_BUCKET) == []


async def test_unknown_and_malformed_ids_are_404(api: httpx.AsyncClient) -> None:
    for sid in ["0123456789ab", "../../etc/passwd", "x" * 300, "ABCDEF012345"]:
        response = await api.get(f"/api/sessions/{sid}")
        assert response.status_code == 404, sid
        assert response.json()["code"] == "not_found"
        assert (await api.delete(f"/api/sessions/{sid}")).status_code == 404
