"""A camera password never shows in logs, events, API responses or KV keys."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from camrec_contracts.jetstream import EVENTS_STREAM, SESSIONS_BUCKET
from camrec_contracts.sessions import SessionRecord
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_devstack.cameras.rtsp import H264_NOAUDIO, RtspCameras
from camrec_devstack.procs import free_port
from camrec_runtime.bus import Bus
from camrec_runtime.logs import FORMAT, RedactingFormatter
from tests.fixtures.nats import kv_keys

SECRET = "s3cr3t-Pa55"


async def stream_text(bus: Bus) -> str:
    """Every event in the events stream, as text."""
    info = await bus.js.stream_info(EVENTS_STREAM)
    texts = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        msg = await bus.js.get_msg(EVENTS_STREAM, seq)
        texts.append(f"{msg.subject} {msg.data.decode() if msg.data else ''}")
    return "\n".join(texts)


async def test_password_stays_in_the_kv_record_only(
    api: httpx.AsyncClient, bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.handler.setFormatter(RedactingFormatter(FORMAT))  # as every service logs
    with MjpegCamera(password=SECRET, frame_count=10) as camera:
        url = f"http://admin:{SECRET}@127.0.0.1:{camera.port}/auth/stream.mjpeg"
        opened = await api.post("/api/sessions", json={"url": url, "name": "door"})
        assert opened.status_code == 201, opened.text  # the relay did use the credentials
        session = opened.json()
        assert session["url"] == f"http://***@127.0.0.1:{camera.port}/auth/stream.mjpeg"
        sid = session["id"]
        answers = [
            opened.text,
            (await api.get(f"/api/sessions/{sid}")).text,
            (await api.get("/api/sessions")).text,
        ]
        # the KV record keeps it (to re-add the relay path) under a key that doesn't
        kv = await bus.js.key_value(SESSIONS_BUCKET)
        record = SessionRecord.model_validate_json((await kv.get(sid)).value)
        assert record.source_url == url
        keys = await kv_keys(bus, SESSIONS_BUCKET)
        answers.append((await api.delete(f"/api/sessions/{sid}")).text)

    # a failing open with credentials in the URL
    closed = f"rtsp://admin:{SECRET}@127.0.0.1:{free_port()}/live"
    failed = await api.post("/api/sessions", json={"url": closed})
    assert failed.status_code == 502
    answers.append(failed.text)

    events = await stream_text(bus)
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("camrec"))
    assert f"session {sid} ready: http://***@127.0.0.1" in caplog.text  # INFO per state change
    assert f"session {sid} closed" in caplog.text
    for where, text in [
        ("api", "\n".join(answers)),
        ("events", events),
        ("logs", caplog.text),
        ("our raw log records", ours),
        ("kv keys", " ".join(keys)),
    ]:
        assert SECRET not in text, f"password visible in {where}"
    for state in ("opened", "ready", "closing", "closed", "failed"):
        assert f'"event":"{state}"' in events


async def test_the_rtsp_relay_does_not_log_the_password(
    api: httpx.AsyncClient, rtsp_cameras: RtspCameras, tmp_path: Path
) -> None:
    """MediaMTX's own log (what ``docker compose logs mediamtx`` shows) names paths, not the
    camera URLs they pull."""
    url = rtsp_cameras.url(H264_NOAUDIO).replace("rtsp://", f"rtsp://admin:{SECRET}@")
    opened = await api.post("/api/sessions", json={"url": url})
    assert opened.status_code == 201, opened.text
    assert opened.json()["relay"] == "mediamtx"
    assert (await api.delete(f"/api/sessions/{opened.json()['id']}")).status_code == 204
    relay_log = (tmp_path / "mediamtx.log").read_text()  # the mediamtx_relay fixture's
    assert f"[path camrec-{opened.json()['id']}]" in relay_log
    assert SECRET not in relay_log
