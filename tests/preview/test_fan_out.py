"""One capture for many viewers; a slow viewer skips to the newest frame and costs the
others nothing; nobody watching means nothing reads the relay."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from camrec_contracts.services import PREVIEWER
from camrec_contracts.sessions import GET_SESSION, SessionRef
from camrec_devstack.cameras.rtsp import H264_CLOCK, RtspCameras
from camrec_devstack.mediamtx import MediaMTXConfig
from camrec_runtime.bus import Bus
from camrec_runtime.rpc import call
from tests.fixtures.mediamtx import mediamtx_readers
from tests.fixtures.proxy import Proxies
from tests.polling import poll
from tests.preview.client import Viewer, open_viewer
from tests.preview.conftest import PreviewerProcess, open_session

pytestmark = pytest.mark.xdist_group("preview")

MEASURE_S = 10.0
FIVE_VS_ONE_LIMIT = 1.6
"""Five viewers of one capture cost the decode + encode once plus four more viewers' sends:
measured 1.30x one viewer (1.38 s vs 1.06 s over 10 s, a CI rehearsal beside a soak), where a
1.3x limit failed. A second capture would cost a whole second decode + encode (>= 2x): 1.6
sits between the two, and captures_started == 1 says it directly."""


async def read_all(viewers: list[Viewer], seconds: float) -> None:
    await asyncio.gather(*(v.read_for(seconds) for v in viewers))


async def cpu_over(previewer: PreviewerProcess, viewers: list[Viewer], seconds: float) -> float:
    """Previewer CPU seconds while ``viewers`` read for ``seconds``."""
    before = previewer.cpu_seconds()
    await read_all(viewers, seconds)
    return previewer.cpu_seconds() - before


async def test_five_viewers_share_one_capture_at_about_the_cost_of_one(
    previewer: PreviewerProcess, proxy_up: Proxies, bus: Bus, rtsp_cameras: RtspCameras
) -> None:
    session = await open_session(bus, rtsp_cameras.url(H264_CLOCK))
    first = await open_viewer(previewer.ws_url(session.id))
    await first.read_until(lambda v: len(v.frames) >= 25, 10, "first second of frames")
    one = await cpu_over(previewer, [first], MEASURE_S)

    others = [await open_viewer(previewer.ws_url(session.id)) for _ in range(4)]
    viewers = [first, *others]
    await read_all(viewers, 2.0)  # everyone is receiving before the measurement starts
    counts = [len(v.frames) for v in viewers]
    five = await cpu_over(previewer, viewers, MEASURE_S)
    received = [len(v.frames) - c for v, c in zip(viewers, counts, strict=True)]

    stats = (await previewer.stats()).sessions
    assert len(stats) == 1
    assert stats[0].captures_started == 1 and stats[0].viewers == 5 and stats[0].capturing
    micro = json.loads((await bus.nc.request(f"$SRV.STATS.{PREVIEWER}", b"", 2)).data)
    data = micro["endpoints"][0]["data"]  # what `nats micro stats` shows
    assert data["sessions"][0]["viewers"] == 5 and data["sessions"][0]["captures_started"] == 1
    print(f"previewer CPU over {MEASURE_S:.0f} s: 1 viewer {one:.2f} s, 5 viewers {five:.2f} s")
    print(f"frames per viewer over {MEASURE_S:.0f} s: {received}")
    assert all(n >= 0.9 * 25 * MEASURE_S for n in received), received
    assert one > 0.1, "the capture should cost something: is the measurement right?"
    assert five <= FIVE_VS_ONE_LIMIT * one, f"5 viewers cost {five / one:.2f}x one viewer"


async def test_a_viewer_that_stops_reading_gets_fresh_frames_when_it_reads_again(
    previewer: PreviewerProcess, proxy_up: Proxies, bus: Bus, rtsp_cameras: RtspCameras
) -> None:
    session = await open_session(bus, rtsp_cameras.url(H264_CLOCK))
    slow = await open_viewer(previewer.ws_url(session.id), receive_buffer=32 * 1024)
    steady = [await open_viewer(previewer.ws_url(session.id)) for _ in range(2)]
    everyone = [slow, *steady]
    await asyncio.gather(
        *(v.read_until(lambda v: len(v.frames) >= 25, 10, "frames") for v in everyone)
    )
    before = [len(v.frames) for v in steady]
    await read_all(steady, 5.0)  # the slow one reads nothing meanwhile
    during = [len(v.frames) - b for v, b in zip(steady, before, strict=True)]

    resumed = time.time()
    slow.frames.clear()
    await slow.read_until(
        lambda v: any(f.stamp and f.at - f.stamp.wall_s <= 0.5 for f in v.frames), 2, "fresh"
    )
    fresh_at = len(slow.frames) - 1
    stale = slow.frames[:fresh_at]
    first_fresh = slow.frames[fresh_at]
    print(
        f"after a 5 s pause: {len(stale)} frames already in flight, then a frame "
        f"{first_fresh.at - first_fresh.stamp.wall_s:.3f} s old "  # type: ignore[union-attr]
        f"{first_fresh.at - resumed:.3f} s after reading again; steady viewers got {during}; "
        f"in flight {sum(len(f.data) for f in stale) / 1024:.0f} KiB"
    )
    # What was in flight when it stopped is bounded by socket buffers, not by the pause:
    # a queue would hold the 125 frames of those 5 s.
    assert len(stale) < 125 / 2
    assert first_fresh.at - resumed <= 0.5
    assert all(n >= 0.9 * 25 * 5 for n in during), during
    stats = (await previewer.stats()).sessions[0]
    skipped = {v.viewer: v.frames_skipped for v in stats.per_viewer}
    assert skipped[1] >= 90 and skipped[2] <= 5 and skipped[3] <= 5, skipped


async def test_nobody_watching_for_a_while_means_no_reader_on_the_relay(
    previewer: PreviewerProcess,
    proxy_up: Proxies,
    bus: Bus,
    rtsp_cameras: RtspCameras,
    mediamtx_relay: MediaMTXConfig,
) -> None:
    session = await open_session(bus, rtsp_cameras.url(H264_CLOCK))
    assert session.relay == "mediamtx"
    path = f"camrec-{session.id}"

    async def relay_readers() -> int:  # MediaMTX's own count of the path's readers
        return await mediamtx_readers(mediamtx_relay, path)

    async def measured() -> bool:  # the proxy reads the relay for 4 s after an open
        got = await call(bus.nc, GET_SESSION, SessionRef(id=session.id))
        return got.measured is not None and await relay_readers() == 0

    await poll(measured, 20, "the proxy's measurement of the relay")
    viewer = await open_viewer(previewer.ws_url(session.id))
    await viewer.read_until(lambda v: v.frames, 10, "frame")
    assert await relay_readers() == 1
    await viewer.ws.close()
    left = time.monotonic()
    while (await previewer.stats()).sessions or await relay_readers():
        assert time.monotonic() - left < 10, "capture still running 10 s after the last viewer"
        await asyncio.sleep(0.2)
    print(f"capture gone {time.monotonic() - left:.1f} s after the last viewer left")
    # and it comes back for the next viewer
    again = await open_viewer(previewer.ws_url(session.id))
    await again.read_until(lambda v: v.frames, 10, "frame after restart")
    assert (await previewer.stats()).sessions[0].captures_started == 1  # a new preview
