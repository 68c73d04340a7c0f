"""A camera that goes away ends the recording ``interrupted`` with a playable file; a full
disk refuses to start (507) with the numbers; progress is reported every second."""

from __future__ import annotations

from itertools import pairwise

import httpx

from camrec_contracts.recordings import RECORDING_EVENTS, RecordingEvent
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_devstack.cameras.rtsp import H264_NOAUDIO, RtspCameras
from camrec_runtime.bus import Bus
from camrec_runtime.events import subscribe_events
from tests.fixtures.proxy import Proxies
from tests.media import codecs, probe_streams
from tests.polling import poll
from tests.recordings.conftest import TERMINAL, Recorders, open_session, wait_for, wait_recorded


async def test_camera_gone_mid_recording_is_interrupted_with_a_file(
    rapi: httpx.AsyncClient, recorders: Recorders, bus: Bus
) -> None:
    with MjpegCamera(frame_count=10, width=640, height=360) as camera:
        session = await open_session(rapi, camera.url)
        rec = (await rapi.post(f"/api/sessions/{session['id']}/recordings", json={})).json()
        await wait_recorded(bus, rec["id"], 3)
        camera.set_offline(True)  # open streams end, reconnects are refused
        done = await wait_for(rapi, rec["id"], TERMINAL, 40)
    assert done["state"] == "interrupted", done
    assert done["end_reason"]
    assert done["duration_s"] >= 2
    assert codecs(probe_streams(str(recorders.root / done["file_name"]))) == {"video": "h264"}


async def test_progress_every_second(
    rapi: httpx.AsyncClient, bus: Bus, rtsp_cameras: RtspCameras
) -> None:
    events: list[RecordingEvent] = []

    async def on_event(_: str, event: object) -> None:
        if isinstance(event, RecordingEvent):
            events.append(event)

    await subscribe_events(bus.nc, on_event, RECORDING_EVENTS.wildcard)
    session = await open_session(rapi, rtsp_cameras.url(H264_NOAUDIO))
    rec = (
        await rapi.post(f"/api/sessions/{session['id']}/recordings", json={"duration_s": 6})
    ).json()
    await wait_for(rapi, rec["id"], TERMINAL, 30)

    async def ended() -> bool:  # published before the catalog says so, but maybe not here yet
        return any(e.event == "finished" for e in events)

    await poll(ended, 5, "the finished event")  # ms on this host; 5 s for a loaded one
    kinds = [e.event for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    progress = [e for e in events if e.event == "progress"]
    # 6 s of file asked: FFmpeg runs the wait for the first keyframe (up to a GOP, 2 s here)
    # and ~0.5 s more
    assert 4 <= len(progress) <= 12
    # file time is 0 until the first keyframe has come and the first fragment is written
    # (up to a GOP plus a fragment: 3.9 s seen), then a second's worth every second
    written = [e for e in progress if e.elapsed_s]
    assert len(written) >= 4 and all(e.size_bytes and e.bitrate_kbps for e in written)
    elapsed = [e.elapsed_s or 0 for e in written]
    print("progress elapsed:", [e.elapsed_s for e in progress])
    # (the last block is written as FFmpeg exits at -t: it may come sooner)
    assert all(0.5 <= b - a <= 1.5 for a, b in pairwise(elapsed[:-1]))


async def test_full_disk_refuses_with_the_numbers(
    api: httpx.AsyncClient, proxies: Proxies, recorders: Recorders, rtsp_cameras: RtspCameras
) -> None:
    await recorders.start("w1", min_free_mb=10**9)  # no disk has a petabyte free
    session = await open_session(api, rtsp_cameras.url(H264_NOAUDIO))
    response = await api.post(f"/api/sessions/{session['id']}/recordings", json={})
    assert response.status_code == 507
    body = response.json()
    assert body["code"] == "no_space"
    assert body["message"].startswith("disk full: ")
    assert "(need at least 1000000000 MB)" in body["message"]
    assert (await api.get("/api/recordings")).json() == {"recordings": []}
