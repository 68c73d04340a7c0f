"""A preview viewer for tests: connects like a browser would and keeps what arrives."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection, connect

from camrec_contracts.previews import PreviewConfig, PreviewStatus
from camrec_devstack.cameras.clock import Stamp, read_jpeg_stamp


@dataclass
class Received:
    at: float  # time.time() when it arrived
    data: bytes

    @cached_property
    def stamp(self) -> Stamp | None:
        return read_jpeg_stamp(self.data)


@dataclass
class Viewer:
    ws: ClientConnection
    frames: list[Received] = field(default_factory=list)
    """Binary messages: JPEGs, or framed H.264 units (``?format=h264``)."""
    statuses: list[PreviewStatus] = field(default_factory=list)
    configs: list[PreviewConfig] = field(default_factory=list)
    order: list[str] = field(default_factory=list)
    """``status``, ``config`` or ``binary``, as they came."""

    @property
    def states(self) -> list[str]:
        """The states seen, consecutive repeats folded."""
        out: list[str] = []
        for s in self.statuses:
            if not out or out[-1] != s.state:
                out.append(s.state)
        return out

    async def read_one(self) -> None:
        message = await self.ws.recv()
        if isinstance(message, bytes):
            self.frames.append(Received(time.time(), message))
            self.order.append("binary")
        elif '"type":"config"' in message:
            self.configs.append(PreviewConfig.model_validate_json(message))
            self.order.append("config")
        else:
            self.statuses.append(PreviewStatus.model_validate_json(message))
            self.order.append("status")

    async def read_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(self.read_one(), left)
            except TimeoutError:
                return

    async def read_until(self, done: Any, timeout_s: float, what: str) -> None:
        """Read until ``done(self)`` holds; fail after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while not done(self):
            left = deadline - time.monotonic()
            assert left > 0, f"no {what} within {timeout_s} s; states {self.states}"
            try:
                await asyncio.wait_for(self.read_one(), left)
            except TimeoutError:
                continue


async def open_viewer(url: str, receive_buffer: int | None = None) -> Viewer:
    """Connect; with ``receive_buffer`` the socket's kernel buffer is that small and the
    client queues at most one message, so a viewer that stops reading stops the server's
    sends, as a busy browser tab would."""
    if receive_buffer is None:
        return Viewer(await connect(url, max_size=None, compression=None))
    parts = urlsplit(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    ws = await connect(url, sock=sock, max_size=None, max_queue=1, compression=None)
    return Viewer(ws)
