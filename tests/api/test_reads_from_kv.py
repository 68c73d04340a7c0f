"""Reads that need no worker: with every proxy and recorder stopped, the api still lists and
gets sessions and recordings, and serves files and thumbnails, from the KV buckets; what needs
a worker (open, close, start, stop, delete) answers 503 as before. The replies are the ones
the services gave, and no camera password is in any of them.

And a read right after a write sees it, even while the api's copy of the catalog lags: the
lag is made real by pausing the api's KV consumer on the server (consumer pause)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from camrec_api.app import create_app
from camrec_api.mirror import SYNC_WAIT_S
from camrec_api.settings import ApiSettings
from camrec_contracts.jetstream import RECORDINGS_BUCKET, SESSIONS_BUCKET
from camrec_contracts.recordings import (
    LIST_RECORDINGS,
    STOP_RECORDING,
    ListRecordingsRequest,
    RecordingRef,
)
from camrec_contracts.services import PROXY, RECORDER
from camrec_contracts.sessions import LIST_SESSIONS, ListSessionsRequest
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_runtime.bus import Bus
from camrec_runtime.ping import ping_service
from camrec_runtime.rpc import call
from tests.fixtures.api_server import api_on_uvicorn
from tests.fixtures.proxy import Proxies
from tests.recordings.conftest import (
    Recorders,
    open_session,
    rapi,
    recorders,
    wait_for,
    wait_recorded,
)

__all__ = ["rapi", "recorders"]

SECRET = "Kv-r3ads-s3cret"


def assert_read_after(stop_reply: dict[str, Any], read: dict[str, Any]) -> None:
    """A read right after a stop shows what the stop answered, or the final record that
    followed it (``finalizing`` when the finish takes longer than half a second)."""
    assert stop_reply["state"] in ("finalizing", "stopped"), stop_reply
    if read["state"] != stop_reply["state"]:
        assert (stop_reply["state"], read["state"]) == ("finalizing", "stopped"), read
    else:
        assert read == stop_reply


async def test_reads_answer_with_every_worker_down(
    rapi: httpx.AsyncClient, proxies: Proxies, recorders: Recorders, bus: Bus
) -> None:
    replies: list[str] = []  # every api reply body, searched for the password at the end
    with MjpegCamera(password=SECRET, frame_count=5, width=320, height=240) as camera:
        url = f"http://admin:{SECRET}@127.0.0.1:{camera.port}/auth/stream.mjpeg"
        session = await open_session(rapi, url, "yard")
        sid = session["id"]
        got = await rapi.get(f"/api/sessions/{sid}")  # read right after the open
        assert got.status_code == 200, got.text
        rids = []
        for _ in range(2):
            started = await rapi.post(f"/api/sessions/{sid}/recordings", json={})
            assert started.status_code == 202, started.text
            rid = started.json()["id"]
            got = await rapi.get(f"/api/recordings/{rid}")  # read right after the start
            assert got.status_code == 200, got.text
            await wait_recorded(bus, rid, 1)
            stopped = await rapi.post(f"/api/recordings/{rid}/stop")
            assert stopped.status_code == 200, stopped.text
            got = await rapi.get(f"/api/recordings/{rid}")  # read right after the stop
            assert_read_after(stopped.json(), got.json())
            replies += [started.text, stopped.text]
            rids.append(rid)
            await wait_for(rapi, rid, {"stopped"}, 30)  # its finish may follow the reply

        # what the services answer, while they run
        by_proxy = (await call(bus.nc, LIST_SESSIONS, ListSessionsRequest())).model_dump(
            mode="json"
        )
        by_recorder = (await call(bus.nc, LIST_RECORDINGS, ListRecordingsRequest())).model_dump(
            mode="json"
        )
        assert by_proxy["limit"] == proxies.settings.max_sessions
        assert [r["id"] for r in by_recorder["recordings"]] == rids[::-1]  # newest first

        # -- no recorder: recordings, files and thumbnails read as before ----------------
        await recorders.group.stop_all()
        assert await ping_service(bus.nc, RECORDER, timeout_s=0.5) == []
        listed = await rapi.get("/api/recordings")
        assert listed.status_code == 200, listed.text
        assert listed.json() == by_recorder
        replies.append(listed.text)
        for rec in by_recorder["recordings"]:
            got = await rapi.get(f"/api/recordings/{rec['id']}")
            assert got.status_code == 200 and got.json() == rec
            data = (recorders.root / rec["file_name"]).read_bytes()
            whole = await rapi.get(f"/api/recordings/{rec['id']}/file")
            assert whole.status_code == 200 and whole.content == data
            assert whole.headers["content-type"] == "video/mp4"
            part = await rapi.get(
                f"/api/recordings/{rec['id']}/file", headers={"Range": "bytes=10-1009"}
            )
            assert part.status_code == 206 and part.content == data[10:1010]
            assert part.headers["content-range"] == f"bytes 10-1009/{len(data)}"
            assert rec["has_thumbnail"]
            thumb = await rapi.get(f"/api/recordings/{rec['id']}/thumbnail")
            assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
            jpeg = recorders.root / ".thumbnails" / f"{rec['id']}.jpg"
            assert thumb.content == jpeg.read_bytes()
        rid = rids[0]
        await _refused(
            rapi,
            RECORDER,
            [
                ("POST", f"/api/sessions/{sid}/recordings", {}),
                ("POST", f"/api/recordings/{rid}/stop", None),
                ("DELETE", f"/api/recordings/{rid}", None),
            ],
        )

        # -- no proxy either: sessions read from KV ----------------------------------------
        await proxies.stop_all()
        assert await ping_service(bus.nc, PROXY, timeout_s=0.5) == []
        listed = await rapi.get("/api/sessions")
        assert listed.status_code == 200, listed.text
        assert listed.json() == by_proxy
        got = await rapi.get(f"/api/sessions/{sid}")
        assert got.status_code == 200 and got.json() == by_proxy["sessions"][0]
        replies += [listed.text, got.text]
        await _refused(
            rapi,
            PROXY,
            [
                ("POST", "/api/sessions", {"url": "rtsp://cam.local/live"}),
                ("DELETE", f"/api/sessions/{sid}", None),
            ],
        )

        # -- the same 404s as the services ---------------------------------------------------
        for path, message in [
            ("/api/sessions/0123456789ab", "no session 0123456789ab"),
            ("/api/sessions/ABC", "no session 'ABC'"),
            ("/api/recordings/0123456789ab", "no recording 0123456789ab"),
            ("/api/recordings/0123456789ab/file", "no recording 0123456789ab"),
            ("/api/recordings/0123456789ab/thumbnail", "no recording 0123456789ab"),
            ("/api/recordings/ABC/file", "no recording 'ABC'"),
        ]:
            missing = await rapi.get(path)
            assert missing.status_code == 404, (path, missing.text)
            assert missing.json() == {"code": "not_found", "message": message}, path

    # the credentials are in KV (so the check below means something), in no reply
    kv = await bus.js.key_value(SESSIONS_BUCKET)
    assert SECRET in (await kv.get(sid)).value.decode()
    for text in replies:
        assert SECRET not in text


async def _refused(
    api: httpx.AsyncClient, service: str, calls: list[tuple[str, str, dict[str, str] | None]]
) -> None:
    """What needs a worker answers 503 at once, naming the service that is missing."""
    for method, path, body in calls:
        refused = await api.request(method, path, json=body)
        assert refused.status_code == 503, (path, refused.text)
        assert refused.json()["code"] == "unavailable"
        assert f"no {service} is running" in refused.json()["message"], path


HOLD_S = 1.0
"""How long the api's KV consumer is paused for the read-your-writes checks: some 200x the
~5 ms (p99) the mirror trails a write (tests/api/test_kv_mirror.py prints it), and under
SYNC_WAIT_S, so the api waits for the write rather than reloading."""


@pytest.fixture
async def served(
    bus: Bus, nats_settings: CamrecSettings, proxies: Proxies, recorders: Recorders
) -> AsyncIterator[str]:
    """Proxy, recorder w1 and the api on a real uvicorn (for its events WebSocket)."""
    await proxies.start()
    await recorders.start("w1")
    settings = ApiSettings(nats_url=nats_settings.nats_url, recordings_dir=recorders.root)
    async with api_on_uvicorn(create_app(settings, bus)) as where:
        yield where


async def hold_catalog(bus: Bus, seconds: float) -> None:
    """Pause the api's consumer of the recordings bucket (its only one) on the server."""
    stream = f"KV_{RECORDINGS_BUCKET}"
    consumers = await bus.js.consumers_info(stream)
    assert len(consumers) == 1, "one consumer per bucket, however many reads"
    until = (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()
    subject = f"$JS.API.CONSUMER.PAUSE.{stream}.{consumers[0].name}"
    reply = await bus.nc.request(subject, json.dumps({"pause_until": until}).encode(), 2)
    assert json.loads(reply.data).get("paused") is True, reply.data


async def next_event(ws: ClientConnection, kind: str, rid: str) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), 20))
        event = message.get("event") or {}
        if event.get("recording_id") == rid and event.get("event") == kind:
            return dict(event)


