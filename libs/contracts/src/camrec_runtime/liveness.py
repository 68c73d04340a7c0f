"""``GET /health`` on ``127.0.0.1:CAMREC_HEALTH_PORT``: the container healthcheck of the micro
services that have no HTTP port of their own (proxy, recorder).

It answers 200 when this instance answers its own micro ping through NATS
(``$SRV.PING.<name>.<id>``, a round trip through the server into the service's handler)
within :data:`PING_TIMEOUT_S`, else 503 with the reason in one line. Docker reads it with
busybox ``wget`` (about a millisecond): the earlier check started Python with the nats and
pydantic imports every 15 s in four containers and kept an idle stack at 12 % of one core.

Only loopback listens: the check runs inside the service's own container (or host), and
nothing else needs it. The server speaks just enough HTTP/1.0 for ``wget`` and ``curl``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nats.aio.client import Client
from pydantic import Field

from camrec_contracts.settings import CamrecSettings

log = logging.getLogger(__name__)

PING_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 2.0
MAX_REQUEST_BYTES = 4096
HOST = "127.0.0.1"


class LivenessSettings(CamrecSettings):
    """Settings of a service whose container is checked through :func:`serve_liveness`."""

    health_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description=(
            "Liveness port for the container healthcheck: GET /health on 127.0.0.1 answers "
            "200 while this instance answers its NATS ping (0: none; the images set 8090)"
        ),
    )


async def check_instance(nc: Client, name: str, instance: str) -> str | None:
    """None if ``instance`` of service ``name`` answers its ping; else why not, in one line."""
    if not nc.is_connected:
        return "not connected to NATS"
    try:
        await nc.request(f"$SRV.PING.{name}.{instance}", b"", timeout=PING_TIMEOUT_S)
    except Exception as error:  # time-out, no responders, connection lost: all "unhealthy"
        return f"no answer to $SRV.PING.{name}.{instance}: {type(error).__name__}"
    return None


async def serve_liveness(port: int, nc: Client, name: str, instance: str) -> asyncio.Server:
    """Start answering ``GET /health`` on ``127.0.0.1:port``; close the returned server to stop."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_S)
            parts = head[:MAX_REQUEST_BYTES].split(b" ", 2)
            if len(parts) < 2 or parts[0] not in (b"GET", b"HEAD"):
                status, body = "405 Method Not Allowed", "GET /health only"
            elif parts[1].split(b"?", 1)[0] != b"/health":
                status, body = "404 Not Found", "GET /health only"
            else:
                reason = await check_instance(nc, name, instance)
                status = "200 OK" if reason is None else "503 Service Unavailable"
                body = f"{name} {instance}: " + ("ok" if reason is None else f"unhealthy: {reason}")
            data = body.encode() + b"\n"
            writer.write(
                f"HTTP/1.0 {status}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                + (b"" if parts[0] == b"HEAD" else data)
            )
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass  # a client that sends no request line in time, or goes away: nothing to say
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, HOST, port, limit=MAX_REQUEST_BYTES)
    log.info("liveness: GET http://%s:%d/health", HOST, port)
    return server
