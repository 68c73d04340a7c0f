"""GET /health and GET /api/config on create_app(settings, bus) with a real nats-server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from camrec_api.app import create_app
from camrec_api.settings import ApiSettings
from camrec_contracts.services import PREVIEWER, PROXY, RECORDER
from camrec_contracts.settings import CamrecSettings
from camrec_runtime.bus import Bus
from camrec_runtime.lifecycle import Worker, serve
from camrec_runtime.ping import ping_service


@pytest.fixture
async def client(bus: Bus, nats_settings: CamrecSettings) -> AsyncIterator[httpx.AsyncClient]:
    settings = ApiSettings(nats_url=nats_settings.nats_url)
    app = create_app(settings, bus)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        yield c


StartServices = Callable[..., Awaitable[None]]


@pytest.fixture
async def run_services(nats_settings: CamrecSettings, bus: Bus) -> AsyncIterator[StartServices]:
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    async def no_work(_: Bus) -> Worker:
        return Worker()

    async def start(*names: str) -> None:
        for name in names:
            tasks.append(asyncio.create_task(serve(name, nats_settings, no_work, stop)))
        for name in names:  # wait on the condition itself: each answers a ping
            while not await ping_service(bus.nc, name, timeout_s=0.2, gather_s=0):
                assert not any(t.done() for t in tasks), [t.exception() for t in tasks]

    yield start
    stop.set()
    await asyncio.gather(*tasks)


async def test_all_services_up_is_200(
    client: httpx.AsyncClient, run_services: StartServices
) -> None:
    await run_services(PROXY, RECORDER, PREVIEWER)
    response = await client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["missing"] == []
    assert {k: v["status"] for k, v in body["services"].items()} == {
        PROXY: "up",
        RECORDER: "up",
        PREVIEWER: "up",
    }


async def test_missing_service_is_503_naming_it(
    client: httpx.AsyncClient, run_services: StartServices
) -> None:
    await run_services(PROXY, PREVIEWER)
    response = await client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["missing"] == [RECORDER]
    assert body["message"] == f"not answering: {RECORDER}"
    assert body["services"][RECORDER] == {"status": "down", "instances": 0, "version": None}


async def test_two_instances_are_counted(
    client: httpx.AsyncClient, run_services: StartServices
) -> None:
    await run_services(PROXY, RECORDER, RECORDER, PREVIEWER)
    body = (await client.get("/health")).json()
    assert body["services"][RECORDER]["instances"] == 2


async def test_nats_gone_is_503(client: httpx.AsyncClient, bus: Bus) -> None:
    await bus.nc.close()
    response = await client.get("/health")
    assert response.status_code == 503
    assert response.json()["nats"] == "unreachable"
    assert "nats" in response.json()["missing"]


async def test_config_lists_demo_camera_and_durations(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/config")).json()
    assert body["demo_camera"]["rtsp_url"].startswith("rtsp://")
    assert body["demo_camera"]["mjpeg_url"].startswith("http://")
    assert body["recording_durations_s"] == [60, 300, 3600, 5400, 7200, None]


def test_bad_demo_url_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from camrec_contracts.settings import SettingsError, load_settings

    monkeypatch.setenv("CAMREC_DEMO_RTSP_URL", "http://nope")
    with pytest.raises(SettingsError, match="CAMREC_DEMO_RTSP_URL: Value error, must be an rtsp"):
        load_settings(ApiSettings)
