"""What the runner holds about one recording while it runs: its FFmpeg, stop requests, the
media recorded so far and the drops of its source."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from camrec_contracts.events import utcnow
from camrec_contracts.recordings import Recording
from camrec_contracts.sessions import Session

from .file_time import PartClock
from .finalize import Drop
from .supervisor import Supervisor


@dataclass
class Running:
    recording: Recording
    session: Session
    supervisor: Supervisor | None = None
    stop_reason: str | None = None
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    """FFmpeg has stopped and the catalog says ``finalizing`` (or the recording is done)."""
    done: asyncio.Event = field(default_factory=asyncio.Event)
    """The final file is written and the catalog has the final record."""
    final: Recording | None = None
    recorded_s: float = 0.0
    """Media time in the parts before the current one."""
    recorded_bytes: int = 0
    progress_publish: asyncio.Task[None] | None = None
    advances: deque[tuple[datetime, float]] = field(default_factory=lambda: deque(maxlen=4))
    """When the media time last moved on (wall clock, monotonic)."""
    part_elapsed_s: float = 0.0
    """FFmpeg's time in the current part (from its first packet, audio or video)."""
    part_clock: PartClock | None = None
    """The current part's file time (from its first video keyframe)."""
    dropped: tuple[datetime, float] | None = None
    """When the source dropped (its media last moved on before the part ended)."""
    drops: list[Drop] = field(default_factory=list)
    stopper: asyncio.Task[None] | None = None


FLUSH_S = 0.5
"""Progress blocks this close to FFmpeg's exit are its flush, not media arriving."""


def last_live_advance(run: Running, ended: float) -> tuple[datetime, float]:
    """When the source was last seen: the last time the media moved on before FFmpeg began
    to exit (at exit it writes what it buffered, which moves the time on once more)."""
    live = [a for a in run.advances if a[1] < ended - FLUSH_S]
    return live[-1] if live else (utcnow(), ended)
