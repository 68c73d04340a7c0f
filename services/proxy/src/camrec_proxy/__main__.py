"""``python -m camrec_proxy``: the session owner, until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from camrec_contracts.bus import Bus
from camrec_contracts.jetstream import ADMISSION_BUCKET, SESSIONS_BUCKET
from camrec_contracts.runtime import Worker, run
from camrec_contracts.services import PROXY
from camrec_contracts.settings import load_settings

from .admission import Admission
from .relay_clients.go2rtc import Go2RTCClient
from .relay_clients.mediamtx import MediaMTXClient
from .relays import Go2RTCRelay, MediaMTXRelay, Relay, Relays
from .sessions import SessionService
from .settings import ProxySettings
from .store import SessionStore


async def build(
    bus: Bus, settings: ProxySettings, ffprobe: str = "ffprobe"
) -> tuple[SessionService, httpx.AsyncClient]:
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
    service = SessionService(
        bus,
        Relays(rtsp=rtsp, mjpeg=go2rtc),
        SessionStore(await bus.js.key_value(SESSIONS_BUCKET)),
        Admission(await bus.js.key_value(ADMISSION_BUCKET), settings.max_sessions),
        http,
        ffprobe=ffprobe,
        open_timeout_s=settings.open_timeout_s,
    )
    return service, http


def main() -> None:
    settings = load_settings(ProxySettings)

    async def make_worker(bus: Bus) -> Worker:
        service, http = await build(bus, settings)
        # A relay that is down must not keep the proxy from answering: reconcile retries.
        task = asyncio.create_task(service.reconcile_until_done())

        async def stop() -> None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await http.aclose()

        return Worker(bindings=service.bindings(), stop=stop)

    run(PROXY, settings, make_worker)


if __name__ == "__main__":
    main()
