"""One JetStream KV bucket kept in memory, so reads cost no NATS round trip.

A :class:`BucketMirror` holds the bucket's current values, decoded, from one long-lived
ordered consumer (what nats-py's ``KeyValue.watch`` uses: the last value of every key, then
every change as the server stores it). It subscribes with a callback of its own rather than
``watch()``'s iterator, which needs a task of ours to drain its queue and blocks delivery when
that task lags; nats-py's ordered consumer still does the heartbeat checks and re-creates the
consumer if the server loses it.

What a read gets:

- NATS disconnected: :class:`CamrecError` ``unavailable`` (503) at once, never the values
  held from before the outage.
- After a reconnect the mirror is reloaded from a fresh consumer (the server may have been
  restarted, and what changed meanwhile was never delivered); reads wait for that reload, up
  to :data:`LOAD_WAIT_S`, then answer 503.
- Otherwise the values as of the last change delivered. :meth:`BucketMirror.sync` waits until
  every write the server had stored when it was called has arrived (read-your-writes after a
  write through a service).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js.api import DeliverPolicy
from pydantic import ValidationError

from camrec_contracts.errors import CamrecError, ErrorCode, validation_message
from camrec_runtime.bus import Bus

log = logging.getLogger(__name__)

T = TypeVar("T")

NATS_UNREACHABLE = "NATS is unreachable (the api reconnects by itself)"

LOAD_WAIT_S = 5.0
"""How long a read waits for a (re)load. A load is one stream info, one consumer create and
the bucket's values: 5 ms for 200 values here (tests/api/test_kv_mirror.py prints it); every
service answered again 0.5 s after a restarted nats-server's JetStream was healthy
(tests/drills/test_nats_restart.py prints it), so 5 s is ten times that."""

SYNC_WAIT_S = 2.0
"""How long :meth:`BucketMirror.sync` waits for the mirror to reach the server's last write.
The mirror trails a write by p99 1.5-6 ms here (tests/api/test_kv_mirror.py prints it); a
mirror still behind after this is reloaded."""

CONSUMER_INACTIVE_S = 60.0
"""The server drops the mirror's consumer this long after the api stops listening (an api
killed without unsubscribing)."""

_KV_OP = "KV-Operation"
_MARKER_REASON = "Nats-Marker-Reason"  # nats-server 2.11+: TTL/age markers
_REMOVED = {"DEL", "PURGE", "MaxAge", "Purge", "Remove"}


@dataclass(eq=False)
class _Load(Generic[T]):
    """The bucket as delivered by one consumer (a new one after each reconnect)."""

    generation: int
    floor: int
    """The stream's last sequence before the consumer was made: once the mirror has reached
    it, every value stored before the load began is in."""
    values: dict[str, T] = field(default_factory=dict)
    revision: int = 0
    live: asyncio.Event = field(default_factory=asyncio.Event)
    moved: asyncio.Event = field(default_factory=asyncio.Event)
    sub: Any = None


class BucketMirror(Generic[T]):
    """Bucket ``bucket`` as ``{key: decode(value)}``; undecodable values are logged, left out."""

    def __init__(
        self, bus: Bus | Callable[[], Bus], bucket: str, decode: Callable[[bytes], T]
    ) -> None:
        self._bus = bus
        self.bucket = bucket
        self.stream = f"KV_{bucket}"
        self._prefix = f"$KV.{bucket}."
        self._decode = decode
        self._load: _Load[T] | None = None
        self._loading: asyncio.Task[_Load[T]] | None = None
        self._version = 0

    @property
    def bus(self) -> Bus:
        """The connection: given, or asked for (the app's, which may be set after start)."""
        return self._bus if isinstance(self._bus, Bus) else self._bus()

    # -- reading --------------------------------------------------------------------------------
    async def values(self) -> tuple[Mapping[str, T], int]:
        """The current values (read them before the next await) and a version that changes
        whenever they do (for caches of what is made from them)."""
        load = await self._live()
        return load.values, self._version

    async def sync(self, wait_s: float = SYNC_WAIT_S) -> None:
        """Return once the mirror holds every write the server had stored when called."""
        await self._live()
        try:
            info = await self.bus.js.stream_info(self.stream)
        except (NatsError, TimeoutError) as error:
            raise _unavailable(f"cannot read KV {self.bucket}: {error}") from None
        target = int(info.state.last_seq)
        deadline = asyncio.get_running_loop().time() + wait_s
        while True:
            load = await self._live()  # a load begun after ``target`` was read covers it
            if load.revision >= target:
                return
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(load.moved.wait(), left)
        log.warning(
            "KV %s mirror at %d, the server at %d after %g s: reloading",
            self.bucket,
            load.revision,
            target,
            wait_s,
        )
        load.generation = -1  # stale: a new consumer, whose load starts after ``target``
        await self._live()

    async def stop(self) -> None:
        if self._loading is not None:
            self._loading.cancel()
        if self._load is not None:
            await self._drop(self._load.sub)
            self._load = None

    # -- loading --------------------------------------------------------------------------------
    async def _live(self) -> _Load[T]:
        if not self.bus.connected:
            raise _unavailable(NATS_UNREACHABLE)
        load = self._load
        if load is None or load.generation != self._generation():
            load = await self._reload()
        if not load.live.is_set():
            try:
                await asyncio.wait_for(asyncio.shield(load.live.wait()), LOAD_WAIT_S)
            except TimeoutError:
                raise _unavailable(
                    f"KV {self.bucket} not loaded within {LOAD_WAIT_S:g} s; try again"
                ) from None
        return load

    async def _reload(self) -> _Load[T]:
        """One load at a time; callers arriving meanwhile share it."""
        if self._loading is None or self._loading.done():
            self._loading = asyncio.create_task(self._new_load())
        try:
            return await asyncio.shield(self._loading)
        except (NatsError, TimeoutError) as error:
            raise _unavailable(f"cannot read KV {self.bucket}: {error}") from None

    async def _new_load(self) -> _Load[T]:
        old, self._load = self._load, None
        if old is not None:
            old.moved.set()  # a sync waiting on it looks again
            await self._drop(old.sub)
        js = self.bus.js
        generation = self._generation()
        info = await js.stream_info(self.stream)
        load: _Load[T] = _Load(generation=generation, floor=int(info.state.last_seq))

        async def on_msg(msg: Msg) -> None:
            self._apply(load, msg)

        load.sub = await js.subscribe(
            f"{self._prefix}>",
            stream=self.stream,
            cb=on_msg,
            ordered_consumer=True,
            deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
            inactive_threshold=CONSUMER_INACTIVE_S,
        )
        try:
            consumer = await load.sub.consumer_info()
        except BaseException:
            await self._drop(load.sub)
            raise
        if load.floor == 0 or (consumer.num_pending == 0 and consumer.delivered.consumer_seq == 0):
            load.live.set()  # nothing to deliver: the bucket is empty
        self._load = load
        self._version += 1
        log.info("KV %s mirrored: %d values", self.bucket, len(load.values))
        return load

    def _apply(self, load: _Load[T], msg: Msg) -> None:
        meta = msg.metadata
        key = msg.subject.removeprefix(self._prefix)
        headers = msg.headers or {}
        removed = headers.get(_KV_OP) in _REMOVED or headers.get(_MARKER_REASON) in _REMOVED
        if removed or not msg.data:
            load.values.pop(key, None)
        else:
            try:
                load.values[key] = self._decode(msg.data)
            except ValidationError as error:  # the message names fields, never their values
                log.warning("KV %s: ignoring %s: %s", self.bucket, key, validation_message(error))
                load.values.pop(key, None)
        load.revision = max(load.revision, meta.sequence.stream)
        self._version += 1
        if meta.num_pending == 0 or load.revision >= load.floor:
            load.live.set()
        load.moved.set()
        load.moved = asyncio.Event()

    async def _drop(self, sub: Any) -> None:
        """Unsubscribe, and delete the consumer rather than leave it to the server for
        :data:`CONSUMER_INACTIVE_S` (best effort: it may be gone with the server)."""
        if sub is None:
            return
        with contextlib.suppress(NatsError, TimeoutError):
            name = (await sub.consumer_info()).name
            await self.bus.js.delete_consumer(self.stream, name)
        with contextlib.suppress(NatsError, TimeoutError):  # closed or closing: gone with it
            await sub.unsubscribe()

    def _generation(self) -> int:
        """Which connection this is: nats-py counts reconnects before it reports connected."""
        return int(self.bus.nc.stats["reconnects"])


def _unavailable(message: str) -> CamrecError:
    return CamrecError(ErrorCode.UNAVAILABLE, message)
