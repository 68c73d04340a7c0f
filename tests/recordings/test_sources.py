"""G.711 becomes AAC, no audio stays without, H.265 becomes H.264; MJPEG with irregular
timing becomes H.264 with the camera's own frame times."""

from __future__ import annotations

import asyncio
import statistics
from itertools import pairwise

import httpx

from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_devstack.cameras.rtsp import H264_ALAW, H264_NOAUDIO, H265_AAC, RtspCameras
from tests.media import codecs, probe_frame_times, probe_streams
from tests.recordings.conftest import TERMINAL, Recorders, open_session, wait_for


async def record(api: httpx.AsyncClient, url: str, seconds: float) -> dict[str, object]:
    session = await open_session(api, url)
    rec = (
        await api.post(f"/api/sessions/{session['id']}/recordings", json={"duration_s": seconds})
    ).json()
    return await wait_for(api, rec["id"], TERMINAL, seconds + 30)


async def test_audio_and_video_conversions(
    rapi: httpx.AsyncClient, recorders: Recorders, rtsp_cameras: RtspCameras
) -> None:
    alaw, noaudio, hevc = await asyncio.gather(
        record(rapi, rtsp_cameras.url(H264_ALAW), 5),
        record(rapi, rtsp_cameras.url(H264_NOAUDIO), 5),
        record(rapi, rtsp_cameras.url(H265_AAC), 5),
    )
    expected = [
        (alaw, {"video": "h264", "audio": "aac"}, False),
        (noaudio, {"video": "h264"}, False),
        (hevc, {"video": "h264", "audio": "aac"}, True),
    ]
    for rec, streams, transcoded in expected:
        assert rec["state"] == "finished", rec
        assert rec["transcoded"] is transcoded
        path = recorders.root / str(rec["file_name"])
        assert codecs(probe_streams(str(path))) == streams
        assert abs(float(rec["duration_s"]) - 5) <= 0.5  # type: ignore[arg-type]


def best_alignment(recorded: list[float], sent: list[float]) -> tuple[int, float]:
    """Offset into ``sent`` where the recorded intervals fit best, and the worst error there."""
    best = (0, float("inf"))
    for k in range(len(sent) - len(recorded) + 1):
        worst = max(abs(r - s) for r, s in zip(recorded, sent[k:], strict=False))
        if worst < best[1]:
            best = (k, worst)
    return best


async def test_mjpeg_keeps_the_cameras_frame_timing(
    rapi: httpx.AsyncClient, recorders: Recorders
) -> None:
    with MjpegCamera(frame_count=40, seed=7) as camera:
        rec = await record(rapi, camera.url, 8)
        sent_frames = camera.frames_sent(camera.clients()[-1])  # the relay's connection
    assert rec["state"] == "finished" and rec["transcoded"] is True
    path = recorders.root / str(rec["file_name"])
    assert codecs(probe_streams(str(path))) == {"video": "h264"}
    times = probe_frame_times(str(path), max_frames=10_000)
    recorded = [b - a for a, b in pairwise(times)]
    sent = [b.monotonic - a.monotonic for a, b in pairwise(sent_frames)]
    # irregular, not a constant-rate grid, and no duplicated frames
    assert statistics.pstdev(recorded) > 0.02

    assert min(recorded) > 0.025
    # each recorded interval is a sent interval, in order: same frames, same rhythm
    offset, worst = best_alignment(recorded, sent)
    assert worst < 0.03, f"frame times drift from the camera's by up to {worst * 1000:.0f} ms"
    window = sent_frames[offset : offset + len(times)]
    assert len(window) == len(times)
    expected = sum(
        1 for f in sent_frames if window[0].monotonic <= f.monotonic <= window[-1].monotonic
    )
    assert abs(expected - len(times)) <= 1
