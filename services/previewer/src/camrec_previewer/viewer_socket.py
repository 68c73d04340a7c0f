"""One viewer's WebSocket: what its viewer has waiting (JPEGs, or H.264 units and their
decoder configuration) as fast as the socket takes it, status messages on every change and
every couple of seconds, a clean close when the session ends."""

from __future__ import annotations

import asyncio
import contextlib
import time

from starlette.websockets import WebSocket, WebSocketDisconnect

from camrec_contracts.previews import CLOSE_NORMAL, STATUS_INTERVAL_S
from camrec_runtime.websockets import drain_incoming

from .session_preview import SessionPreview
from .viewers import Viewer


async def serve_viewer(ws: WebSocket, preview: SessionPreview, viewer: Viewer) -> None:
    """Run until the viewer leaves or the session ends."""
    sender = asyncio.create_task(_send(ws, preview, viewer))
    receiver = asyncio.create_task(drain_incoming(ws))
    try:
        await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sender, receiver):
            task.cancel()
        for task in (sender, receiver):
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task


async def _send(ws: WebSocket, preview: SessionPreview, viewer: Viewer) -> None:
    sent_version = -1
    last_at = 0.0
    while True:
        now = time.monotonic()
        if preview.status_version != sent_version or now - last_at >= STATUS_INTERVAL_S:
            sent_version = preview.status_version
            status = preview.status()  # built only when it is sent, not per frame
            await ws.send_text(status.model_dump_json(exclude_none=True))
            last_at = now
            if status.state == "ended":
                await ws.close(CLOSE_NORMAL, (status.reason or "ended")[:120])
                return
        message = viewer.take()
        if isinstance(message, str):
            await ws.send_text(message)  # an H.264 viewer's decoder configuration
            continue
        if message is not None:
            await ws.send_bytes(message)
            preview.sent(viewer)
            continue
        viewer.wake.clear()
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for makes a task per wait, and an
        # H.264 viewer waits once per unit (25 a second).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(0.0, last_at + STATUS_INTERVAL_S - time.monotonic())):
                await viewer.wake.wait()
