"""At most N sessions, admitted atomically: a session takes one of the keys ``slot-1`` …
``slot-N`` in KV ``camrec-admission`` with *create* (compare-and-set on "absent"), so two
proxies opening at once can never both take the same slot."""

from __future__ import annotations

import json
import time

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, NoKeysError
from nats.js.kv import KeyValue

from camrec_contracts.errors import CamrecError, ErrorCode


class Admission:
    def __init__(self, kv: KeyValue, max_sessions: int) -> None:
        self._kv = kv
        self.max_sessions = max_sessions

    async def take(self, session_id: str) -> str:
        """Take a free slot for ``session_id`` or raise LIMIT_REACHED."""
        value = json.dumps({"session_id": session_id, "at": time.time()}).encode()
        for i in range(1, self.max_sessions + 1):
            slot = f"slot-{i}"
            try:
                await self._kv.create(slot, value)
            except KeyWrongLastSequenceError:
                continue
            return slot
        n = self.max_sessions
        raise CamrecError(ErrorCode.LIMIT_REACHED, f"{n} sessions already open (max {n})")

    async def release(self, slot: str) -> None:
        await self._kv.delete(slot)

    async def held(self) -> dict[str, tuple[str, float]]:
        """slot -> (session id, when taken)."""
        try:
            keys = await self._kv.keys()
        except NoKeysError:
            return {}
        held: dict[str, tuple[str, float]] = {}
        for key in keys:
            try:
                entry = await self._kv.get(key)
            except KeyNotFoundError:
                continue
            if entry.value:
                data = json.loads(entry.value)
                held[key] = (str(data["session_id"]), float(data["at"]))
        return held
