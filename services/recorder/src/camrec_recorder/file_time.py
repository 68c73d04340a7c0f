"""File time: how much video one part of a recording holds while FFmpeg writes it, and when
a timed part holds enough.

The final file holds each part from its first video frame (the finish cuts there), so a
part's file time is FFmpeg's time minus the part's keyframe wait ``k`` (``keyframes.py``),
read once per part: each part (one connection to the source) waits for its own keyframe.

A timed part is stopped by the recorder once its video holds what is left of the recording
(plus :data:`STOP_MARGIN_S`; the finish cuts the file to the length asked), so the
over-record follows the source's GOP. FFmpeg's time is the furthest of its tracks: a source
whose video arrives late (behind its audio) is waited for by its frame count too. FFmpeg's
``-t`` stays as a safety net, :data:`MAX_KEYFRAME_WAIT_S` later (it ends each track at that
time, the video too): a source whose GOP is longer gets a short part, and the recorder
records what is missing in another part.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path

from camrec_contracts.sessions import Session

from .keyframes import probe_keyframe_wait
from .supervisor import Progress

log = logging.getLogger(__name__)

Stop = Callable[[], Coroutine[object, object, None]]
"""The supervisor's graceful stop."""

MAX_KEYFRAME_WAIT_S = 10.0
"""The longest keyframe wait a timed part is recorded past ``-t`` for (the longest GOP
followed)."""
STOP_MARGIN_S = 0.5
"""A timed part is stopped this far past what is left: FFmpeg's out_time ran ahead of the
copied video's end by at most 0.06 s (measured, 6 s GOP camera, a reading a second)."""
READING_EVERY_S = 1.0
"""FFmpeg's progress comes once a second (``-stats_period 1``, ffmpeg_args)."""
PROBE_TRIES = 30
"""Readings of a part's file that may fail to give its video's start (a header is usually
readable at the first try) before the part counts from FFmpeg's first packet, as FFmpeg
does: a file that never says is not read again every second for hours."""


def video_rate(session: Session) -> float | None:
    """The source's frame rate: the proxy's measurement, else its header's; None if neither."""
    measured = session.measured.fps if session.measured is not None else None
    for rate in (measured, session.video.fps):
        if rate is not None and rate > 0:
            return rate
    return None


class PartClock:
    """File time of one part from FFmpeg's ``out_time``; whether a timed part holds enough.

    ``left_s`` is the file time this part should hold (a timed recording), None when it
    runs until stopped; ``fps`` the source's frame rate, if known."""

    def __init__(
        self, ffprobe: str, path: Path, left_s: float | None, fps: float | None = None
    ) -> None:
        self.ffprobe = ffprobe
        self.path = path
        self.left_s = left_s
        self.fps = fps
        self.wait_s: float | None = None
        """``k``, once read from the part's file."""
        self._probe: asyncio.Task[None] | None = None
        self._tries = 0
        self._stopping: asyncio.Task[None] | None = None

    def update(self, progress: Progress) -> float:
        """The part's file time now (0 until ``k`` is known; at most ``left_s``: the finish
        cuts a timed file there). Starts reading ``k`` once the file has its header."""
        idle = self._probe is None or self._probe.done()
        if self.wait_s is None and idle and self._has_header():
            self._probe = asyncio.create_task(self._measure())
        file_s = self.file_s(progress.elapsed_s)
        return file_s if self.left_s is None else min(file_s, self.left_s)

    def file_s(self, out_time_s: float) -> float:
        return 0.0 if self.wait_s is None else max(out_time_s - self.wait_s, 0.0)

    def stop_in(self, progress: Progress) -> float | None:
        """A timed part: how long until its video holds what is left plus the margin, when
        that comes before FFmpeg's next reading (live media runs at wall-clock pace); else
        None. Stopping then, not at the next reading, over-records ~0.5 s, not 0.5 to 1.5 s.
        The video's frame count must say so too: FFmpeg's time is its furthest track's, and
        a source whose video came in 2 s behind its audio (the H.265 camera, loaded) made a
        5 s recording 3.1 s long when that time alone was trusted."""
        if self.left_s is None or self.wait_s is None:
            return None
        target = self.left_s + STOP_MARGIN_S
        due = target - self.file_s(progress.elapsed_s)
        if self.fps is not None:
            due = max(due, target - progress.frames / self.fps)
        return max(due, 0.0) if due <= READING_EVERY_S else None

    def stop_once(self, delay_s: float, stop: Stop) -> None:
        """Begin ``stop`` (the supervisor's graceful stop) after ``delay_s``, once, without
        waiting for it: the caller is FFmpeg's progress reader, which must go on reading."""
        if self._stopping is None:
            self._stopping = asyncio.create_task(self._stop_after(delay_s, stop))

    async def _stop_after(self, delay_s: float, stop: Stop) -> None:
        await asyncio.sleep(delay_s)
        await stop()

    async def settle(self, out_time_s: float) -> float:
        """The part's file time once FFmpeg has ended: ``k`` read from the finished file if
        it was not yet (a short part); if it can't be read, FFmpeg's own time (never less
        than was recorded). Not capped: a timed part may hold a little more than asked."""
        if self._stopping is not None and not self._stopping.done():
            self._stopping.cancel()  # FFmpeg ended before the stop was due
        if self._probe is not None:
            await asyncio.gather(self._probe, return_exceptions=True)
        if self.wait_s is None and self._has_header():
            await self._measure()
        if self.wait_s is None:
            log.info("%s: where the video starts could not be read; counting from 0", self.path)
            return out_time_s
        return self.file_s(out_time_s)

    def _has_header(self) -> bool:
        try:
            return self.path.stat().st_size > 0
        except OSError:
            return False

    async def _measure(self) -> None:
        self._tries += 1
        try:
            wait = await probe_keyframe_wait(self.ffprobe, self.path)
        except Exception:  # a probe that fails is tried again with the next progress
            log.exception("%s: reading where the video starts failed", self.path)
            wait = None
        if wait is None and self._tries >= PROBE_TRIES:
            log.warning("%s: where the video starts can't be read; counting from 0", self.path)
            wait = 0.0
        if wait is not None and self.wait_s is None:
            self.wait_s = wait
            log.info("%s: the video starts %.2f s after FFmpeg's first packet", self.path, wait)
