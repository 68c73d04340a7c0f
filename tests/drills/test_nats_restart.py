"""Drill: nats-server restarts (SIGTERM, then started again on the same port and file store)
under a running recording. Every service must reconnect within 5 s of the server being back,
and sessions, the catalog, progress events, stopping and new jobs must all still work."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from camrec_contracts.events import Event
from camrec_contracts.recordings import RECORDING_EVENTS, RecordingEvent
from camrec_contracts.services import PREVIEWER, PROXY, RECORDER
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from camrec_devstack.natsd import NatsServerConfig
from camrec_devstack.procs import free_port
from camrec_previewer.__main__ import worker_factory as previewer_factory
from camrec_previewer.settings import PreviewerSettings
from camrec_runtime.bus import Bus
from camrec_runtime.events import subscribe_events
from camrec_runtime.ping import ping_service
from tests.fixtures.inprocess import InProcess
from tests.fixtures.nats import RestartableNats
from tests.media import codecs, probe_streams
from tests.polling import poll
from tests.recordings.conftest import (
    Recorders,
    open_session,
    stop_and_wait,
    wait_for,
    wait_recorded,
)

pytestmark = pytest.mark.xdist_group("drills")

RECONNECT_BOUND_S = 5.0
OUTAGE_S = 3.0
"""How long NATS stays down: longer than the recorder's 1 s job fetch and a few progress
events, so every client has requests in flight when the server goes, not just a socket."""


@pytest.fixture
def nats(restartable_nats: RestartableNats) -> RestartableNats:
    return restartable_nats


@pytest.fixture
def nats_server(nats: RestartableNats) -> NatsServerConfig:
    """Overrides tests/fixtures/nats.py: every other fixture (bus, proxies, recorders, rapi)
    then talks to the server this module restarts."""
    return nats.cfg


@pytest.fixture
async def previewer(bus: Bus, nats_settings: CamrecSettings) -> AsyncIterator[InProcess]:
    """A previewer too, so ``GET /health`` (which pings all three services) can be 200."""
    group = InProcess(PREVIEWER, bus)
    settings = PreviewerSettings(nats_url=nats_settings.nats_url, previewer_port=free_port())
    await group.start(settings, previewer_factory(settings))
    try:
        yield group
    finally:
        await group.stop_all()


async def test_nats_restart_keeps_services_sessions_and_recording(
    nats: RestartableNats,
    rapi: httpx.AsyncClient,
    previewer: InProcess,
    bus: Bus,
    recorders: Recorders,
    rtsp_cameras: RtspCameras,
) -> None:
    session = await open_session(rapi, rtsp_cameras.url(H264_AAC))
    started = await rapi.post(f"/api/sessions/{session['id']}/recordings", json={})
    assert started.status_code == 202, started.text
    rid = started.json()["id"]
    await wait_for(rapi, rid, {"recording"}, 15)
    await wait_recorded(bus, rid, 2)
    assert (await rapi.get("/health")).status_code == 200

    # -- the outage ---------------------------------------------------------------------------
    down = time.monotonic()
    code = await asyncio.to_thread(nats.stop)
    assert code is not None and code != -signal.SIGKILL, f"nats-server did not stop: {code}"

    async def nats_unreachable() -> bool:
        health = await rapi.get("/health")
        return health.status_code == 503 and health.json()["nats"] == "unreachable"

    await poll(nats_unreachable, 5, "the api noticing NATS is gone")
    while time.monotonic() - down < OUTAGE_S:  # the outage lasts; the api keeps answering
        asked = time.monotonic()
        assert await nats_unreachable()
        assert time.monotonic() - asked < 1
        await asyncio.sleep(0.2)

    launched = time.monotonic()
    await asyncio.to_thread(nats.start)  # returns once JetStream answers healthy
    back = time.monotonic()

    async def all_answer() -> bool:
        if not bus.connected:
            return False
        for name in (PROXY, RECORDER, PREVIEWER):
            if not await ping_service(bus.nc, name, timeout_s=0.5, gather_s=0):
                return False
        return (await rapi.get("/health")).status_code == 200

    reconnect_s = await poll(all_answer, RECONNECT_BOUND_S, "every service answering again")
    print(
        f"\nNATS restart: JetStream healthy {back - launched:.2f} s after launch; "
        f"proxy, recorder, previewer and api answering {reconnect_s:.2f} s after that"
    )

    # -- everything is still there ------------------------------------------------------------
    listed = await rapi.get("/api/sessions")
    assert listed.status_code == 200, listed.text
    assert [s["id"] for s in listed.json()["sessions"]] == [session["id"]]
    rec = (await rapi.get(f"/api/recordings/{rid}")).json()
    assert rec["state"] == "recording" and rec["owner"] == "w1", rec
    assert rid in {r["id"] for r in (await rapi.get("/api/recordings")).json()["recordings"]}

    progress: asyncio.Queue[RecordingEvent] = asyncio.Queue()

    async def on_event(_: str, event: Event) -> None:
        if isinstance(event, RecordingEvent) and event.event == "progress":
            progress.put_nowait(event)

    sub = await subscribe_events(bus.nc, on_event, RECORDING_EVENTS.subject(rid))
    try:
        after = await asyncio.wait_for(progress.get(), 10)
    finally:
        await sub.unsubscribe()
    assert after.state == "recording" and (after.elapsed_s or 0) > 2

    # -- stopping works, and the file holds the whole recording (through the outage) ---------
    final = await stop_and_wait(rapi, rid)
    assert final["state"] == "stopped" and final["end_reason"] == "stopped", final
    # (progress counts from FFmpeg's first packet, the file from the first video keyframe:
    # up to a GOP, 2 s on the simulators, later)
    assert final["duration_s"] >= (after.elapsed_s or 0) - 1 - 2
    path = recorders.root / final["file_name"]
    assert codecs(probe_streams(str(path))) == {"video": "h264", "audio": "aac"}

    # -- and the recorder still takes new jobs (its JetStream pull subscription works) --------
    again = await rapi.post(f"/api/sessions/{session['id']}/recordings", json={})
    assert again.status_code == 202, again.text
    await wait_for(rapi, again.json()["id"], {"recording"}, 15)
    await wait_recorded(bus, again.json()["id"], 1)
    second = await stop_and_wait(rapi, again.json()["id"])
    assert second["state"] == "stopped", second
    assert (await rapi.delete(f"/api/sessions/{session['id']}")).status_code == 204
