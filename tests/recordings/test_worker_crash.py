"""kill -9 of a recorder worker mid-recording: its FFmpeg finishes the fragment it was
writing, and when the worker comes back the recording is ``interrupted`` with a file that
decodes to within ~2 s of the kill."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx

from camrec_contracts.settings import CamrecSettings
from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from camrec_runtime.bus import Bus
from tests.polling import poll
from tests.recordings.conftest import TERMINAL, open_session, wait_for, wait_recorded
from tests.recordings.workers import decoded_seconds, until_pinged, worker


async def test_worker_killed_then_restarted(
    api: httpx.AsyncClient,
    bus: Bus,
    nats_settings: CamrecSettings,
    rtsp_cameras: RtspCameras,
    tmp_path: Path,
) -> None:
    root = tmp_path / "recordings"
    first = worker(nats_settings, root)
    try:
        await until_pinged(bus, first)
        session = await open_session(api, rtsp_cameras.url(H264_AAC))
        rec = (await api.post(f"/api/sessions/{session['id']}/recordings", json={})).json()
        await wait_recorded(bus, rec["id"], 6)
        os.kill(first.pid, signal.SIGKILL)
        killed = time.monotonic()
        first.proc.wait(10)  # type: ignore[union-attr]
        partial = root / ".partial" / f"{rec['id']}.mp4"
        # the orphaned FFmpeg got SIGTERM from the kernel (PDEATHSIG) and ends by itself
        assert partial.exists()

        # no recorder left to answer, and the api says so (503) - once NATS has seen the
        # killed worker's connection close: until then a request may still be routed to its
        # subscription and time out (504, seen once under load). Reads need no recorder.
        async def says_no_recorder() -> bool:
            gone = await api.delete(f"/api/recordings/{rec['id']}")
            assert gone.status_code in (503, 504), gone.text
            return gone.status_code == 503

        await poll(says_no_recorder, 20, "the api answering 503 without a recorder", try_s=15)
        read = await api.get(f"/api/recordings/{rec['id']}")
        assert read.status_code == 200 and read.json()["owner"] == "crashy", read.text
        second = worker(nats_settings, root)
        try:
            await until_pinged(bus, second)
            done = await wait_for(api, rec["id"], TERMINAL, 30)
        finally:
            second.stop()
    finally:
        first.stop()
    assert done["state"] == "interrupted"
    assert done["end_reason"] == "the recorder stopped while recording"
    # progress had reported 6 s before the kill; the file holds at least that, less ~2 s
    seconds = decoded_seconds(root / done["file_name"])
    assert seconds >= 6 - 2
    assert time.monotonic() - killed < 60
