"""How a recording ends once an FFmpeg has exited: the reason → the recording's state, or
None when the source dropped and the part loop should try again."""

from __future__ import annotations

import logging
from pathlib import Path

from camrec_contracts.recordings import RecordingState

from .disk import output_error
from .running import Running
from .settings import RecorderSettings
from .supervisor import Ended

log = logging.getLogger(__name__)

EARLY_END_S = 1.0
"""A timed recording that ends this much short of its duration was cut off by the source."""


def outcome(
    settings: RecorderSettings, run: Running, ended: Ended, output: Path
) -> tuple[RecordingState, str] | None:
    """How the recording ends after this FFmpeg, or None: the source dropped, retry."""
    if run.stop_reason is not None:
        return "stopped", run.stop_reason
    wanted = run.recording.requested_duration_s
    if wanted is not None and run.recorded_s >= wanted - EARLY_END_S:
        return "finished", "completed"
    disk = output_error(ended.stderr_tail, output)
    if disk is not None:  # the disk's doing, not the camera's: retrying can't help
        log.warning("recording %s: %s; ending it", run.recording.id, disk.reason)
        return "interrupted", disk.reason
    if ended.kind == "killed":  # by a signal from outside: not the source's doing
        return "interrupted", ended.reason
    if settings.reconnect_window_s <= 0:
        if ended.kind == "completed":
            return "interrupted", f"the source ended after {run.recorded_s:.1f} s"
        return "interrupted", ended.reason
    return None
