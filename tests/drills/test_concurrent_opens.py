"""Drill: 20 concurrent opens through the api against two proxy instances with a limit of 3.
Exactly 3 are admitted, the other 17 are refused with ``limit_reached``; the relay and the
admission bucket hold exactly the admitted sessions, and closing them leaves nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import httpx
import pytest

from camrec_contracts.jetstream import ADMISSION_BUCKET, SESSIONS_BUCKET
from camrec_contracts.services import PROXY
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_runtime.bus import Bus
from camrec_runtime.ping import ping_service
from tests.fixtures.nats import kv_keys
from tests.fixtures.proxy import Proxies, RelayStreams

pytestmark = pytest.mark.xdist_group("drills")

OPENS = 20
LIMIT = 3


async def admission_holders(bus: Bus) -> dict[str, str]:
    """slot -> the session id holding it."""
    kv = await bus.js.key_value(ADMISSION_BUCKET)
    held = {}
    for key in await kv_keys(bus, ADMISSION_BUCKET):
        entry = await kv.get(key)
        held[key] = json.loads(entry.value or b"{}")["session_id"]
    return held


async def test_twenty_concurrent_opens_two_proxies_admit_exactly_three(
    api: httpx.AsyncClient,
    proxies: Proxies,
    bus: Bus,
    mjpeg_camera: MjpegCamera,
    relay_streams: RelayStreams,
) -> None:
    assert proxies.settings.max_sessions == LIMIT
    await proxies.start()  # a second instance beside the api fixture's
    assert len(await ping_service(bus.nc, PROXY)) == 2

    asked = time.monotonic()
    responses = await asyncio.gather(
        *(
            api.post("/api/sessions", json={"url": mjpeg_camera.url, "name": f"c{i}"})
            for i in range(OPENS)
        )
    )
    print(f"\n{OPENS} concurrent opens answered in {time.monotonic() - asked:.2f} s")
    assert Counter(r.status_code for r in responses) == {201: LIMIT, 400: OPENS - LIMIT}, [
        (r.status_code, r.text) for r in responses if r.status_code not in (201, 400)
    ]
    for r in responses:
        if r.status_code == 400:
            body = r.json()
            assert body["code"] == "limit_reached", body
            assert body["message"] == f"{LIMIT} sessions already open (max {LIMIT})", body
    admitted = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(admitted) == LIMIT
    assert all(r.json()["state"] == "ready" for r in responses if r.status_code == 201)

    # exactly the admitted sessions hold a relay path, a slot and a record
    assert await relay_streams() == {f"camrec-{sid}" for sid in admitted}
    holders = await admission_holders(bus)
    assert len(holders) == LIMIT and set(holders.values()) == admitted, holders
    assert set(await kv_keys(bus, SESSIONS_BUCKET)) == admitted
    listed = (await api.get("/api/sessions")).json()
    assert {s["id"] for s in listed["sessions"]} == admitted and listed["limit"] == LIMIT

    # closing them (at once, too) leaves no relay path, no slot and no record
    closed = await asyncio.gather(*(api.delete(f"/api/sessions/{sid}") for sid in admitted))
    assert [r.status_code for r in closed] == [204] * LIMIT
    assert await relay_streams() == set()
    assert await kv_keys(bus, ADMISSION_BUCKET) == []
    assert await kv_keys(bus, SESSIONS_BUCKET) == []
    assert (await api.get("/api/sessions")).json()["sessions"] == []
