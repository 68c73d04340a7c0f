"""``python -m camrec_previewer``: micro service plus the HTTP server for previews."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import httpx
import uvicorn

from camrec_contracts.services import PREVIEWER
from camrec_contracts.settings import load_settings
from camrec_runtime.bus import Bus
from camrec_runtime.lifecycle import Worker, WorkerFactory, run, tick_once_a_second

from .http_app import create_app
from .service import Previewer
from .settings import PreviewerSettings


class EmbeddedServer(uvicorn.Server):
    """uvicorn inside the micro service's loop: signals belong to the service runtime."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def main_loop(self) -> None:
        await tick_once_a_second(self.on_tick)


def listener(host: str, port: int, send_buffer_bytes: int) -> socket.socket:
    """The listening socket. Accepted sockets inherit its small send buffer, which bounds
    how many frames a viewer that stopped reading can have in flight (the rest is skipped)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer_bytes)
    try:
        sock.bind(address)
    except OSError as error:
        sock.close()
        raise RuntimeError(f"previewer cannot listen on {host}:{port}: {error}") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def worker_factory(settings: PreviewerSettings) -> WorkerFactory:
    async def make_worker(bus: Bus) -> Worker:
        http = httpx.AsyncClient()
        previewer = Previewer(bus, settings, http)
        await previewer.start()
        config = uvicorn.Config(
            create_app(bus, previewer),
            log_config=None,
            lifespan="off",
            ws_per_message_deflate=False,  # JPEGs don't compress: deflate would only cost CPU
        )
        server = EmbeddedServer(config)
        sock = listener(
            settings.previewer_host,
            settings.previewer_port,
            settings.preview_send_buffer_kb * 1024,
        )
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("previewer HTTP server stopped during start-up")
            await asyncio.sleep(0.05)

        async def stop() -> None:
            await previewer.stop()  # viewers get "ended" before the server goes
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, SystemExit):
                await task
            sock.close()
            await http.aclose()

        return Worker(
            bindings=previewer.bindings(),
            stop=stop,
            stats=lambda: {
                "sessions": [p.stats().model_dump() for p in previewer.previews.values()]
            },
        )

    return make_worker


def main() -> None:
    settings = load_settings(PreviewerSettings)
    run(PREVIEWER, settings, worker_factory(settings))


if __name__ == "__main__":
    main()
