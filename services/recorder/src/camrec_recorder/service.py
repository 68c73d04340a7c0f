"""The recorder's endpoints (start queues a job, stop goes to the recording's owner) and its
reaction to sessions closing; jobs.py takes the queued starts, sweeper.py lost workers'."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from camrec_contracts.errors import CamrecError, ErrorCode
from camrec_contracts.events import Event, utcnow
from camrec_contracts.recordings import (
    ACTIVE_STATES,
    DELETE_RECORDING,
    GET_RECORDING,
    LIST_RECORDINGS,
    START_RECORDING,
    STOP_RECORDING,
    ListRecordingsRequest,
    Recording,
    RecordingDeleted,
    RecordingJob,
    RecordingList,
    RecordingRef,
    StartRecordingRequest,
    owner_stop_subject,
)
from camrec_contracts.rpc import Endpoint
from camrec_contracts.services import RECORDER
from camrec_contracts.sessions import GET_SESSION, SESSION_EVENTS, SessionEvent, SessionRef
from camrec_runtime.bus import Bus
from camrec_runtime.events import subscribe_events
from camrec_runtime.rpc import Binding, bind, call

from .catalog import Catalog
from .files import Files, file_name
from .fit import FitCheck
from .jobs import Jobs, queued
from .runner import Runner, new_recording_fields
from .sweeper import Sweeper

log = logging.getLogger(__name__)

STOP_WAIT_S = 10.0


class RecorderService:
    def __init__(self, bus: Bus, runner: Runner, catalog: Catalog, files: Files) -> None:
        self.bus = bus
        self.runner = runner
        self.catalog = catalog
        self.files = files
        self.settings = runner.settings
        self.fit = FitCheck(self.settings, catalog, files)
        self.sweeper = Sweeper(bus, runner, catalog)
        self.jobs = Jobs(bus, runner, catalog)
        self.owner_stop = Endpoint(
            service=RECORDER,
            name="owner-stop",
            subject=owner_stop_subject(self.settings.worker_id),
            request=RecordingRef,
            reply=Recording,
            summary="stop a recording this worker runs",
            timeout_s=STOP_WAIT_S + 1,
            concurrent=True,
        )
        self._tasks: list[asyncio.Task[None]] = []

    def bindings(self) -> list[Binding[Any, Any]]:
        return [
            bind(START_RECORDING, self.start),
            bind(STOP_RECORDING, self.stop),
            bind(GET_RECORDING, self.get),
            bind(LIST_RECORDINGS, self.list),
            bind(DELETE_RECORDING, self.delete),
            bind(self.owner_stop, self.stop_owned),
        ]

    # -- endpoints ------------------------------------------------------------------------------
    async def start(self, req: StartRecordingRequest) -> Recording:
        session = await call(self.bus.nc, GET_SESSION, SessionRef(id=req.session_id))
        fit = await self.fit.check(session, req.duration_s)
        rid = uuid.uuid4().hex[:12]
        await self.runner.locks.take(session.id, rid)
        started = utcnow()
        rec = Recording(
            id=rid,
            session_id=session.id,
            session_name=session.name,
            source=session.url,
            state="starting",
            requested_duration_s=req.duration_s,
            started_at=started,
            file_name=file_name(session.name, started, rid),
            fit=fit,
            **new_recording_fields(session),
        )
        await self._record_and_queue(rec, RecordingJob(recording_id=rid, session=session))
        log.info(
            "recording %s queued for session %s (%s; %.0f kbit/s from %s, room for %.0f s)%s",
            rid,
            session.id,
            f"{req.duration_s:g} s" if req.duration_s else "until stopped",
            fit.bitrate_kbps,
            fit.bitrate_from,
            fit.fits_s,
            f": {fit.warning}" if fit.warning else "",
        )
        return rec

    async def _record_and_queue(self, rec: Recording, job: RecordingJob) -> None:
        """Catalog the recording and queue its job; if either fails, nothing is left behind:
        the session lock is released (else the session refused every start) and a cataloged
        recording is ended ``failed`` (else it showed "starting" with no job to start it)."""
        try:
            await self.catalog.create(rec)
        except BaseException:
            await self.runner.locks.release(rec.session_id, rec.id)
            raise
        try:
            await self.jobs.queue(job)
        except Exception as error:
            log.exception("recording %s: its job could not be queued", rec.id)
            with contextlib.suppress(Exception):
                await self.catalog.try_update(
                    rec.id,
                    when=queued,
                    state="failed",
                    ended_at=utcnow(),
                    end_reason=f"it could not be queued for a recorder worker ({error})",
                )
            await self.runner.locks.release(rec.session_id, rec.id)
            raise CamrecError(
                ErrorCode.UNAVAILABLE,
                f"the recording could not be queued for a recorder worker ({error}); "
                "nothing was recorded, try again",
            ) from error

    async def stop(self, ref: RecordingRef) -> Recording:
        rec = await self.catalog.require(ref.id)
        if rec.state not in ACTIVE_STATES:
            return rec  # already ended: stopping is idempotent
        if rec.owner is None:  # still queued: it never started, unless a worker takes it now
            stopped = await self.catalog.try_update(
                rec.id,
                when=queued,
                state="stopped",
                ended_at=utcnow(),
                end_reason="stopped before it started",
            )
            if stopped is not None:
                await self.runner.locks.release(stopped.session_id, stopped.id)
                return stopped
            rec = await self.catalog.require(ref.id)  # taken meanwhile: stop it where it runs
            if rec.state not in ACTIVE_STATES or rec.owner is None:
                return rec
        if rec.owner == self.settings.worker_id:
            return await self.stop_owned(ref)
        target = Endpoint(**{**self.owner_stop.__dict__, "subject": owner_stop_subject(rec.owner)})
        return await call(self.bus.nc, target, ref)

    async def stop_owned(self, ref: RecordingRef) -> Recording:
        await self.jobs.taken(ref.id)  # this worker taking it from the queue: stop it once it runs
        try:
            final = await self.runner.stop(ref.id, "stopped", STOP_WAIT_S)
        except TimeoutError:
            raise CamrecError(
                ErrorCode.TIMEOUT,
                f"recording {ref.id}: FFmpeg did not stop within {STOP_WAIT_S:g} s",
            ) from None
        return final if final is not None else await self.catalog.require(ref.id)

    async def get(self, ref: RecordingRef) -> Recording:
        return await self.catalog.require(ref.id)

    async def list(self, _: ListRecordingsRequest) -> RecordingList:
        return RecordingList(recordings=await self.catalog.all())

    async def delete(self, ref: RecordingRef) -> RecordingDeleted:
        rec = await self.catalog.require(ref.id)
        if rec.state in ACTIVE_STATES:
            raise CamrecError(
                ErrorCode.CONFLICT, f"recording {rec.id} is {rec.state}: stop it first"
            )
        for path in (
            self.files.final(rec.file_name),
            self.files.partial(rec.id),
            self.files.thumbnail(rec.id),
        ):
            path.unlink(missing_ok=True)
        await self.catalog.delete(rec.id)
        log.info("recording %s deleted (%s)", rec.id, rec.file_name)
        return RecordingDeleted(id=rec.id)

    # -- background work ------------------------------------------------------------------------
    async def start_background(self) -> None:
        await subscribe_events(self.bus.nc, self._on_session_event, SESSION_EVENTS.wildcard)
        await self.jobs.declare()

    async def when_visible(self) -> None:
        """Once other workers see this one (it answers pings): take its own recordings back
        (before that, a sweeper could take them at the same time), then take jobs and sweep
        for lost workers."""
        await self.sweeper.take_back_own()
        self._tasks.append(asyncio.create_task(self.jobs.run()))
        self._tasks.append(asyncio.create_task(self.sweeper.run()))

    async def stop_background(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.jobs.close()
        await self.runner.stop_all("the recorder was shut down")

    async def _on_session_event(self, _subject: str, event: Event) -> None:
        if not isinstance(event, SessionEvent) or event.event != "closing":
            return
        for run in list(self.runner.running.values()):
            if run.recording.session_id == event.session_id:
                log.info("recording %s: session %s is closing", run.recording.id, event.session_id)
                await self.runner.stop(run.recording.id, "the session was closed", 30)
