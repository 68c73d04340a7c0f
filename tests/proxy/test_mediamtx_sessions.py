"""The proxy with a real MediaMTX as its RTSP relay and a camera that takes the connection
but never streams: the open fails within its time limit, and the path it added to MediaMTX
is removed again."""

from __future__ import annotations

import asyncio

import httpx

from camrec_api.app import create_app
from camrec_api.settings import ApiSettings
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.mediamtx import MediaMTXConfig
from camrec_proxy.settings import ProxySettings
from camrec_runtime.bus import Bus
from tests.fixtures.mediamtx import mediamtx_config_paths
from tests.fixtures.proxy import Proxies


async def test_failed_open_removes_its_mediamtx_path(
    mediamtx_relay: MediaMTXConfig, bus: Bus, nats_settings: CamrecSettings, silent_camera: str
) -> None:
    settings = ProxySettings(
        nats_url=nats_settings.nats_url,
        rtsp_relay="mediamtx",
        mediamtx_api_url=mediamtx_relay.api_url,
        mediamtx_rtsp_url=mediamtx_relay.rtsp_url,
        open_timeout_s=3,
    )
    proxies = Proxies(settings, bus)
    await proxies.start()
    seen: set[str] = set()

    async def watch_paths() -> None:  # what MediaMTX holds while the open runs
        while True:
            seen.update(await mediamtx_config_paths(mediamtx_relay))
            await asyncio.sleep(0.1)

    watcher = asyncio.create_task(watch_paths())
    try:
        app = create_app(ApiSettings(nats_url=nats_settings.nats_url), bus)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api", timeout=30
        ) as api:
            response = await api.post("/api/sessions", json={"url": silent_camera})
        assert response.status_code == 502
        assert response.json()["message"] == (
            "time-out: the camera did not deliver a stream within 3 s"
        )
        assert len(seen) == 1 and next(iter(seen)).startswith("camrec-"), seen  # it was added
        assert await mediamtx_config_paths(mediamtx_relay) == set()  # and is gone
    finally:
        watcher.cancel()
        await proxies.stop_all()
