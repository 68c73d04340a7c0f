""" "Will it fit?" on a small recordings folder (a 24 MB tmpfs, 14 MB kept in reserve): a 2 h
request is refused with the numbers, a short one starts, and a recording that runs the
folder down to the reserve ends ``stopped`` ("disk nearly full") with a valid file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import httpx
import pytest

from camrec_devstack.cameras.rtsp import H264_NOAUDIO, RtspCameras
from tests.fixtures.disk import small_disk
from tests.media import probe_frame_times
from tests.recordings.conftest import TERMINAL, Recorders, open_session, wait_for

RESERVE_MB = 14

pytestmark = pytest.mark.xdist_group("drills")  # shares the machine's disk I/O with them


async def test_a_small_folder_refuses_two_hours_starts_a_short_one_and_stops_at_the_reserve(
    rapi: httpx.AsyncClient, recorders: Recorders, rtsp_cameras: RtspCameras, tmp_path: Path
) -> None:
    with small_disk(tmp_path / "small", "24m") as disk:
        await recorders.group.stop_all()
        recorders.root = disk
        await recorders.start("small", min_free_mb=RESERVE_MB)
        session = await open_session(rapi, rtsp_cameras.url(H264_NOAUDIO), "tight")
        start = f"/api/sessions/{session['id']}/recordings"

        refused = await rapi.post(start, json={"duration_s": 7200})
        room_mb = (shutil.disk_usage(disk).free - RESERVE_MB * 1_000_000) / 1e6
        message = refused.json()["message"]
        print(refused.status_code, message)
        assert refused.status_code == 507 and refused.json()["code"] == "no_space"
        numbers = re.match(
            r"2 h needs about ([\d.]+) GB; (\d+) MB free above the 14 MB reserve "
            r"\(room for about (\d+) s at ([\d.]+) Mbit/s\)",
            message,
        )
        assert numbers, message
        need_gb, free_mb, fits_s, mbps = (float(g) for g in numbers.groups())
        assert abs(free_mb - room_mb) <= 1
        assert abs(need_gb - mbps * 7200 * 1.1 / 8 / 1000) <= 0.1
        assert abs(fits_s - free_mb * 8 / mbps / 1.1) <= 2
        assert (await rapi.get("/api/recordings")).json() == {"recordings": []}

        short = await rapi.post(start, json={"duration_s": 4})
        assert short.status_code == 202, short.text
        fit = short.json()["fit"]
        assert fit["estimated_bytes"] < fit["free_bytes"] - fit["reserve_bytes"]
        done = await wait_for(rapi, short.json()["id"], TERMINAL, 40)
        assert done["state"] == "finished", done

        until_stop = await rapi.post(start, json={})
        assert until_stop.status_code == 202, until_stop.text
        warning = until_stop.json()["fit"]["warning"]
        print(warning)
        assert warning.startswith("until stop: room for about ")
        ended = await wait_for(rapi, until_stop.json()["id"], TERMINAL, 90)
        print(ended["end_reason"], ended["size_bytes"], ended["health"]["summary"])
        assert ended["state"] == "stopped", ended
        assert ended["end_reason"].startswith("disk nearly full: "), ended
        assert not ended["fragmented"] and ended["health"]["verdict"] == "clean"
        times = probe_frame_times(str(disk / ended["file_name"]), max_frames=100_000)
        assert len(times) == ended["health"]["frames"] and times[-1] - times[0] >= 2
        assert not list((disk / ".partial").iterdir())
