"""A JetStream KV bucket holding one pydantic model per key (the KV records of the
contracts: sessions, recordings)."""

from __future__ import annotations

from typing import Generic, TypeVar

from nats.js.errors import KeyNotFoundError, NoKeysError
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
        try:
            entry = await self.kv.get(key)
        except KeyNotFoundError:  # also a deleted key
            return None
        return self.model.model_validate_json(entry.value) if entry.value else None

    async def delete(self, key: str) -> None:
        await self.kv.delete(key)

    async def all(self) -> list[M]:
        try:
            keys = await self.kv.keys()
        except NoKeysError:
            return []
        return [value for value in [await self.get(k) for k in keys] if value is not None]
