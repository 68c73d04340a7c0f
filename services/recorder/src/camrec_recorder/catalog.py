"""The recordings catalog in KV ``camrec-recordings`` (key: recording id), and the
one-recording-per-session locks in KV ``camrec-active-recordings`` (key: session id).

Every catalog write is a compare-and-set on the key's KV revision: read, check, change,
write only if nobody wrote in between, else read again and re-apply (so two workers never
lose each other's change). A write also keeps three rules, whoever makes it:
- states move forward only (starting → recording/reconnecting → finalizing → an end), and an
  ended recording keeps its state (``reopen`` lets its owner finish a file left to it);
- a write with no precondition (``when``) is for the writer's own (or a queued) recording:
  another worker's recording changes only under a precondition, e.g. a claim;
- ``when``, if given, must hold on the current value (else the write does not happen)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nats.js.errors import BadRequestError, KeyNotFoundError, KeyWrongLastSequenceError

from camrec_contracts.errors import CamrecError, ErrorCode
from camrec_contracts.recordings import ACTIVE_STATES, Recording
from camrec_runtime.kvstore import Bucket, ModelStore, kv_keys

Check = Callable[[Recording], bool]

CAS_TRIES = 20
"""Writes to one recording come from at most a few places at once (its owner, a stop, a
sweep): 20 lost races in a row means something is wrong, not busy."""
WRONG_LAST_SEQUENCE = 10071
"""JetStream's error code for a write whose expected last revision is not the key's."""
_STAGE = {"starting": 0, "recording": 1, "reconnecting": 1, "finalizing": 2}
_ENDED = 3


class StaleRecording(CamrecError):
    """The recording changed so that this write no longer applies (409)."""

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.CONFLICT, message)


def refusal(
    current: Recording,
    changes: dict[str, Any],
    *,
    worker_id: str | None,
    when: Check | None,
    reopen: bool,
) -> str | None:
    """Why ``changes`` may not be applied to ``current`` (None: they may)."""
    if when is not None and not when(current):
        return f"recording {current.id} is {current.state} (owner {current.owner}): not applied"
    if when is None and current.owner not in (None, worker_id):
        return f"recording {current.id} belongs to worker {current.owner}"
    state = changes.get("state", current.state)
    before = _STAGE.get(current.state, _ENDED)
    after = _STAGE.get(state, _ENDED)
    if before == _ENDED and state != current.state:
        if reopen and state == "finalizing":
            return None
        return f"recording {current.id} has ended ({current.state}): it can't become {state}"
    if after < before:
        return f"recording {current.id} is {current.state}: it can't go back to {state}"
    return None


class Catalog:
    def __init__(self, bucket: Bucket, worker_id: str | None = None) -> None:
        self._store = ModelStore(bucket, Recording)
        self.worker_id = worker_id
        """The worker writing (its unconditional writes are for its own recordings)."""

    async def create(self, recording: Recording) -> Recording:
        try:
            await self._store.create(recording.id, recording)
        except KeyWrongLastSequenceError:
            raise CamrecError(
                ErrorCode.CONFLICT, f"recording {recording.id} exists already"
            ) from None
        return recording

    async def get(self, recording_id: str) -> Recording | None:
        return await self._store.get(recording_id)

    async def require(self, recording_id: str) -> Recording:
        recording = await self.get(recording_id)
        if recording is None:
            raise CamrecError(ErrorCode.NOT_FOUND, f"no recording {recording_id}")
        return recording

    async def update(
        self,
        recording_id: str,
        *,
        when: Check | None = None,
        reopen: bool = False,
        **changes: Any,
    ) -> Recording:
        """Apply ``changes`` by compare-and-set; :class:`StaleRecording` if the rules (see
        the module) or ``when`` refuse them on the current value."""
        for _ in range(CAS_TRIES):
            found = await self._store.get_entry(recording_id)
            if found is None:
                raise CamrecError(ErrorCode.NOT_FOUND, f"no recording {recording_id}")
            current, revision = found
            why = refusal(current, changes, worker_id=self.worker_id, when=when, reopen=reopen)
            if why is not None:
                raise StaleRecording(why)
            changed = current.model_copy(update=changes)
            try:
                await self._store.update(recording_id, changed, last=revision)
            except KeyWrongLastSequenceError:
                continue  # written meanwhile: read it again and re-apply
            return changed
        raise CamrecError(
            ErrorCode.CONFLICT, f"recording {recording_id}: {CAS_TRIES} writes lost in a row"
        )

    async def try_update(
        self, recording_id: str, *, when: Check, reopen: bool = False, **changes: Any
    ) -> Recording | None:
        """:meth:`update` under a precondition; None when it no longer holds (or the
        recording is gone)."""
        try:
            return await self.update(recording_id, when=when, reopen=reopen, **changes)
        except StaleRecording:
            return None
        except CamrecError as error:
            if error.code == ErrorCode.NOT_FOUND:
                return None
            raise

    async def delete(self, recording_id: str) -> None:
        await self._store.delete(recording_id)

    async def all(self) -> list[Recording]:
        """Newest first."""
        return sorted(await self._store.all(), key=lambda r: r.started_at, reverse=True)


class ActiveLocks:
    """At most one active recording per session: a key created atomically per session."""

    def __init__(self, bucket: Bucket, catalog: Catalog) -> None:
        self._bucket = bucket
        self._kv = bucket.kv
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
                raise CamrecError(
                    ErrorCode.CONFLICT,
                    f"session {session_id} is already recording ({holder})",
                )
            try:  # a lock left by a recording that has ended: take it over, atomically
                await self._kv.update(session_id, recording_id.encode(), last=entry.revision)
                return
            except KeyWrongLastSequenceError:
                continue
        raise CamrecError(ErrorCode.CONFLICT, f"session {session_id} is starting a recording")

    async def held(self) -> list[str]:
        """The recordings holding a lock: every active one (a lock is taken before a
        recording is queued and released once it has ended)."""
        held = []
        for session_id in await kv_keys(self._bucket):
            try:
                entry = await self._kv.get(session_id)
            except KeyNotFoundError:  # released
                continue
            if entry.value:
                held.append(entry.value.decode())
        return held

    async def release(self, session_id: str, recording_id: str) -> None:
        try:
            entry = await self._kv.get(session_id)
        except KeyNotFoundError:
            return
        if (entry.value or b"").decode() != recording_id:
            return
        try:
            await self._kv.delete(session_id, last=entry.revision)
        except BadRequestError as error:  # (nats-py's delete doesn't map it to a KV error)
            if error.err_code != WRONG_LAST_SEQUENCE:
                raise  # else taken over meanwhile: the lock is someone else's now
