"""Recordings whose worker is gone: taken back by their owner when it starts again, or ended
by another worker when the owner has not answered for ``lost_worker_grace_s``.

Every live worker sweeps, every :data:`SWEEP_EVERY_S`: it reads the active recordings (the
session locks name them), then pings the recorder service. A recording whose owner has not
answered for the grace period is ended ``interrupted``: a worker that sees its parts (the
same folder) claims it and finishes the file; one that can't leaves the file for the
owner's return (its start finishes it) and only ends the recording and frees its session.

Only one worker acts on a recording: every claim is a compare-and-set against the value it
judged, so a change by anyone since (the owner back, another sweeper) makes it a no-op. The
owner takes its recordings back only once it answers pings (``when_visible``), and sweepers
read before they ping: a sweeper that saw the owner absent read the recording before the
owner touched it, so one of the two claims fails."""

from __future__ import annotations

import asyncio
import logging
import time

from camrec_contracts.events import utcnow
from camrec_contracts.recordings import ACTIVE_STATES, Recording
from camrec_contracts.services import RECORDER
from camrec_runtime.bus import Bus
from camrec_runtime.ping import ping_service

from .catalog import Catalog
from .runner import Runner

log = logging.getLogger(__name__)

SWEEP_EVERY_S = 10.0
"""How often a worker looks for lost ones: a recording is ended at most this long after its
grace has run out. A sweep is one ping of the recorders and one read per active recording,
so every worker doing it every 10 s costs nothing measurable; the grace (60 s) dwarfs it.
A shorter grace (tests) sweeps twice per grace."""
PING_WAIT_S = 2.0
"""First answer to a sweep's ping (this worker's own answers in ms; a loaded machine, 2 s)."""
PING_GATHER_S = 0.5
"""Further answers after the first. A busy worker missed by one ping is not lost: it must
be missed for the whole grace, i.e. by several sweeps in a row."""
TAKEN_STOP_WAIT_S = 30.0
"""FFmpeg's graceful stop (q, 5 s, SIGINT, 5 s, SIGKILL) and a finish the catalog refuses."""
OWNED_STATES = ACTIVE_STATES - {"starting"}
"""States of a recording a worker has taken and not finished."""
RESTARTED = "the recorder stopped while recording"
LOST = "the recorder stopped answering"
LEFT = f"{LOST}; its file is finished when that recorder starts again"


