"""Finding the instances of a micro service: ``$SRV.PING.<name>``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from nats.aio.client import Client
from nats.micro.service import ServicePing

__all__ = ["ServicePing", "ping_service"]


async def ping_service(
    nc: Client, name: str, *, timeout_s: float = 1.0, gather_s: float = 0.2
) -> list[ServicePing]:
    """Ping every instance of ``name``: wait up to ``timeout_s`` for the first answer, then
    ``gather_s`` more for the others. An empty list means nobody answered. Each answer is
    nats.micro's own ``ServicePing`` (id, name, version, metadata)."""
    inbox = nc.new_inbox()
    answers: list[ServicePing] = []
    first = asyncio.Event()

    async def on_msg(msg: Any) -> None:
        try:
            answers.append(ServicePing.from_dict(json.loads(msg.data)))
        except (ValueError, KeyError, TypeError):  # not a micro ping response
            return
        first.set()

    sub = await nc.subscribe(inbox, cb=on_msg)
    try:
        await nc.publish(f"$SRV.PING.{name}", b"", reply=inbox)
        await nc.flush()
        try:
            await asyncio.wait_for(first.wait(), timeout_s)
        except TimeoutError:
            return []
        await asyncio.sleep(gather_s)  # a window for further instances, not a wait on a state
        return list(answers)
    finally:
        await sub.unsubscribe()
