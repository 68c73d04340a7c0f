"""The api's in-memory copy of a KV bucket (camrec_api.mirror) on a real nats-server: it
follows puts and deletes, skips values it can't read without logging them, trails a write
by milliseconds, answers 503 at once while NATS is away (never what it held before) and is
current again as soon as NATS is back."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator

import httpx
import pytest
from nats.js.api import KeyValueConfig
from pydantic import BaseModel, ConfigDict

from camrec_api.app import create_app
from camrec_api.mirror import SYNC_WAIT_S, BucketMirror
from camrec_api.settings import ApiSettings
from camrec_contracts.events import utcnow
from camrec_contracts.jetstream import LIMITS_BUCKET, SESSIONS_BUCKET
from camrec_contracts.sessions import (
    SESSION_LIMIT_KEY,
    Session,
    SessionLimit,
    SessionRecord,
    VideoInfo,
)
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.natsd import NatsServerConfig
from camrec_runtime.bus import Bus, connect
from camrec_runtime.kvstore import ModelStore, open_bucket
from tests.fixtures.nats import RestartableNats
from tests.polling import poll

SECRET = "M1rror-s3cret"

NATS_BACK_S = 3.0
"""After NATS is back, reads are current within this: the mirror is reloaded on the first
read after the reconnect (~10 ms here). Without that its consumer, lost with the server,
would be replaced by nats-py only after two missed 5 s heartbeats: 10 s or more."""


@pytest.fixture
def nats_server(restartable_nats: RestartableNats) -> NatsServerConfig:
    """Every fixture of this module (bus, ...) talks to a server the tests can restart."""
    return restartable_nats.cfg


@pytest.fixture
async def writer(nats_settings: CamrecSettings) -> AsyncIterator[Bus]:
    """A second connection, writing as a service would."""
    b = await connect(nats_settings, "camrec-test-writer")
    try:
        yield b
    finally:
        await b.close()


class Thing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str


async def test_mirror_follows_puts_and_deletes(
    bus: Bus, writer: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    config = KeyValueConfig(bucket="camrec-test-things", history=1)
    kv = await writer.js.create_key_value(config)
    await kv.put("a", b'{"name": "a"}')
    await kv.put("gone", b'{"name": "gone"}')
    await kv.delete("gone")
    await kv.put("bad", b'{"name": "bad", "password": "' + SECRET.encode() + b'"}')
    mirror = BucketMirror(bus, "camrec-test-things", Thing.model_validate_json)
    try:
        values, _ = await mirror.values()
        assert dict(values) == {"a": Thing(name="a")}
        assert "camrec-test-things: ignoring bad" in caplog.text
        assert SECRET not in caplog.text  # the reason names the field, never the value

        # how far the mirror trails a write made on another connection
        lags = []
        for i in range(200):
            began = time.monotonic()
            await kv.put(f"k{i}", f'{{"name": "{i}"}}'.encode())
            while f"k{i}" not in (await mirror.values())[0]:
                await asyncio.sleep(0)
            lags.append(time.monotonic() - began)
        await kv.delete("a")
        await mirror.sync()  # a barrier: the delete is in when it returns
        values, _ = await mirror.values()
        assert "a" not in values and len(values) == 200
        fresh = BucketMirror(bus, "camrec-test-things", Thing.model_validate_json)
        began = time.monotonic()
        assert len((await fresh.values())[0]) == 200
        print(f"\na mirror of 200 values loaded in {1000 * (time.monotonic() - began):.1f} ms")
        await fresh.stop()
    finally:
        await mirror.stop()
    ms = sorted(1000 * lag for lag in lags)
    p50, p99 = statistics.median(ms), ms[int(0.99 * len(ms))]
    print(f"\nmirror trails a put (ack to mirror) by p50 {p50:.2f} ms, p99 {p99:.2f} ms")
    assert p99 < 1000 * SYNC_WAIT_S  # sync() would wait for it


async def test_reads_while_nats_is_away_and_after(
    restartable_nats: RestartableNats, bus: Bus, writer: Bus, nats_settings: CamrecSettings
) -> None:
    sessions = ModelStore(await open_bucket(writer.js, SESSIONS_BUCKET), SessionRecord)
    limits = ModelStore(await open_bucket(writer.js, LIMITS_BUCKET), SessionLimit)
    await limits.put(SESSION_LIMIT_KEY, SessionLimit(max_sessions=2))
    first = _record("0123456789ab")
    await sessions.put(first.session.id, first)
    app = create_app(ApiSettings(nats_url=nats_settings.nats_url), bus)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://a") as api:
        listed = await api.get("/api/sessions")
        assert listed.json() == {"sessions": [first.session.model_dump(mode="json")], "limit": 2}
        assert SECRET not in listed.text

        async def gone() -> bool:
            return not bus.connected

        async def back() -> bool:
            return bus.connected and writer.connected

        await asyncio.to_thread(restartable_nats.stop)
        await poll(gone, 5, "the api to notice NATS is gone")
        for path in [
            "/api/sessions",
            "/api/sessions/0123456789ab",
            "/api/recordings",
            "/api/recordings/0123456789ab",
        ]:
            asked = time.monotonic()
            read = await api.get(path)
            took = time.monotonic() - asked
            assert read.status_code == 503, (path, read.text)
            assert read.json() == {"code": "unavailable", "message": _UNREACHABLE}, path
            assert took < 1, f"{path}: {took:.2f} s"  # at once, not after a request time-out

        await asyncio.to_thread(restartable_nats.start)
        await poll(back, 10, "both connections back")
        second = _record("ba9876543210")
        await sessions.delete(first.session.id)
        await sessions.put(second.session.id, second)
        written = time.monotonic()

        async def current() -> bool:
            listed = await api.get("/api/sessions")
            ids = [s["id"] for s in listed.json().get("sessions", [])]
            return listed.status_code == 200 and ids == [second.session.id]

        took = await poll(current, NATS_BACK_S, "the list to show what was written after")
        print(f"\nafter NATS came back, a write was read {time.monotonic() - written:.3f} s later")
        assert (await api.get("/api/sessions/0123456789ab")).status_code == 404
        assert took < NATS_BACK_S


_UNREACHABLE = "NATS is unreachable (the api reconnects by itself)"


def _record(session_id: str) -> SessionRecord:
    session = Session(
        id=session_id,
        name="gate",
        url="rtsp://***@cam.local/live",
        source_kind="rtsp",
        relay="mediamtx",
        relay_url=f"rtsp://127.0.0.1:8554/camrec-{session_id}",
        state="ready",
        video=VideoInfo(codec="h264", width=640, height=360, fps=25.0),
        audio=None,
        created_at=utcnow(),
    )
    return SessionRecord(
        session=session,
        source_url=f"rtsp://admin:{SECRET}@cam.local/live",
        relay_path=f"camrec-{session_id}",
        slot="slot-1",
    )
