"""Run one FFmpeg: read its ``-progress`` output, keep its last stderr lines, stop it
gracefully (``q`` on stdin, wait, SIGINT, wait, SIGKILL), notice when it stalls, and say
why it ended."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import signal
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from camrec_contracts.redact import redact_text

log = logging.getLogger(__name__)

EndKind = Literal["completed", "stopped", "stalled", "killed", "error"]


@dataclass(frozen=True)
class Progress:
    elapsed_s: float
    size_bytes: int
    bitrate_kbps: float | None
    frames: int = 0
    """Video frames written so far (``frame=``)."""


@dataclass(frozen=True)
class Ended:
    kind: EndKind
    returncode: int | None
    reason: str
    stderr_tail: str


def _die_with_parent() -> None:  # in the child, before exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: FFmpeg finishes its file and exits


MIN_BITRATE_SPAN_S = 0.5


def parse_progress(block: dict[str, str]) -> Progress | None:
    try:
        elapsed = int(block.get("out_time_us", "")) / 1_000_000
    except ValueError:
        return None
    size = int(block["total_size"]) if block.get("total_size", "").isdigit() else 0
    rate = block.get("bitrate", "").removesuffix("kbits/s").strip()
    try:
        bitrate: float | None = float(rate)
    except ValueError:
        bitrate = None
    if elapsed < MIN_BITRATE_SPAN_S:
        bitrate = None  # bytes over almost no time: FFmpeg reports nonsense (925090 kbit/s seen)
    frames = int(block["frame"]) if block.get("frame", "").isdigit() else 0
    return Progress(max(0.0, elapsed), size, bitrate, frames)


class Supervisor:
    def __init__(
        self,
        argv: Sequence[str],
        on_progress: Callable[[Progress], Awaitable[None]],
        *,
        stall_timeout_s: float = 10.0,
        stop_grace_s: float = 5.0,
        keep_lines: int = 30,
    ) -> None:
        self.argv = list(argv)
        self.on_progress = on_progress
        self.stall_timeout_s = stall_timeout_s
        self.stop_grace_s = stop_grace_s
        self.stderr: deque[str] = deque(maxlen=keep_lines)
        self.proc: asyncio.subprocess.Process | None = None
        self.last: Progress | None = None
        self._last_change = time.monotonic()
        self._stop_reason: EndKind | None = None
        self._stopping: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def run(self) -> Ended:
        """Start FFmpeg and return when it has ended, with why."""
        self.proc = await asyncio.create_subprocess_exec(
            *self.argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        if self._stop_reason is not None:  # stop() came while FFmpeg was being started
            self._stopping = asyncio.create_task(self._stop())
        self._last_change = time.monotonic()
        readers = asyncio.gather(self._read_progress(), self._read_stderr())
        watchdog = asyncio.create_task(self._watch_stall())
        try:
            code = await self.proc.wait()
            await readers
        finally:
            watchdog.cancel()
        return self._ended(code)

    def _ended(self, code: int) -> Ended:
        tail = "\n".join(self.stderr)
        if self._stop_reason == "stalled":
            return Ended(
                "stalled", code, f"no data from the source for {self.stall_timeout_s:g} s", tail
            )
        if self._stop_reason == "stopped":
            return Ended("stopped", code, "stopped", tail)
        if code < 0:
            name = signal.Signals(-code).name
            return Ended("killed", code, f"FFmpeg was killed ({name})", tail)
        if code == 0:
            return Ended("completed", code, "completed", tail)
        last = self.stderr[-1] if self.stderr else "no output"
        return Ended("error", code, f"FFmpeg failed (exit {code}): {last}", tail)

    async def _read_progress(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        block: dict[str, str] = {}
        async for raw in self.proc.stdout:
            key, _, value = raw.decode(errors="replace").strip().partition("=")
            block[key] = value
            if key != "progress":
                continue
            progress = parse_progress(block)
            block = {}
            if progress is None:
                continue
            if (
                self.last is None
                or progress.elapsed_s > self.last.elapsed_s
                or progress.size_bytes > self.last.size_bytes
            ):
                self._last_change = time.monotonic()
            self.last = progress
            try:
                await self.on_progress(progress)
            except Exception:
                log.exception("progress callback failed")

    async def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        async for raw in self.proc.stderr:
            line = redact_text(raw.decode(errors="replace").rstrip())
            if line:
                self.stderr.append(line)

    async def _watch_stall(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            if time.monotonic() - self._last_change > self.stall_timeout_s:
                log.warning(
                    "FFmpeg %s: no progress for %g s; stopping", self.pid, self.stall_timeout_s
                )
                await self.stop("stalled")
                return

    async def stop(self, why: EndKind = "stopped") -> None:
        """Graceful stop: ``q``, then SIGINT, then SIGKILL, each after a wait. Idempotent."""
        if self._stop_reason is None:
            self._stop_reason = why
        if self._stopping is None:
            self._stopping = asyncio.create_task(self._stop())
        await asyncio.shield(self._stopping)

    async def _stop(self) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        if proc.stdin is not None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                proc.stdin.write(b"q")
                await proc.stdin.drain()
        for sig in (signal.SIGINT, signal.SIGKILL):
            try:
                await asyncio.wait_for(proc.wait(), self.stop_grace_s)
                return
            except TimeoutError:
                log.warning("FFmpeg %s did not stop; sending %s", proc.pid, sig.name)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, sig)
        await proc.wait()
