"""Restarting the proxy keeps sessions working: relay paths are reconciled from KV."""

from __future__ import annotations

import httpx

from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from camrec_devstack.go2rtc import Go2RTCConfig
from tests.fixtures.proxy import Proxies, RelayStreams
from tests.media import codecs, probe_streams


async def test_restart_restores_lost_paths_and_removes_strays(
    api: httpx.AsyncClient,
    proxies: Proxies,
    rtsp_cameras: RtspCameras,
    go2rtc_relay: Go2RTCConfig,
    relay_streams: RelayStreams,
) -> None:
    session = (await api.post("/api/sessions", json={"url": rtsp_cameras.url(H264_AAC)})).json()
    path = f"camrec-{session['id']}"
    await proxies.stop_all()

    # while the proxy is down the relay loses our path (say it restarted) and gains a stray
    async with httpx.AsyncClient(base_url=go2rtc_relay.api_url) as relay:
        await relay.delete("/api/streams", params={"src": path})
        await relay.put(
            "/api/streams",
            params={"name": "camrec-0000deadbeef", "src": rtsp_cameras.url(H264_AAC)},
        )
        await relay.put(
            "/api/streams", params={"name": "someone-else", "src": rtsp_cameras.url(H264_AAC)}
        )
    assert await relay_streams() == {"camrec-0000deadbeef", "someone-else"}

    await proxies.start()
    assert await relay_streams() == {path, "someone-else"}  # not ours: left alone
    assert codecs(probe_streams(session["relay_url"])) == {"video": "h264", "audio": "aac"}
    got = await api.get(f"/api/sessions/{session['id']}")
    assert got.status_code == 200 and {**got.json(), "measured": None} == {
        **session,
        "measured": None,
    }
    assert (await api.delete(f"/api/sessions/{session['id']}")).status_code == 204
