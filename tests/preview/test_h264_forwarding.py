"""``?format=h264``: the camera's own H.264 units reach the viewer undecoded, framed as the
contracts say, decodable from the first one, at the camera's rate, for a fraction of the
JPEG path's CPU; cameras a browser can't decode as they are get JPEG instead."""

from __future__ import annotations

import statistics
import time

import pytest

from camrec_devstack.cameras.rtsp import H264_CLOCK, H265_AAC, RtspCameras
from camrec_devstack.h264_units import decode_stamps, parse_unit
from camrec_previewer.jpeg import is_jpeg
from camrec_runtime.bus import Bus
from tests.fixtures.proxy import Proxies
from tests.preview.client import open_viewer
from tests.preview.conftest import PreviewerProcess, camera_kept_on, open_session

pytestmark = pytest.mark.xdist_group("preview")

WATCH_S = 10.0


async def test_h264_units_are_forwarded_undecoded_and_decode_from_the_first(
    previewer: PreviewerProcess, proxy_up: Proxies, bus: Bus, rtsp_cameras: RtspCameras
) -> None:
    session = await open_session(bus, rtsp_cameras.url(H264_CLOCK))
    with camera_kept_on(rtsp_cameras, H264_CLOCK):
        connected = time.monotonic()
        viewer = await open_viewer(previewer.ws_url(session.id) + "?format=h264")
        await viewer.read_until(lambda v: v.frames, 5.0, "unit")
        first_s = time.monotonic() - connected
        cpu = previewer.cpu_seconds()
        await viewer.read_for(WATCH_S)
        cpu_pct = 100 * (previewer.cpu_seconds() - cpu) / WATCH_S
        await viewer.ws.close()
    assert viewer.statuses[0].format == "h264"
    assert viewer.order.index("config") < viewer.order.index("binary")  # configure, then decode
    (config,) = viewer.configs
    assert config.codec.startswith("avc1.") and (config.width, config.height) == (1280, 720)
    units = [parse_unit(f.data) for f in viewer.frames]
    assert not any(is_jpeg(f.data) for f in viewer.frames)
    assert units[0].key and units[0].data.startswith(b"\x00\x00\x00\x01\x67")  # SPS first
    stamps = decode_stamps([u.data for u in units], 1280, 720)
    assert len(stamps) == len(units)  # one picture per unit, none undecodable
    indexes = [s.index for s in stamps if s is not None]
    assert len(indexes) == len(stamps) and indexes == sorted(indexes)
    rate = (len(units) - 1) / ((units[-1].timestamp_us - units[0].timestamp_us) / 1e6)
    age_ms = [
        1000 * f.at - s.wall_ms for f, s in zip(viewer.frames, stamps, strict=True) if s is not None
    ]
    age_ms = age_ms[len(age_ms) // 2 :]  # live ones (a joiner gets the current GOP first)
    print(
        f"first unit {first_s:.2f} s after connecting; {len(units)} units, {rate:.1f} fps; "
        f"camera-to-socket age p50 {statistics.median(age_ms):.0f} ms, max {max(age_ms):.0f} ms; "
        f"previewer {cpu_pct:.1f} % of a core"
    )
    assert 24 <= rate <= 26  # the simulator's 25 fps, by the units' own timestamps
    assert viewer.statuses[-1].state == "live"


async def test_a_camera_the_browser_cannot_decode_as_sent_gets_jpeg(
    previewer: PreviewerProcess, proxy_up: Proxies, bus: Bus, rtsp_cameras: RtspCameras
) -> None:
    session = await open_session(bus, rtsp_cameras.url(H265_AAC))
    with camera_kept_on(rtsp_cameras, H265_AAC):
        viewer = await open_viewer(previewer.ws_url(session.id) + "?format=h264")
        await viewer.read_until(lambda v: len(v.frames) >= 5, 10.0, "JPEGs")
        await viewer.ws.close()
    assert viewer.statuses[0].format == "jpeg" and not viewer.configs
    assert all(is_jpeg(f.data) for f in viewer.frames)
