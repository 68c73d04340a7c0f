"""``python -m camrec_recorder``: run a recorder worker until SIGTERM/SIGINT."""

from __future__ import annotations

import logging

from camrec_contracts.bus import Bus
from camrec_contracts.runtime import Worker, run
from camrec_contracts.services import RECORDER
from camrec_contracts.settings import load_settings

from .settings import RecorderSettings

log = logging.getLogger(__name__)


def main() -> None:
    settings = load_settings(RecorderSettings)

    async def make_worker(bus: Bus) -> Worker:
        settings.recordings_dir.mkdir(parents=True, exist_ok=True)
        log.info("recordings go to %s", settings.recordings_dir.resolve())
        return Worker()

    run(RECORDER, settings, make_worker)


if __name__ == "__main__":
    main()
