"""Every packet a copy writes, from the copy itself: FFmpeg's ``framecrc`` as a second output
of the same pass (the join), parsed as it comes by a reader process of its own
(:data:`READER`). The health report judges that, so no file is read through for the finish."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import subprocess
import sys
import tempfile
import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import IO

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


READER = [sys.executable, "-m", "camrec_recorder.report_reader"]
"""The report is parsed in a process of its own, which hands back only the packet times (as
C doubles): parsing makes ~100 000 small Python objects per MB of report, and in the
recorder, beside its other recordings' work, the allocator kept them: RSS +6 to +12 MB after
each long finish in the 2 h soak (45 -> 57 -> 51.7 -> 53.2 MB), where the same finish alone
in a process left +1-2 MB (``bench/finish_bench.py``)."""


def dump(written: Written | None, error: str | None = None) -> bytes:
    """The reader's answer: one JSON line (stream indexes, counts, or why the report was
    unreadable), then the video starts, audio starts and audio ends as native doubles."""
    if written is None:
        return json.dumps({"error": error or "no report"}).encode() + b"\n"
    head = {
        "video_index": written.video_index,
        "audio_index": written.audio_index,
        "video": len(written.video),
        "audio": len(written.audio),
    }
    body = written.video.tobytes() + written.audio.starts.tobytes() + written.audio.ends.tobytes()
    return json.dumps(head).encode() + b"\n" + body


def load(data: bytes) -> Written:
    """What :func:`dump` wrote; ``ValueError`` with the reader's reason if it had no report."""
    line, _, body = data.partition(b"\n")
    try:
        head = json.loads(line)
    except ValueError:
        raise ValueError(f"no answer from the report reader: {data[:200]!r}") from None
    if "error" in head:
        raise ValueError(head["error"])
    v, a = head["video"], head["audio"]
    if len(body) != 8 * (v + 2 * a):
        raise ValueError(f"{len(body)} bytes for {v} video and {a} audio packets")
    arrays = [times(), times(), times()]
    offsets = (0, 8 * v, 8 * (v + a), len(body))
    for values, start, end in zip(arrays, offsets, offsets[1:], strict=False):
        values.frombytes(body[start:end])
    written = Written(video=arrays[0], video_index=head["video_index"])
    written.audio.add(arrays[1], arrays[2])
    written.audio_index = head["audio_index"]
    return written


def _copy_reporting(argv: list[str], timeout_s: float) -> tuple[int, bytes, Written | None]:
    """:func:`copy_reporting` in a thread of its own: FFmpeg's report piped straight into
    the reader process (:data:`READER`), whose answer is read at the end."""
    with tempfile.TemporaryFile() as errors:  # a pipe could fill while stdout is read
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors
        )
        assert proc.stdout is not None
        try:
            reader: subprocess.Popen[bytes] | None = subprocess.Popen(
                READER, stdin=proc.stdout, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
        except OSError as error:  # e.g. the interpreter not executable as this user
            log.warning("no report reader process (%s): the report is parsed here", error)
            reader = None
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            for child in (proc, reader):
                if child is not None:
                    child.kill()

        timer = threading.Timer(timeout_s, stop)
        timer.start()
        try:
            if reader is not None:
                proc.stdout.close()  # the reader's now: FFmpeg gets a broken pipe if it dies
                answer, _ = reader.communicate()
            else:
                answer = parse_report(proc.stdout)
            code = proc.wait()
        finally:
            timer.cancel()
            proc.stdout.close()
            for child in (proc, reader):
                if child is not None and child.poll() is None:
                    child.kill()
                    child.wait()
        errors.seek(0)
        err = errors.read()[-2000:]
    if timed_out.is_set():
        err += f" (timed out after {timeout_s:g} s)".encode()
    try:
        return code, err, load(answer) if reader is None or reader.returncode == 0 else None
    except ValueError as error:
        log.warning("the join's packet report is unreadable: %s", error)
        return code, err, None


def parse_report(stream: IO[bytes]) -> bytes:
    """The reader's work in this process, answering as it would (when it can't be started)."""
    report = _Report()
    error: str | None = None
    while chunk := stream.read(CHUNK):  # to the end even when unreadable: FFmpeg must finish
        if error is None:
            try:
                report.feed(chunk)
            except ValueError as problem:
                error = str(problem)
    if error is not None:
        return dump(None, error)
    try:
        return dump(report.close())
    except ValueError as problem:
        return dump(None, str(problem))


async def copy_reporting(argv: list[str], timeout_s: float) -> tuple[int, bytes, Written | None]:
    """Run an FFmpeg copy whose last output is :data:`REPORT` and read that report as it
    comes: exit code, the end of stderr, and what it wrote (None if unreadable)."""
    return await asyncio.to_thread(_copy_reporting, argv, timeout_s)
