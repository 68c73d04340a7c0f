"""Sessions in KV ``camrec-sessions``, one :class:`SessionRecord` per session id."""

from __future__ import annotations

from camrec_contracts.sessions import SessionRecord
from camrec_runtime.kvstore import Bucket, ModelStore


class SessionStore:
    def __init__(self, bucket: Bucket) -> None:
        self._store = ModelStore(bucket, SessionRecord)

    async def put(self, record: SessionRecord) -> None:
        await self._store.put(record.session.id, record)

    async def get(self, session_id: str) -> SessionRecord | None:
        return await self._store.get(session_id)

    async def delete(self, session_id: str) -> None:
        await self._store.delete(session_id)

    async def all(self) -> list[SessionRecord]:
        """Oldest first."""
        return sorted(await self._store.all(), key=lambda r: r.session.created_at)
