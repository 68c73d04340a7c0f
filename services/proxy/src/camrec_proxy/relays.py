"""The relays a session can use, behind one small interface."""

from __future__ import annotations

import asyncio
import time
from typing import Literal, Protocol

from .relay_clients import RelayError
from .relay_clients.go2rtc import Go2RTCClient
from .relay_clients.mediamtx import MediaMTXClient

PATH_PREFIX = "camrec-"
"""Relay paths camrec owns start with this; reconciliation never touches any other."""

RelayKind = Literal["mediamtx", "go2rtc"]


def path_for(session_id: str) -> str:
    return f"{PATH_PREFIX}{session_id}"


class Relay(Protocol):
    kind: RelayKind

    async def add(self, path: str, source: str) -> None: ...
    async def remove(self, path: str) -> None: ...
    async def paths(self) -> set[str]: ...
    async def wait_ready(self, path: str, timeout_s: float) -> None: ...
    def rtsp_url(self, path: str) -> str: ...
    def mjpeg_url(self, path: str) -> str | None: ...


class Go2RTCRelay:
    """go2rtc pulls the source when the first reader comes; the probe is that reader."""

    kind: RelayKind = "go2rtc"

    def __init__(self, client: Go2RTCClient, rtsp_base: str) -> None:
        self._client = client
        self._rtsp = rtsp_base

    async def add(self, path: str, source: str) -> None:
        await self._client.add_stream(path, source)

    async def remove(self, path: str) -> None:
        await self._client.remove_stream(path)

    async def paths(self) -> set[str]:
        return {p for p in await self._client.stream_names() if p.startswith(PATH_PREFIX)}

    async def wait_ready(self, path: str, timeout_s: float) -> None:
        return None

    def rtsp_url(self, path: str) -> str:
        return f"{self._rtsp}/{path}"

    def mjpeg_url(self, path: str) -> str | None:
        return self._client.stream_mjpeg_url(path)


class MediaMTXRelay:
    """MediaMTX pulls continuously; the path is ready once its source is online."""

    kind: RelayKind = "mediamtx"
    POLL_S = 0.2

    def __init__(self, client: MediaMTXClient, rtsp_base: str) -> None:
        self._client = client
        self._rtsp = rtsp_base

    async def add(self, path: str, source: str) -> None:
        await self._client.add_path(path, source)

    async def remove(self, path: str) -> None:
        await self._client.delete_path(path)

    async def paths(self) -> set[str]:
        return {p for p in await self._client.path_names() if p.startswith(PATH_PREFIX)}

    async def wait_ready(self, path: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not await self._client.path_available(path):
            if time.monotonic() >= deadline:
                raise RelayError(f"MediaMTX did not get the camera's stream within {timeout_s:g} s")
            await asyncio.sleep(self.POLL_S)

    def rtsp_url(self, path: str) -> str:
        return f"{self._rtsp}/{path}"

    def mjpeg_url(self, path: str) -> str | None:
        return None


class Relays:
    """Which relay serves which kind of source: MJPEG always go2rtc; RTSP as configured."""

    def __init__(self, rtsp: Relay, mjpeg: Relay) -> None:
        self.rtsp = rtsp
        self.mjpeg = mjpeg

    def for_source(self, source_kind: Literal["rtsp", "mjpeg"]) -> Relay:
        return self.rtsp if source_kind == "rtsp" else self.mjpeg

    def by_kind(self, kind: RelayKind) -> Relay:
        return self.rtsp if self.rtsp.kind == kind else self.mjpeg

    def distinct(self) -> list[Relay]:
        return [self.rtsp] if self.rtsp is self.mjpeg else [self.rtsp, self.mjpeg]
