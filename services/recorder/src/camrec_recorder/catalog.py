"""The recordings catalog in KV ``camrec-recordings`` (key: recording id), and the
one-recording-per-session locks in KV ``camrec-active-recordings`` (key: session id)."""

from __future__ import annotations

from typing import Any

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from camrec_contracts.errors import ErrorCode, ServiceError
from camrec_contracts.kvstore import ModelStore
from camrec_contracts.recordings import ACTIVE_STATES, Recording


class Catalog:
    def __init__(self, kv: KeyValue) -> None:
        self._store = ModelStore(kv, Recording)

    async def put(self, recording: Recording) -> Recording:
        return await self._store.put(recording.id, recording)

    async def get(self, recording_id: str) -> Recording | None:
        return await self._store.get(recording_id)

    async def require(self, recording_id: str) -> Recording:
        recording = await self.get(recording_id)
        if recording is None:
            raise ServiceError(ErrorCode.NOT_FOUND, f"no recording {recording_id}")
        return recording

    async def update(self, recording_id: str, **changes: Any) -> Recording:
        current = await self.require(recording_id)
        return await self.put(current.model_copy(update=changes))

    async def delete(self, recording_id: str) -> None:
        await self._store.delete(recording_id)

    async def all(self) -> list[Recording]:
        """Newest first."""
        return sorted(await self._store.all(), key=lambda r: r.started_at, reverse=True)


class ActiveLocks:
    """At most one active recording per session: a key created atomically per session."""

    def __init__(self, kv: KeyValue, catalog: Catalog) -> None:
        self._kv = kv
        self._catalog = catalog

    async def take(self, session_id: str, recording_id: str) -> None:
        for _ in range(3):
            try:
                await self._kv.create(session_id, recording_id.encode())
                return
            except KeyWrongLastSequenceError:
                pass
            try:
                entry = await self._kv.get(session_id)
            except KeyNotFoundError:
                continue  # released meanwhile: try again
            holder = (entry.value or b"").decode()
            running = await self._catalog.get(holder)
            if running is not None and running.state in ACTIVE_STATES:
                raise ServiceError(
                    ErrorCode.CONFLICT,
                    f"session {session_id} is already recording ({holder})",
                )
            try:  # a lock left by a recording that has ended: take it over, atomically
                await self._kv.update(session_id, recording_id.encode(), last=entry.revision)
                return
            except KeyWrongLastSequenceError:
                continue
        raise ServiceError(ErrorCode.CONFLICT, f"session {session_id} is starting a recording")

    async def release(self, session_id: str, recording_id: str) -> None:
        try:
            entry = await self._kv.get(session_id)
        except KeyNotFoundError:
            return
        if (entry.value or b"").decode() == recording_id:
            await self._kv.delete(session_id)
