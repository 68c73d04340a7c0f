"""What the bench measures with: process CPU and peak memory from /proc, preview viewers that
read the clock camera's stamp in every frame they get, percentiles."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from websockets.asyncio.client import connect

from camrec_devstack.cameras.clock import read_stamp

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None


def descendants(roots: Iterable[int]) -> set[int]:
    """The roots and every process below them."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: set[int] = set()
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo += children.get(pid, [])
    return found


def cpu_ticks(pid: int) -> int:
    fields = _stat(pid)
    return 0 if fields is None else int(fields[11]) + int(fields[12])


def peak_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


@dataclass
class CpuWindow:
    """CPU seconds of process trees over a window, per named group."""

    groups: dict[str, list[int]]
    exclude: set[int] = field(default_factory=set)
    _start: dict[int, int] = field(default_factory=dict)
    _began: float = 0.0

    def _pids(self) -> dict[int, str]:
        return {
            pid: name
            for name, roots in self.groups.items()
            for pid in descendants(roots)
            if pid not in self.exclude
        }

    def start(self) -> None:
        self._began = time.monotonic()
        self._start = {pid: cpu_ticks(pid) for pid in self._pids()}

    def stop(self) -> tuple[float, dict[str, float]]:
        """(wall seconds, CPU seconds per group)."""
        wall = time.monotonic() - self._began
        used: dict[str, float] = {name: 0.0 for name in self.groups}
        for pid, name in self._pids().items():
            used[name] += (cpu_ticks(pid) - self._start.get(pid, 0)) / TICK
        return wall, used


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency_summary(values: list[float]) -> dict[str, Any]:
    """Seconds → n and p50/p95/max in ms."""
    ms = [1000 * v for v in values]
    return {"n": len(ms), "p50": _round(percentile(ms, 50)), "p95": _round(percentile(ms, 95)),
            "max": _round(max(ms) if ms else None)}  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def stamp_age(jpeg: bytes, received: float) -> float | None:
    """Camera-to-viewer latency of one frame of the clock camera (half-size decode)."""
    grey = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_REDUCED_GRAYSCALE_2)
    stamp = None if grey is None else read_stamp(grey)
    return None if stamp is None else received - stamp.wall_s


@dataclass
class Viewer:
    """A preview client that keeps reading; latencies are collected while ``recording``."""

    url: str
    naive: bool = False
    frames: int = 0
    latencies: list[float] = field(default_factory=list)
    recording: bool = False
    task: asyncio.Task[None] | None = None

    def start(self) -> Viewer:
        self.task = asyncio.create_task(self._run())
        return self

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    async def _run(self) -> None:
        async with connect(self.url, max_size=None, compression=None) as ws:
            async for message in ws:
                received = time.time()
                if self.naive:
                    body = json.loads(message)
                    jpeg = base64.b64decode(body["jpeg"])
                elif isinstance(message, bytes):
                    jpeg = message
                else:
                    continue
                self.frames += 1
                if self.recording:
                    age = await asyncio.to_thread(stamp_age, jpeg, received)
                    if age is not None:
                        self.latencies.append(age)
