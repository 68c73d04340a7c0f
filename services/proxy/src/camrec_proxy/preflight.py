"""Cheap checks of the camera before the relay is configured, so a failure says *why*:
the host does not resolve, the port refuses, the camera wants credentials, the URL serves a
web page. Nothing here streams: a TCP connect, and for HTTP the response headers only.

Name lookup and TCP connect are short (``CONNECT_TIMEOUT_S``): a camera that is there
accepts at once. An MJPEG camera's response headers may take up to the whole open time-out:
a camera that starts its encoder on demand (the demo camera does) answers only once its first
picture is ready, seconds later under load.
"""

from __future__ import annotations

import asyncio
import socket

import httpx

from camrec_contracts.camera_url import CameraUrl
from camrec_contracts.errors import CamrecError, ErrorCode

CONNECT_TIMEOUT_S = 4.0
MJPEG_TYPES = ("multipart/x-mixed-replace", "image/jpeg")


def _fail(message: str) -> CamrecError:
    return CamrecError(ErrorCode.UPSTREAM, message)


class _Deadline:
    """The open's time left; every step here stays within it."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._loop = asyncio.get_running_loop()
        self._at = self._loop.time() + timeout_s

    def left(self) -> float:
        return max(0.0, self._at - self._loop.time())

    def short(self) -> float:
        """A name lookup's or a connect's bound: CONNECT_TIMEOUT_S, or less if time is short."""
        return min(CONNECT_TIMEOUT_S, self.left())


async def check_reachable(cam: CameraUrl, deadline: _Deadline) -> None:
    where = f"{cam.host}:{cam.port}"
    loop = asyncio.get_running_loop()
    bound = deadline.short()
    try:
        await asyncio.wait_for(loop.getaddrinfo(cam.host, cam.port, type=socket.SOCK_STREAM), bound)
    except (socket.gaierror, TimeoutError):
        raise _fail(f"the camera's host '{cam.host}' does not resolve") from None
    bound = deadline.short()
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(cam.host, cam.port), bound)
    except ConnectionRefusedError:
        raise _fail(f"the camera refused the connection ({where}: nothing listens there)") from None
    except TimeoutError:
        raise _fail(f"the camera did not answer at {where} within {bound:.3g} s") from None
    except OSError as error:
        raise _fail(f"the camera is unreachable at {where}: {error.strerror or error}") from None
    writer.close()
    await writer.wait_closed()


async def check_mjpeg(cam: CameraUrl, http: httpx.AsyncClient, deadline: _Deadline) -> None:
    """The URL must answer 2xx with an MJPEG content type (headers only, body not read)."""
    no_answer = (
        f"the camera took the connection but sent no HTTP answer within "
        f"{deadline.timeout_s:g} s (the open time-out)"
    )
    left = deadline.left()
    # httpx's read time-out is per read; asyncio's bounds the whole wait for the headers.
    timeout = httpx.Timeout(left, connect=deadline.short())
    try:
        async with asyncio.timeout(left):
            async with http.stream("GET", cam.url, timeout=timeout) as response:
                status = response.status_code
                ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    except (TimeoutError, httpx.ReadTimeout):
        raise _fail(no_answer) from None
    except httpx.ConnectTimeout:
        raise _fail(
            f"the camera did not answer at {cam.host}:{cam.port} within {timeout.connect:.3g} s"
        ) from None
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


async def preflight(cam: CameraUrl, http: httpx.AsyncClient, timeout_s: float) -> None:
    """Check ``cam`` within ``timeout_s`` (the open's time-out); CamrecError(UPSTREAM) says
    what is wrong."""
    deadline = _Deadline(timeout_s)
    await check_reachable(cam, deadline)
    if cam.source_kind == "mjpeg":
        await check_mjpeg(cam, http, deadline)
