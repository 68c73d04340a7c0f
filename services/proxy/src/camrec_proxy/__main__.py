"""``python -m camrec_proxy``: the session owner, until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from camrec_contracts.jetstream import ADMISSION_BUCKET, LIMITS_BUCKET, SESSIONS_BUCKET
from camrec_contracts.services import PROXY
from camrec_contracts.sessions import SESSION_LIMIT_KEY, SessionLimit
from camrec_contracts.settings import load_settings
from camrec_runtime.bus import Bus
from camrec_runtime.kvstore import ModelStore, open_bucket
from camrec_runtime.lifecycle import Worker, WorkerFactory, run

from .admission import Admission
from .measure import Measurer
from .relay_clients import RelayError
from .relay_clients.go2rtc import Go2RTCClient
from .relay_clients.mediamtx import MediaMTXClient
from .relays import Go2RTCRelay, MediaMTXRelay, Relay, Relays
from .sessions import SessionService
from .settings import ProxySettings
from .store import SessionStore

log = logging.getLogger(__name__)


async def build(
    bus: Bus, settings: ProxySettings, ffprobe: str = "ffprobe"
) -> tuple[SessionService, Measurer, httpx.AsyncClient]:
    """Wire the session service to real relays and KV (tests call this too)."""
    http = httpx.AsyncClient(verify=False)  # noqa: S501 - cameras use self-signed certs
    go2rtc = Go2RTCRelay(
        Go2RTCClient(http, settings.go2rtc_api_url, settings.relay_api_timeout_s),
        settings.go2rtc_rtsp_url,
    )
    rtsp: Relay = go2rtc
    if settings.rtsp_relay == "mediamtx":
        rtsp = MediaMTXRelay(
            MediaMTXClient(http, settings.mediamtx_api_url, settings.relay_api_timeout_s),
            settings.mediamtx_rtsp_url,
        )
    sessions = await open_bucket(bus.js, SESSIONS_BUCKET)
    # The limit's one source of truth is this setting; readers (the api's session list) find
    # it in KV, so they need not ask a proxy.
    limits = ModelStore(await open_bucket(bus.js, LIMITS_BUCKET), SessionLimit)
    await limits.put(SESSION_LIMIT_KEY, SessionLimit(max_sessions=settings.max_sessions))
    measurer = Measurer(
        bus,
        sessions,
        ffprobe=ffprobe,
        interval_s=settings.measure_interval_s,
        reader=settings.relay_reader,
    )
    service = SessionService(
        bus,
        Relays(rtsp=rtsp, mjpeg=go2rtc),
        SessionStore(sessions),
        Admission(await bus.js.key_value(ADMISSION_BUCKET), settings.max_sessions),
        http,
        ffprobe=ffprobe,
        reader=settings.relay_reader,
        open_timeout_s=settings.open_timeout_s,
        measurer=measurer,
    )
    return service, measurer, http


def worker_factory(settings: ProxySettings, ffprobe: str = "ffprobe") -> WorkerFactory:
    """The proxy's worker: session endpoints, reconciled with KV before it answers. A relay
    that is down must not keep the proxy from answering: then reconcile retries behind.
    Sessions are measured (fps, bitrate) in the background until the worker stops."""

    async def make_worker(bus: Bus) -> Worker:
        service, measurer, http = await build(bus, settings, ffprobe)
        retry: asyncio.Task[None] | None = None
        try:
            await service.reconcile()
        except RelayError as error:
            log.error("reconcile: %s; will retry", error)
            retry = asyncio.create_task(service.reconcile_until_done())
        measurer.start()

        async def stop() -> None:
            await measurer.stop()
            if retry is not None:
                retry.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await retry
            await http.aclose()

        return Worker(bindings=service.bindings(), stop=stop)

    return make_worker


def main() -> None:
    settings = load_settings(ProxySettings)
    run(PROXY, settings, worker_factory(settings))


if __name__ == "__main__":
    main()
