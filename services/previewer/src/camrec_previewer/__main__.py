"""``python -m camrec_previewer``: micro service plus the HTTP server for previews."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn

from camrec_contracts.bus import Bus
from camrec_contracts.runtime import Worker, run
from camrec_contracts.services import PREVIEWER
from camrec_contracts.settings import load_settings

from .http_app import create_app
from .settings import PreviewerSettings


class EmbeddedServer(uvicorn.Server):
    """uvicorn inside the micro service's loop: signals belong to the service runtime."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def main() -> None:
    settings = load_settings(PreviewerSettings)

    async def make_worker(bus: Bus) -> Worker:
        config = uvicorn.Config(
            create_app(bus),
            host=settings.previewer_host,
            port=settings.previewer_port,
            log_config=None,
            lifespan="off",
        )
        server = EmbeddedServer(config)
        task = asyncio.create_task(server.serve())
        while not server.started:  # fail start-up if the port cannot be bound
            if task.done():
                raise RuntimeError(
                    f"previewer HTTP server could not start on "
                    f"{settings.previewer_host}:{settings.previewer_port}"
                )
            await asyncio.sleep(0.05)

        async def stop() -> None:
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError, SystemExit):
                await task

        return Worker(stop=stop)

    run(PREVIEWER, settings, make_worker)


if __name__ == "__main__":
    main()
