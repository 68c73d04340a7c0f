"""``python -m camrec_recorder``: a recording worker, until SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import logging
import sys

from camrec_contracts.jetstream import ACTIVE_RECORDINGS_BUCKET, RECORDINGS_BUCKET
from camrec_contracts.services import RECORDER
from camrec_contracts.settings import load_settings
from camrec_runtime.bus import Bus
from camrec_runtime.kvstore import open_bucket
from camrec_runtime.lifecycle import Worker, WorkerFactory, run

from .catalog import ActiveLocks, Catalog
from .disk import check_folders
from .files import Files
from .runner import Runner
from .service import RecorderService
from .settings import RecorderSettings
from .worker_name import named_worker

log = logging.getLogger(__name__)


def worker_factory(given: RecorderSettings) -> WorkerFactory:
    async def make_worker(bus: Bus) -> Worker:
        settings = await asyncio.to_thread(named_worker, given)  # a DNS query, if asked for
        files = Files(settings.recordings_dir)
        log.info(
            "worker %s: recordings go to %s (capacity %d)",
            settings.worker_id,
            files.root.resolve(),
            settings.worker_capacity,
        )
        catalog = Catalog(await open_bucket(bus.js, RECORDINGS_BUCKET), settings.worker_id)
        locks = ActiveLocks(await open_bucket(bus.js, ACTIVE_RECORDINGS_BUCKET), catalog)
        service = RecorderService(bus, Runner(settings, bus, catalog, locks, files), catalog, files)
        await service.start_background()
        return Worker(
            bindings=service.bindings(),
            stop=service.stop_background,
            metadata={"worker": settings.worker_id},  # which worker this instance is
            visible=service.when_visible,
        )

    return make_worker


def main() -> None:
    settings = load_settings(RecorderSettings)
    # Before NATS: a worker that can't write its folder must not take jobs (it would fail
    # each one, as if the camera had gone). Stops with one line saying why and what to do.
    for warning in check_folders(settings.recordings_dir):
        print(f"camrec-recorder: warning: {warning}", file=sys.stderr)
    run(RECORDER, settings, worker_factory(settings))


if __name__ == "__main__":
    main()
