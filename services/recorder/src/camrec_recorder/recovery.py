"""After a restart: the recordings this worker owned and did not finish end ``interrupted``,
their fragmented files made final (FFmpeg kept writing fragments until the worker died)."""

from __future__ import annotations

import logging

from .catalog import Catalog
from .finishing import Finisher

log = logging.getLogger(__name__)

ACTIVE_WORKER_STATES = ("recording", "reconnecting", "finalizing")
"""States of a recording a worker owns and has not finished."""


async def recover(worker_id: str, catalog: Catalog, finisher: Finisher) -> None:
    for rec in await catalog.all():
        if rec.owner == worker_id and rec.state in ACTIVE_WORKER_STATES:
            log.info("recording %s was running when this worker stopped", rec.id)
            await finisher.finish(rec, "interrupted", "the recorder stopped while recording")
