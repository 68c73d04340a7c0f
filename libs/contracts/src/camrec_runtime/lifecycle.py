"""Run a micro service until SIGTERM/SIGINT: connect, register, announce, drain."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from nats.micro import add_service

from camrec_contracts import __version__
from camrec_contracts.events import SERVICE_EVENTS, ServiceEvent
from camrec_contracts.services import QUEUE_GROUP, SERVICES
from camrec_contracts.settings import CamrecSettings

from .bus import Bus, connect
from .liveness import LivenessSettings, serve_liveness
from .logs import setup_logging
from .rpc import Binding, add_endpoints, finish_in_flight

log = logging.getLogger(__name__)

IN_FLIGHT_WAIT_S = 8.0
"""A stopping service waits this long for requests its concurrent endpoints are still serving
(a session being opened, a recording being stopped), then stops anyway: under Docker's
default 10 s between SIGTERM and SIGKILL (the proxy's; the recorder has 60 s), so the
service still exits by itself."""


@dataclass
class Worker:
    """What a service adds to the runtime: its endpoints and background work."""

    bindings: list[Binding[Any, Any]] = field(default_factory=list)
    stop: Callable[[], Awaitable[None]] | None = None
    """Called on shutdown, before NATS is drained (stop children here)."""
    stats: Callable[[], dict[str, Any]] | None = None
    """Extra figures for ``nats micro stats`` (each endpoint's ``data``)."""
    metadata: dict[str, str] = field(default_factory=dict)
    """Added to the instance's micro metadata (next to ``host``), so ``nats micro ls <name>
    --json`` tells instances apart (the recorder adds its ``worker`` id)."""
    visible: Callable[[], Awaitable[None]] | None = None
    """Called once the instance is registered (its endpoints served, ``$SRV.PING`` answered),
    before the service announces itself: work that others must see this instance doing
    (the recorder takes its own recordings back only once other workers can see it)."""


WorkerFactory = Callable[[Bus], Awaitable[Worker]]


async def serve(
    name: str,
    settings: CamrecSettings,
    make_worker: WorkerFactory,
    stop_event: asyncio.Event | None = None,
) -> None:
    """Serve ``name`` until ``stop_event`` is set (by default: on SIGTERM or SIGINT)."""
    stop = stop_event or _signal_event()
    bus = await connect(settings, name)
    worker = await make_worker(bus)
    service = await add_service(
        bus.nc,
        name=name,
        version=__version__,
        description=SERVICES.get(name, name),
        queue_group=QUEUE_GROUP,
        stats_handler=_stats_handler(worker),
        # host: where this instance runs (a container id in compose), for operators.
        metadata={**worker.metadata, "host": socket.gethostname()},
    )
    await add_endpoints(service, worker.bindings)
    if worker.visible is not None:
        await bus.nc.flush()  # the server has its subscriptions: pings from others find it
        await worker.visible()
    instance = service.id
    liveness = None
    if isinstance(settings, LivenessSettings) and settings.health_port:
        liveness = await serve_liveness(settings.health_port, bus.nc, name, instance)
    await bus.events.publish(
        SERVICE_EVENTS,
        name,
        ServiceEvent(event="started", service=name, instance=instance, version=__version__),
    )
    log.info("%s %s started (instance %s)", name, __version__, instance)
    await stop.wait()
    log.info("%s stopping (instance %s)", name, instance)
    if liveness is not None:
        liveness.close()
    await service.stop()
    if worker.stop is not None:
        await worker.stop()
    left = await finish_in_flight(IN_FLIGHT_WAIT_S)
    if left:
        log.warning("%s: %d request(s) still being served; stopping anyway", name, left)
    if bus.connected:
        await bus.events.publish(
            SERVICE_EVENTS,
            name,
            ServiceEvent(event="stopped", service=name, instance=instance, version=__version__),
        )
    await bus.close()
    log.info("%s stopped (instance %s)", name, instance)


def _stats_handler(worker: Worker) -> Callable[[Any], Any] | None:
    figures = worker.stats
    if figures is None:
        return None
    return lambda _endpoint: figures()


def _signal_event() -> asyncio.Event:
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, event.set)
    return event


def run(name: str, settings: CamrecSettings, make_worker: WorkerFactory) -> None:
    """Entry point body for ``python -m camrec_<service>``."""
    setup_logging(settings.log_level)
    try:
        asyncio.run(serve(name, settings, make_worker))
    except ConnectionError as error:
        log.error("%s", error)
        raise SystemExit(1) from None


async def tick_once_a_second(on_tick: Callable[[int], Awaitable[bool]]) -> None:
    """uvicorn's ``Server.main_loop`` woken once a second, not ten times: its 0.1 s tick alone
    kept an idle server at 0.17 % of a core (measured). ``on_tick`` (the server's) refreshes
    the Date header when ``counter % 10 == 0`` (one-second resolution) and says when to stop,
    which is then seen within a second."""
    counter = 0
    while not await on_tick(counter):
        counter = (counter + 10) % 864_000
        await asyncio.sleep(1.0)
