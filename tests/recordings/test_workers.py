"""Two workers, three sessions at once: the work is spread, every file is valid, and a stop
reaches the worker that owns the recording whichever worker receives it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from camrec_contracts.recordings import STOP_RECORDING, Recording, RecordingRef
from camrec_devstack.cameras.rtsp import H264_AAC, H264_NOAUDIO, H265_AAC, RtspCameras
from camrec_runtime.bus import Bus
from tests.fixtures.proxy import Proxies
from tests.media import probe_streams
from tests.recordings.conftest import TERMINAL, Recorders, open_session, wait_for, wait_recorded

LEAD_S = 2.0
"""Progress counts from FFmpeg's first packet: audio may come up to one GOP (2 s on the
simulators) before the first keyframe, and the final file starts at that keyframe: a reader
joining a camera that MediaMTX keeps running waits for its next one (a file of 1.8 s after a
3 s sleep was seen)."""


def stop_handler(recorders: Recorders, worker_id: str) -> Any:
    worker = recorders.workers[worker_id]
    return next(b.handler for b in worker.bindings if b.endpoint is STOP_RECORDING)


async def test_two_workers_three_recordings(
    proxies: Proxies,
    recorders: Recorders,
    rtsp_cameras: RtspCameras,
    api: httpx.AsyncClient,
    bus: Bus,
) -> None:
    await recorders.start("w1", capacity=2)
    await recorders.start("w2", capacity=2)
    ids = []
    for camera in (H264_AAC, H264_NOAUDIO, H265_AAC):
        session = await open_session(api, rtsp_cameras.url(camera), camera)
        rec = (await api.post(f"/api/sessions/{session['id']}/recordings", json={})).json()
        ids.append(rec["id"])
    recs = [await wait_for(api, rid, {"recording"}, 15) for rid in ids]
    owners = {r["id"]: r["owner"] for r in recs}
    assert set(owners.values()) == {"w1", "w2"}  # capacity 2 each: both had to take work
    # more than 2 s of video in every file: 2 s past the lead before the first keyframe
    await asyncio.gather(*(wait_recorded(bus, rid, 2.5 + LEAD_S) for rid in ids))

    # ask the worker that does NOT own each recording: it must hand the stop on
    ended = []
    for rid, owner in owners.items():
        other = "w2" if owner == "w1" else "w1"
        reply = await stop_handler(recorders, other)(RecordingRef(id=rid))
        assert reply.state in ("finalizing", "stopped"), reply  # FFmpeg has stopped
        ended.append(Recording.model_validate(await wait_for(api, rid, TERMINAL, 30)))
    for rec in ended:
        assert rec.state == "stopped", rec
        assert rec.duration_s is not None and rec.duration_s > 2
        streams = probe_streams(str(recorders.root / rec.file_name))
        assert [s["codec_name"] for s in streams if s["codec_type"] == "video"] == ["h264"]
    for rid in ids:
        assert (await wait_for(api, rid, TERMINAL, 5))["state"] == "stopped"
