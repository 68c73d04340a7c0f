"""Each session's real frame rate and bitrate (``Session.measured``), read from its relay.

A session is measured as soon as it is ready, then again every ``interval_s`` by one loop
over the sessions in KV (not one task per session), so the sessions a restarted proxy finds
in KV are measured too. A measurement is a few seconds of ffprobe on the relay
(``camrec_contracts.measurements``); a failed one is logged and retried at the next round.
The record is updated with compare-and-set, so a session closed meanwhile stays closed.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError

from camrec_contracts.events import utcnow
from camrec_contracts.measurements import StreamMeasurement
from camrec_contracts.relay_access import RelayReader
from camrec_contracts.sessions import SESSION_EVENTS, Session, SessionEvent, SessionRecord
from camrec_runtime.bus import Bus
from camrec_runtime.kvstore import Bucket
from camrec_runtime.measure import measure

from .store import SessionStore

log = logging.getLogger(__name__)

RETRY_S = 30.0
"""A round runs at least this often: missing and failed measurements are retried then."""


class Measurer:
    def __init__(
        self,
        bus: Bus,
        bucket: Bucket,
        *,
        ffprobe: str = "ffprobe",
        interval_s: float = 300.0,
        reader: RelayReader | None = None,
    ) -> None:
        self.reader = reader or RelayReader()
        self.bus = bus
        self.kv = bucket.kv
        self.store = SessionStore(bucket)
        self.ffprobe = ffprobe
        self.interval_s = interval_s
        self.round_s = min(interval_s, RETRY_S) if interval_s > 0 else RETRY_S
        self._running: dict[str, asyncio.Task[None]] = {}
        self._rounds: asyncio.Task[None] | None = None
        self._stopped = False

    def start(self) -> None:
        self._rounds = asyncio.create_task(self._loop(), name="camrec-measure-rounds")

    async def stop(self) -> None:
        self._stopped = True
        tasks = [t for t in (self._rounds, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)
        self._running.clear()

    def measure_now(self, session: Session) -> asyncio.Task[None] | None:
        """Measure ``session`` in the background (unless that is under way already). None
        once stopped: the next proxy's first round measures it."""
        task = self._running.get(session.id)
        if task is None and not self._stopped:
            task = asyncio.create_task(self._measure(session), name=f"camrec-measure-{session.id}")
            self._running[session.id] = task
            task.add_done_callback(lambda done: self._done(session.id, done))
        return task

    async def forget(self, session_id: str) -> None:
        """The session is closing: stop measuring it, so nothing it measured outlives it."""
        task = self._running.pop(session_id, None)
        if task is not None:
            task.cancel()
            await asyncio.wait([task])

    def _done(self, session_id: str, task: asyncio.Task[None]) -> None:
        if self._running.get(session_id) is task:
            del self._running[session_id]

    def _due(self, session: Session) -> bool:
        if session.measured is None:
            return True
        age = utcnow() - session.measured.measured_at
        return self.interval_s > 0 and age >= timedelta(seconds=self.interval_s)

    async def _loop(self) -> None:
        while True:
            try:
                for record in await self.store.all():
                    if self._due(record.session):
                        self.measure_now(record.session)
            except Exception as error:  # NATS trouble: the next round tries again
                log.warning("measurements: could not list sessions: %s", error)
            await asyncio.sleep(self.round_s)

    async def _measure(self, session: Session) -> None:
        sid = session.id
        try:
            measured = await measure(self.ffprobe, self.reader.url(session.relay_url), utcnow())
            if measured is None:
                log.info("session %s: not measurable now; retry within %g s", sid, self.round_s)
                return
            if not await self._save(sid, measured):
                log.info("session %s: closed or changed while measured; measurement dropped", sid)
                return
            event = SessionEvent(
                event="measured",
                session_id=sid,
                name=session.name,
                url=session.url,
                measured=measured,
            )
            await self.bus.events.publish(SESSION_EVENTS, sid, event)
            log.info(
                "session %s measured: %s fps, %.0f kbit/s over %.1f s",
                sid,
                "?" if measured.fps is None else f"{measured.fps:g}",
                measured.bitrate_kbps,
                measured.seconds,
            )
        except Exception as error:  # never breaks the session; the next round tries again
            log.warning("session %s: measuring failed: %s: %s", sid, type(error).__name__, error)

    async def _save(self, sid: str, measured: StreamMeasurement) -> bool:
        """Set the record's measurement unless the session is gone (or changed) meanwhile."""
        try:
            entry = await self.kv.get(sid)
        except KeyNotFoundError:
            return False
        if not entry.value:
            return False
        record = SessionRecord.model_validate_json(entry.value)
        session = record.session.model_copy(update={"measured": measured})
        data = record.model_copy(update={"session": session}).model_dump_json().encode()
        try:
            await self.kv.update(sid, data, last=entry.revision)
        except KeyWrongLastSequenceError:
            return False
        return True
