"""Sessions in KV ``camrec-sessions``, one :class:`SessionRecord` per session id."""

from __future__ import annotations

from nats.js.errors import KeyNotFoundError, NoKeysError
from nats.js.kv import KeyValue

from camrec_contracts.sessions import SessionRecord


class SessionStore:
    def __init__(self, kv: KeyValue) -> None:
        self._kv = kv

    async def put(self, record: SessionRecord) -> None:
        await self._kv.put(record.session.id, record.model_dump_json().encode())

    async def get(self, session_id: str) -> SessionRecord | None:
        try:
            entry = await self._kv.get(session_id)
        except KeyNotFoundError:
            return None
        return SessionRecord.model_validate_json(entry.value) if entry.value else None

    async def delete(self, session_id: str) -> None:
        await self._kv.delete(session_id)

    async def all(self) -> list[SessionRecord]:
        try:
            keys = await self._kv.keys()
        except NoKeysError:
            return []
        records = [r for r in [await self.get(k) for k in keys] if r is not None]
        return sorted(records, key=lambda r: r.session.created_at)
