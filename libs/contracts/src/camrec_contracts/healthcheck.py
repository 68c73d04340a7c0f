"""``python -m camrec_contracts.healthcheck <service>``: is *this host's* instance answering?

A container healthcheck for the micro services that have no HTTP port (proxy, recorder). It
sends ``$SRV.PING.<service>`` (the micro protocol's discovery ping, as ``ping_service``
does) and exits 0 only if an instance whose metadata ``host`` is this host's name answers
within :data:`TIMEOUT_S`. The runtime registers every service with that metadata; in compose
each replica's host name is its container id, so one healthy recorder never vouches for
another. Any other outcome exits 1 with one line saying why.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from typing import Any

import nats

from .redact import redact_url
from .services import ServicePing
from .settings import CamrecSettings, SettingsError, load_settings

TIMEOUT_S = 3.0
CONNECT_TIMEOUT_S = 2.0


async def _quiet(*_: Any) -> None:
    """nats-py callbacks: the one-line reason says what went wrong."""


async def check(
    settings: CamrecSettings, name: str, *, host: str | None = None, timeout_s: float = TIMEOUT_S
) -> str | None:
    """None if an instance of ``name`` on ``host`` (default: this host) answers the ping
    within ``timeout_s``; else the reason, in one line."""
    host = host or socket.gethostname()
    shown = ", ".join(redact_url(s) for s in settings.nats_servers)
    try:
        nc = await asyncio.wait_for(
            nats.connect(
                servers=settings.nats_servers,
                name=f"{name}-healthcheck",
                connect_timeout=CONNECT_TIMEOUT_S,
                allow_reconnect=False,
                max_reconnect_attempts=0,
                error_cb=_quiet,
                disconnected_cb=_quiet,
                closed_cb=_quiet,
            ),
            timeout_s,
        )
    except Exception as error:  # refused, unknown host, time-out, auth: all say "unreachable"
        detail = str(error) or type(error).__name__
        return f"cannot reach NATS at {shown}: {detail}"

    hosts: list[str] = []
    mine = asyncio.Event()

    async def on_answer(msg: Any) -> None:
        try:
            answer = ServicePing.model_validate(json.loads(msg.data))
        except ValueError:
            return
        answer_host = answer.metadata.get("host", "?")
        hosts.append(answer_host)
        if answer.name == name and answer_host == host:
            mine.set()

    try:
        inbox = nc.new_inbox()
        sub = await nc.subscribe(inbox, cb=on_answer)
        await nc.publish(f"$SRV.PING.{name}", b"", reply=inbox)
        await nc.flush()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(mine.wait(), timeout_s)
        await sub.unsubscribe()
    finally:
        await nc.close()

    if mine.is_set():
        return None
    if not hosts:
        return f"no {name} instance answered $SRV.PING.{name} within {timeout_s:g} s"
    return (
        f"{len(hosts)} {name} instance(s) answered, none on host {host!r} "
        f"(hosts: {', '.join(sorted(set(hosts)))})"
    )


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0].startswith("-"):
        sys.stderr.write("usage: python -m camrec_contracts.healthcheck <service-name>\n")
        raise SystemExit(2)
    name = args[0]
    try:
        settings = load_settings(CamrecSettings)
    except SettingsError as error:
        lines = "; ".join(line.strip() for line in str(error).splitlines())
        sys.stderr.write(f"{name}: unhealthy: {lines}\n")
        raise SystemExit(1) from None
    reason: str | None = asyncio.run(check(settings, name))
    if reason is not None:
        sys.stdout.write(f"{name}: unhealthy: {reason}\n")
        raise SystemExit(1)
    sys.stdout.write(f"{name}: healthy on {socket.gethostname()}\n")


if __name__ == "__main__":
    main()
