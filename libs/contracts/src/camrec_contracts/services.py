"""The micro services camrec runs, and how to find them (``$SRV.PING``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from nats.aio.client import Client
from pydantic import BaseModel, ConfigDict, Field

PROXY = "camrec-proxy"
RECORDER = "camrec-recorder"
PREVIEWER = "camrec-previewer"

SERVICES: dict[str, str] = {
    PROXY: "owns sessions: admission, relay paths, probing",
    RECORDER: "recording workers: one FFmpeg per recording",
    PREVIEWER: "live preview: one capture per session, JPEG frames over WebSocket",
}

QUEUE_GROUP = "camrec"


class ServicePing(BaseModel):
    """One instance's answer to ``$SRV.PING.<name>`` (the micro protocol's ping response)."""

    model_config = ConfigDict(extra="ignore")  # defined by the micro protocol, not by us

    name: str
    id: str
    version: str
    metadata: dict[str, str] = Field(default_factory=dict)


async def ping_service(
    nc: Client, name: str, *, timeout_s: float = 1.0, gather_s: float = 0.2
) -> list[ServicePing]:
    """Ping every instance of ``name``: wait up to ``timeout_s`` for the first answer, then
    ``gather_s`` more for the others. An empty list means nobody answered."""
    inbox = nc.new_inbox()
    answers: list[ServicePing] = []
    first = asyncio.Event()

    async def on_msg(msg: Any) -> None:
        try:
            answers.append(ServicePing.model_validate(json.loads(msg.data)))
        except ValueError:
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
