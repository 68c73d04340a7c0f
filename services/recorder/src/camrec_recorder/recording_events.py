"""A recording's events on ``camrec.events.recordings.<id>``: state changes, and progress as a
heartbeat that is dropped rather than waited for."""

from __future__ import annotations

import logging

from camrec_contracts.recordings import RECORDING_EVENTS, Recording, RecordingEvent
from camrec_runtime.bus import Bus

log = logging.getLogger(__name__)


class RecordingEvents:
    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def publish(self, rec: Recording, event: str, **extra: object) -> None:
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

    async def progress(self, rec: Recording, **figures: object) -> None:
        """Progress is a heartbeat: one that can't be published is dropped, not waited for
        (waiting held up FFmpeg's progress reading, which the stall watchdog counts)."""
        try:
            await self.publish(rec, "progress", **figures)
        except Exception as error:
            log.warning("recording %s: progress event not published (%s)", rec.id, error)
