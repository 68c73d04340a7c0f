"""Cheap checks of the camera before the relay is configured, so a failure says *why*:
the host does not resolve, the port refuses, the camera wants credentials, the URL serves a
web page. Nothing here streams: a TCP connect, and for HTTP the response headers only."""

from __future__ import annotations

import asyncio
import socket

import httpx

from camrec_contracts.camera_url import CameraUrl
from camrec_contracts.errors import ErrorCode, ServiceError

CONNECT_TIMEOUT_S = 4.0
MJPEG_TYPES = ("multipart/x-mixed-replace", "image/jpeg")


def _fail(message: str) -> ServiceError:
    return ServiceError(ErrorCode.UPSTREAM, message)


async def check_reachable(cam: CameraUrl) -> None:
    where = f"{cam.host}:{cam.port}"
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(
            loop.getaddrinfo(cam.host, cam.port, type=socket.SOCK_STREAM), CONNECT_TIMEOUT_S
        )
    except (socket.gaierror, TimeoutError):
        raise _fail(f"the camera's host '{cam.host}' does not resolve") from None
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(cam.host, cam.port), CONNECT_TIMEOUT_S
        )
    except ConnectionRefusedError:
        raise _fail(f"the camera refused the connection ({where}: nothing listens there)") from None
    except TimeoutError:
        raise _fail(
            f"the camera did not answer at {where} within {CONNECT_TIMEOUT_S:g} s"
        ) from None
    except OSError as error:
        raise _fail(f"the camera is unreachable at {where}: {error.strerror or error}") from None
    writer.close()
    await writer.wait_closed()


async def check_mjpeg(cam: CameraUrl, http: httpx.AsyncClient) -> None:
    """The URL must answer 2xx with an MJPEG content type (headers only, body not read)."""
    try:
        async with http.stream("GET", cam.url, timeout=CONNECT_TIMEOUT_S) as response:
            status = response.status_code
            ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    except httpx.HTTPError as error:
        raise _fail(f"the camera did not answer over HTTP: {type(error).__name__}") from None
    if status in (401, 403):
        has_user = "@" in cam.url.split("/", 3)[2]
        what = "refused the credentials" if has_user else "requires a user name and password"
        raise _fail(f"the camera {what} (HTTP {status})")
    if status >= 400:
        raise _fail(f"the camera answered HTTP {status}")
    if not ctype.startswith(MJPEG_TYPES):
        raise _fail(f"not an MJPEG stream: the URL serves {ctype or 'no content type'}")


async def preflight(cam: CameraUrl, http: httpx.AsyncClient) -> None:
    await check_reachable(cam)
    if cam.source_kind == "mjpeg":
        await check_mjpeg(cam, http)
