"""This worker's recordings: starts each one's part loop, stops them (answering once FFmpeg has
stopped), and frees capacity when they end. The work itself is in parts.py (FFmpeg after
FFmpeg), progress.py, ending.py and finishing.py (sweeper.py: recordings whose worker died);
the state they share is running.py's ``Running``."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from camrec_contracts.recordings import Recording
from camrec_contracts.sessions import Session
from camrec_runtime.bus import Bus

from .catalog import ActiveLocks, Catalog, StaleRecording
from .ffmpeg_args import needs_video_encode
from .files import Files
from .finishing import Finisher
from .parts import PartLoop
from .recording_events import RecordingEvents
from .running import Running
from .settings import RecorderSettings

log = logging.getLogger(__name__)

FINAL_WAIT_S = 0.5
"""A stop answers with the final record when the finish takes no longer than this after FFmpeg
stopped (a short recording: 0.1-0.3 s measured), else with the recording ``finalizing``: the
finish of a 2 h file takes several seconds and the stop must answer within 2 s at any length
(FFmpeg's exit + this wait: 1.11 s measured with 1 s here, on a busy machine)."""


class Runner:
    def __init__(
        self,
        settings: RecorderSettings,
        bus: Bus,
        catalog: Catalog,
        locks: ActiveLocks,
        files: Files,
    ) -> None:
        self.settings = settings
        self.catalog = catalog
        self.locks = locks
        self.files = files
        self.events = RecordingEvents(bus)
        self.finisher = Finisher(settings, catalog, locks, files, self.events)
        self.parts = PartLoop(settings, catalog, files, self.events, self.finisher, self.stop_soon)
        self.running: dict[str, Running] = {}
        self.capacity_freed = asyncio.Event()

    @property
    def free_slots(self) -> int:
        return self.settings.worker_capacity - len(self.running)

    def start(self, rec: Recording, session: Session) -> Running:
        run = Running(rec, session)
        self.running[rec.id] = run
        asyncio.create_task(self._record(run))  # noqa: RUF006 - kept in self.running
        return run

    async def _record(self, run: Running) -> None:
        try:
            await self.parts.record(run)
        except StaleRecording as error:  # another worker took it over while this one was away
            log.warning("recording %s: %s; this worker lets go of it", run.recording.id, error)
        finally:
            self.running.pop(run.recording.id, None)
            self.capacity_freed.set()
            run.ended.set()
            run.done.set()

    async def stop(
        self,
        recording_id: str,
        reason: str,
        timeout_s: float,
        final_wait_s: float = FINAL_WAIT_S,
    ) -> Recording | None:
        """Stop a recording this worker runs: once FFmpeg has stopped, answer with the final
        record if the finish is done within ``final_wait_s``, else with the recording
        ``finalizing`` (the finish runs on and publishes its event)."""
        run = self.running.get(recording_id)
        if run is None:
            return None
        if run.stop_reason is None:
            run.stop_reason = reason
        run.stop_requested.set()  # also ends a wait between reconnect attempts
        if run.supervisor is not None:
            await run.supervisor.stop("stopped")
        await asyncio.wait_for(run.ended.wait(), timeout_s)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(run.done.wait(), final_wait_s)
        return run.final or run.recording

    def stop_soon(self, recording_id: str, reason: str) -> None:
        """Stop without waiting (the disk reserve reached, seen while following progress)."""
        run = self.running.get(recording_id)
        if run is not None:
            run.stopper = asyncio.create_task(self._stop_quietly(recording_id, reason))

    async def _stop_quietly(self, recording_id: str, reason: str) -> None:
        try:
            await self.stop(recording_id, reason, 120)
        except Exception:
            log.exception("recording %s: could not stop it (%s)", recording_id, reason)

    async def stop_all(self, reason: str) -> None:
        """Stop every recording and wait for their final files (the worker is going away)."""
        await asyncio.gather(
            *(self.stop(rid, reason, 30, final_wait_s=60) for rid in list(self.running)),
            return_exceptions=True,
        )


def new_recording_fields(session: Session) -> dict[str, object]:
    return {"transcoded": needs_video_encode(session)}
