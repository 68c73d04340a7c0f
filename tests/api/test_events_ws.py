"""GET /api/events: camrec.events.> over WebSocket, served by a real uvicorn on a real NATS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from camrec_api import events as events_module
from camrec_api.app import create_app
from camrec_api.settings import ApiSettings
from camrec_contracts import __version__
from camrec_contracts.sessions import SESSION_EVENTS, SessionEvent
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.procs import free_port
from camrec_runtime.bus import Bus
from tests.fixtures.api_server import api_on_uvicorn
from tests.polling import poll

SESSION_ID = "0123456789ab"


@pytest.fixture
async def ws_url(bus: Bus, nats_settings: CamrecSettings) -> AsyncIterator[str]:
    """The api on a real uvicorn; yields its events URL."""
    app = create_app(ApiSettings(nats_url=nats_settings.nats_url), bus)
    async with api_on_uvicorn(app) as where:
        yield f"ws://{where}/api/events"


async def recv_json(ws: ClientConnection, timeout_s: float = 5) -> dict[str, Any]:
    message = await asyncio.wait_for(ws.recv(), timeout_s)
    assert isinstance(message, str), "events are JSON text frames"
    return dict(json.loads(message))


async def hello(ws: ClientConnection) -> None:
    assert await recv_json(ws) == {"type": "hello", "version": __version__}


def opened_event() -> SessionEvent:
    return SessionEvent(event="opened", session_id=SESSION_ID, url="rtsp://***@cam/x")


async def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """:func:`tests.polling.poll` on a plain condition."""

    async def check() -> bool:
        return condition()

    await poll(check, timeout_s, what)


def subscriptions(bus: Bus) -> int:
    return len(bus.nc._subs)


async def test_hello_then_a_published_event(ws_url: str, bus: Bus) -> None:
    async with connect(ws_url) as ws:
        await hello(ws)  # the subscription is live once hello arrives
        sent = opened_event()
        await bus.events.publish(SESSION_EVENTS, SESSION_ID, sent)
        message = await recv_json(ws)
    assert message["type"] == "event"
    assert message["subject"] == f"camrec.events.sessions.{SESSION_ID}"
    event = message["event"]
    assert event["event"] == "opened"
    assert event["session_id"] == SESSION_ID
    assert event["url"] == "rtsp://***@cam/x"
    assert event["name"] is None and event["reason"] is None
    assert SessionEvent.model_validate(event) == sent  # `at` round-trips too


async def test_client_leaving_unsubscribes_from_nats(ws_url: str, bus: Bus) -> None:
    before = subscriptions(bus)
    async with connect(ws_url) as ws:
        await hello(ws)
        assert subscriptions(bus) == before + 1
    await wait_until(lambda: subscriptions(bus) == before, 5, "the NATS subscription to go")


async def test_two_clients_get_the_same_event(ws_url: str, bus: Bus) -> None:
    async with connect(ws_url) as first, connect(ws_url) as second:
        await hello(first)
        await hello(second)
        await bus.events.publish(SESSION_EVENTS, SESSION_ID, opened_event())
        got = [await recv_json(first), await recv_json(second)]
    assert got[0] == got[1]
    assert got[0]["subject"] == f"camrec.events.sessions.{SESSION_ID}"
    assert got[0]["event"]["session_id"] == SESSION_ID


async def test_client_too_slow_is_closed_with_1013(
    ws_url: str, bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events_module, "QUEUE_SIZE", 2)
    before = subscriptions(bus)
    async with connect(ws_url) as ws:
        await hello(ws)
        # Core publishes in one burst: the NATS callback queues them faster than the socket
        # sends them, so a queue of two overflows.
        data = opened_event().model_dump_json().encode()
        for _ in range(500):
            await bus.nc.publish(SESSION_EVENTS.subject(SESSION_ID), data)
        await bus.nc.flush()
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1013
        assert ws.close_reason is not None and ws.close_reason.startswith("too slow")
    await wait_until(lambda: subscriptions(bus) == before, 5, "the NATS subscription to go")


async def test_nats_gone_closes_with_1011(ws_url: str, bus: Bus) -> None:
    await bus.nc.close()
    async with connect(ws_url) as ws:
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 5)
        assert ws.close_code == 1011
        assert ws.close_reason == "NATS unavailable"


async def test_server_shutdown_unsubscribes(bus: Bus, nats_settings: CamrecSettings) -> None:
    port = free_port()
    app = create_app(ApiSettings(nats_url=nats_settings.nats_url), bus)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    await wait_until(lambda: bool(server.started), 10, "uvicorn to start")
    before = subscriptions(bus)
    async with connect(f"ws://127.0.0.1:{port}/api/events") as ws:
        await hello(ws)
        assert subscriptions(bus) == before + 1
        server.should_exit = True
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
        assert ws.close_code == 1012
    await asyncio.wait_for(task, 10)
    await wait_until(lambda: subscriptions(bus) == before, 5, "the NATS subscription to go")
