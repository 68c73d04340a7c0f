"""Proxy + recorder workers (in-process; real NATS, MediaMTX, go2rtc, FFmpeg) and the api."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from camrec_api.app import create_app
from camrec_api.settings import ApiSettings
from camrec_contracts.recordings import RECORDING_EVENTS, RecordingEvent
from camrec_contracts.services import RECORDER
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.paths import binary
from camrec_recorder.__main__ import worker_factory
from camrec_recorder.settings import RecorderSettings
from camrec_runtime.bus import Bus
from camrec_runtime.events import subscribe_events
from camrec_runtime.lifecycle import Worker
from tests.fixtures.inprocess import InProcess
from tests.fixtures.proxy import Proxies

TERMINAL = {"finished", "stopped", "interrupted", "failed"}


@dataclass
class Recorders:
    bus: Bus
    nats_url: str
    root: Path
    group: InProcess = field(init=False)
    workers: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.group = InProcess(RECORDER, self.bus)

    def settings(
        self,
        worker_id: str,
        capacity: int = 3,
        min_free_mb: int = 0,
        reconnect_window_s: float = 4,
    ) -> RecorderSettings:
        return RecorderSettings(
            nats_url=self.nats_url,
            recordings_dir=self.root,
            worker_id=worker_id,
            worker_capacity=capacity,
            ffmpeg=binary("ffmpeg"),
            ffprobe=binary("ffprobe"),
            min_free_mb=min_free_mb,
            stall_timeout_s=6,
            reconnect_window_s=reconnect_window_s,
        )

    async def start(
        self,
        worker_id: str = "w1",
        capacity: int = 3,
        min_free_mb: int = 0,
        reconnect_window_s: float = 4,
    ) -> None:
        settings = self.settings(worker_id, capacity, min_free_mb, reconnect_window_s)
        inner = worker_factory(settings)

        async def make_worker(bus: Bus) -> Worker:
            worker = await inner(bus)
            self.workers[worker_id] = worker
            return worker

        await self.group.start(settings, make_worker)


@pytest.fixture
async def recorders(
    bus: Bus, nats_settings: CamrecSettings, tmp_path: Path
) -> AsyncIterator[Recorders]:
    r = Recorders(bus, nats_settings.nats_url, tmp_path / "recordings")
    try:
        yield r
    finally:
        await r.group.stop_all()


@pytest.fixture
async def rapi(
    bus: Bus, nats_settings: CamrecSettings, proxies: Proxies, recorders: Recorders
) -> AsyncIterator[httpx.AsyncClient]:
    """The api with one proxy and one recorder worker (w1) running."""
    await proxies.start()
    await recorders.start("w1")
    settings = ApiSettings(nats_url=nats_settings.nats_url, recordings_dir=recorders.root)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings, bus)),
        base_url="http://api",
        timeout=30,
    ) as client:
        yield client


async def open_session(api: httpx.AsyncClient, url: str, name: str = "cam") -> dict[str, Any]:
    response = await api.post("/api/sessions", json={"url": url, "name": name})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def wait_for(
    api: httpx.AsyncClient, rid: str, states: set[str], timeout_s: float
) -> dict[str, Any]:
    """Poll the recording until its state is one of ``states``."""
    deadline = time.monotonic() + timeout_s
    while True:
        rec = (await api.get(f"/api/recordings/{rid}")).json()
        if rec["state"] in states:
            return dict(rec)
        assert time.monotonic() < deadline, f"recording stuck in {rec['state']}: {rec}"
        await asyncio.sleep(0.2)


async def stop_and_wait(api: httpx.AsyncClient, rid: str, timeout_s: float = 30) -> dict[str, Any]:
    """Stop the recording and return its final record. The stop answers once FFmpeg has
    stopped: with the final record, or ``finalizing`` while the final file is made (a finish
    taking more than the recorder's FINAL_WAIT_S; ~0.3 s for these short files, idle)."""
    reply = await api.post(f"/api/recordings/{rid}/stop")
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    assert body["state"] in TERMINAL | {"finalizing"}, body
    if body["state"] == "finalizing":
        return await wait_for(api, rid, TERMINAL, timeout_s)
    return body


async def wait_recorded(bus: Bus, rid: str, seconds: float) -> None:
    """Wait for the recording's progress events to report ``seconds`` written."""
    reached = asyncio.Event()

    async def on_event(_: str, event: object) -> None:
        if isinstance(event, RecordingEvent) and (event.elapsed_s or 0) >= seconds:
            reached.set()

    sub = await subscribe_events(bus.nc, on_event, RECORDING_EVENTS.subject(rid))
    try:
        await asyncio.wait_for(reached.wait(), seconds + 20)
    finally:
        await sub.unsubscribe()