async def test_a_read_after_a_write_sees_it_while_the_catalog_lags(
    served: str, bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="camrec_api.mirror")
    with MjpegCamera(frame_count=5, width=320, height=240) as camera:
        await _reads_follow_writes(served, bus, camera.url)
    assert "reloading" in caplog.text


async def _reads_follow_writes(served: str, bus: Bus, camera_url: str) -> None:
    async with (
        httpx.AsyncClient(base_url=f"http://{served}", timeout=30) as api,
        connect(f"ws://{served}/api/events") as ws,
    ):
        assert json.loads(await ws.recv())["type"] == "hello"
        session = await open_session(api, camera_url, "porch")
        for _ in range(100):
            assert (await api.get("/api/recordings")).status_code == 200

        # a start through the api, then a get: the api answered the start once its copy had it
        await hold_catalog(bus, HOLD_S)
        began = time.monotonic()
        started = await api.post(f"/api/sessions/{session['id']}/recordings", json={})
        assert started.status_code == 202, started.text
        took = time.monotonic() - began
        rid = started.json()["id"]
        got = await api.get(f"/api/recordings/{rid}")
        assert got.status_code == 200, got.text
        print(f"\nstart with the catalog held {HOLD_S} s: answered in {took:.2f} s")

        # a stop made past the api (NATS CLI, another client), the catalog held for longer
        # than the api waits (the stop itself takes ~1 s): the event comes once the api's
        # copy has the write it announces - after SYNC_WAIT_S it reads the bucket again with
        # a new consumer - so the page's refetch on that event reads the new state
        await next_event(ws, "started", rid)
        await wait_recorded(bus, rid, 1)
        await hold_catalog(bus, 10 * SYNC_WAIT_S)
        final = await call(bus.nc, STOP_RECORDING, RecordingRef(id=rid))
        assert final.state in ("finalizing", "stopped"), final
        await next_event(ws, "stopped", rid)
        got = await api.get(f"/api/recordings/{rid}")
        assert got.json()["state"] == "stopped", got.text

        # the same through the api: its reply waits for its copy, or reads it again
        started = await api.post(f"/api/sessions/{session['id']}/recordings", json={})
        rid = started.json()["id"]
        await wait_recorded(bus, rid, 1)
        await hold_catalog(bus, 10 * SYNC_WAIT_S)
        began = time.monotonic()
        stopped = await api.post(f"/api/recordings/{rid}/stop")
        took = time.monotonic() - began
        assert stopped.status_code == 200, stopped.text
        got = await api.get(f"/api/recordings/{rid}")
        assert_read_after(stopped.json(), got.json())
        assert SYNC_WAIT_S <= took < 10 * SYNC_WAIT_S, took
