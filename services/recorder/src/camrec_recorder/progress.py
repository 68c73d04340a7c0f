"""Following one FFmpeg's progress: media time moving on (when the source was last seen), the
source coming back after a drop, the disk reserve, and the progress heartbeat."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from camrec_contracts.events import utcnow

from .catalog import Catalog
from .files import Files
from .finalize import Drop
from .recording_events import RecordingEvents
from .running import Running
from .settings import RecorderSettings
from .supervisor import Progress

log = logging.getLogger(__name__)

StopSoon = Callable[[str, str], None]
"""Ask for a recording to be stopped (recording id, reason) without waiting for it."""


@dataclass(eq=False)  # a service object: identity, not value
class ProgressFollower:
    """Called with each progress block of part ``part`` of ``run``."""

    settings: RecorderSettings
    run: Running
    part: int
    catalog: Catalog
    files: Files
    events: RecordingEvents
    stop_soon: StopSoon

    def __post_init__(self) -> None:
        self.run.part_elapsed_s = 0.0

    async def __call__(self, p: Progress) -> None:
        run = self.run
        if p.elapsed_s > run.part_elapsed_s:
            run.part_elapsed_s = p.elapsed_s
            run.advances.append((utcnow(), time.monotonic()))
        part_s = p.elapsed_s
        clock = run.part_clock
        if clock is not None:
            part_s = clock.update(p)  # file time: from the first video keyframe
            stop_in = clock.stop_in(p)  # a timed part about to hold enough
            if stop_in is not None and run.supervisor is not None:
                clock.stop_once(stop_in, run.supervisor.stop)
        self._watch_reserve()
        if run.recording.state == "reconnecting" and p.elapsed_s > 0:
            await self._resumed()
        if run.progress_publish is not None and not run.progress_publish.done():
            return  # NATS is slow or away: skip this second rather than stall the reader
        run.progress_publish = asyncio.create_task(
            self.events.progress(
                run.recording,
                elapsed_s=round(run.recorded_s + part_s, 2),
                size_bytes=run.recorded_bytes + p.size_bytes,
                bitrate_kbps=p.bitrate_kbps,
            )
        )

    async def _resumed(self) -> None:
        run = self.run
        if run.dropped is not None:
            wall, mono = run.dropped
            run.drops.append(Drop(wall, time.monotonic() - mono))
            run.dropped = None
        run.recording = await self.catalog.update(
            run.recording.id, state="recording", reconnects=run.recording.reconnects + 1
        )
        log.info("recording %s: the source is back (part %d)", run.recording.id, self.part + 1)
        await self.events.publish(run.recording, "resumed", elapsed_s=round(run.recorded_s, 2))

    def _watch_reserve(self) -> None:
        """Free space under the reserve: end the recording cleanly now, before FFmpeg meets
        a full disk (the remux to the final file needs room too)."""
        reserve = self.settings.min_free_mb * 1_000_000
        if reserve <= 0 or self.run.stop_reason is not None:
            return
        free = self.files.free_bytes()
        if free >= reserve:
            return
        reason = (
            f"disk nearly full: {free / 1e6:.1f} MB free, "
            f"{self.settings.min_free_mb} MB kept in reserve"
        )
        log.warning("recording %s: %s; stopping it", self.run.recording.id, reason)
        self.stop_soon(self.run.recording.id, reason)
