"""A proxy (in-process, real NATS and go2rtc) and the api in front of it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import pytest

from camrec_api.app import create_app
from camrec_api.settings import ApiSettings
from camrec_contracts.bus import Bus
from camrec_contracts.runtime import serve
from camrec_contracts.services import PROXY, ping_service
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.go2rtc import Go2RTCConfig
from camrec_devstack.paths import binary
from camrec_proxy.__main__ import worker_factory
from camrec_proxy.settings import ProxySettings


@dataclass
class Proxies:
    """Start and stop proxy instances against one NATS and one go2rtc relay."""

    settings: ProxySettings
    bus: Bus
    running: list[tuple[asyncio.Event, asyncio.Task[None]]] = field(default_factory=list)

    async def start(self, count: int = 1) -> None:
        for _ in range(count):
            stop = asyncio.Event()
            make_worker = worker_factory(self.settings, ffprobe=binary("ffprobe"))
            task = asyncio.create_task(serve(PROXY, self.settings, make_worker, stop))
            self.running.append((stop, task))
        while len(await ping_service(self.bus.nc, PROXY, timeout_s=0.5)) < len(self.running):
            for _, task in self.running:
                if task.done():
                    task.result()

    async def stop_all(self) -> None:
        for stop, _ in self.running:
            stop.set()
        await asyncio.gather(*(task for _, task in self.running))
        self.running.clear()


@pytest.fixture
def proxy_settings(nats_settings: CamrecSettings, go2rtc_relay: Go2RTCConfig) -> ProxySettings:
    return ProxySettings(
        nats_url=nats_settings.nats_url,
        rtsp_relay="go2rtc",
        go2rtc_api_url=go2rtc_relay.api_url,
        go2rtc_rtsp_url=f"rtsp://127.0.0.1:{go2rtc_relay.rtsp_port}",
        max_sessions=3,
    )


@pytest.fixture
async def proxies(proxy_settings: ProxySettings, bus: Bus) -> AsyncIterator[Proxies]:
    p = Proxies(proxy_settings, bus)
    try:
        yield p
    finally:
        await p.stop_all()


@pytest.fixture
async def api(
    bus: Bus, nats_settings: CamrecSettings, proxies: Proxies
) -> AsyncIterator[httpx.AsyncClient]:
    """The api with one proxy running."""
    await proxies.start()
    app = create_app(ApiSettings(nats_url=nats_settings.nats_url), bus)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api", timeout=30
    ) as client:
        yield client


RelayStreams = Callable[[], Awaitable[set[str]]]


@pytest.fixture
def relay_streams(go2rtc_relay: Go2RTCConfig) -> RelayStreams:
    async def names() -> set[str]:
        async with httpx.AsyncClient() as http:
            return set((await http.get(f"{go2rtc_relay.api_url}/api/streams")).json())

    return names
