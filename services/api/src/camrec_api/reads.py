"""What the api reads without asking a service: sessions, the session limit and recordings,
from their KV buckets mirrored in memory (:mod:`.mirror`).

The sessions bucket holds :class:`SessionRecord`s, which carry the camera URL with its
credentials; the mirror keeps only their redacted ``Session``, so nothing else can leak.
Lists are served as JSON bytes made once per change, in the services' order (sessions oldest
first, recordings newest first, ties by id), with the same 404 messages as the services.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel

from camrec_contracts.errors import CamrecError, ErrorCode
from camrec_contracts.jetstream import LIMITS_BUCKET, RECORDINGS_BUCKET, SESSIONS_BUCKET
from camrec_contracts.recordings import Recording, RecordingList
from camrec_contracts.sessions import (
    SESSION_LIMIT_KEY,
    Session,
    SessionLimit,
    SessionList,
    SessionRecord,
)
from camrec_runtime.bus import Bus

from .mirror import BucketMirror

log = logging.getLogger(__name__)

T = TypeVar("T")


def _session(data: bytes) -> Session:
    return SessionRecord.model_validate_json(data).session  # the credentials stop here


class _JsonCache:
    """The last list made, as JSON bytes, with the versions it was made from."""

    def __init__(self) -> None:
        self._key: tuple[int, ...] | None = None
        self._body = b""

    def get(self, key: tuple[int, ...], make: Callable[[], BaseModel]) -> bytes:
        if key != self._key:
            self._body = make().model_dump_json().encode()
            self._key = key
        return self._body


def _by_key(values: Mapping[str, T]) -> list[T]:
    return [values[k] for k in sorted(values)]


class Reads:
    def __init__(self, bus: Bus | Callable[[], Bus]) -> None:
        self.sessions = BucketMirror(bus, SESSIONS_BUCKET, _session)
        self.limits = BucketMirror(bus, LIMITS_BUCKET, SessionLimit.model_validate_json)
        self.recordings = BucketMirror(bus, RECORDINGS_BUCKET, Recording.model_validate_json)
        self._session_list = _JsonCache()
        self._recording_list = _JsonCache()

    async def session_list_json(self) -> bytes:
        sessions, version = await self.sessions.values()
        limits, limits_version = await self.limits.values()
        limit = limits.get(SESSION_LIMIT_KEY)

        def make() -> SessionList:
            ordered = sorted(_by_key(sessions), key=lambda s: s.created_at)
            return SessionList(sessions=ordered, limit=limit.max_sessions if limit else None)

        return self._session_list.get((version, limits_version), make)

    async def session(self, session_id: str) -> Session:
        return await _one(self.sessions, session_id, "session")

    async def recording_list_json(self) -> bytes:
        recordings, version = await self.recordings.values()

        def make() -> RecordingList:
            ordered = sorted(_by_key(recordings), key=lambda r: r.started_at, reverse=True)
            return RecordingList(recordings=ordered)

        return self._recording_list.get((version,), make)

    async def recording(self, recording_id: str) -> Recording:
        return await _one(self.recordings, recording_id, "recording")

    async def after_write(self, mirror: BucketMirror[Any]) -> None:
        """Wait for a write a service has just answered for to reach ``mirror``, so the
        client's next read sees it. The write is answered as done even if this fails: the
        next read then says why it can't answer."""
        try:
            await mirror.sync()
        except CamrecError as error:
            log.warning("after a write to KV %s: %s", mirror.bucket, error.message)

    def _mirrors(self) -> tuple[BucketMirror[Any], ...]:
        return (self.sessions, self.limits, self.recordings)

    async def load(self) -> None:
        """Load every mirror now rather than at the first read; a failure is left to it."""
        for mirror in self._mirrors():
            try:
                await mirror.values()
            except CamrecError as error:
                log.warning("KV %s: %s", mirror.bucket, error.message)

    async def stop(self) -> None:
        for mirror in self._mirrors():
            await mirror.stop()


async def _one(mirror: BucketMirror[T], key: str, what: str) -> T:
    """One value of a mirrored bucket, or NOT_FOUND ("no session 0123456789ab")."""
    values, _ = await mirror.values()
    found = values.get(key)
    if found is None:
        raise CamrecError(ErrorCode.NOT_FOUND, f"no {what} {key}")
    return found
