"""With no proxy running, opening a session answers 503 at once with a clear message; the
list still answers, from KV (empty here: no proxy ever ran, so no limit is known either)."""

from __future__ import annotations

import time

import httpx

from camrec_api.app import create_app
from camrec_api.settings import ApiSettings
from camrec_contracts.settings import CamrecSettings
from camrec_runtime.bus import Bus


async def test_no_proxy_is_503_not_a_hang(bus: Bus, nats_settings: CamrecSettings) -> None:
    app = create_app(ApiSettings(nats_url=nats_settings.nats_url), bus)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as c:
        started = time.monotonic()
        opened = await c.post("/api/sessions", json={"url": "rtsp://cam.local/live"})
        closed = await c.delete("/api/sessions/0123456789ab")
        listed = await c.get("/api/sessions")
        assert time.monotonic() - started < 2
    for response in (opened, closed):
        assert response.status_code == 503
        assert response.json()["code"] == "unavailable"
        assert "no camrec-proxy is running" in response.json()["message"]
    assert listed.status_code == 200
    assert listed.json() == {"sessions": [], "limit": None}
