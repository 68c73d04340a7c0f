"""The proxy's session endpoints: open, close, get, list; and reconciliation at start-up."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import httpx

from camrec_contracts.camera_url import CameraUrl, InvalidCameraUrl, parse_camera_url
from camrec_contracts.errors import CamrecError, ErrorCode
from camrec_contracts.events import utcnow
from camrec_contracts.redact import redact_url
from camrec_contracts.relay_access import RelayReader
from camrec_contracts.sessions import (
    CLOSE_SESSION,
    GET_SESSION,
    LIST_SESSIONS,
    OPEN_SESSION,
    SESSION_EVENTS,
    ListSessionsRequest,
    OpenSessionRequest,
    Session,
    SessionClosed,
    SessionEvent,
    SessionList,
    SessionRecord,
    SessionRef,
)
from camrec_runtime.bus import Bus
from camrec_runtime.rpc import Binding, bind

from .admission import Admission
from .measure import Measurer
from .preflight import preflight
from .probe import probe
from .relay_clients import RelayError
from .relays import Relay, Relays, path_for
from .store import SessionStore

log = logging.getLogger(__name__)

PROBE_RETRY_S = 0.5
_NAME_UNSAFE = re.compile(r"[\x00-\x1f\x7f]+")


def session_name(requested: str | None, cam: CameraUrl) -> str:
    name = _NAME_UNSAFE.sub(" ", requested or "").strip()
    return name or cam.host


@dataclass(eq=False)  # a service object: identity, not value
class SessionService:
    bus: Bus
    relays: Relays
    store: SessionStore
    admission: Admission
    http: httpx.AsyncClient
    _: KW_ONLY
    ffprobe: str = "ffprobe"
    reader: RelayReader = field(default_factory=RelayReader)
    """The relays' read user: the probes read with it; the session's relay_url has none."""
    open_timeout_s: float = 15.0
    measurer: Measurer | None = None

    def bindings(self) -> list[Binding[Any, Any]]:
        return [
            bind(OPEN_SESSION, self.open),
            bind(CLOSE_SESSION, self.close),
            bind(GET_SESSION, self.get),
            bind(LIST_SESSIONS, self.list),
        ]

    async def _event(
        self, event: str, sid: str, url: str, name: str | None = None, reason: str | None = None
    ) -> None:
        await self.bus.events.publish(
            SESSION_EVENTS,
            sid,
            SessionEvent(event=event, session_id=sid, name=name, url=url, reason=reason),
        )

    # -- open --------------------------------------------------------------------------------
    async def open(self, req: OpenSessionRequest) -> Session:
        try:
            cam = parse_camera_url(req.url)
        except InvalidCameraUrl as error:
            raise CamrecError(ErrorCode.INVALID_REQUEST, str(error)) from None
        sid = uuid.uuid4().hex[:12]
        name = session_name(req.name, cam)
        shown = redact_url(cam.url)
        slot = await self.admission.take(sid)
        relay = self.relays.for_source(cam.source_kind)
        path = path_for(sid)
        log.info("session %s opening: %s via %s", sid, shown, relay.kind)
        relay_path = RelayPath(relay, path)
        deadline = asyncio.get_running_loop().time() + self.open_timeout_s
        try:
            # The camera first (bounded by the open time-out, with its own clear errors),
            # then the relay, within what is left of it.
            await preflight(cam, self.http, self.open_timeout_s)
            async with asyncio.timeout_at(deadline):
                session = await self._open(sid, name, cam, relay_path)
            await self.store.put(
                SessionRecord(session=session, source_url=cam.url, relay_path=path, slot=slot)
            )
        except BaseException as error:
            reason = _reason(error, self.open_timeout_s)
            await asyncio.shield(self._undo(relay_path, slot))
            log.info("session %s failed: %s: %s", sid, shown, reason)
            await self._event("failed", sid, shown, name, reason)
            if isinstance(error, CamrecError):
                raise
            if isinstance(error, (TimeoutError, RelayError)):
                raise CamrecError(ErrorCode.UPSTREAM, reason) from None
            raise
        await self._event("ready", sid, shown, name)
        video = session.video
        log.info(
            "session %s ready: %s (%s %dx%d, audio %s)",
            sid,
            shown,
            video.codec,
            video.width,
            video.height,
            session.audio.codec if session.audio else "none",
        )
        if self.measurer is not None:  # in the background: the reply does not wait for it
            self.measurer.measure_now(session)
        return session

    async def _open(self, sid: str, name: str, cam: CameraUrl, relay_path: RelayPath) -> Session:
        relay, path = relay_path.relay, relay_path.path
        await relay_path.add(cam.url)
        await self._event("opened", sid, redact_url(cam.url), name)
        url = relay.rtsp_url(path)
        await relay.wait_ready(path, self.open_timeout_s)
        while True:  # the outer time-out bounds this
            try:
                video, audio = await probe(self.ffprobe, self.reader.url(url), self.open_timeout_s)
                break
            except CamrecError as error:
                last = error
                log.debug("session %s: probe failed (%s); retrying", sid, last.message)
                await asyncio.sleep(PROBE_RETRY_S)
        return Session(
            id=sid,
            name=name,
            url=redact_url(cam.url),
            source_kind=cam.source_kind,
            relay=relay.kind,
            relay_url=url,
            relay_mjpeg_url=relay.mjpeg_url(path) if cam.source_kind == "mjpeg" else None,
            state="ready",
            video=video,
            audio=audio,
            created_at=utcnow(),
        )

    async def _undo(self, relay_path: RelayPath, slot: str) -> None:
        try:
            await relay_path.remove_if_added()
        except RelayError as error:
            log.warning("could not remove relay path %s: %s", relay_path.path, error)
        await self.admission.release(slot)

    # -- close, get, list -----------------------------------------------------------------------
    async def close(self, ref: SessionRef) -> SessionClosed:
        record = await self.store.get(ref.id)
        if record is None:
            return SessionClosed(id=ref.id, closed=False)
        s = record.session
        await self._event("closing", s.id, s.url, s.name)
        if self.measurer is not None:
            await self.measurer.forget(s.id)
        try:
            await self.relays.by_kind(s.relay).remove(record.relay_path)
        except RelayError as error:
            log.warning("session %s: could not remove relay path: %s", s.id, error)
        await self.store.delete(s.id)
        await self.admission.release(record.slot)
        await self._event("closed", s.id, s.url, s.name)
        log.info("session %s closed: %s", s.id, s.url)
        return SessionClosed(id=s.id, closed=True)

    async def get(self, ref: SessionRef) -> Session:
        record = await self.store.get(ref.id)
        if record is None:
            raise CamrecError(ErrorCode.NOT_FOUND, f"no session {ref.id}")
        return record.session

    async def list(self, _: ListSessionsRequest) -> SessionList:
        return SessionList(
            sessions=[r.session for r in await self.store.all()],
            limit=self.admission.max_sessions,
        )

    # -- reconcile ------------------------------------------------------------------------------
    async def reconcile_until_done(self, retry_s: float = 5.0) -> None:
        """Reconcile; while a relay is unreachable, log it and try again every ``retry_s``."""
        while True:
            try:
                await self.reconcile()
                return
            except RelayError as error:
                log.error("reconcile: %s; retrying in %g s", error, retry_s)
            await asyncio.sleep(retry_s)

    async def reconcile(self) -> None:
        """Sessions in KV get their relay paths back; our paths with no session (and no open
        in progress) go; slots whose open died with its proxy are freed."""
        records = await self.store.all()
        held = await self.admission.held()
        stale_after = time.time() - 2 * self.open_timeout_s
        known = {r.session.id for r in records}
        opening = {sid for sid, at in held.values() if sid not in known and at > stale_after}
        for slot, (sid, _at) in held.items():
            if sid not in known and sid not in opening:
                await self.admission.release(slot)
                log.info(
                    "released stale admission %s (session %s never finished opening)", slot, sid
                )
        wanted: dict[str, set[str]] = {r.kind: set() for r in self.relays.distinct()}
        for record in records:
            relay = self.relays.by_kind(record.session.relay)
            wanted[relay.kind].add(record.relay_path)
        for relay in self.relays.distinct():
            present = await relay.paths()
            for record in records:
                if (
                    record.relay_path in wanted[relay.kind] - present
                    and self.relays.by_kind(record.session.relay) is relay
                ):
                    await relay.add(record.relay_path, record.source_url)
                    log.info("session %s: relay path restored on %s", record.session.id, relay.kind)
            for path in present - wanted[relay.kind] - {path_for(s) for s in opening}:
                await relay.remove(path)
                log.info("removed relay path %s on %s: no such session", path, relay.kind)


class RelayPath:
    """An opening session's relay path, and whether the open got as far as adding it, so a
    failed open removes only what it added (a camera refused at pre-flight leaves the relay
    untouched)."""

    def __init__(self, relay: Relay, path: str) -> None:
        self.relay = relay
        self.path = path
        self._asked = False  # the add request went out
        self._added = False  # ... and the relay confirmed it

    async def add(self, source: str) -> None:
        self._asked = True
        await self.relay.add(self.path, source)
        self._added = True

    async def remove_if_added(self) -> None:
        if self._asked and not self._added:
            # The add failed or was cut short by the time-out: the relay may have done it
            # anyway (it answered too late) or not (it refused). Ask it.
            self._added = self.path in await self.relay.paths()
        if self._added:
            await self.relay.remove(self.path)


def _reason(error: BaseException, timeout_s: float) -> str:
    if isinstance(error, CamrecError):
        return error.message
    if isinstance(error, TimeoutError):
        return f"time-out: the camera did not deliver a stream within {timeout_s:g} s"
    if isinstance(error, RelayError):
        return f"relay error: {error}"
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    return f"internal error: {type(error).__name__}"
