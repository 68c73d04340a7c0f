"""Packet times without decoding: where a part's video starts and ends (the cut), from its
first and last seconds (the fragments' index finds them), and every packet the join writes,
from the join itself (FFmpeg's ``framecrc`` of its copy, a second output of the same pass),
so no file is read through for the finish."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import re
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .media import run_tool

log = logging.getLogger(__name__)

HEAD_S = 12.0
"""Seconds read from a part's start for its first video frame: the audio FFmpeg writes while
it waits for the first keyframe is up to a GOP long (cameras: up to 10 s)."""
TAIL_S = 4.0
"""Seconds read before a part's end for its last frame (the read starts at the keyframe
before: it holds the last frames)."""
CHUNK = 1 << 20
"""Bytes of the join's packet report parsed at a time (2 h of 25 fps video and 48 kHz AAC:
518 400 lines, 31 MB)."""
REPORT = ["-map", "0", "-c", "copy", "-f", "framecrc", "pipe:1"]
"""A second output for a copy: one line per packet written (stream, dts, pts, duration in
the stream's time base, size, checksum)."""


def extent(spans: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Where video starts and how long it lasts, from its packets' (start, end) spans: first
    start to the last packet's end (its duration included)."""
    if not spans:
        return None
    spans = sorted(spans)
    last_start, last_end = spans[-1]
    if last_end <= last_start:  # the last frame's duration is not stored: take the usual one
        gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(spans))
        last_end = last_start + (gaps[len(gaps) // 2] if gaps else 0.04)
    return spans[0][0], max(last_end, max(end for _, end in spans)) - spans[0][0]


async def _video_spans(
    ffprobe: str, path: Path, interval: str | None
) -> tuple[list[tuple[float, float]], float | None]:
    """The video packets' (start, end) in ``interval`` (all without one), and the file's
    duration."""
    code, out, _ = await run_tool(
        [ffprobe, "-v", "error", "-select_streams", "v:0",
         *(["-read_intervals", interval] if interval else []),
         "-show_entries", "format=duration:packet=pts_time,duration_time",
         "-of", "csv=p=1", str(path)],
        30 if interval else 300,
    )  # fmt: skip
    spans, duration = [], None
    for line in out.decode(errors="replace").split() if code == 0 else []:
        fields = line.split(",")
        with contextlib.suppress(ValueError, IndexError):
            if fields[0] == "format":
                duration = float(fields[1])
            elif fields[0] == "packet":
                pts = float(fields[1])
                length = float(fields[2]) if fields[2] != "N/A" else 0.0
                spans.append((pts, pts + length))
    return spans, duration


async def video_extent(ffprobe: str, path: Path) -> tuple[float, float] | None:
    """The part's video extent from its first and last seconds (a fraction of a second for
    2 h); from every video packet when those don't show both ends."""
    head, duration = await _video_spans(ffprobe, path, f"%+{HEAD_S:g}")
    if head and duration is not None:
        tail, _ = await _video_spans(ffprobe, path, f"{max(duration - TAIL_S, 0):.3f}%")
        if tail:
            return extent(sorted(set(head + tail)))
    spans, _ = await _video_spans(ffprobe, path, None)
    return extent(spans)


@dataclass
class Written:
    """Every packet a copy wrote, from its ``framecrc`` report: video packet starts and
    audio (start, end) spans (s), in the order written, and the stream index of each."""

    video: list[float] = field(default_factory=list)
    audio: list[tuple[float, float]] = field(default_factory=list)
    video_index: int | None = None
    audio_index: int | None = None


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
        for index, times in ((w.video_index, w.video), (w.audio_index, w.audio)):
            if index is None:
                continue
            base = float(self.time_base.get(index, Fraction(1)))
            mine = [s == index for s in streams]
            starts = [int(p) * base for p in itertools.compress(rows[2::6], mine)]
            if times is w.video:
                w.video += starts
            else:
                lengths = [int(d) * base for d in itertools.compress(rows[3::6], mine)]
                w.audio += zip(starts, map(float.__add__, starts, lengths), strict=True)

    def close(self) -> Written:
        self.feed(b"\n")
        return self.written


def _copy_reporting(argv: list[str], timeout_s: float) -> tuple[int, bytes, Written | None]:
    """:func:`copy_reporting` in a thread of its own: blocking reads of :data:`CHUNK` bytes.
    Read from the event loop, the report came in ~700-byte writes (FFmpeg flushes each
    packet's line): 94 000 loop wake-ups, 2.5 s of CPU for 2 h on a loaded machine."""
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
