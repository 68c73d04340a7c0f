"""10 concurrent opens against a limit of 3, with two proxy instances: exactly 3 admitted."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from camrec_contracts.jetstream import ADMISSION_BUCKET, SESSIONS_BUCKET
from camrec_contracts.services import PROXY
from camrec_devstack.cameras.rtsp import H264_NOAUDIO, RtspCameras
from camrec_runtime.bus import Bus
from camrec_runtime.ping import ping_service
from tests.fixtures.nats import kv_keys
from tests.fixtures.proxy import Proxies, RelayStreams


async def test_ten_concurrent_opens_two_proxies_admit_exactly_three(
    api: httpx.AsyncClient,
    proxies: Proxies,
    bus: Bus,
    rtsp_cameras: RtspCameras,
    relay_streams: RelayStreams,
) -> None:
    await proxies.start()  # a second instance beside the api fixture's
    assert len(await ping_service(bus.nc, PROXY)) == 2
    url = rtsp_cameras.url(H264_NOAUDIO)
    responses = await asyncio.gather(
        *(api.post("/api/sessions", json={"url": url, "name": f"c{i}"}) for i in range(10))
    )
    assert Counter(r.status_code for r in responses) == {201: 3, 400: 7}
    for r in responses:
        if r.status_code == 400:
            assert r.json() == {
                "code": "limit_reached",
                "message": "3 sessions already open (max 3)",
            }
    admitted = {r.json()["id"] for r in responses if r.status_code == 201}
    assert set(await kv_keys(bus, SESSIONS_BUCKET)) == admitted
    assert len(await kv_keys(bus, ADMISSION_BUCKET)) == 3
    assert await relay_streams() == {f"camrec-{sid}" for sid in admitted}

    # closing one frees exactly one place
    await api.delete(f"/api/sessions/{sorted(admitted)[0]}")
    again = await asyncio.gather(*(api.post("/api/sessions", json={"url": url}) for _ in range(2)))
    assert sorted(r.status_code for r in again) == [201, 400]
