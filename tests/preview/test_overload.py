"""The JPEG path under a CPU it can't keep up with: the previewer gets 8 ms of every 100 ms
(stopped and continued by signals, as ``cpulimit`` does), about half of what decoding, scaling
and encoding a 720p25 camera takes (15-20 % of a core). The pictures a viewer gets stay
fresh: the reader skips encoding while behind and reads the live picture again when a
second behind. Measured over 20 s: p50 515 ms, p95 581 ms, max 645 ms; with the skipping
turned off (thresholds at 1e9), p50 3.9 s, p95 7.7 s and growing, as the bench had seen
(p95 10.3 s with three sessions on a loaded machine)."""

from __future__ import annotations

import statistics

import pytest

from camrec_devstack.cameras.rtsp import H264_CLOCK, RtspCameras
from camrec_devstack.starve import starved
from camrec_runtime.bus import Bus
from tests.fixtures.proxy import Proxies
from tests.preview.client import open_viewer
from tests.preview.conftest import PreviewerProcess, camera_kept_on, open_session

pytestmark = pytest.mark.xdist_group("preview")

RUN_MS, PERIOD_MS = 8, 100
STARVED_S = 20.0
AGE_P95_LIMIT_MS = 1500
"""By design a picture is at most REOPEN_BEHIND_S (1 s) behind when it is encoded; 0.5 s more
for its encode and the socket on a starved, loaded machine."""


async def test_a_starved_jpeg_preview_stays_fresh(
    previewer: PreviewerProcess, proxy_up: Proxies, bus: Bus, rtsp_cameras: RtspCameras
) -> None:
    session = await open_session(bus, rtsp_cameras.url(H264_CLOCK))
    with camera_kept_on(rtsp_cameras, H264_CLOCK):
        viewer = await open_viewer(previewer.ws_url(session.id))
        await viewer.read_until(lambda v: len(v.frames) >= 10, 10.0, "frames")
        before = len(viewer.frames)
        with starved(previewer.process.pid, RUN_MS, PERIOD_MS):
            await viewer.read_for(STARVED_S)
        await viewer.ws.close()
    starved_frames = viewer.frames[before:]
    ages = [1000 * f.at - f.stamp.wall_ms for f in starved_frames if f.stamp is not None]
    reasons = {s.reason for s in viewer.statuses if s.reason} | {
        "skipping" for s in viewer.statuses if s.skipping
    }
    print(
        f"starved {STARVED_S:g} s: {len(ages)} pictures, age p50 "
        f"{statistics.median(ages):.0f} ms, p95 {statistics.quantiles(ages, n=20)[-1]:.0f} ms, "
        f"max {max(ages):.0f} ms; {reasons}"
    )
    assert len(ages) >= 10, "the starved preview showed next to nothing"
    assert statistics.quantiles(ages, n=20)[-1] <= AGE_P95_LIMIT_MS
