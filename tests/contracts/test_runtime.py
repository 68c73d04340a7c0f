"""A service run by the runtime: micro discovery, events, JetStream, clean stop."""

from __future__ import annotations

import asyncio

from camrec_contracts.bus import Bus, connect
from camrec_contracts.events import SERVICE_EVENTS, ServiceEvent, subscribe_events
from camrec_contracts.jetstream import EVENTS_STREAM, RECORDINGS_BUCKET, SESSIONS_BUCKET
from camrec_contracts.runtime import Worker, serve
from camrec_contracts.services import PROXY, ping_service
from camrec_contracts.settings import CamrecSettings


async def test_service_answers_ping_and_announces_itself(
    bus: Bus, nats_settings: CamrecSettings
) -> None:
    seen: list[ServiceEvent] = []
    got_started = asyncio.Event()
    stopped_children = asyncio.Event()

    async def on_event(subject: str, event: object) -> None:
        assert isinstance(event, ServiceEvent)
        seen.append(event)
        got_started.set()

    await subscribe_events(bus.nc, on_event, SERVICE_EVENTS.wildcard)

    async def make_worker(_: Bus) -> Worker:
        async def stop() -> None:
            stopped_children.set()

        return Worker(stop=stop)

    stop = asyncio.Event()
    task = asyncio.create_task(serve(PROXY, nats_settings, make_worker, stop))
    await asyncio.wait_for(got_started.wait(), 10)
    answers = await ping_service(bus.nc, PROXY)
    assert [a.name for a in answers] == [PROXY]

    stop.set()
    await asyncio.wait_for(task, 10)
    assert stopped_children.is_set()
    assert await ping_service(bus.nc, PROXY, timeout_s=0.5) == []
    info = await bus.js.stream_info(EVENTS_STREAM)
    assert info.state.messages == 2  # started + stopped, kept in the stream
    assert [e.event for e in seen] == ["started", "stopped"]
    assert seen[0].instance == answers[0].id


async def test_ensure_jetstream_is_idempotent(nats_settings: CamrecSettings) -> None:
    first = await connect(nats_settings, "a")
    second = await connect(nats_settings, "b")  # creates the same stream and buckets again
    try:
        for bucket in (SESSIONS_BUCKET, RECORDINGS_BUCKET):
            kv = await second.js.key_value(bucket)
            await kv.put("k", b"v")
            assert (await (await first.js.key_value(bucket)).get("k")).value == b"v"
    finally:
        await first.close()
        await second.close()


async def test_connect_gives_up_with_clear_error() -> None:
    settings = CamrecSettings(nats_url="nats://127.0.0.1:1", nats_connect_wait_s=0.5)
    try:
        await connect(settings, "camrec-test")
    except ConnectionError as error:
        assert "cannot reach NATS at nats://127.0.0.1:1" in str(error)
    else:
        raise AssertionError("connect() should have failed")
