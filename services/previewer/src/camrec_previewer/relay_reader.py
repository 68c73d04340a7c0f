"""Reading the relay with OpenCV's FFmpeg backend: opening it (TCP, short probe, no input
buffering; decoded, or raw packets), and a blocking reader run in a thread of its own, its
items handed to the event loop in order; cancelling the task stops the reader and waits for
it to let go."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable

import cv2

from .items import Emit, Item

log = logging.getLogger(__name__)

# Read over TCP, hand out each frame as soon as it is decoded (no input buffering), and
# probe briefly: the relay's SDP already describes the stream. Measured on a warm 720p25
# H.264 relay: FFmpeg's default probing took 2.6-3.0 s to open, this 0.1-0.3 s (the first
# frame then waits for the next keyframe).
os.environ.setdefault(
    "OPENCV_FFMPEG_CAPTURE_OPTIONS",
    "rtsp_transport;tcp|fflags;nobuffer|flags;low_delay|analyzeduration;100000|probesize;32768",
)
# OpenCV opens one capture at a time behind a global lock (kept for FFmpeg versions whose
# open was not thread-safe; its wheel's FFmpeg is). Each RTSP open takes 0.3-2 s, so sixteen
# previews starting together waited 35 s for the last one; four opens measured 4.4-12.1 s
# with the lock, all four 1.76 s without (bench/, docs/performance.md).
os.environ.setdefault("OPENCV_FFMPEG_IS_THREAD_SAFE", "1")


class SourceError(Exception):
    """The relay stream could not be read (with a reason a user can read)."""


def open_relay(url: str, stall_s: float, *, raw: bool = False) -> cv2.VideoCapture:
    """An open capture of ``url`` (``raw``: packets as sent, not decoded); SourceError if
    it can't be opened within ``stall_s``. Opening and each read give up after ``stall_s``."""
    stall_ms = int(stall_s * 1000)
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, stall_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, stall_ms]
    if raw:
        params = [cv2.CAP_PROP_FORMAT, -1, *params]
    opening = time.monotonic()
    capture = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
    if not capture.isOpened():
        capture.release()
        raise SourceError("could not open the relay stream")
    log.info("relay stream opened%s in %.2f s", " raw" if raw else "", time.monotonic() - opening)
    return capture


Reader = Callable[[threading.Event, Emit], None]
"""read(stopping, emit): returns when ``stopping`` is set, raises when the stream fails."""


async def run_in_thread(read: Reader, emit: Emit, name: str) -> None:
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    stopping = threading.Event()

    def settle(error: BaseException | None) -> None:
        if done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)

    def to_loop(item: Item) -> None:
        loop.call_soon_threadsafe(emit, item)

    def body() -> None:
        error: BaseException | None = None
        try:
            read(stopping, to_loop)
        except BaseException as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            loop.call_soon_threadsafe(settle, error)

    threading.Thread(target=body, name=name, daemon=True).start()
    try:
        await asyncio.shield(done)
    except asyncio.CancelledError:
        stopping.set()  # the reader notices within one frame, or the read time-out
        await asyncio.wait([done])
        raise
