"""Runs this worker's recordings: one Supervisor (one FFmpeg) each, then the finish: remux,
file facts, thumbnail, catalog, event. Never loses a file: whatever ends a recording, the
fragmented file is kept or turned into a regular MP4."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from pathlib import Path

from camrec_contracts.bus import Bus
from camrec_contracts.events import utcnow
from camrec_contracts.recordings import (
    RECORDING_EVENTS,
    Recording,
    RecordingEvent,
    RecordingState,
)
from camrec_contracts.sessions import Session

from .catalog import ActiveLocks, Catalog
from .disk import output_error
from .ffmpeg_args import needs_video_encode, record_args
from .file_time import MAX_KEYFRAME_WAIT_S, PartClock, video_rate
from .files import Files
from .finalize import Drop, Final, finalize
from .running import Running, last_live_advance
from .settings import RecorderSettings
from .supervisor import Ended, Progress, Supervisor

log = logging.getLogger(__name__)

EARLY_END_S = 1.0
"""A timed recording that ends this much short of its duration was cut off by the source."""
RETRY_FIRST_S = 1.0
RETRY_MAX_S = 5.0
ACTIVE_WORKER_STATES = ("recording", "reconnecting", "finalizing")
"""States of a recording a worker owns and has not finished."""


class Runner:
    def __init__(
        self,
        settings: RecorderSettings,
        bus: Bus,
        catalog: Catalog,
        locks: ActiveLocks,
        files: Files,
    ) -> None:
        self.s = settings
        self.bus = bus
        self.catalog = catalog
        self.locks = locks
        self.files = files
        self.running: dict[str, Running] = {}
        self.capacity_freed = asyncio.Event()

    @property
    def free_slots(self) -> int:
        return self.s.worker_capacity - len(self.running)

    async def event(self, rec: Recording, event: str, **extra: object) -> None:
        await self.bus.events.publish(
            RECORDING_EVENTS,
            rec.id,
            RecordingEvent(
                event=event,
                recording_id=rec.id,
                session_id=rec.session_id,
                state=rec.state,
                **extra,
            ),
        )

    def start(self, rec: Recording, session: Session) -> Running:
        run = Running(rec, session)
        self.running[rec.id] = run
        asyncio.create_task(self._record(run))  # noqa: RUF006 - kept in self.running
        return run

    def _supervisor(self, run: Running, part: int) -> Supervisor:
        """FFmpeg for part ``part``: what is left of a timed recording, into its own file."""
        rec = run.recording
        wanted = rec.requested_duration_s
        left = None if wanted is None else max(wanted - run.recorded_s, 1.0)
        path = self.files.part(rec.id, part)
        # The clock stops a timed part once its video holds ``left``; -t is a safety net.
        safety = None if left is None else left + MAX_KEYFRAME_WAIT_S
        argv = record_args(self.s, run.session, path, safety)

        run.part_elapsed_s = 0.0
        clock = run.part_clock = PartClock(self.s.ffprobe, path, left, video_rate(run.session))

        async def on_progress(p: Progress) -> None:
            if p.elapsed_s > run.part_elapsed_s:
                run.part_elapsed_s = p.elapsed_s
                run.advances.append((utcnow(), time.monotonic()))
            part_s = clock.update(p)  # file time: from the first video keyframe
            stop_in = clock.stop_in(p)  # a timed part about to hold enough
            if stop_in is not None and run.supervisor is not None:
                clock.stop_once(stop_in, run.supervisor.stop)
            self._watch_reserve(run)
            if run.recording.state == "reconnecting" and p.elapsed_s > 0:
                if run.dropped is not None:
                    wall, mono = run.dropped
                    run.drops.append(Drop(wall, time.monotonic() - mono))
                    run.dropped = None
                run.recording = await self.catalog.update(
                    rec.id, state="recording", reconnects=run.recording.reconnects + 1
                )
                log.info("recording %s: the source is back (part %d)", rec.id, part + 1)
                await self.event(run.recording, "resumed", elapsed_s=round(run.recorded_s, 2))
            if run.progress_publish is not None and not run.progress_publish.done():
                return  # NATS is slow or away: skip this second rather than stall the reader
            run.progress_publish = asyncio.create_task(
                self._publish_progress(
                    run.recording,
                    elapsed_s=round(run.recorded_s + part_s, 2),
                    size_bytes=run.recorded_bytes + p.size_bytes,
                    bitrate_kbps=p.bitrate_kbps,
                )
            )

        return Supervisor(argv, on_progress, stall_timeout_s=self.s.stall_timeout_s)

    def _watch_reserve(self, run: Running) -> None:
        """Free space under the reserve: end the recording cleanly now, before FFmpeg meets
        a full disk (the remux to the final file needs room too)."""
        reserve = self.s.min_free_mb * 1_000_000
        if reserve <= 0 or run.stop_reason is not None:
            return
        free = self.files.free_bytes()
        if free >= reserve:
            return
        reason = (
            f"disk nearly full: {free / 1e6:.1f} MB free, {self.s.min_free_mb} MB kept in reserve"
        )
        log.warning("recording %s: %s; stopping it", run.recording.id, reason)
        run.stopper = asyncio.create_task(self._stop_quietly(run.recording.id, reason))

    async def _stop_quietly(self, recording_id: str, reason: str) -> None:
        try:
            await self.stop(recording_id, reason, 120)
        except Exception:
            log.exception("recording %s: could not stop it (%s)", recording_id, reason)

    async def _publish_progress(self, rec: Recording, **figures: object) -> None:
        """Progress is a heartbeat: one that can't be published is dropped, not waited for
        (waiting held up FFmpeg's progress reading, which the stall watchdog counts)."""
        try:
            await self.event(rec, "progress", **figures)
        except Exception as error:
            log.warning("recording %s: progress event not published (%s)", rec.id, error)

    async def _record(self, run: Running) -> None:
        rec = run.recording
        log.info(
            "recording %s started: session %s, %s, %s",
            rec.id,
            rec.session_id,
            "encoding to H.264" if rec.transcoded else "stream copy",
            rec.source,
        )
        await self.event(rec, "started")
        try:
            state, reason = await self._parts(run)
        except Exception as error:  # FFmpeg could not even start
            log.exception("recording %s: FFmpeg did not run", rec.id)
            state, reason = "failed", f"FFmpeg did not run: {error}"
        try:
            run.final = await self.finish(
                run.recording,
                state,
                reason,
                drops=run.drops,
                audio_expected=run.session.audio is not None,
            )
        finally:
            self.running.pop(rec.id, None)
            self.capacity_freed.set()
            run.done.set()

    async def _parts(self, run: Running) -> tuple[RecordingState, str]:
        """Record part after part while the source drops and comes back within the window;
        return how the recording ends."""
        rec = run.recording
        part, dropped_at, wait = 0, time.monotonic(), RETRY_FIRST_S
        while True:
            if run.stop_requested.is_set():
                return "stopped", run.stop_reason or "stopped"
            run.supervisor = self._supervisor(run, part)
            ended = await run.supervisor.run()
            last = run.supervisor.last
            path = self.files.part(rec.id, part)
            got = last.elapsed_s if last else 0.0
            if got > 0 and path.exists():
                clock = run.part_clock
                run.recorded_s += await clock.settle(got) if clock is not None else got
                run.recorded_bytes += path.stat().st_size
                part += 1
                dropped_at, wait = time.monotonic(), RETRY_FIRST_S
                run.dropped = last_live_advance(run, dropped_at)
            else:
                try:
                    path.unlink(missing_ok=True)  # this attempt recorded nothing
                except OSError as error:  # the folder can't be written: said just below
                    log.warning("recording %s: %s", rec.id, error)
            if ended.kind in ("error", "killed"):
                log.warning("recording %s: %s\n%s", rec.id, ended.reason, ended.stderr_tail)
            outcome = self._outcome(run, ended, path)
            if outcome is not None:
                return outcome
            window = self.s.reconnect_window_s
            if time.monotonic() - dropped_at >= window:
                return "interrupted", f"the source was gone for more than {window:g} s"
            if run.recording.state != "reconnecting":
                run.recording = await self.catalog.update(rec.id, state="reconnecting")
                log.info("recording %s: source dropped (%s); reconnecting", rec.id, ended.reason)
                await self.event(run.recording, "reconnecting", reason=ended.reason)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.stop_requested.wait(), wait)
            wait = min(wait * 2, RETRY_MAX_S)

    def _outcome(
        self, run: Running, ended: Ended, output: Path
    ) -> tuple[RecordingState, str] | None:
        """How the recording ends after this FFmpeg, or None: the source dropped, retry."""
        if run.stop_reason is not None:
            return "stopped", run.stop_reason
        wanted = run.recording.requested_duration_s
        if wanted is not None and run.recorded_s >= wanted - EARLY_END_S:
            return "finished", "completed"
        disk = output_error(ended.stderr_tail, output)
        if disk is not None:  # the disk's doing, not the camera's: retrying can't help
            log.warning("recording %s: %s; ending it", run.recording.id, disk.reason)
            return "interrupted", disk.reason
        if ended.kind == "killed":  # by a signal from outside: not the source's doing
            return "interrupted", ended.reason
        if self.s.reconnect_window_s <= 0:
            if ended.kind == "completed":
                return "interrupted", f"the source ended after {run.recorded_s:.1f} s"
            return "interrupted", ended.reason
        return None

    async def finish(
        self,
        rec: Recording,
        state: RecordingState,
        reason: str,
        drops: list[Drop] | None = None,
        audio_expected: bool | None = None,
    ) -> Recording:
        """Turn the fragmented file into the final one and record what it holds."""
        rec = await self.catalog.update(rec.id, state="finalizing")
        try:
            done = await finalize(
                self.s,
                self.files,
                rec.id,
                rec.file_name,
                state,
                reason,
                drops=drops or [],
                audio_expected=audio_expected,
                wanted_s=rec.requested_duration_s,
            )
        except Exception as error:  # never leave it 'finalizing': say so, keep the parts
            log.exception("recording %s: finalizing failed", rec.id)
            done = Final(
                "failed", f"{reason}; finalizing failed ({error}): the parts are kept in .partial/"
            )
        facts = done.facts
        rec = await self.catalog.update(
            rec.id,
            state=done.state,
            end_reason=done.reason,
            ended_at=utcnow(),
            duration_s=facts.duration_s if facts else None,
            size_bytes=done.size_bytes,
            fragmented=done.fragmented,
            reconnects=max(done.parts - 1, 0),
            has_thumbnail=done.thumbnail,
            video=facts.video if facts else None,
            audio=facts.audio if facts else None,
            health=done.health,
        )
        await self.locks.release(rec.session_id, rec.id)
        await self.event(
            rec,
            rec.state,
            reason=rec.end_reason,
            size_bytes=rec.size_bytes,
            elapsed_s=rec.duration_s,
        )
        log.info(
            "recording %s %s (%s): %s, %.1f s, %d bytes; %s",
            rec.id,
            rec.state,
            rec.end_reason,
            rec.file_name,
            rec.duration_s or 0,
            rec.size_bytes,
            rec.health.summary if rec.health else "no health report",
        )
        return rec

    async def stop(self, recording_id: str, reason: str, timeout_s: float) -> Recording | None:
        """Stop a recording this worker runs and wait for its final file."""
        run = self.running.get(recording_id)
        if run is None:
            return None
        if run.stop_reason is None:
            run.stop_reason = reason
        run.stop_requested.set()  # also ends a wait between reconnect attempts
        if run.supervisor is not None:
            await run.supervisor.stop("stopped")
        await asyncio.wait_for(run.done.wait(), timeout_s)
        return run.final

    async def stop_all(self, reason: str) -> None:
        await asyncio.gather(
            *(self.stop(rid, reason, 30) for rid in list(self.running)), return_exceptions=True
        )

    async def recover(self) -> None:
        """After a restart: what this worker owned and did not finish ends ``interrupted``,
        its fragmented file made final."""
        for rec in await self.catalog.all():
            if rec.owner == self.s.worker_id and rec.state in ACTIVE_WORKER_STATES:
                log.info("recording %s was running when this worker stopped", rec.id)
                await self.finish(rec, "interrupted", "the recorder stopped while recording")


def new_recording_fields(session: Session) -> dict[str, object]:
    return {"transcoded": needs_video_encode(session)}
