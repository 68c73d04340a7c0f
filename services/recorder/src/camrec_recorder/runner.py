"""Runs this worker's recordings: one Supervisor (one FFmpeg) each, then the finish: remux,
file facts, thumbnail, catalog, event. Never loses a file: whatever ends a recording, the
fragmented file is kept or turned into a regular MP4."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

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
from .ffmpeg_args import needs_video_encode, record_args
from .files import Files
from .media import file_facts, make_thumbnail, remux
from .settings import RecorderSettings
from .supervisor import Ended, Progress, Supervisor

log = logging.getLogger(__name__)

EARLY_END_S = 1.0
"""A timed recording that ends this much short of its duration was cut off by the source."""
DISK_FULL = "No space left on device"
"""What FFmpeg (strerror ENOSPC) says when a write fails for want of space."""


@dataclass
class Running:
    recording: Recording
    supervisor: Supervisor
    stop_reason: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    final: Recording | None = None


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
        argv = record_args(self.s, session, self.files.partial(rec.id), rec.requested_duration_s)

        async def on_progress(p: Progress) -> None:
            await self.event(
                rec,
                "progress",
                elapsed_s=round(p.elapsed_s, 2),
                size_bytes=p.size_bytes,
                bitrate_kbps=p.bitrate_kbps,
            )

        run = Running(rec, Supervisor(argv, on_progress, stall_timeout_s=self.s.stall_timeout_s))
        self.running[rec.id] = run
        asyncio.create_task(self._record(run))  # noqa: RUF006 - kept in self.running
        return run

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
            ended = await run.supervisor.run()
            state, reason = self._outcome(run, ended)
            if ended.kind in ("error", "killed"):
                log.warning("recording %s: %s\n%s", rec.id, ended.reason, ended.stderr_tail)
        except Exception as error:  # FFmpeg could not even start
            log.exception("recording %s: FFmpeg did not run", rec.id)
            state, reason = "failed", f"FFmpeg did not run: {error}"
        try:
            run.final = await self.finish(rec, state, reason)
        finally:
            self.running.pop(rec.id, None)
            self.capacity_freed.set()
            run.done.set()

    def _outcome(self, run: Running, ended: Ended) -> tuple[RecordingState, str]:
        if run.stop_reason is not None:
            return "stopped", run.stop_reason
        if ended.kind == "completed":
            # FFmpeg also exits 0 when the source ends: only a timed recording that reached
            # its duration is finished; anything else was cut off by the camera.
            wanted = run.recording.requested_duration_s
            got = run.supervisor.last.elapsed_s if run.supervisor.last else 0.0
            if wanted is not None and got >= wanted - EARLY_END_S:
                return "finished", "completed"
            return "interrupted", f"the source ended after {got:.1f} s"
        if DISK_FULL in ended.stderr_tail:
            return "interrupted", "disk full: no space left in the recordings folder"
        return "interrupted", ended.reason

    async def finish(self, rec: Recording, state: RecordingState, reason: str) -> Recording:
        """Turn the fragmented file into the final one and record what it holds."""
        rec = await self.catalog.update(rec.id, state="finalizing")
        partial = self.files.partial(rec.id)
        final = self.files.final(rec.file_name)
        fragmented = False
        if partial.exists() and partial.stat().st_size > 0:
            if await remux(self.s.ffmpeg, partial, final):
                partial.unlink()
            else:
                partial.replace(final)  # keep the fragmented file: it plays
                fragmented = True
        if not final.exists():
            state, reason = "failed", f"no file was written: {reason}"
        facts = await file_facts(self.s.ffprobe, final) if final.exists() else None
        if facts is not None and facts.video is None:
            state, reason = "failed", f"the file holds no video: {reason}"
        thumb = bool(facts and facts.video) and await make_thumbnail(
            self.s.ffmpeg, final, self.files.thumbnail(rec.id), facts.duration_s if facts else 0
        )
        rec = await self.catalog.update(
            rec.id,
            state=state,
            end_reason=reason,
            ended_at=utcnow(),
            duration_s=facts.duration_s if facts else None,
            size_bytes=final.stat().st_size if final.exists() else 0,
            fragmented=fragmented,
            has_thumbnail=thumb,
            video=facts.video if facts else None,
            audio=facts.audio if facts else None,
        )
        await self.locks.release(rec.session_id, rec.id)
        await self.event(
            rec, state, reason=reason, size_bytes=rec.size_bytes, elapsed_s=rec.duration_s
        )
        log.info(
            "recording %s %s (%s): %s, %.1f s, %d bytes",
            rec.id,
            state,
            reason,
            rec.file_name,
            rec.duration_s or 0,
            rec.size_bytes,
        )
        return rec

    async def stop(self, recording_id: str, reason: str, timeout_s: float) -> Recording | None:
        """Stop a recording this worker runs and wait for its final file."""
        run = self.running.get(recording_id)
        if run is None:
            return None
        if run.stop_reason is None:
            run.stop_reason = reason
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
            if rec.owner == self.s.worker_id and rec.state in ("recording", "finalizing"):
                log.info("recording %s was running when this worker stopped", rec.id)
                await self.finish(rec, "interrupted", "the recorder stopped while recording")


def new_recording_fields(session: Session) -> dict[str, object]:
    return {"transcoded": needs_video_encode(session)}
