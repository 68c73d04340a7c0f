"""Stop mid-way, and FFmpeg killed mid-way: the file is always there and plays."""

from __future__ import annotations

import os
import signal

import httpx

from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from camrec_runtime.bus import Bus
from tests.media import codecs, probe_streams
from tests.recordings.conftest import (
    TERMINAL,
    Recorders,
    open_session,
    stop_and_wait,
    wait_for,
    wait_recorded,
)
from tests.recordings.workers import decoded_seconds, ffmpeg_pid


async def start(api: httpx.AsyncClient, url: str, duration: float | None) -> dict[str, object]:
    session = await open_session(api, url)
    rec = (
        await api.post(f"/api/sessions/{session['id']}/recordings", json={"duration_s": duration})
    ).json()
    await wait_for(api, rec["id"], {"recording"}, 15)
    return dict(rec)


async def test_stop_after_seven_seconds(
    rapi: httpx.AsyncClient, bus: Bus, recorders: Recorders, rtsp_cameras: RtspCameras
) -> None:
    rec = await start(rapi, rtsp_cameras.url(H264_AAC), 60)
    await wait_recorded(bus, str(rec["id"]), 7)
    body = await stop_and_wait(rapi, rec["id"])
    assert body["state"] == "stopped" and body["end_reason"] == "stopped"
    # ~7 s: progress counts file time (from the first video keyframe, as the file does;
    # FFmpeg's time ran ahead of the video's end by at most 0.06 s, measured), and the stop
    # ends FFmpeg 0.5-0.7 s after the progress that asked for it (measured)
    assert 7 - 0.1 <= body["duration_s"] <= 7 + 1.0, body["duration_s"]
    path = recorders.root / body["file_name"]
    assert codecs(probe_streams(str(path))) == {"video": "h264", "audio": "aac"}
    assert abs(decoded_seconds(path) - body["duration_s"]) < 0.5
    # stopping again is harmless, deleting works once it has ended
    assert (await rapi.post(f"/api/recordings/{rec['id']}/stop")).json()["state"] == "stopped"
    assert (await rapi.delete(f"/api/recordings/{rec['id']}")).status_code == 204
    assert not path.exists()
    assert (await rapi.get(f"/api/recordings/{rec['id']}")).status_code == 404


async def test_ffmpeg_killed_leaves_a_playable_file(
    rapi: httpx.AsyncClient, bus: Bus, recorders: Recorders, rtsp_cameras: RtspCameras
) -> None:
    rec = await start(rapi, rtsp_cameras.url(H264_AAC), None)
    partial = recorders.root / ".partial" / f"{rec['id']}.mp4"
    await wait_recorded(bus, str(rec["id"]), 6)
    pid = ffmpeg_pid(partial)
    os.kill(pid, signal.SIGKILL)
    done = await wait_for(rapi, str(rec["id"]), TERMINAL, 30)
    assert done["state"] == "interrupted"
    assert done["end_reason"] == "FFmpeg was killed (SIGKILL)"
    path = recorders.root / done["file_name"]
    seconds = decoded_seconds(path)
    # 6 s were written before the kill (counted from FFmpeg's first packet; the file starts at
    # the first video keyframe, up to a GOP - 2 s here - later): at most a fragment is lost
    assert seconds >= 6 - 2 - 1
    assert done["duration_s"] is not None and abs(done["duration_s"] - seconds) < 1
