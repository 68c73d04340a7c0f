"""The proxy with MediaMTX as its RTSP relay (the fake: it configures paths but streams
nothing). A path is added as the OpenAPI file says; when the stream never plays, the open
fails within its time limit and the path is removed again."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from camrec_api.app import create_app
from camrec_api.settings import ApiSettings
from camrec_contracts.bus import Bus
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from camrec_proxy.settings import ProxySettings
from tests.fakes.mediamtx import FakeMediaMTX, running_fake
from tests.fixtures.proxy import Proxies


@pytest.fixture
def fake() -> Iterator[FakeMediaMTX]:
    with running_fake(online_after_gets=0) as f:
        yield f


async def test_failed_open_removes_its_mediamtx_path(
    fake: FakeMediaMTX, bus: Bus, nats_settings: CamrecSettings, rtsp_cameras: RtspCameras
) -> None:
    settings = ProxySettings(
        nats_url=nats_settings.nats_url,
        rtsp_relay="mediamtx",
        mediamtx_api_url=fake.url,
        mediamtx_rtsp_url="rtsp://127.0.0.1:9",
        open_timeout_s=3,
    )
    proxies = Proxies(settings, bus)
    await proxies.start()
    try:
        app = create_app(ApiSettings(nats_url=nats_settings.nats_url), bus)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api", timeout=30
        ) as api:
            url = rtsp_cameras.url(H264_AAC)
            response = await api.post("/api/sessions", json={"url": url})
        assert response.status_code == 502
        assert response.json()["message"] == (
            "time-out: the camera did not deliver a stream within 3 s"
        )
        added = [r for r in fake.requests if r.startswith("POST /v3/config/paths/add/camrec-")]
        assert len(added) == 1
        assert (
            added[0].replace("POST /v3/config/paths/add/", "DELETE /v3/config/paths/delete/")
            in fake.requests
        )
        assert fake.paths == {}
        assert fake.invalid == []
    finally:
        await proxies.stop_all()
