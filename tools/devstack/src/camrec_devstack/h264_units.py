"""Framed H.264 units from a preview socket (``camrec_contracts.previews``), decoded by
FFmpeg to grey pictures, so a test or the bench can read what a browser would show: each
picture's clock stamp (``cameras/clock.py``)."""

from __future__ import annotations

import struct
import subprocess
from dataclasses import dataclass

import numpy as np

from camrec_contracts.previews import H264_HEADER, H264_KEY

from .cameras.clock import Stamp, read_stamp
from .paths import binary

HEADER_SIZE = struct.calcsize(H264_HEADER)


@dataclass(frozen=True)
class FramedUnit:
    key: bool
    timestamp_us: int
    data: bytes


def parse_unit(message: bytes) -> FramedUnit:
    kind, timestamp_us = struct.unpack(H264_HEADER, message[:HEADER_SIZE])
    return FramedUnit(kind == H264_KEY, timestamp_us, message[HEADER_SIZE:])


def decode_stamps(units: list[bytes], width: int, height: int) -> list[Stamp | None]:
    """Decode the units (Annex B, in order, from a key unit) and read each picture's stamp;
    FFmpeg's error output, if any, fails the call."""
    done = subprocess.run(
        [binary("ffmpeg"), "-v", "error", "-f", "h264", "-i", "pipe:0",
         "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"],
        input=b"".join(units), capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0 or done.stderr.strip():
        raise RuntimeError(f"FFmpeg could not decode the units: {done.stderr.decode()[-500:]}")
    size = width * height
    pictures = np.frombuffer(done.stdout, np.uint8)[: len(done.stdout) // size * size]
    return [read_stamp(p) for p in pictures.reshape(-1, height, width)]
