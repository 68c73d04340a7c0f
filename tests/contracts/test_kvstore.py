"""ModelStore on a real JetStream KV bucket: listing creates no consumers, even when it is
asked many times at once (a watcher per list hit the server's consumer limit at 100/s)."""

from __future__ import annotations

import asyncio

from nats.js.api import KeyValueConfig
from pydantic import BaseModel

from camrec_runtime.bus import Bus
from camrec_runtime.kvstore import Bucket, ModelStore


class Thing(BaseModel):
    name: str


async def test_all_skips_deleted_keys_and_creates_no_consumers(bus: Bus) -> None:
    kv = await bus.js.create_key_value(KeyValueConfig(bucket="camrec-test-things", history=1))
    store = ModelStore(Bucket(bus.js, "camrec-test-things", kv), Thing)
    assert await store.all() == []
    for name in ("a", "b", "c"):
        await store.put(name, Thing(name=name))
    await store.delete("b")
    assert await store.keys() == ["a", "b", "c"]  # b keeps its delete marker
    assert [t.name for t in await store.all()] == ["a", "c"]

    results = await asyncio.gather(*(store.all() for _ in range(300)))
    assert all([t.name for t in r] == ["a", "c"] for r in results)
    info = await bus.js.stream_info("KV_camrec-test-things")
    assert info.state.consumer_count == 0
