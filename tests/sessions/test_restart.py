"""Restarting the proxy keeps sessions working: relay paths are reconciled from KV, on both
relays (MediaMTX for the RTSP camera, go2rtc for the MJPEG one)."""

from __future__ import annotations

import httpx

from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from camrec_devstack.go2rtc import Go2RTCConfig
from camrec_devstack.mediamtx import MediaMTXConfig
from tests.fixtures.mediamtx import mediamtx_config_paths, mediamtx_path
from tests.fixtures.proxy import Proxies, RelayStreams
from tests.media import codecs, probe_streams
from tests.polling import poll


async def go2rtc_streams(relay: Go2RTCConfig) -> set[str]:
    async with httpx.AsyncClient(base_url=relay.api_url) as http:
        return set((await http.get("/api/streams")).json())


async def test_restart_restores_lost_paths_and_removes_strays(
    api: httpx.AsyncClient,
    proxies: Proxies,
    rtsp_cameras: RtspCameras,
    mjpeg_camera: MjpegCamera,
    mediamtx_relay: MediaMTXConfig,
    go2rtc_relay: Go2RTCConfig,
    relay_streams: RelayStreams,
) -> None:
    camera = rtsp_cameras.url(H264_AAC)
    rtsp = (await api.post("/api/sessions", json={"url": camera})).json()
    mjpeg = (await api.post("/api/sessions", json={"url": mjpeg_camera.url})).json()
    assert (rtsp["relay"], mjpeg["relay"]) == ("mediamtx", "go2rtc")
    rtsp_path, mjpeg_path = f"camrec-{rtsp['id']}", f"camrec-{mjpeg['id']}"
    await proxies.stop_all()

    # while the proxy is down each relay loses our path (say it restarted) and gains a stray
    # of ours and a path that is someone else's
    async with httpx.AsyncClient(base_url=mediamtx_relay.api_url) as mediamtx:
        assert (await mediamtx.delete(f"/v3/config/paths/delete/{rtsp_path}")).status_code == 200
        for name in ("camrec-0000deadbeef", "someone-else"):
            added = await mediamtx.post(f"/v3/config/paths/add/{name}", json={"source": camera})
            assert added.status_code == 200, added.text
    async with httpx.AsyncClient(base_url=go2rtc_relay.api_url) as go2rtc:
        await go2rtc.delete("/api/streams", params={"src": mjpeg_path})
        for name in ("camrec-0000deadbee2", "someone-else-2"):
            await go2rtc.put("/api/streams", params={"name": name, "src": mjpeg_camera.url})
    assert await mediamtx_config_paths(mediamtx_relay) == {"camrec-0000deadbeef", "someone-else"}
    assert await go2rtc_streams(go2rtc_relay) == {"camrec-0000deadbee2", "someone-else-2"}

    await proxies.start()
    # not ours: left alone
    assert await mediamtx_config_paths(mediamtx_relay) == {rtsp_path, "someone-else"}
    assert await go2rtc_streams(go2rtc_relay) == {mjpeg_path, "someone-else-2"}

    # MediaMTX pulls a restored path again by itself (no reader needed; 1.7-4.3 s from add
    # to available for a simulator that was idle, measured): an open is given 15 s, so is this.
    async def available() -> bool:
        return bool((await mediamtx_path(mediamtx_relay, rtsp_path) or {}).get("available"))

    await poll(available, 15, "the restored MediaMTX path available")
    assert codecs(probe_streams(rtsp["relay_url"])) == {"video": "h264", "audio": "aac"}
    assert codecs(probe_streams(mjpeg["relay_url"])) == {"video": "mjpeg"}
    for session in (rtsp, mjpeg):
        got = await api.get(f"/api/sessions/{session['id']}")
        assert got.status_code == 200 and {**got.json(), "measured": None} == {
            **session,
            "measured": None,
        }
        assert (await api.delete(f"/api/sessions/{session['id']}")).status_code == 204
    assert await relay_streams() == {"someone-else", "someone-else-2"}
