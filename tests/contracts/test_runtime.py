"""A service run by the runtime: micro discovery, events, JetStream, clean stop."""

from __future__ import annotations

import asyncio

from nats.js.api import StorageType, StreamConfig

from camrec_contracts.events import SERVICE_EVENTS, ServiceEvent
from camrec_contracts.jetstream import (
    EVENTS_MAX_AGE_S,
    EVENTS_PER_SUBJECT,
    EVENTS_STREAM,
    EVENTS_SUBJECTS,
    RECORDINGS_BUCKET,
    SESSIONS_BUCKET,
)
from camrec_contracts.services import PROXY
from camrec_contracts.settings import CamrecSettings
from camrec_runtime.bus import Bus, connect
from camrec_runtime.events import subscribe_events
from camrec_runtime.jetstream import ensure_jetstream
from camrec_runtime.lifecycle import Worker, serve
from camrec_runtime.ping import ping_service


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


async def test_the_events_stream_keeps_the_last_events_of_each_subject(
    nats_settings: CamrecSettings,
) -> None:
    """A stream made by an older camrec (no per-subject cap) takes the cap at the next
    start, and a recording's heartbeats no longer pile up: 100 events on one subject leave
    the last 16, while another subject keeps its own."""
    bus = await connect(nats_settings, "old")
    try:
        await bus.js.delete_stream(EVENTS_STREAM)
        await bus.js.add_stream(
            StreamConfig(
                name=EVENTS_STREAM,
                subjects=[EVENTS_SUBJECTS],
                storage=StorageType.FILE,
                max_age=EVENTS_MAX_AGE_S,
            )
        )
        await ensure_jetstream(bus.js)
        info = await bus.js.stream_info(EVENTS_STREAM)
        assert info.config.max_msgs_per_subject == EVENTS_PER_SUBJECT
        for n in range(100):
            await bus.js.publish("camrec.events.recordings.a", str(n).encode())
        await bus.js.publish("camrec.events.recordings.b", b"b")
        info = await bus.js.stream_info(EVENTS_STREAM)
        assert info.state.messages == EVENTS_PER_SUBJECT + 1
        last = await bus.js.get_last_msg(EVENTS_STREAM, "camrec.events.recordings.a")
        assert last.data == b"99"
    finally:
        await bus.close()


async def test_connect_gives_up_with_clear_error() -> None:
    settings = CamrecSettings(nats_url="nats://127.0.0.1:1", nats_connect_wait_s=0.5)
    try:
        await connect(settings, "camrec-test")
    except ConnectionError as error:
        assert "cannot reach NATS at nats://127.0.0.1:1" in str(error)
    else:
        raise AssertionError("connect() should have failed")
