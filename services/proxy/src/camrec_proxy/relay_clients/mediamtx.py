"""MediaMTX's control API v3 (the calls camrec uses; see mediamtx-v1.20.1-openapi.yaml):
``POST /v3/config/paths/add/{name}``, ``DELETE /v3/config/paths/delete/{name}``,
``GET /v3/config/paths/list``, ``GET /v3/paths/get/{name}``."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from camrec_contracts.redact import redact_text

from ..redact_errors import describe_http_error
from . import RelayError

PAGE_SIZE = 1000


class MediaMTXClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, timeout_s: float = 5.0) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._timeout = timeout_s

    async def _call(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
        ok_404: bool = False,
    ) -> httpx.Response | None:
        try:
            response = await self._http.request(
                method, f"{self._base}{path}", json=body, params=params, timeout=self._timeout
            )
        except httpx.HTTPError as error:
            raise RelayError(f"MediaMTX API unreachable: {describe_http_error(error)}") from None
        if response.status_code == 404 and ok_404:
            return None
        if response.status_code >= 400:
            try:  # MediaMTX quotes what it refused, e.g. "invalid source: 'rtsp://u:p@…'"
                reason = redact_text(str(response.json().get("error", "")))
            except ValueError:
                reason = ""
            raise RelayError(
                f"MediaMTX answered {response.status_code} to {method} "
                f"{path.split('/{', 1)[0]}: {reason}".rstrip(": ")
            )
        return response

    async def add_path(self, name: str, source: str) -> None:
        """A path that pulls ``source`` continuously, over RTSP-over-TCP for RTSP sources."""
        conf: dict[str, Any] = {"source": source, "sourceOnDemand": False}
        if source.startswith(("rtsp://", "rtsps://")):
            conf["rtspTransport"] = "tcp"
        await self._call("POST", f"/v3/config/paths/add/{quote(name, safe='')}", conf)

    async def delete_path(self, name: str) -> bool:
        """Remove the path's configuration; False if it was not there."""
        done = await self._call(
            "DELETE", f"/v3/config/paths/delete/{quote(name, safe='')}", ok_404=True
        )
        return done is not None

    async def path_names(self) -> set[str]:
        response = await self._call(
            "GET", "/v3/config/paths/list", params={"itemsPerPage": str(PAGE_SIZE)}
        )
        assert response is not None
        items = response.json().get("items") or []
        return {str(item["name"]) for item in items if isinstance(item, dict) and "name" in item}

    async def path_available(self, name: str) -> bool:
        """True once the path has a stream to read: ``available`` (``ready``, its deprecated
        name, on an older MediaMTX). Not ``online``: MediaMTX 1.20 calls a path with a
        configured source online from the start, before the source has sent anything
        (``isOnline`` in its internal/core/path.go)."""
        response = await self._call("GET", f"/v3/paths/get/{quote(name, safe='')}", ok_404=True)
        if response is None:
            return False
        state = response.json()
        return bool(state.get("available", state.get("ready")))
