"""The files API: Range requests, downloads, ids only (no paths); and a camera password is
never in a file name, the catalog or the logs."""

from __future__ import annotations

import logging

import httpx
import pytest

from camrec_contracts.jetstream import RECORDINGS_BUCKET
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_runtime.bus import Bus
from camrec_runtime.logs import FORMAT, RedactingFormatter
from tests.recordings.conftest import (
    TERMINAL,
    Recorders,
    open_session,
    wait_for,
    wait_recorded,
)

SECRET = "Rec0rd-s3cret"


async def test_file_range_download_and_secrets(
    rapi: httpx.AsyncClient, recorders: Recorders, bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.handler.setFormatter(RedactingFormatter(FORMAT))
    with MjpegCamera(password=SECRET, frame_count=10, width=640, height=360) as camera:
        url = f"http://admin:{SECRET}@127.0.0.1:{camera.port}/auth/stream.mjpeg"
        session = await open_session(rapi, url, "gate")
        started = await rapi.post(
            f"/api/sessions/{session['id']}/recordings", json={"duration_s": 3}
        )
        rec = await wait_for(rapi, started.json()["id"], TERMINAL, 40)
    assert rec["state"] == "finished"
    rid = rec["id"]
    path = recorders.root / rec["file_name"]
    data = path.read_bytes()

    whole = await rapi.get(f"/api/recordings/{rid}/file")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    part = await rapi.get(f"/api/recordings/{rid}/file", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == data[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(data)}"
    tail = await rapi.get(f"/api/recordings/{rid}/file", headers={"Range": "bytes=-500"})
    assert tail.status_code == 206 and tail.content == data[-500:]
    down = await rapi.get(f"/api/recordings/{rid}/file", params={"download": "1"})
    assert down.headers["content-disposition"] == f'attachment; filename="{rec["file_name"]}"'

    for bad in [
        "..%2F..%2Fetc%2Fpasswd",
        "../../etc/passwd",
        "0123456789ab",
        "ABC",
        rec["file_name"],
    ]:
        for suffix in ("", "/file", "/thumbnail"):
            response = await rapi.get(f"/api/recordings/{bad}{suffix}")
            assert response.status_code == 404, (bad, suffix, response.text)
    listing = (await rapi.get("/api/recordings")).json()["recordings"]
    assert [r["id"] for r in listing] == [rid]

    kv = await bus.js.key_value(RECORDINGS_BUCKET)
    catalog = (await kv.get(rid)).value.decode()
    for where, text in [
        ("file name", rec["file_name"]),
        ("catalog", catalog),
        ("files", " ".join(p.name for p in recorders.root.rglob("*"))),
        ("logs", caplog.text),
        ("api", str(listing)),
    ]:
        assert SECRET not in text, f"password in {where}"


async def test_delete_while_recording_is_409(
    rapi: httpx.AsyncClient, recorders: Recorders, bus: Bus
) -> None:
    with MjpegCamera(frame_count=5, width=320, height=240) as camera:
        session = await open_session(rapi, camera.url)
        rec = (await rapi.post(f"/api/sessions/{session['id']}/recordings", json={})).json()
        await wait_recorded(bus, rec["id"], 2)
        refused = await rapi.delete(f"/api/recordings/{rec['id']}")
        assert refused.status_code == 409 and "stop it first" in refused.json()["message"]
        # closing the session stops its recording first: a valid, stopped file
        assert (await rapi.delete(f"/api/sessions/{session['id']}")).status_code == 204
        done = await wait_for(rapi, rec["id"], TERMINAL, 20)
    assert done["state"] == "stopped" and done["end_reason"] == "the session was closed"
    assert (recorders.root / done["file_name"]).stat().st_size > 0


@pytest.mark.parametrize(
    "body",
    [
        {"duration_s": 0},
        {"duration_s": -5},
        {"duration_s": 86401},
        {"duration_s": "long"},
        {"x": 1},
    ],
)
async def test_bad_durations_are_422(rapi: httpx.AsyncClient, body: dict[str, object]) -> None:
    response = await rapi.post("/api/sessions/0123456789ab/recordings", json=body)
    assert response.status_code == 422 and response.json()["code"] == "invalid_request"


async def test_unknown_session_is_404(rapi: httpx.AsyncClient) -> None:
    response = await rapi.post("/api/sessions/0123456789ab/recordings", json={"duration_s": 60})
    assert response.status_code == 404
    assert response.json()["message"] == "no session 0123456789ab"
