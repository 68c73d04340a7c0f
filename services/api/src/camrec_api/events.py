"""``GET /api/events`` (WebSocket): live events from ``camrec.events.>`` for the browser.

Every message is one JSON text frame, server to client; whatever the client sends is read and
ignored. In order:

- once, when the NATS subscription is live::

      {"type": "hello", "version": "<camrec version>"}

- then one per event, in the order NATS delivers them::

      {"type": "event", "subject": "camrec.events.sessions.0123456789ab",
       "event": {"event": "opened", "at": "2025-01-01T12:00:00Z", "session_id": ..., ...}}

  ``subject`` is the NATS subject; ``event`` is the topic's event model as JSON
  (``model_dump(mode="json")``): always ``event`` (what happened) and ``at`` (when), plus the
  topic's own fields. Malformed events are dropped (and logged) before they get here.

Events are live only, with no history: a client that (re)connects should refetch the state it
shows (``/api/sessions``, ``/api/recordings``) after the hello and apply events from there on.
A session or recording event (``progress`` apart) is sent once the api's copy of the catalog
holds the write it follows, so a refetch it triggers reads the new state.

Close codes the client can see:

- 1011 ``NATS unavailable``: the api has no NATS connection; retry later.
- 1013 ``too slow: ...``: the client fell more than ``QUEUE_SIZE`` events behind; its events
  were dropped, so reconnect and refetch.
- 1012: the api is shutting down (sent by uvicorn).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from nats.aio.subscription import Subscription
from nats.errors import Error as NatsError

from camrec_contracts import __version__
from camrec_contracts.events import Event
from camrec_contracts.recordings import RECORDING_EVENTS, RecordingEvent
from camrec_contracts.sessions import SESSION_EVENTS
from camrec_runtime.bus import Bus
from camrec_runtime.events import subscribe_events
from camrec_runtime.websockets import drain_incoming

from .mirror import BucketMirror
from .reads import Reads

log = logging.getLogger(__name__)

router = APIRouter(tags=["events"])

QUEUE_SIZE = 1000
"""Events held per client; one more and the client is closed with 1013."""

CLOSE_INTERNAL_ERROR = 1011
CLOSE_TRY_AGAIN_LATER = 1013
NATS_UNAVAILABLE = "NATS unavailable"

SUBSCRIBE_TIMEOUT_S = 2
"""How long the subscription may take to reach the server before the client gets 1011."""
CLOSE_TIMEOUT_S = 2.0
"""How long a close may wait on a client whose socket is full; then the socket is dropped."""

Queued = tuple[str, Event]


@router.websocket("/api/events")
async def events(ws: WebSocket) -> None:
    """Bridge ``camrec.events.>`` to this WebSocket until the client or the api goes away."""
    await ws.accept()
    bus: Bus = ws.app.state.bus
    queue: asyncio.Queue[Queued] = asyncio.Queue(maxsize=QUEUE_SIZE)
    overflowed = asyncio.Event()

    async def on_event(subject: str, event: Event) -> None:
        # Runs in the NATS subscription's callback task: never wait here.
        if overflowed.is_set():
            return
        try:
            queue.put_nowait((subject, event))
        except asyncio.QueueFull:
            overflowed.set()

    sub: Subscription | None = None
    try:
        if bus.connected:
            sub = await subscribe_events(bus.nc, on_event)
            await bus.nc.flush(SUBSCRIBE_TIMEOUT_S)  # the server has it: "hello" means live
    except (NatsError, TimeoutError) as error:
        log.warning("events WebSocket: cannot subscribe to NATS: %s", error)
        await _unsubscribe(sub)
        sub = None
    if sub is None:
        await _close(ws, CLOSE_INTERNAL_ERROR, NATS_UNAVAILABLE)
        return
    try:
        await ws.send_json({"type": "hello", "version": __version__})
        await _pump(ws, queue, overflowed, ws.app.state.reads)
    except WebSocketDisconnect:
        pass
    finally:
        await _unsubscribe(sub)


async def _pump(
    ws: WebSocket, queue: asyncio.Queue[Queued], overflowed: asyncio.Event, reads: Reads
) -> None:
    """Send queued events until the client leaves, or close it with 1013 if it falls behind."""
    sender = asyncio.create_task(_send_events(ws, queue, reads))
    receiver = asyncio.create_task(drain_incoming(ws))
    slow = asyncio.create_task(overflowed.wait())
    tasks = (sender, receiver, slow)
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, OSError):
                await task  # a failure other than the client leaving is raised here
    if slow in done and receiver not in done:
        log.info("events WebSocket: client more than %d events behind; closing", queue.maxsize)
        reason = f"too slow: more than {queue.maxsize} events behind; reconnect and refetch"
        await _close(ws, CLOSE_TRY_AGAIN_LATER, reason)


async def _send_events(ws: WebSocket, queue: asyncio.Queue[Queued], reads: Reads) -> None:
    while True:
        subject, event = await queue.get()
        mirror = _catalog_of(subject, event, reads)
        if mirror is not None:
            await reads.after_write(mirror)
        message: dict[str, Any] = {
            "type": "event",
            "subject": subject,
            "event": event.model_dump(mode="json"),
        }
        await ws.send_json(message)


def _catalog_of(subject: str, event: Event, reads: Reads) -> BucketMirror[Any] | None:
    """The mirror whose KV write ``event`` follows (a client may refetch on it)."""
    if subject.startswith(f"{SESSION_EVENTS.prefix}."):
        return reads.sessions
    progress = isinstance(event, RecordingEvent) and event.event == "progress"
    if subject.startswith(f"{RECORDING_EVENTS.prefix}.") and not progress:
        return reads.recordings
    return None


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    """Close with ``code``; a client that left already or never reads is simply dropped."""
    with contextlib.suppress(WebSocketDisconnect, OSError, RuntimeError, TimeoutError):
        await asyncio.wait_for(ws.close(code, reason), CLOSE_TIMEOUT_S)


async def _unsubscribe(sub: Subscription | None) -> None:
    if sub is None:
        return
    with contextlib.suppress(NatsError):  # the connection is closing or closed: sub is gone too
        await sub.unsubscribe()
