"""Where preview frames come from: the relay, read once per session.

* :class:`DecodingSource` — any video (H.264, H.265, …) over RTSP/TCP, decoded by OpenCV's
  FFmpeg backend in a thread of its own, scaled and JPEG-encoded once per frame.
* :class:`MjpegSource` — MJPEG cameras: the relay's multipart stream, whose parts are the
  camera's own JPEGs, forwarded untouched unless wider than the limit.

``run(emit)`` hands each picture to ``emit`` on the event loop (a decoding source behind the
camera skips pictures, see :data:`SKIP_BEHIND_S`); it raises :class:`SourceError` when the
stream ends, fails or stalls, and returns only when cancelled (after its reader has let go
of the relay). H.264 without decoding: ``h264_source.py``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Protocol

import cv2
import httpx

from .items import Emit, Jpeg
from .jpeg import encode, jpeg_size, shrink_jpeg
from .multipart import MultipartError, MultipartSplitter, boundary_of
from .relay_reader import SourceError, open_relay, run_in_thread

log = logging.getLogger(__name__)


class Source(Protocol):
    async def run(self, emit: Emit) -> None: ...


SKIP_BEHIND_S = 0.2
"""Decoding this far behind the camera (5 frames at 25 fps), pictures are decoded but not
converted, scaled or encoded (the larger part of a JPEG preview's cost) until caught up..."""
BEHIND_EVERY_S = 0.5
"""...except one picture per this much of the camera's time, so a preview that can't catch
up still moves (an H.265 camera on a starved machine sent no picture for 10 s when every
picture behind was skipped)."""
REOPEN_BEHIND_S = 1.0
"""Still this far behind: decoding alone can't keep up; the relay is read again from its
live edge (a reconnect), so the preview is never more than about this old."""


class Lag:
    """How far behind the camera a reader is: wall time minus the frame's source time,
    less the smallest such difference seen (the reader's own steady delay)."""

    def __init__(self) -> None:
        self._offset: float | None = None
        self._last: float | None = None

    def behind_s(self, now: float, source_s: float) -> float:
        if self._last is not None and source_s <= self._last:
            return 0.0  # no (new) source time: nothing to judge by
        self._last = source_s
        difference = now - source_s
        if self._offset is None or difference < self._offset:
            self._offset = difference
        return difference - self._offset


class DecodingSource:
    def __init__(self, url: str, max_width: int, quality: int, stall_s: float) -> None:
        self.url = url
        self.max_width = max_width
        self.quality = quality
        self.stall_s = stall_s

    async def run(self, emit: Emit) -> None:
        await run_in_thread(self._read, emit, "preview-capture")

    def _read(self, stopping: threading.Event, emit: Emit) -> None:
        capture = open_relay(self.url, self.stall_s)
        try:
            lag, skipped, sent_at = Lag(), 0, float("-inf")
            while not stopping.is_set():
                if not capture.grab():  # reads and decodes one picture
                    raise SourceError("the relay stream ended or stalled")
                source_s = capture.get(cv2.CAP_PROP_POS_MSEC) / 1000
                behind = lag.behind_s(time.monotonic(), source_s)
                if behind > REOPEN_BEHIND_S:
                    raise SourceError(
                        f"the preview fell {behind:.1f} s behind the camera (CPU too busy): "
                        "reading from the live picture again"
                    )
                if behind > SKIP_BEHIND_S and 0 <= source_s - sent_at < BEHIND_EVERY_S:
                    skipped += 1
                    continue
                sent_at = source_s
                started = time.perf_counter()
                ok, image = capture.retrieve()
                if not ok or image is None:
                    raise SourceError("the relay stream ended or stalled")
                jpeg, width, height = encode(image, self.max_width, self.quality)
                if not stopping.is_set():
                    emit(Jpeg(jpeg, width, height, time.perf_counter() - started, skipped))
                skipped = 0
        finally:
            capture.release()


class MjpegSource:
    def __init__(
        self, http: httpx.AsyncClient, url: str, max_width: int, quality: int, stall_s: float
    ) -> None:
        self.http = http
        self.url = url
        self.max_width = max_width
        self.quality = quality
        self.timeout = httpx.Timeout(stall_s)

    async def run(self, emit: Emit) -> None:
        try:
            async with self.http.stream("GET", self.url, timeout=self.timeout) as response:
                if response.status_code != 200:
                    raise SourceError(f"the relay answered HTTP {response.status_code}")
                splitter = MultipartSplitter(boundary_of(response.headers.get("content-type", "")))
                async for chunk in response.aiter_raw():
                    for part in splitter.feed(chunk):
                        await self._forward(part, emit)
        except httpx.TimeoutException:
            raise SourceError("the relay stream stalled") from None
        except httpx.HTTPError as error:
            raise SourceError(f"the relay stream failed ({type(error).__name__})") from None
        except MultipartError as error:
            raise SourceError(f"the relay stream is not MJPEG: {error}") from None
        raise SourceError("the relay ended the stream")

    async def _forward(self, part: bytes, emit: Emit) -> None:
        size = jpeg_size(part)
        if size is None:
            return  # not a JPEG: nothing a viewer could show
        width, height = size
        if width <= self.max_width:
            emit(Jpeg(part, width, height, None))
            return
        started = time.perf_counter()
        shrunk = await asyncio.to_thread(shrink_jpeg, part, self.max_width, self.quality)
        if shrunk is not None:
            emit(Jpeg(*shrunk, time.perf_counter() - started))
