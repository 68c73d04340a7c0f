"""A camera that burns its capture time and frame number into every frame.

``python -m camrec_devstack.cameras.clock <rtsp-url>`` draws raw frames in Python, stamps
each with a machine-readable strip (black/white cells: wall-clock milliseconds, frame
number, a check word) at the moment it is handed to FFmpeg, and FFmpeg encodes them as
H.264 (+ an AAC tone) published to ``<rtsp-url>``. It runs as a go2rtc ``exec:`` source,
like the other RTSP simulators, so a reader downstream (preview, bench) can decode the
strip from any frame it gets and tell how old the frame is and which one it is.

The strip survives H.264, downscaling to any width that is a multiple of 40 and JPEG
encoding: cells are ``width / 40`` pixels square, on macroblock boundaries at 1280 wide.
"""

from __future__ import annotations

import argparse
import ctypes
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

CELLS_PER_ROW = 32
ROWS = 3
MS_BITS = 48
INDEX_BITS = 32
CHECK_BITS = 16
BLACK, WHITE = 16, 235


@dataclass(frozen=True)
class Stamp:
    wall_ms: int
    index: int

    @property
    def wall_s(self) -> float:
        return self.wall_ms / 1000.0


def _check(wall_ms: int, index: int) -> int:
    return (wall_ms ^ (wall_ms >> 16) ^ (wall_ms >> 32) ^ index ^ (index >> 16) ^ 0xA5A5) & 0xFFFF


def _bits(stamp: Stamp) -> list[int]:
    word = (
        (stamp.wall_ms << (INDEX_BITS + CHECK_BITS))
        | (stamp.index << CHECK_BITS)
        | _check(stamp.wall_ms, stamp.index)
    )
    total = MS_BITS + INDEX_BITS + CHECK_BITS
    return [(word >> (total - 1 - i)) & 1 for i in range(total)]


def cell_size(width: int) -> int:
    return width // 40


def draw_stamp(luma: npt.NDArray[np.uint8], stamp: Stamp) -> None:
    """Draw the strip into a luma (Y or grey) plane, in place, one cell in from the corner."""
    cell = cell_size(luma.shape[1])
    for i, bit in enumerate(_bits(stamp)):
        row, col = divmod(i, CELLS_PER_ROW)
        y, x = cell * (1 + row), cell * (1 + col)
        luma[y : y + cell, x : x + cell] = WHITE if bit else BLACK


def read_stamp(luma: npt.NDArray[Any]) -> Stamp | None:
    """The stamp in a decoded frame's luma/grey plane, or None if it doesn't check out."""
    cell = cell_size(luma.shape[1])
    quarter = max(cell // 4, 1)
    word = 0
    for i in range(ROWS * CELLS_PER_ROW):
        row, col = divmod(i, CELLS_PER_ROW)
        y, x = cell * (1 + row), cell * (1 + col)
        centre = luma[y + quarter : y + cell - quarter, x + quarter : x + cell - quarter]
        word = (word << 1) | int(float(centre.mean()) > (BLACK + WHITE) / 2)
    check = word & 0xFFFF
    index = (word >> CHECK_BITS) & 0xFFFFFFFF
    wall_ms = word >> (INDEX_BITS + CHECK_BITS)
    return Stamp(wall_ms, index) if _check(wall_ms, index) == check else None


def read_jpeg_stamp(jpeg: bytes) -> Stamp | None:
    import cv2  # the camera itself does not need OpenCV; readers of its frames do

    grey = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    return None if grey is None else read_stamp(grey)


def encoder_command(
    ffmpeg: str, output: str, width: int, height: int, fps: int, audio: bool = True
) -> list[str]:
    """With ``audio``, FFmpeg's RTSP muxer interleaves the two tracks and holds each picture
    until audio as late has come: measured at the relay, pictures were ~300 ms old with the
    tone and ~100 ms without (p50, direct read of go2rtc), so latency figures use the
    video-only twin."""
    gop = str(2 * fps)
    tone = ["-re", "-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000"] if audio else []
    aac = ["-c:a", "aac", "-b:a", "64k", "-ac", "1"] if audio else []
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}",
        "-framerate", str(fps), "-i", "pipe:0", *tone,
        "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
        "-pix_fmt", "yuv420p", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0", *aac,
        "-rtsp_transport", "tcp", "-f", "rtsp", output,
    ]  # fmt: skip


def die_with_parent() -> None:  # child of a process go2rtc may SIGKILL
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGKILL)


def run(ffmpeg: str, output: str, width: int, height: int, fps: int, audio: bool = True) -> int:
    ramp = np.linspace(60, 180, width, dtype=np.float32).astype(np.uint8)
    base = np.tile(ramp, (height, 1))
    chroma = np.full(width * height // 2, 128, np.uint8).tobytes()
    bar = max(width // 32, 8)
    proc = subprocess.Popen(
        encoder_command(ffmpeg, output, width, height, fps, audio),
        stdin=subprocess.PIPE,
        preexec_fn=die_with_parent,
    )
    assert proc.stdin is not None
    start = time.monotonic()
    try:
        for index in range(2**32):
            due = start + index / fps
            time.sleep(max(0.0, due - time.monotonic()))
            luma = base.copy()
            x = (index * 8) % (width - bar)
            luma[height // 2 :, x : x + bar] = WHITE  # something moves
            draw_stamp(luma, Stamp(int(time.time() * 1000), index))
            proc.stdin.write(luma.tobytes() + chroma)
    except (BrokenPipeError, KeyboardInterrupt):
        pass
    finally:
        proc.kill()
    return proc.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="RTSP URL to publish to (go2rtc's {output})")
    parser.add_argument("--ffmpeg", default="ffmpeg")
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--no-audio", action="store_true", help="video only (no AAC tone)")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    sys.exit(run(args.ffmpeg, args.output, width, height, args.fps, not args.no_audio))


if __name__ == "__main__":
    main()