class Sweeper:
    def __init__(self, bus: Bus, runner: Runner, catalog: Catalog) -> None:
        self.bus = bus
        self.runner = runner
        self.catalog = catalog
        self.worker_id = runner.settings.worker_id
        self.grace_s = runner.settings.lost_worker_grace_s
        self.every_s = min(SWEEP_EVERY_S, self.grace_s / 2)
        self._stopping: set[asyncio.Task[Recording | None]] = set()
        self.seen: dict[str, float] = {}
        """Worker id → when it last answered, or when this worker first looked for it: a
        worker is judged only on sweeps in a row (a gap in the looking starts it over)."""
        self.looked: float | None = None
        """When the last sweep's ping was answered."""

    # -- at start: this worker's own ----------------------------------------------------------
    async def take_back_own(self) -> None:
        """What this worker owned and did not finish ends ``interrupted``, its file made
        final; so does a recording another worker ended while this one was away and whose
        file it left here. Call only once this worker answers pings (see the module)."""
        for rec in await self.catalog.all():
            if rec.owner != self.worker_id:
                continue
            if rec.state in OWNED_STATES:
                log.info("recording %s was running when this worker stopped", rec.id)
                await self._finish(rec, RESTARTED)
            elif rec.end_reason == LEFT and self._can_finish(rec):
                log.info("recording %s: finishing the file left for this worker", rec.id)
                await self._finish(rec, LOST, reopen=True)

    # -- every SWEEP_EVERY_S: the others' --------------------------------------------------------
    async def run(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("sweep for lost workers failed")
            await asyncio.sleep(self.every_s)  # a period, not a wait on a state

    async def sweep(self) -> list[str]:
        """One look; returns the recordings ended here."""
        active = [
            r for r in [await self.catalog.get(rid) for rid in await self.runner.locks.held()] if r
        ]
        await self._let_go_of_taken()
        others = [
            r for r in active if r.state in OWNED_STATES and r.owner not in (None, self.worker_id)
        ]
        if not others:
            self.looked = None  # nothing to judge, nobody asked
            return []
        answers = await ping_service(
            self.bus.nc, RECORDER, timeout_s=PING_WAIT_S, gather_s=PING_GATHER_S
        )
        present = {a.metadata.get("worker", "") for a in answers}
        if self.worker_id not in present:
            return []  # not even this worker answered: the ping tells nothing this time
        now = time.monotonic()
        if self.looked is None or now - self.looked > self.every_s * 2 + PING_WAIT_S:
            self.seen.clear()  # a gap in the looking (NATS away, nothing to judge): start over
        self.looked = now
        for worker in present:
            self.seen[worker] = now
        ended = []
        for rec in others:
            assert rec.owner is not None
            away = now - self.seen.setdefault(rec.owner, now)
            if away >= self.grace_s and await self._take_over(rec, away):
                ended.append(rec.id)
        return ended

    async def _take_over(self, rec: Recording, away_s: float) -> bool:
        log.warning(
            "recording %s: worker %s has not answered for %.0f s; ending it",
            rec.id,
            rec.owner,
            away_s,
        )
        if self._can_finish(rec):
            return await self._finish(rec, LOST, owner=self.worker_id)
        left = await self.catalog.try_update(
            rec.id,
            when=lambda now: now == rec,
            state="interrupted",
            ended_at=utcnow(),
            end_reason=LEFT,
        )
        if left is None:
            return False
        log.warning("recording %s: its parts are not in this worker's folder: %s", rec.id, LEFT)
        await self.runner.locks.release(left.session_id, left.id)
        await self.runner.events.publish(left, left.state, reason=left.end_reason)
        return True

    async def _finish(
        self, rec: Recording, reason: str, *, owner: str | None = None, reopen: bool = False
    ) -> bool:
        """Claim ``rec`` as it was read (no one changed it since), then finish its file."""
        claim = {"owner": owner} if owner else {}
        claimed = await self.catalog.try_update(
            rec.id, when=lambda now: now == rec, reopen=reopen, state="finalizing", **claim
        )
        if claimed is None:
            log.info("recording %s changed meanwhile: left to whoever changed it", rec.id)
            return False
        try:
            await self.runner.finisher.finish(claimed, "interrupted", reason)
        except Exception:  # logged; the next start or sweep tries again
            log.exception("recording %s: finishing it failed", rec.id)
        return True

    def _can_finish(self, rec: Recording) -> bool:
        """Its parts (or its final file) are in this worker's folder."""
        files = self.runner.files
        return bool(files.parts(rec.id)) or files.final(rec.file_name).exists()

    async def _let_go_of_taken(self) -> None:
        """A recording this worker runs that another has ended meanwhile (this worker was
        cut off for longer than the grace): stop its FFmpeg; the catalog refuses its finish."""
        for rid in list(self.runner.running):
            rec = await self.catalog.get(rid)
            if rec is not None and rec.owner == self.worker_id and rec.end_reason != LEFT:
                continue  # its own (ended by its own finish, which is under way: fine)
            log.warning(
                "recording %s was taken over by worker %s; stopping its FFmpeg",
                rid,
                rec and rec.owner,
            )
            stop = self.runner.stop(rid, "taken over by another worker", TAKEN_STOP_WAIT_S)
            stopping = asyncio.create_task(stop)
            self._stopping.add(stopping)
            stopping.add_done_callback(self._stopping.discard)
