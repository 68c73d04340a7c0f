"""go2rtc's HTTP API: add, remove and list streams (see go2rtc's OpenAPI file)."""

from __future__ import annotations

from typing import Any

import httpx

from ..redact_errors import describe_http_error
from . import RelayError


class Go2RTCClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, timeout_s: float = 5.0) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s

    async def _call(self, method: str, params: dict[str, str] | None = None) -> httpx.Response:
        try:
            response = await self._http.request(
                method, f"{self._base}/api/streams", params=params, timeout=self._timeout
            )
        except httpx.HTTPError as error:
            raise RelayError(f"go2rtc API unreachable: {describe_http_error(error)}") from None
        if response.status_code >= 400:
            raise RelayError(f"go2rtc answered {response.status_code} to {method} /api/streams")
        return response

    def stream_mjpeg_url(self, name: str) -> str:
        """The stream as multipart MJPEG over HTTP (JPEG sources: the camera's own bytes)."""
        return str(httpx.URL(f"{self._base}/api/stream.mjpeg", params={"src": name}))

    async def add_stream(self, name: str, source: str) -> None:
        await self._call("PUT", {"name": name, "src": source})

    async def remove_stream(self, name: str) -> None:
        await self._call("DELETE", {"src": name})

    async def streams(self) -> dict[str, Any]:
        body = (await self._call("GET")).json()
        if not isinstance(body, dict):
            raise RelayError("go2rtc answered /api/streams with something other than an object")
        return body

    async def stream_names(self) -> set[str]:
        return set(await self.streams())
