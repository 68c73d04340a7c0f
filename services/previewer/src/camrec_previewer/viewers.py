"""What each viewer has waiting: a JPEG viewer one picture (the newest), an H.264 viewer the
access units since its last key unit, never more than a few live ones behind.

``take()`` gives the next message for the socket: bytes (a JPEG, or a framed H.264 unit) or
text (an H.264 viewer's decoder configuration, sent before the first unit it applies to)."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from camrec_contracts.previews import PreviewConfig, ViewerStats

from .items import Unit

Message = bytes | str

MAX_LIVE_UNITS = 8
"""An H.264 viewer with more than this many units waiting (0.32 s at 25 fps) is behind: what
waits is dropped and it gets the next key unit, whole. The socket's own send buffer is small
(CAMREC_PREVIEW_SEND_BUFFER_KB), so this is nearly all a slow viewer can be behind."""


@dataclass(frozen=True)
class Frame:
    jpeg: bytes
    width: int
    height: int
    seq: int


class JpegViewer:
    """A one-picture slot: a newer picture replaces an unsent one (counted as skipped)."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.wake = asyncio.Event()
        self.sent = 0
        self.skipped = 0
        self._slot: Frame | None = None

    def offer(self, frame: Frame) -> None:
        if self._slot is not None:
            self.skipped += 1
        self._slot = frame
        self.wake.set()

    def take(self) -> Message | None:
        frame, self._slot = self._slot, None
        return None if frame is None else frame.jpeg

    def stats(self) -> ViewerStats:
        return ViewerStats(viewer=self.number, frames_sent=self.sent, frames_skipped=self.skipped)


class UnitViewer:
    """The units to send, in order, from a key unit on."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.wake = asyncio.Event()
        self.sent = 0
        self.skipped = 0
        self._queue: deque[Unit] = deque()
        self._primed = 0
        """Units at the front that were already sent when it joined (the current key unit
        and what followed, so its picture appears at once): not "behind"."""
        self._waiting_for_key = True
        self._config: PreviewConfig | None = None

    def prime(self, since_key: list[Unit]) -> None:
        """Start with the current key unit and the units that followed it."""
        if since_key and since_key[0].key and not self._queue:
            self._queue.extend(since_key)
            self._primed = len(since_key)
            self._waiting_for_key = False
            self.wake.set()

    def offer(self, unit: Unit) -> None:
        if self._waiting_for_key and not unit.key:
            self.skipped += 1
            return
        if len(self._queue) - self._primed >= MAX_LIVE_UNITS:  # behind: skip to a key unit
            self.skipped += len(self._queue)
            self._queue.clear()
            self._primed = 0
            if not unit.key:
                self._waiting_for_key = True
                self.skipped += 1
                return
        self._waiting_for_key = False
        self._queue.append(unit)
        self.wake.set()

    def take(self) -> Message | None:
        if not self._queue:
            return None
        unit = self._queue[0]
        if unit.config is not self._config and unit.config != self._config:
            self._config = unit.config
            return unit.config.model_dump_json(exclude_none=True)
        self._queue.popleft()
        self._primed = max(0, self._primed - 1)
        return unit.framed

    def stats(self) -> ViewerStats:
        return ViewerStats(viewer=self.number, frames_sent=self.sent, frames_skipped=self.skipped)


Viewer = JpegViewer | UnitViewer
