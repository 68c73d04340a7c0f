"""The bench's viewer for the H.264 path (``?format=h264``): it takes each framed unit off
the socket, notes when it arrived, and feeds it to a long-lived FFmpeg decoder; each
picture that comes out is paired with its unit (one picture per unit, in order: the clock
camera is x264 ``zerolatency``, no B-frames) and its clock stamp read.

Latency is camera → unit on this socket: the unit's arrival time minus the stamp in its
picture, the same point the JPEG viewer takes (``measure.Viewer`` stamps a JPEG as it
arrives, before decoding it). What this viewer's decoder adds is measured per picture and
kept apart (``decode_ms``: arrival → picture out of FFmpeg), not in the latency. FFmpeg fed
through a pipe holds two units: a picture comes out once the unit two after it has been
written (measured: units of a 720p25 x264 zerolatency clip written every 40 ms, each picture
out 80-150 ms after its unit, with two units always waiting), so ``decode_ms`` is about two
frame intervals (80 ms at 25 fps) plus the decode. A page's ``VideoDecoder`` gets whole units
(one ``EncodedVideoChunk`` each) and has no such hold; its decode time (a few ms for 720p) is
not measured here. ``backlog_min``, the fewest units waiting in the decoder after a picture,
stays at that hold (2) while every unit gives one picture: more means pictures went missing
and the pairing slipped.

The decoder outputs only the stamp's rows, scaled to a quarter (320 pixels wide for 1280:
the stamp survives any width that is a multiple of 40), so the pipe carries 10 kB a picture
rather than 900 kB; it runs single-threaded (frame threads would hold pictures back). No
``-fflags nobuffer``: FFmpeg then drops what it read while probing the stream (tried: the
first ~50 units, the joiner's GOP, went missing and every pairing after slipped by them).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

import numpy as np
import numpy.typing as npt
from websockets.asyncio.client import connect

from camrec_devstack.cameras.clock import (
    BLACK,
    CELLS_PER_ROW,
    CHECK_BITS,
    INDEX_BITS,
    ROWS,
    WHITE,
    Stamp,
    _check,  # the stamp's own check word: the same rule as read_stamp, not a copy of it
)
from camrec_devstack.h264_units import parse_unit
from camrec_devstack.paths import binary

OUT_WIDTH = 320
OUT_HEIGHT = (ROWS + 1) * OUT_WIDTH // 40
"""The stamp's rows: it starts one cell down and is ROWS cells high (cell = width / 40)."""
CELL = OUT_WIDTH // 40
_WEIGHTS = [1 << (ROWS * CELLS_PER_ROW - 1 - i) for i in range(ROWS * CELLS_PER_ROW)]


