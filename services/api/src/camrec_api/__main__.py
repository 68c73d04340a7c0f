"""``python -m camrec_api``: connect to NATS, then serve HTTP until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from camrec_contracts.settings import load_settings
from camrec_runtime.bus import connect
from camrec_runtime.lifecycle import tick_once_a_second
from camrec_runtime.logs import setup_logging

from .app import create_app
from .reads import Reads
from .settings import ApiSettings

log = logging.getLogger(__name__)

NAME = "camrec-api"


class Server(uvicorn.Server):
    """uvicorn, its housekeeping once a second (an idle api costs less)."""

    async def main_loop(self) -> None:
        await tick_once_a_second(self.on_tick)


async def serve(settings: ApiSettings) -> None:
    bus = await connect(settings, NAME)
    app = create_app(settings, bus)
    reads: Reads = app.state.reads
    await reads.load()  # the first page load needn't wait for it
    await app.state.login.start()  # prints a first start's generated password
    config = uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
    )
    try:
        await Server(config).serve()  # returns on SIGTERM/SIGINT
    finally:
        await reads.stop()
        await bus.close()
        log.info("%s stopped", NAME)


def main() -> None:
    settings = load_settings(ApiSettings)
    setup_logging(settings.log_level)
    try:
        asyncio.run(serve(settings))
    except ConnectionError as error:
        log.error("%s", error)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
