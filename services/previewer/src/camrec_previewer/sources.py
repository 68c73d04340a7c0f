"""Where preview frames come from: the relay, read once per session.

* :class:`DecodingSource` — any video (H.264, H.265, …) over RTSP/TCP, decoded by OpenCV's
  FFmpeg backend in a thread of its own, scaled and JPEG-encoded once per frame.
* :class:`MjpegSource` — MJPEG cameras: the relay's multipart stream, whose parts are the
  camera's own JPEGs, forwarded untouched unless wider than the limit.

``run(emit)`` reads every frame (never skips) and hands each to ``emit`` on the event loop;
it raises :class:`SourceError` when the stream ends, fails or stalls, and returns only
when cancelled (after its reader has let go of the relay).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Protocol

import cv2
import httpx

from .jpeg import encode, jpeg_size, shrink_jpeg
from .multipart import MultipartError, MultipartSplitter, boundary_of

log = logging.getLogger(__name__)

# Read over TCP, hand out each frame as soon as it is decoded (no input buffering), and
# probe briefly: the relay's SDP already describes the stream. Measured on a warm 720p25
# H.264 relay: FFmpeg's default probing took 2.6-3.0 s to open, this 0.1-0.3 s (the first
# frame then waits for the next keyframe).
os.environ.setdefault(
    "OPENCV_FFMPEG_CAPTURE_OPTIONS",
    "rtsp_transport;tcp|fflags;nobuffer|flags;low_delay|analyzeduration;100000|probesize;32768",
)


class SourceError(Exception):
    """The relay stream could not be read (with a reason a user can read)."""


Emit = Callable[[bytes, int, int, float | None], None]
"""emit(jpeg, width, height, encode_seconds or None when passed through)"""


class Source(Protocol):
    async def run(self, emit: Emit) -> None: ...


class DecodingSource:
    def __init__(self, url: str, max_width: int, quality: int, stall_s: float) -> None:
        self.url = url
        self.max_width = max_width
        self.quality = quality
        self.stall_ms = int(stall_s * 1000)

    async def run(self, emit: Emit) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        stop = threading.Event()

        def settle(error: BaseException | None) -> None:
            if done.done():
                return
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)

        def read() -> None:
            def to_loop(jpeg: bytes, width: int, height: int, encode_s: float | None) -> None:
                loop.call_soon_threadsafe(emit, jpeg, width, height, encode_s)

            error: BaseException | None = None
            try:
                self._read(stop, to_loop)
            except BaseException as exc:
                error = exc
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
                loop.call_soon_threadsafe(settle, error)

        threading.Thread(target=read, name="preview-capture", daemon=True).start()
        try:
            await asyncio.shield(done)
        except asyncio.CancelledError:
            stop.set()  # the reader notices within one frame, or the read time-out
            await asyncio.wait([done])
            raise

    def _read(self, stop: threading.Event, emit: Emit) -> None:
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, self.stall_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            self.stall_ms,
        ]  # fmt: skip
        opening = time.monotonic()
        capture = cv2.VideoCapture(self.url, cv2.CAP_FFMPEG, params)
        try:
            if not capture.isOpened():
                raise SourceError("could not open the relay stream")
            log.info("relay stream opened in %.2f s", time.monotonic() - opening)
            while not stop.is_set():
                ok, image = capture.read()
                if not ok or image is None:
                    raise SourceError("the relay stream ended or stalled")
                started = time.perf_counter()
                jpeg, width, height = encode(image, self.max_width, self.quality)
                if not stop.is_set():
                    emit(jpeg, width, height, time.perf_counter() - started)
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
            emit(part, width, height, None)
            return
        started = time.perf_counter()
        shrunk = await asyncio.to_thread(shrink_jpeg, part, self.max_width, self.quality)
        if shrunk is not None:
            emit(*shrunk, time.perf_counter() - started)
