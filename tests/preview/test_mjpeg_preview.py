"""MJPEG sessions: the camera's JPEGs pass through untouched (cheap); oversize ones are
scaled; a source that drops shows ``reconnecting`` and comes back ``live``."""

from __future__ import annotations

import hashlib

import pytest

from camrec_contracts.sessions import CLOSE_SESSION, SessionRef
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_devstack.cameras.rtsp import H264_CLOCK, RtspCameras
from camrec_previewer.jpeg import jpeg_size
from camrec_runtime.bus import Bus
from camrec_runtime.rpc import call
from tests.fixtures.proxy import Proxies
from tests.preview.client import open_viewer
from tests.preview.conftest import PreviewerProcess, open_session

pytestmark = pytest.mark.xdist_group("preview")

MEASURE_S = 10.0


async def cpu_per_frame(previewer: PreviewerProcess, session_id: str) -> tuple[float, int]:
    """Previewer CPU seconds per frame read, over MEASURE_S with one viewer."""
    viewer = await open_viewer(previewer.ws_url(session_id))
    await viewer.read_until(lambda v: len(v.frames) >= 10, 10, "frames")
    before_cpu = previewer.cpu_seconds()
    before_in = (await previewer.stats()).sessions[0].frames_in
    await viewer.read_for(MEASURE_S)
    frames = (await previewer.stats()).sessions[0].frames_in - before_in
    cpu = previewer.cpu_seconds() - before_cpu
    await call(previewer.bus.nc, CLOSE_SESSION, SessionRef(id=session_id))  # ends the preview
    return cpu / frames, frames


async def test_mjpeg_frames_pass_through_byte_for_byte_and_cost_far_less(
    previewer: PreviewerProcess, proxy_up: Proxies, bus: Bus, rtsp_cameras: RtspCameras
) -> None:
    with MjpegCamera(width=640, height=360) as camera:
        session = await open_session(bus, camera.url, "mjpeg")
        assert session.relay_mjpeg_url is not None
        viewer = await open_viewer(previewer.ws_url(session.id))
        await viewer.read_until(lambda v: len(v.frames) >= 30, 15, "30 frames")
        sent = {f.sha256 for f in camera.frames_sent()}
        received = [hashlib.sha256(f.data).hexdigest() for f in viewer.frames[:30]]
        assert all(h in sent for h in received)
        assert len(set(received)) >= 25  # distinct camera frames, not one repeated
        stats = (await previewer.stats()).sessions[0]
        assert stats.frames_passed_through == stats.frames_in and stats.encode_ms_avg is None
        await viewer.ws.close()
        mjpeg_cpu, mjpeg_frames = await cpu_per_frame(previewer, session.id)

    h264 = await open_session(bus, rtsp_cameras.url(H264_CLOCK))
    h264_cpu, h264_frames = await cpu_per_frame(previewer, h264.id)
    print(
        f"previewer CPU per frame: MJPEG pass-through {1000 * mjpeg_cpu:.2f} ms "
        f"({mjpeg_frames} frames), H.264 decode+scale+encode {1000 * h264_cpu:.2f} ms "
        f"({h264_frames} frames)"
    )
    assert mjpeg_cpu < h264_cpu / 2


async def test_oversize_mjpeg_is_scaled_and_a_dropped_source_comes_back_live(
    previewer: PreviewerProcess, proxy_up: Proxies, bus: Bus
) -> None:
    with MjpegCamera(width=1280, height=720) as camera:
        session = await open_session(bus, camera.url, "mjpeg")
        viewer = await open_viewer(previewer.ws_url(session.id))
        await viewer.read_until(lambda v: len(v.frames) >= 5, 10, "frames")
        assert {jpeg_size(f.data) for f in viewer.frames} == {(960, 540)}
        stats = (await previewer.stats()).sessions[0]
        assert stats.frames_passed_through == 0 and stats.encode_ms_avg is not None

        camera.set_offline(True)
        await viewer.read_until(lambda v: v.states[-1] == "reconnecting", 15, "reconnecting")
        dropped_at = len(viewer.frames)
        camera.set_offline(False)
        await viewer.read_until(
            lambda v: v.states[-1] == "live" and len(v.frames) > dropped_at, 20, "live again"
        )
        assert viewer.states[-3:] == ["live", "reconnecting", "live"]
        reason = next(s.reason for s in viewer.statuses if s.state == "reconnecting")
        print(f"states {viewer.states}; reconnecting because: {reason}")
        assert reason
