"""A 15 s recording of the H.264 + AAC camera: stream copy, exact duration, keyframe first,
index at the front."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from tests.media import codecs, ffprobe_json, probe_streams
from tests.recordings.conftest import TERMINAL, Recorders, open_session, wait_for
from tests.recordings.players import top_level_boxes


def ffmpeg_cpu_seconds(partial: Path) -> float | None:
    """utime + stime of the FFmpeg writing ``partial``, from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if str(partial) in cmd and "ffmpeg" in cmd:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / 100  # clock ticks (USER_HZ)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return None


async def test_fifteen_seconds_stream_copied(
    rapi: httpx.AsyncClient, recorders: Recorders, rtsp_cameras: RtspCameras
) -> None:
    session = await open_session(rapi, rtsp_cameras.url(H264_AAC), "front door")
    started = await rapi.post(f"/api/sessions/{session['id']}/recordings", json={"duration_s": 15})
    assert started.status_code == 202, started.text
    rec = started.json()
    assert rec["state"] == "starting" and rec["transcoded"] is False
    assert rec["file_name"].startswith("front-door_") and rec["file_name"].endswith(".mp4")

    await wait_for(rapi, rec["id"], {"recording"}, 10)
    partial = recorders.root / ".partial" / f"{rec['id']}.mp4"
    again = await rapi.post(f"/api/sessions/{session['id']}/recordings", json={})
    assert again.status_code == 409 and "already recording" in again.json()["message"]

    await asyncio.sleep(8)  # let it run, then read FFmpeg's CPU time so far
    cpu = ffmpeg_cpu_seconds(partial)
    assert cpu is not None, "no FFmpeg writing the recording"
    assert cpu < 0.4, f"FFmpeg used {cpu} s of CPU in ~8 s: it is encoding, not copying"
    done = await wait_for(rapi, rec["id"], TERMINAL, 40)
    assert done["state"] == "finished", done
    path = recorders.root / done["file_name"]
    assert abs(done["duration_s"] - 15) <= 0.5
    assert codecs(probe_streams(str(path))) == {"video": "h264", "audio": "aac"}
    assert done["video"]["codec"] == "h264" and done["audio"]["codec"] == "aac"
    assert abs(done["video"]["avg_frame_interval_ms"] - 40) < 1
    first = ffprobe_json(
        str(path),
        ["-select_streams", "v:0", "-read_intervals", "%+#1", "-show_entries", "packet=flags"],
    )["packets"][0]
    assert first["flags"].startswith("K")
    boxes = top_level_boxes(path)
    assert boxes.index("moov") < boxes.index("mdat"), boxes
    assert not partial.exists()
    assert done["has_thumbnail"]
    thumb = await rapi.get(f"/api/recordings/{rec['id']}/thumbnail")
    assert thumb.status_code == 200 and thumb.content.startswith(b"\xff\xd8")
