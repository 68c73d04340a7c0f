"""Every packet a copy writes, from the copy itself: FFmpeg's ``framecrc`` as a second output
of the same pass (the join), read as it comes. The health report judges that, so no file is
read through for the finish."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import subprocess
import tempfile
import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from .packet_arrays import Spans, times

log = logging.getLogger(__name__)

CHUNK = 1 << 20
"""Bytes of the report parsed at a time (2 h of 25 fps video and 48 kHz AAC: 518 400 lines,
31 MB)."""
REPORT = ["-map", "0", "-c", "copy", "-flush_packets", "0", "-f", "framecrc", "pipe:1"]
"""A second output for a copy: one line per packet written (stream, dts, pts, duration in
the stream's time base, size, checksum). Not flushed per packet (FFmpeg's default for a
pipe): the join of 2 h took 1.5 s of system CPU in writes with it, 0.3-0.6 s without."""


@dataclass
class Written:
    """Every packet a copy wrote, from its ``framecrc`` report: video packet starts and
    audio (start, end) spans (s), in the order written, and the stream index of each. Held
    as arrays (:mod:`.packet_arrays`); lists given are converted."""

    video: array[float] = field(default_factory=times)
    audio: Spans = field(default_factory=Spans)
    video_index: int | None = None
    audio_index: int | None = None

    def __post_init__(self) -> None:
        given_video: Iterable[float] = self.video
        given_audio: Iterable[tuple[float, float]] = self.audio
        if not isinstance(given_video, array):
            self.video = times(given_video)
        if not isinstance(given_audio, Spans):
            self.audio = Spans(given_audio)


_FLAGS = re.compile(r", F=0x[0-9a-fA-F]+")


class _Report:
    """``framecrc`` lines: a header (``#tb 0: 1/90000``, ``#media_type 0: video``...), then
    ``stream, dts, pts, duration, size, checksum[, F=flags]`` per packet. Each chunk is
    split into fields and converted by C loops (``map``): a line-by-line Python loop cost
    more than the join itself."""

    def __init__(self) -> None:
        self.written = Written()
        self.rest = ""
        self.time_base: dict[int, Fraction] = {}

    def _header(self, line: str) -> None:
        key, _, value = line.partition(":")
        kind, _, index = key.partition(" ")
        if not index.isdigit():
            return
        value = value.strip()
        if kind == "#tb":
            with contextlib.suppress(ValueError, ZeroDivisionError):
                self.time_base[int(index)] = Fraction(value)
        elif kind == "#media_type" and value in ("video", "audio"):
            w = self.written
            if value == "video" and w.video_index is None:
                w.video_index = int(index)
            elif value == "audio" and w.audio_index is None:
                w.audio_index = int(index)

    def feed(self, chunk: bytes) -> None:
        text = self.rest + chunk.decode("ascii", "replace")
        cut = text.rfind("\n") + 1
        text, self.rest = text[:cut], text[cut:]
        while text.startswith("#"):
            line, _, text = text.partition("\n")
            self._header(line)
        body = _FLAGS.sub("", text).strip()
        if not body:
            return
        rows = body.replace("\n", ",").split(",")
        if len(rows) % 6:
            raise ValueError(f"unexpected framecrc lines: {text[:200]!r}")
        w = self.written
        streams = list(map(int, rows[0::6]))
        for index in (w.video_index, w.audio_index):
            if index is None:
                continue
            base = float(self.time_base.get(index, Fraction(1)))
            mine = [s == index for s in streams]
            starts = [int(p) * base for p in itertools.compress(rows[2::6], mine)]
            if index == w.video_index:
                w.video.extend(starts)
            else:
                lengths = map(int, itertools.compress(rows[3::6], mine))
                w.audio.add(starts, [s + d * base for s, d in zip(starts, lengths, strict=True)])

    def close(self) -> Written:
        self.feed(b"\n")
        return self.written


def _copy_reporting(argv: list[str], timeout_s: float) -> tuple[int, bytes, Written | None]:
    """:func:`copy_reporting` in a thread of its own: blocking reads of :data:`CHUNK` bytes.
    Read from the event loop as it came (~700-byte pieces), 2 h of report cost 94 000 loop
    wake-ups and 2.5 s of CPU on a loaded machine."""
    with tempfile.TemporaryFile() as errors:  # a pipe could fill while stdout is read
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
        )
        assert proc.stdout is not None
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout_s, stop)
        timer.start()
        report: _Report | None = _Report()
        try:
            while chunk := proc.stdout.read(CHUNK):
                if report is not None:
                    try:
                        report.feed(chunk)
                    except ValueError as error:
                        log.warning("the join's packet report is unreadable: %s", error)
                        report = None
            code = proc.wait()
        finally:
            timer.cancel()
            proc.stdout.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        errors.seek(0)
        err = errors.read()[-2000:]
    if timed_out.is_set():
        err += f" (timed out after {timeout_s:g} s)".encode()
    try:
        return code, err, report.close() if report is not None else None
    except ValueError as error:
        log.warning("the join's packet report is unreadable: %s", error)
        return code, err, None


async def copy_reporting(argv: list[str], timeout_s: float) -> tuple[int, bytes, Written | None]:
    """Run an FFmpeg copy whose last output is :data:`REPORT` and read that report as it
    comes: exit code, the end of stderr, and what it wrote (None if unreadable)."""
    return await asyncio.to_thread(_copy_reporting, argv, timeout_s)
