"""A JetStream KV bucket holding one pydantic model per key (the KV records of the
contracts: sessions, recordings)."""

from __future__ import annotations

from typing import Generic, TypeVar

from nats.js.client import JetStreamContext
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


class ModelStore(Generic[M]):
    def __init__(self, kv: KeyValue, model: type[M]) -> None:
        self.kv = kv
        self.model = model

    async def put(self, key: str, value: M) -> M:
        await self.kv.put(key, value.model_dump_json().encode())
        return value

    async def get(self, key: str) -> M | None:
        found = await self.get_entry(key)
        return None if found is None else found[0]

    async def get_entry(self, key: str) -> tuple[M, int] | None:
        """The value and its revision (for :meth:`update`); None: no such key, or deleted."""
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:  # also a deleted key
            return None
        if not entry.value or entry.revision is None:
            return None
        return self.model.model_validate_json(entry.value), entry.revision

    async def create(self, key: str, value: M) -> int:
        """Write a new key; ``KeyWrongLastSequenceError`` if it exists. Returns its revision."""
        return await self.kv.create(key, value.model_dump_json().encode())

    async def update(self, key: str, value: M, last: int) -> int:
        """Compare-and-set: write only if the key's revision is still ``last``, else
        ``KeyWrongLastSequenceError``. Returns the new revision."""
        return await self.kv.update(key, value.model_dump_json().encode(), last=last)

    async def delete(self, key: str) -> None:
        await self.kv.delete(key)

    async def keys(self) -> list[str]:
        """Keys with a value or a delete marker (see :func:`kv_keys`)."""
        return await kv_keys(self.kv)

    async def all(self) -> list[M]:
        """Every value (deleted keys skipped)."""
        values = [await self.get(k) for k in await self.keys()]
        return [value for value in values if value is not None]


async def kv_keys(kv: KeyValue) -> list[str]:
    """Keys with a value or a delete marker, from the bucket's stream info.

    Not ``KeyValue.keys()``: that opens a watcher, i.e. an ephemeral consumer that the
    server keeps for a while after it is done, so a list served 100 times a second ran
    into "maximum consumers limit reached" (seen with the bench). Stream info with a
    subject filter creates nothing."""
    js: JetStreamContext = kv._js  # nats-py keeps these private; no public accessor
    bucket: str = kv._name
    prefix = f"$KV.{bucket}."
    info = await js.stream_info(f"KV_{bucket}", subjects_filter=f"{prefix}>")
    subjects = info.state.subjects or {}
    return sorted(s.removeprefix(prefix) for s in subjects)
