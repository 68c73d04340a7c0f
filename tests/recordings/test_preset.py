"""The 1 min preset gives a 60 s ± 0.5 file (longer presets are the same path, another -t)."""

from __future__ import annotations

import httpx

from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from tests.recordings.conftest import TERMINAL, Recorders, open_session, wait_for


async def test_one_minute_preset(
    rapi: httpx.AsyncClient, recorders: Recorders, rtsp_cameras: RtspCameras
) -> None:
    presets = (await rapi.get("/api/config")).json()["recording_durations_s"]
    assert presets[0] == 60
    session = await open_session(rapi, rtsp_cameras.url(H264_AAC))
    rec = (
        await rapi.post(
            f"/api/sessions/{session['id']}/recordings", json={"duration_s": presets[0]}
        )
    ).json()
    done = await wait_for(rapi, rec["id"], TERMINAL, 100)
    assert done["state"] == "finished" and done["end_reason"] == "completed"
    assert abs(done["duration_s"] - 60) <= 0.5
    assert done["video"]["frames"] in range(1499, 1502)  # 25 fps
