"""The previewer: which sessions are being previewed, their lifecycle, and the stats request.

A viewer's session is looked up on the proxy (``camrec.sessions.get``) when it connects;
session events (``closing``/``closed``/``failed``) end its preview; a capture that keeps
failing asks the proxy again, so a close missed during a NATS outage still ends it.
"""

from __future__ import annotations

import asyncio
import logging
import re

import httpx
from nats.aio.subscription import Subscription

from camrec_contracts.errors import ErrorCode, RemoteError
from camrec_contracts.events import Event
from camrec_contracts.previews import (
    PREVIEW_STATS,
    PreviewerStats,
    PreviewFormat,
    PreviewStatsRequest,
)
from camrec_contracts.sessions import (
    GET_SESSION,
    SESSION_EVENTS,
    SESSION_ID_PATTERN,
    Session,
    SessionEvent,
    SessionRef,
)
from camrec_runtime.bus import Bus
from camrec_runtime.events import subscribe_events
from camrec_runtime.rpc import Binding, bind, call

from .h264_source import H264Source
from .session_preview import SessionPreview
from .settings import PreviewerSettings
from .sources import DecodingSource, MjpegSource, Source

log = logging.getLogger(__name__)

ENDING_EVENTS = {"closing", "closed", "failed"}


class UnknownSession(Exception):
    """No such session (or it closed): the viewer is closed with 4404."""


class LookupFailed(Exception):
    """The proxy could not be asked: the viewer is closed with 4503."""


class Previewer:
    def __init__(self, bus: Bus, settings: PreviewerSettings, http: httpx.AsyncClient) -> None:
        self.bus = bus
        self.settings = settings
        self.http = http
        self.previews: dict[tuple[str, PreviewFormat], SessionPreview] = {}
        self._events: Subscription | None = None
        self._creating: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        self._events = await subscribe_events(
            self.bus.nc, self._on_session_event, SESSION_EVENTS.wildcard
        )

    async def stop(self) -> None:
        if self._events is not None:
            await self._events.unsubscribe()
        for preview in list(self.previews.values()):
            await preview.end("the previewer is stopping")
        self.previews.clear()

    def bindings(self) -> list[Binding[PreviewStatsRequest, PreviewerStats]]:
        return [bind(PREVIEW_STATS, self.stats)]

    async def stats(self, _: PreviewStatsRequest | None = None) -> PreviewerStats:
        return PreviewerStats(sessions=[p.stats() for p in self.previews.values()])

    # -- viewers ---------------------------------------------------------------------------------
    async def attach(self, session_id: str, wanted: PreviewFormat = "jpeg") -> SessionPreview:
        """The live preview of ``session_id`` in ``wanted`` format if its video allows (H.264
        from an RTSP camera), else JPEG; created on first use."""
        if not re.fullmatch(SESSION_ID_PATTERN, session_id):
            raise UnknownSession(f"no session {session_id!r}")
        lock = self._creating.setdefault(session_id, asyncio.Lock())
        async with lock:
            known = [p for p in self._of(session_id) if not p.ended]
            session = known[0].session if known else await self._lookup(session_id)
            fmt: PreviewFormat = "h264" if wanted == "h264" and sends_h264(session) else "jpeg"
            preview = self.previews.get((session_id, fmt))
            if preview is not None and not preview.ended:
                return preview
            preview = SessionPreview(
                session,
                fmt,
                lambda s: self._source_for(s, fmt),
                self._still_open,
                idle_stop_s=self.settings.preview_idle_stop_s,
                retry_max_s=self.settings.preview_retry_max_s,
                on_idle=self._forget,
            )
            self.previews[(session_id, fmt)] = preview
            return preview

    def _of(self, session_id: str) -> list[SessionPreview]:
        return [p for (sid, _), p in self.previews.items() if sid == session_id]

    async def _lookup(self, session_id: str) -> Session:
        try:
            return await call(self.bus.nc, GET_SESSION, SessionRef(id=session_id))
        except RemoteError as error:
            if error.code is ErrorCode.NOT_FOUND:
                raise UnknownSession(f"no open session {session_id}") from None
            raise LookupFailed(f"cannot check the session: {error.message}") from None

    async def _still_open(self, session_id: str) -> bool:
        try:
            await self._lookup(session_id)
        except UnknownSession:
            return False
        except LookupFailed as error:
            log.warning("preview %s: %s", session_id, error)  # keep trying meanwhile
        return True

    def _source_for(self, session: Session, fmt: PreviewFormat) -> Source:
        s = self.settings
        if fmt == "h264":
            return H264Source(s.relay_reader.url(session.relay_url), s.preview_stall_s)
        if session.source_kind == "mjpeg" and session.relay_mjpeg_url:
            return MjpegSource(
                self.http,
                session.relay_mjpeg_url,
                s.preview_max_width,
                s.preview_jpeg_quality,
                s.preview_stall_s,
            )
        return DecodingSource(
            s.relay_reader.url(session.relay_url),
            s.preview_max_width,
            s.preview_jpeg_quality,
            s.preview_stall_s,
        )

    def _forget(self, preview: SessionPreview) -> None:
        key = (preview.session.id, preview.format)
        if self.previews.get(key) is preview:
            del self.previews[key]
            if not self._of(preview.session.id):
                self._creating.pop(preview.session.id, None)

    async def _on_session_event(self, _subject: str, event: Event) -> None:
        if not isinstance(event, SessionEvent) or event.event not in ENDING_EVENTS:
            return
        for preview in self._of(event.session_id):
            self.previews.pop((preview.session.id, preview.format), None)
            await preview.end("the session was closed")


def sends_h264(session: Session) -> bool:
    """Its relay carries H.264 a browser can decode as it is (RTSP; MJPEG cameras and
    other codecs are previewed as JPEG)."""
    return session.source_kind == "rtsp" and session.video.codec == "h264"
