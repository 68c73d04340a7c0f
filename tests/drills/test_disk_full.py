"""Drill: the recordings folder fills up (a 6 MB tmpfs) during a recording. That recording
ends ``interrupted`` with "disk full" and the file so far plays; another session recording
on another worker's disk goes on; the api keeps answering."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from camrec_devstack.cameras.rtsp import H264_AAC, H264_NOAUDIO, RtspCameras
from camrec_runtime.bus import Bus
from tests.fixtures.disk import small_disk as mount_small_disk
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


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 6 MB tmpfs."""
    with mount_small_disk(tmp_path / "small-disk", "6m") as mount:
        yield mount


async def test_disk_full_ends_one_recording_with_a_playable_file_and_spares_the_rest(
    rapi: httpx.AsyncClient,
    recorders: Recorders,
    bus: Bus,
    rtsp_cameras: RtspCameras,
    small_disk: Path,
    tmp_path: Path,
) -> None:
    # rapi started worker w1 on the normal folder; stop it so the first job goes to the
    # small disk's worker, then bring a normal-disk worker back for the second.
    await recorders.group.stop_all()
    full_root, recorders.root = recorders.root, small_disk
    await recorders.start("small", capacity=1)
    a = await open_session(rapi, rtsp_cameras.url(H264_AAC), "filling")
    b = await open_session(rapi, rtsp_cameras.url(H264_NOAUDIO), "spared")
    rec_a = (await rapi.post(f"/api/sessions/{a['id']}/recordings", json={})).json()
    await wait_recorded(bus, rec_a["id"], 1)
    recorders.root = full_root
    await recorders.start("normal", capacity=1)
    rec_b = (await rapi.post(f"/api/sessions/{b['id']}/recordings", json={})).json()

    done = await wait_for(rapi, rec_a["id"], TERMINAL, 90)
    assert done["state"] == "interrupted" and "disk full" in done["end_reason"], done
    assert done["owner"] == "small"
    times = probe_frame_times(str(small_disk / done["file_name"]))
    print(f"disk full after {done['duration_s']} s; {len(times)} frames playable")
    assert len(times) >= 25 and times[-1] - times[0] >= 1.0

    assert (await rapi.get("/api/recordings")).status_code == 200
    b_now = (await rapi.get(f"/api/recordings/{rec_b['id']}")).json()
    assert b_now["state"] == "recording" and b_now["owner"] == "normal", b_now
    await wait_recorded(bus, rec_b["id"], 2)
    stopped = await stop_and_wait(rapi, rec_b["id"])
    assert stopped["state"] == "stopped", stopped
    assert probe_frame_times(str(full_root / stopped["file_name"]))
