"""A JetStream KV bucket holding one pydantic model per key (the KV records of the
contracts: sessions, recordings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from nats.js.client import JetStreamContext
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Bucket:
    """A KV bucket and the JetStream context it lives in: listing its keys cheaply
    (:func:`kv_keys`) needs both, and nats-py's ``KeyValue`` keeps them private."""

    js: JetStreamContext
    name: str
    kv: KeyValue


async def open_bucket(js: JetStreamContext, name: str) -> Bucket:
    """An existing bucket (``jetstream.ensure_buckets`` creates them)."""
    return Bucket(js, name, await js.key_value(name))


class ModelStore(Generic[M]):
    def __init__(self, bucket: Bucket, model: type[M]) -> None:
        self.bucket = bucket
        self.kv = bucket.kv
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
        return await kv_keys(self.bucket)

    async def all(self) -> list[M]:
        """Every value (deleted keys skipped)."""
        values = [await self.get(k) for k in await self.keys()]
        return [value for value in values if value is not None]


async def kv_keys(bucket: Bucket) -> list[str]:
    """Keys with a value or a delete marker, from the bucket's stream info.

    Not ``KeyValue.keys()``: that opens a watcher, i.e. an ephemeral consumer that the
    server keeps for a while after it is done, so a list served 100 times a second ran
    into "maximum consumers limit reached" (seen with the bench). Stream info with a
    subject filter creates nothing."""
    prefix = f"$KV.{bucket.name}."
    info = await bucket.js.stream_info(f"KV_{bucket.name}", subjects_filter=f"{prefix}>")
    subjects = info.state.subjects or {}
    return sorted(s.removeprefix(prefix) for s in subjects)
