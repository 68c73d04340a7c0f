"""One session's preview in one format (JPEG or H.264): a single capture fanned out to its
viewers (``viewers.py``: a JPEG viewer holds one picture, an H.264 viewer the units since a
key unit, a few at most beyond it).

The capture starts with the first viewer and stops ``idle_stop_s`` after the last one leaves.
A viewer that can't keep up skips (the newest JPEG; the next H.264 key unit): nobody falls
behind and a slow viewer costs the others nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Awaitable, Callable

from camrec_contracts.previews import (
    PreviewFormat,
    PreviewState,
    PreviewStatus,
    SessionPreviewStats,
)
from camrec_contracts.sessions import Session

from .items import Item, Jpeg, Unit
from .rate import Rate
from .relay_reader import SourceError
from .sources import Source
from .viewers import Frame, JpegViewer, UnitViewer, Viewer

log = logging.getLogger(__name__)

FPS_WINDOW_S = 2.0
RETRY_FIRST_S = 0.5
GOP_MAX_UNITS = 600
"""The units since the last key unit kept for joining viewers, at most (a 10 s GOP at 60 fps):
a camera with longer GOPs has joiners wait for its next key unit instead."""


SourceFactory = Callable[[Session], Source]
StillOpen = Callable[[str], Awaitable[bool]]


class SessionPreview:
    def __init__(
        self,
        session: Session,
        format: PreviewFormat,
        make_source: SourceFactory,
        still_open: StillOpen,
        *,
        idle_stop_s: float,
        retry_max_s: float,
        on_idle: Callable[[SessionPreview], None] = lambda _: None,
    ) -> None:
        self.session = session
        self.format: PreviewFormat = format
        self._make_source = make_source
        self._still_open = still_open
        self._idle_stop_s = idle_stop_s
        self._retry_max_s = retry_max_s
        self._on_idle = on_idle
        self.state: PreviewState = "connecting"
        self.status_version = 0
        """Bumped when state, reason or size change: viewers compare it, per frame, instead of
        building a status to compare."""
        self.reason: str | None = None
        self.width: int | None = None
        self.height: int | None = None
        self.viewers: dict[int, Viewer] = {}
        self._numbers = itertools.count(1)
        self._rate = Rate(FPS_WINDOW_S)
        self._capture: asyncio.Task[None] | None = None
        self._idle: asyncio.Task[None] | None = None
        self.captures_started = 0
        self.frames_in = 0
        self.frames_out = 0
        self.passed_through = 0
        self.skipping = False
        """A decoding source behind the camera is skipping pictures (said in the status)."""
        self.skipped_reading = 0
        self._since_key: list[Unit] = []
        self._encoded = 0
        self._encode_s = 0.0

    # -- viewers ---------------------------------------------------------------------------------
    @property
    def ended(self) -> bool:
        return self.state == "ended"

    @property
    def capturing(self) -> bool:
        return self._capture is not None and not self._capture.done()

    def join(self) -> Viewer:
        if self.ended:
            raise RuntimeError("the preview has ended")
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        viewer: Viewer
        if self.format == "h264":
            viewer = UnitViewer(next(self._numbers))
            viewer.prime(self._since_key)
        else:
            viewer = JpegViewer(next(self._numbers))
        self.viewers[viewer.number] = viewer
        if not self.capturing:
            self._set_state("connecting", None)
            self.captures_started += 1
            self._capture = asyncio.create_task(self._run_capture(), name="preview-capture")
        return viewer

    def leave(self, viewer: Viewer) -> None:
        self.viewers.pop(viewer.number, None)
        if not self.viewers and not self.ended and self._idle is None:
            self._idle = asyncio.create_task(self._stop_when_idle(), name="preview-idle")

    def sent(self, viewer: Viewer) -> None:
        viewer.sent += 1
        self.frames_out += 1

    async def end(self, reason: str) -> None:
        """The session is gone: tell every viewer, stop the capture."""
        self._set_state("ended", reason)
        if self._idle is not None:
            self._idle.cancel()
        await self._stop_capture()

    def status(self) -> PreviewStatus:
        return PreviewStatus(
            state=self.state,
            width=self.width,
            height=self.height,
            fps=self.fps,
            reason=self.reason,
            format=self.format,
            skipping=self.skipping or None,
        )

    @property
    def fps(self) -> float | None:
        return self._rate.per_s(time.monotonic())

    def stats(self) -> SessionPreviewStats:
        return SessionPreviewStats(
            session_id=self.session.id,
            source_kind=self.session.source_kind,
            format=self.format,
            state=self.state,
            capturing=self.capturing,
            captures_started=self.captures_started,
            viewers=len(self.viewers),
            frames_in=self.frames_in,
            frames_out=self.frames_out,
            frames_passed_through=self.passed_through,
            frames_skipped_reading=self.skipped_reading,
            encode_ms_avg=round(1000 * self._encode_s / self._encoded, 3)
            if self._encoded
            else None,
            fps=self.fps,
            per_viewer=[v.stats() for v in self.viewers.values()],
        )

    # -- capture ---------------------------------------------------------------------------------
    def _set_state(self, state: PreviewState, reason: str | None) -> None:
        if self.state == "ended" or (state == self.state and reason == self.reason):
            return
        log.info("preview %s: %s%s", self.session.id, state, f" ({reason})" if reason else "")
        self.state, self.reason = state, reason
        self.status_version += 1
        for viewer in self.viewers.values():
            viewer.wake.set()

    def _emit(self, item: Item) -> None:
        if self.ended:
            return
        now = time.monotonic()
        self.frames_in += 1
        self._rate.add(now)
        if isinstance(item, Jpeg):
            self._count_jpeg(item)
            size: tuple[int | None, int | None] = (item.width, item.height)
        else:
            self._keep_since_key(item)
            size = (item.config.width, item.config.height)
        if size != (self.width, self.height):
            self.width, self.height = size
            self.status_version += 1
        self._set_state("live", None)
        if isinstance(item, Jpeg):
            frame = Frame(item.data, item.width, item.height, self.frames_in)
            for viewer in self.viewers.values():
                if isinstance(viewer, JpegViewer):
                    viewer.offer(frame)
        else:
            for viewer in self.viewers.values():
                if isinstance(viewer, UnitViewer):
                    viewer.offer(item)

    def _count_jpeg(self, item: Jpeg) -> None:
        if item.encode_s is None:
            self.passed_through += 1
        else:
            self._encoded += 1
            self._encode_s += item.encode_s
        self.skipped_reading += item.skipped_before
        skipping = item.skipped_before > 0
        if skipping != self.skipping:
            self.skipping = skipping
            self.status_version += 1

    def _keep_since_key(self, unit: Unit) -> None:
        if unit.key:
            self._since_key = [unit]
        elif self._since_key and len(self._since_key) < GOP_MAX_UNITS:
            self._since_key.append(unit)
        else:
            self._since_key = []

    async def _run_capture(self) -> None:
        wait = RETRY_FIRST_S
        while not self.ended:
            received = self.frames_in
            try:
                await self._make_source(self.session).run(self._emit)
                reason = "the relay stream ended"
            except SourceError as error:
                reason = str(error)
            except Exception as error:  # a reader bug must not end the preview for good
                log.exception("preview %s: capture failed", self.session.id)
                reason = f"capture failed: {type(error).__name__}"
            if self.frames_in > received:
                wait = RETRY_FIRST_S  # it was live: start the backoff over
            self._rate.clear()
            self._since_key = []
            self._set_state("reconnecting", reason)
            if not await self._still_open(self.session.id):
                await self._end_from_capture("the session was closed")
                return
            await asyncio.sleep(wait)
            wait = min(wait * 2, self._retry_max_s)

    async def _end_from_capture(self, reason: str) -> None:
        self._set_state("ended", reason)
        self._on_idle(self)

    async def _stop_capture(self) -> None:
        task, self._capture = self._capture, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _stop_when_idle(self) -> None:
        await asyncio.sleep(self._idle_stop_s)
        self._idle = None
        if self.viewers:
            return
        await self._stop_capture()
        log.info("preview %s: nobody watching, capture stopped", self.session.id)
        if not self.viewers:
            self._on_idle(self)
