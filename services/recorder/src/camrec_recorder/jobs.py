"""The queue of recordings to start (JetStream ``CAMREC_RECORDING_JOBS``): pulled only with free
capacity, so no worker takes more than it can run, and taken only while still queued."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig
from pydantic import ValidationError

from camrec_contracts.jetstream import JOBS_CONSUMER, JOBS_STREAM, JOBS_SUBJECT
from camrec_contracts.recordings import Recording, RecordingJob
from camrec_runtime.bus import Bus

from .catalog import Catalog
from .runner import Runner

log = logging.getLogger(__name__)

JOB_WAIT_S = 5.0
"""How long one pull for a job waits at the server (a job arriving is delivered at once). Each
pull is a round trip that wakes the worker and NATS: one a second was ~0.2 % of a core of an
idle stack (nats-server and the worker, measured); a job sent to a pull whose worker just
stopped is delivered again after the consumer's ack wait."""


RETRY_S = 2.0
"""A job whose take failed is delivered again this much later (JetStream's nak delay)."""


def queued(rec: Recording) -> bool:
    """Still waiting for a worker: no one has taken it, nothing has ended it."""
    return rec.state == "starting" and rec.owner is None


class Jobs:
    def __init__(self, bus: Bus, runner: Runner, catalog: Catalog) -> None:
        self.bus = bus
        self.runner = runner
        self.catalog = catalog
        self._taking: dict[str, asyncio.Event] = {}
        """Recordings this worker is taking from the queue (an owner-stop waits for them)."""
        self._sub: Any = None

    async def queue(self, job: RecordingJob) -> None:
        await self.bus.js.publish(JOBS_SUBJECT, job.model_dump_json().encode())

    async def declare(self) -> None:
        await self.bus.js.add_consumer(
            JOBS_STREAM,
            ConsumerConfig(durable_name=JOBS_CONSUMER, ack_policy=AckPolicy.EXPLICIT, ack_wait=30),
        )

    async def taken(self, recording_id: str) -> None:
        """Return once this worker is not in the middle of taking ``recording_id``."""
        taking = self._taking.get(recording_id)
        if taking is not None:
            await taking.wait()

    async def run(self) -> None:
        """Take jobs while there is capacity, until cancelled."""
        self._sub = await self.bus.js.pull_subscribe_bind(JOBS_CONSUMER, JOBS_STREAM)
        while True:
            if self.runner.free_slots <= 0:
                self.runner.capacity_freed.clear()
                await self.runner.capacity_freed.wait()
                continue
            try:
                msgs = await self._sub.fetch(1, timeout=JOB_WAIT_S)
            except (NatsTimeout, TimeoutError):
                continue
            except Exception:
                log.exception("job fetch failed")
                await asyncio.sleep(1)
                continue
            for msg in msgs:
                await self._handle(msg)

    async def _handle(self, msg: Msg) -> None:
        """Ack a job once taken (or no longer queued); a job whose take failed (NATS away, an
        unreadable catalog entry) comes back after :data:`RETRY_S`, so a recording is never
        left "starting" with no job; a malformed one is dropped for good."""
        try:
            job = RecordingJob.model_validate_json(msg.data)
        except ValidationError as error:
            log.error("dropping a malformed recording job %r: %s", msg.data[:200], error)
            await msg.term()
            return
        try:
            await self.take(job)
        except Exception:
            log.exception(
                "recording %s: taking its job failed; again in %g s", job.recording_id, RETRY_S
            )
            with contextlib.suppress(Exception):  # else it comes back after the ack wait
                await msg.nak(delay=RETRY_S)
            return
        await msg.ack()

    async def close(self) -> None:
        if self._sub is not None:  # else draining NATS waits on it for its whole time-out
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()

    async def take(self, job: RecordingJob) -> None:
        """Run a queued recording, only if it is still queued (a stop may have ended it, on
        any worker): the compare-and-set makes the stop and the take exclusive."""
        taking = self._taking[job.recording_id] = asyncio.Event()
        try:
            rec = await self.catalog.try_update(
                job.recording_id,
                when=queued,
                state="recording",
                owner=self.runner.settings.worker_id,
            )
            if rec is not None:  # no await from the write to the start: a stop waits on it
                self.runner.start(rec, job.session)
        finally:
            del self._taking[job.recording_id]
            taking.set()
