"""What a source hands the session's preview: JPEG pictures or H.264 access units."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from camrec_contracts.previews import PreviewConfig

from .h264 import frame_unit


@dataclass(frozen=True)
class Jpeg:
    data: bytes
    width: int
    height: int
    encode_s: float | None
    """Decode + scale + encode time; None when the camera's own JPEG was passed through."""
    skipped_before: int = 0
    """Pictures decoded but not sent just before this one: the reader was catching up."""


@dataclass(frozen=True)
class Unit:
    """One H.264 access unit, Annex B; a key unit starts with its SPS and PPS."""

    data: bytes
    key: bool
    timestamp_us: int
    config: PreviewConfig
    """The decoder configuration this unit belongs to (the same object until it changes)."""

    @cached_property
    def framed(self) -> bytes:
        """As a binary message of the preview socket: framed once, whatever the viewers."""
        return frame_unit(self.key, self.timestamp_us, self.data)


Item = Jpeg | Unit
Emit = Callable[[Item], None]
"""Called on the event loop for each item, in order."""
