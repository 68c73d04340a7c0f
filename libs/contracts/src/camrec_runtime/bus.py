"""The NATS connection every service holds: ``connect()`` with reconnect settings."""

from __future__ import annotations

import asyncio
import logging

import nats
from nats.aio.client import Client
from nats.js.client import JetStreamContext

from camrec_contracts.redact import redact_url
from camrec_contracts.settings import CamrecSettings

from .events import EventPublisher
from .jetstream import ensure_jetstream

log = logging.getLogger(__name__)

RECONNECT_WAIT_S = 0.5
CONNECT_TIMEOUT_S = 2.0


class Bus:
    """A connected NATS client with JetStream and an event publisher."""

    def __init__(self, nc: Client) -> None:
        self.nc = nc
        self.closing = False
        self.js: JetStreamContext = nc.jetstream()
        self.events = EventPublisher(self.js)

    @property
    def connected(self) -> bool:
        return bool(self.nc.is_connected)

    async def close(self) -> None:
        """Drain (finish in-flight handlers, flush publishes), then close."""
        self.closing = True
        if self.nc.is_closed:
            return
        try:
            await self.nc.drain()
        except Exception:  # draining a broken connection: close is all that is left
            await self.nc.close()


async def connect(settings: CamrecSettings, name: str) -> Bus:
    """Connect with unlimited reconnects. The first connection is retried for
    ``settings.nats_connect_wait_s`` seconds, then ConnectionError is raised."""
    servers = settings.nats_servers
    shown = ", ".join(redact_url(s) for s in servers)
    state = {"connected": False, "warned": False}
    last: list[str] = []
    holder: list[Bus] = []

    async def on_disconnected() -> None:
        if state["connected"] and not (holder and holder[0].closing):
            log.warning("%s: disconnected from NATS", name)

    async def on_reconnected() -> None:
        log.info("%s: reconnected to NATS", name)

    async def on_error(error: Exception) -> None:
        last[:] = [str(error) or type(error).__name__]
        if not state["connected"] and not state["warned"]:
            state["warned"] = True
            log.warning("%s: NATS at %s not reachable yet (%s); retrying", name, shown, error)
        elif "permissions violation" in str(error).lower():  # a subject outside its user's list
            log.warning("%s: NATS refused: %s", name, error)
        else:
            log.debug("%s: NATS error: %s", name, error)

    login = settings.nats_login
    try:
        # nats-py keeps retrying the first connection itself while reconnects are unlimited.
        nc = await asyncio.wait_for(
            nats.connect(
                servers=servers,
                name=name,
                user=login[0] if login else None,
                password=login[1] if login else None,
                connect_timeout=CONNECT_TIMEOUT_S,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=RECONNECT_WAIT_S,
                disconnected_cb=on_disconnected,
                reconnected_cb=on_reconnected,
                error_cb=on_error,
            ),
            settings.nats_connect_wait_s,
        )
    except TimeoutError:
        raise ConnectionError(
            f"{name}: cannot reach NATS at {shown} within {settings.nats_connect_wait_s:g} s"
            + (f" (last error: {last[0]})" if last else "")
        ) from None
    state["connected"] = True
    log.info("%s: connected to NATS at %s", name, shown)
    bus = Bus(nc)
    holder.append(bus)
    await ensure_jetstream(bus.js)
    return bus
