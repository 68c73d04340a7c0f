"""The end of a recording: ``finalizing`` in the catalog (which answers a waiting stop), the
final file made from the parts, the final record, the session's lock released, the event."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from camrec_contracts.events import utcnow
from camrec_contracts.recordings import Recording, RecordingState

from .catalog import ActiveLocks, Catalog
from .files import Files
from .finalize import Drop, Final, finalize
from .memory import give_back
from .recording_events import RecordingEvents
from .running import Running
from .settings import RecorderSettings

log = logging.getLogger(__name__)


@dataclass
class Finisher:
    settings: RecorderSettings
    catalog: Catalog
    locks: ActiveLocks
    files: Files
    events: RecordingEvents

    async def finish(
        self,
        rec: Recording,
        state: RecordingState,
        reason: str,
        drops: list[Drop] | None = None,
        audio_expected: bool | None = None,
        run: Running | None = None,
    ) -> Recording:
        """Turn the fragmented file into the final one and record what it holds. ``run``'s
        stop is answered as soon as the catalog says ``finalizing``."""
        rec = await self.catalog.update(rec.id, state="finalizing")
        if run is not None:
            run.recording = rec
            run.ended.set()
        await self.events.publish(rec, "finalizing", reason=reason)
        done = await self._final_file(rec, state, reason, drops or [], audio_expected)
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
        await self.events.publish(
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

    async def _final_file(
        self,
        rec: Recording,
        state: RecordingState,
        reason: str,
        drops: list[Drop],
        audio_expected: bool | None,
    ) -> Final:
        try:
            return await finalize(
                self.settings,
                self.files,
                rec.id,
                rec.file_name,
                state,
                reason,
                drops=drops,
                audio_expected=audio_expected,
                wanted_s=rec.requested_duration_s,
            )
        except Exception as error:  # never leave it 'finalizing': say so, keep the parts
            log.exception("recording %s: finalizing failed", rec.id)
            return Final(
                "failed", f"{reason}; finalizing failed ({error}): the parts are kept in .partial/"
            )
        finally:
            give_back()
