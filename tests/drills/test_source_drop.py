"""Drill: the camera goes away during a recording. Back within the reconnect window: the
recording shows ``reconnecting`` meanwhile, goes on, and ends as one MP4 (the parts joined
back to back). Gone for longer: it ends ``interrupted`` with a playable file."""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest

from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_runtime.bus import Bus
from tests.media import probe_frame_times
from tests.recordings.conftest import (
    TERMINAL,
    Recorders,
    open_session,
    stop_and_wait,
    wait_for,
    wait_recorded,
)

pytestmark = pytest.mark.xdist_group("drills")


async def test_camera_back_within_the_window_gives_one_file_with_both_parts(
    rapi: httpx.AsyncClient, recorders: Recorders, bus: Bus
) -> None:
    await recorders.group.stop_all()
    await recorders.start("w1", reconnect_window_s=30)
    with MjpegCamera(width=640, height=360, min_interval_s=0.04, max_interval_s=0.08) as camera:
        session = await open_session(rapi, camera.url)
        rec = (await rapi.post(f"/api/sessions/{session['id']}/recordings", json={})).json()
        await wait_recorded(bus, rec["id"], 4)
        camera.set_offline(True)
        gone = time.monotonic()
        await wait_for(rapi, rec["id"], {"reconnecting"}, 20)
        while time.monotonic() - gone < 10:  # the outage itself: ten seconds without a camera
            now = (await rapi.get(f"/api/recordings/{rec['id']}")).json()
            assert now["state"] == "reconnecting", now
            await asyncio.sleep(0.5)
        camera.set_offline(False)
        back = await wait_for(rapi, rec["id"], {"recording"}, 30)
        assert back["reconnects"] == 1
        before = (await rapi.get(f"/api/recordings/{rec['id']}")).json()
        await wait_recorded(bus, rec["id"], 8)  # elapsed counts both parts
        stopped = await stop_and_wait(rapi, rec["id"])
    assert before["state"] == "recording"
    assert stopped["state"] == "stopped" and stopped["reconnects"] == 1, stopped
    assert not stopped["fragmented"]
    times = probe_frame_times(str(recorders.root / stopped["file_name"]), max_frames=100_000)
    print(f"one file, {stopped['duration_s']} s, {len(times)} frames from two parts")
    assert stopped["duration_s"] >= 7 and len(times) >= 7 * 10
    bad = [(i, a, b) for i, (a, b) in enumerate(itertools.pairwise(times)) if b <= a]
    assert not bad, bad[:5]  # one timeline
    assert not list((recorders.root / ".partial").glob(f"{rec['id']}*"))


async def test_camera_gone_longer_than_the_window_ends_interrupted_with_a_file(
    rapi: httpx.AsyncClient, recorders: Recorders, bus: Bus
) -> None:
    with MjpegCamera(width=640, height=360) as camera:
        session = await open_session(rapi, camera.url)
        rec = (await rapi.post(f"/api/sessions/{session['id']}/recordings", json={})).json()
        await wait_recorded(bus, rec["id"], 3)
        camera.set_offline(True)
        done = await wait_for(rapi, rec["id"], TERMINAL, 40)
    assert done["state"] == "interrupted", done
    assert "gone for more than 4 s" in done["end_reason"]
    assert done["duration_s"] >= 2
    assert probe_frame_times(str(recorders.root / done["file_name"]))
