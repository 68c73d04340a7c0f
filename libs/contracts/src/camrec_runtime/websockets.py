"""What the api's and the previewer's WebSockets share: their clients send nothing they use,
and reading anyway is how a server notices a client's close (and its own shutdown)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class Receiving(Protocol):
    """An ASGI WebSocket as Starlette's ``WebSocket`` reads one (no Starlette import here)."""

    async def receive(self) -> Mapping[str, Any]: ...


async def drain_incoming(ws: Receiving) -> None:
    """Read and drop what the client sends, until it disconnects."""
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
