"""A finished recording plays and seeks in real headless Chromium (Debian's, via Playwright),
served by the real api over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import async_playwright

from camrec_api.app import create_app
from camrec_api.settings import ApiSettings
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from camrec_runtime.bus import Bus
from tests.fixtures.api_server import api_on_uvicorn
from tests.recordings.conftest import TERMINAL, Recorders, open_session, wait_for

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture
async def api_url(
    bus: Bus, nats_settings: CamrecSettings, recorders: Recorders
) -> AsyncIterator[str]:
    settings = ApiSettings(nats_url=nats_settings.nats_url, recordings_dir=recorders.root)
    async with api_on_uvicorn(create_app(settings, bus)) as host:
        yield f"http://{host}"


async def test_plays_and_seeks_in_chromium(
    rapi: httpx.AsyncClient, api_url: str, rtsp_cameras: RtspCameras
) -> None:
    session = await open_session(rapi, rtsp_cameras.url(H264_AAC))
    rec = (
        await rapi.post(f"/api/sessions/{session['id']}/recordings", json={"duration_s": 8})
    ).json()
    done = await wait_for(rapi, rec["id"], TERMINAL, 40)
    assert done["state"] == "finished"
    src = f"{api_url}/api/recordings/{rec['id']}/file"
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{api_url}/health")  # same origin as the video
            result = await page.evaluate(
                """async (src) => {
                const v = document.createElement('video');
                v.muted = true; v.preload = 'auto'; v.src = src;
                document.body.appendChild(v);
                const until = (ok) => new Promise((resolve, reject) => {
                    const t = setTimeout(() => reject(new Error('time-out: ' + v.readyState +
                        ' ' + (v.error && v.error.message))), 15000);
                    const check = () => { if (ok()) { clearTimeout(t); resolve(); } };
                    ['loadeddata', 'canplaythrough', 'seeked', 'timeupdate', 'progress']
                        .forEach(e => v.addEventListener(e, check));
                    check();
                });
                await until(() => v.readyState === 4);
                const duration = v.duration;
                v.currentTime = duration / 2;
                await new Promise(r => v.addEventListener('seeked', r, {once: true}));
                await until(() => v.readyState >= 2);
                await v.play();
                await until(() => v.currentTime > duration / 2 + 0.3);
                return {duration, readyState: v.readyState, at: v.currentTime,
                        width: v.videoWidth, height: v.videoHeight};
            }""",
                src,
            )
        finally:
            await browser.close()
    assert result["width"] == 1280 and result["height"] == 720
    assert abs(result["duration"] - done["duration_s"]) < 0.2
    assert result["duration"] / 2 < result["at"] < result["duration"]
