"""Recording one session: FFmpeg after FFmpeg (one part each) while the source drops and comes
back within the reconnect window, then the finish. Never loses a file: whatever ends a
recording, its parts are kept or turned into the final MP4."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass

from camrec_contracts.recordings import RecordingState

from .catalog import Catalog
from .ending import outcome
from .ffmpeg_args import record_args
from .file_time import MAX_KEYFRAME_WAIT_S, PartClock, video_rate
from .files import Files
from .finishing import Finisher
from .progress import ProgressFollower, StopSoon
from .recording_events import RecordingEvents
from .running import Running, last_live_advance
from .settings import RecorderSettings
from .supervisor import Supervisor

log = logging.getLogger(__name__)

RETRY_FIRST_S = 1.0
RETRY_MAX_S = 5.0


@dataclass(eq=False)  # a service object: identity, not value
class PartLoop:
    settings: RecorderSettings
    catalog: Catalog
    files: Files
    events: RecordingEvents
    finisher: Finisher
    stop_soon: StopSoon

    async def record(self, run: Running) -> None:
        """The whole recording: its parts, then its finish (``run.final``)."""
        rec = run.recording
        log.info(
            "recording %s started: session %s, %s, %s",
            rec.id,
            rec.session_id,
            "encoding to H.264" if rec.transcoded else "stream copy",
            rec.source,
        )
        await self.events.publish(rec, "started")
        try:
            state, reason = await self._parts(run)
        except Exception as error:  # FFmpeg could not even start
            log.exception("recording %s: FFmpeg did not run", rec.id)
            state, reason = "failed", f"FFmpeg did not run: {error}"
        run.final = await self.finisher.finish(
            run.recording,
            state,
            reason,
            drops=run.drops,
            audio_expected=run.session.audio is not None,
            run=run,
        )

    def _supervisor(self, run: Running, part: int) -> Supervisor:
        """FFmpeg for part ``part``: what is left of a timed recording, into its own file."""
        rec = run.recording
        wanted = rec.requested_duration_s
        left = None if wanted is None else max(wanted - run.recorded_s, 1.0)
        path = self.files.part(rec.id, part)
        # The clock stops a timed part once its video holds ``left``; -t is a safety net.
        safety = None if left is None else left + MAX_KEYFRAME_WAIT_S
        argv = record_args(self.settings, run.session, path, safety)
        run.part_clock = PartClock(self.settings.ffprobe, path, left, video_rate(run.session))
        follower = ProgressFollower(
            self.settings, run, part, self.catalog, self.files, self.events, self.stop_soon
        )
        return Supervisor(argv, follower, stall_timeout_s=self.settings.stall_timeout_s)

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
            ends = outcome(self.settings, run, ended, path)
            if ends is not None:
                return ends
            window = self.settings.reconnect_window_s
            if time.monotonic() - dropped_at >= window:
                return "interrupted", f"the source was gone for more than {window:g} s"
            if run.recording.state != "reconnecting":
                run.recording = await self.catalog.update(rec.id, state="reconnecting")
                log.info("recording %s: source dropped (%s); reconnecting", rec.id, ended.reason)
                await self.events.publish(run.recording, "reconnecting", reason=ended.reason)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(run.stop_requested.wait(), wait)
            wait = min(wait * 2, RETRY_MAX_S)