def strip_stamp(strip: npt.NDArray[np.uint8]) -> Stamp | None:
    """``clock.read_stamp`` for the decoder's strip, vectorised: the same cells' centres and
    check word, 0.04 ms instead of 1 ms here (16 viewers at 25 fps would spend 40 % of a core
    in the bench's event loop on it, and note arrivals late)."""
    q = max(CELL // 4, 1)
    cells = strip[CELL : CELL * (ROWS + 1), CELL : CELL * (CELLS_PER_ROW + 1)]
    cells = cells.reshape(ROWS, CELL, CELLS_PER_ROW, CELL)[:, q : CELL - q, :, q : CELL - q]
    bits = (cells.mean(axis=(1, 3)) > (BLACK + WHITE) / 2).ravel()
    word = sum(w for w, bit in zip(_WEIGHTS, bits.tolist(), strict=True) if bit)
    index = (word >> CHECK_BITS) & 0xFFFFFFFF
    wall_ms = word >> (INDEX_BITS + CHECK_BITS)
    return Stamp(wall_ms, index) if _check(wall_ms, index) == word & 0xFFFF else None


def decoder_argv(ffmpeg: str) -> list[str]:
    """Annex B units on stdin → the top strip of each picture, grey, on stdout."""
    strip = f"crop=iw:iw*{ROWS + 1}/40:0:0,scale={OUT_WIDTH}:{OUT_HEIGHT}:flags=area"
    return [
        ffmpeg, "-hide_banner", "-v", "error", "-threads", "1",
        "-flags", "low_delay", "-probesize", "32", "-analyzeduration", "0",
        "-f", "h264", "-i", "pipe:0",
        "-vf", strip, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1",
    ]  # fmt: skip


Feed = Callable[[bytes, bool, int, float], None]
"""feed(Annex B unit, key, timestamp µs, arrival time.time())."""


@dataclass
class _Sent:
    arrived: float
    timestamp_us: int
    counted: bool


@dataclass
class H264Viewer:
    """A ``?format=h264`` client; latencies are collected while ``recording``."""

    url: str
    fps: float = 25.0
    frames: int = 0
    """Units received."""
    latencies: list[float] = field(default_factory=list)
    decode_s: list[float] = field(default_factory=list)
    """Arrival → picture out of this viewer's FFmpeg, per picture (not in ``latencies``)."""
    unreadable: int = 0
    """Pictures whose stamp did not check out."""
    mispaired: int = 0
    """Pictures paired with a unit that arrived before the picture was taken, or whose
    stamp's frame number moved by another step than the units' timestamps since the last:
    a picture went missing and the pairing slipped (should stay 0)."""
    backlog_min: int | None = None
    """Fewest units waiting in the decoder after a picture came out, while ``recording``."""
    recording: bool = False
    task: asyncio.Task[None] | None = None
    decoder_pid: int | None = None
    _pending: deque[_Sent] = field(default_factory=deque)
    _last: tuple[int, int] | None = None

    def start(self) -> Self:
        self.task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _run(self) -> None:
        proc = await asyncio.create_subprocess_exec(
            *decoder_argv(binary("ffmpeg")),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        self.decoder_pid = proc.pid
        assert proc.stdin is not None
        pictures = asyncio.create_task(self._pictures(proc))
        errors = asyncio.create_task(_drain(proc))
        started = False

        def feed(data: bytes, key: bool, timestamp_us: int, arrived: float) -> None:
            nonlocal started
            if not started and not key:
                return
            started = True
            self.frames += 1
            self._pending.append(_Sent(arrived, timestamp_us, self.recording))
            stdin.write(data)  # buffered by the transport: never blocks

        stdin = proc.stdin
        try:
            await self._units(feed)
        finally:
            proc.stdin.close()
            pictures.cancel()
            errors.cancel()
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()

    async def _units(self, feed: Feed) -> None:
        """Each unit off the socket, with when it arrived."""
        async with connect(self.url, max_size=None, compression=None) as ws:
            async for message in ws:
                arrived = time.time()
                if isinstance(message, str):
                    continue  # status, or config: FFmpeg reads the SPS in each key unit
                unit = parse_unit(message)
                feed(unit.data, unit.key, unit.timestamp_us, arrived)

    async def _pictures(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        size = OUT_WIDTH * OUT_HEIGHT
        while True:
            data = await proc.stdout.readexactly(size)
            out = time.time()
            sent = self._pending.popleft()
            grey = np.frombuffer(data, np.uint8).reshape(OUT_HEIGHT, OUT_WIDTH)
            stamp = strip_stamp(grey)
            if stamp is None:
                self.unreadable += 1
                self._last = None
                continue
            if sent.arrived < stamp.wall_s or (
                self._last is not None
                and stamp.index - self._last[0]
                != round((sent.timestamp_us - self._last[1]) * self.fps / 1e6)
            ):
                self.mispaired += 1
            self._last = (stamp.index, sent.timestamp_us)
            if sent.counted:
                backlog = len(self._pending)
                self.backlog_min = min(backlog, self.backlog_min or backlog)
                self.latencies.append(sent.arrived - stamp.wall_s)
                self.decode_s.append(out - sent.arrived)


async def _drain(proc: asyncio.subprocess.Process) -> None:
    """FFmpeg's error output, so the pipe never fills; a decode error is worth seeing."""
    assert proc.stderr is not None
    async for line in proc.stderr:
        print(f"  h264 viewer decoder: {line.decode(errors='replace').rstrip()}")
