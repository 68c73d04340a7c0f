"""A long recording without recording for hours: a short H.264 + AAC clip (25 fps, a keyframe
every 2 s, like the RTSP simulators) stream-copied in a loop into a fragmented MP4 written
with the recorder's own flags (``FRAGMENTED_MP4``, 1 s fragments), as FFmpeg leaves a part.

Measured on this 2-core machine: 2 h (180 000 video + 338 400 audio packets, 186 MB at
320x240 and 150 kbit/s) in 1-7 s depending on the load; 1280x720 at 2000 kbit/s (1.9 GB) in
20 s."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from pathlib import Path

from camrec_recorder.ffmpeg_args import FRAGMENTED_MP4

from .paths import binary

CLIP_S = 8
"""The looped clip's length: 8 s holds whole GOPs (2 s) and whole AAC frames at 48 kHz
(375 x 1024 samples), so the loop's seams fall on a keyframe with no audio hole."""
TWO_HOURS_S = 7200


def make_long_fmp4(
    path: Path,
    seconds: float,
    *,
    size: str = "320x240",
    fps: int = 25,
    video_kbps: int = 150,
    audio: bool = True,
    timeout_s: float = 120,
) -> Path:
    """Write ``seconds`` of fragmented MP4 (H.264, AAC 48 kHz mono when ``audio``) to
    ``path``: a clip encoded once, then copied ``ceil(seconds / CLIP_S)`` times back to back
    by ``-stream_loop`` (timestamps run on): ``seconds x fps`` frames exactly when
    ``seconds`` is a whole number of clips, else cut to ``seconds`` (a frame either way)."""
    ffmpeg = binary("ffmpeg")
    fragmented = [*FRAGMENTED_MP4, "-frag_duration", "1000000"]
    clip = path.with_name(f"{path.stem}.clip.mp4")
    gop = str(2 * fps)
    encode = [ffmpeg, "-v", "error", "-nostdin", "-y",
              "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}"]  # fmt: skip
    if audio:
        encode += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"]
    encode += [
        "-t", str(CLIP_S), "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
        "-pix_fmt", "yuv420p", "-g", gop, "-keyint_min", gop, "-sc_threshold", "0",
        "-b:v", f"{video_kbps}k", "-video_track_timescale", "90000",
    ]  # fmt: skip
    if audio:
        encode += ["-c:a", "aac", "-b:a", "32k", "-ac", "1"]
    subprocess.run([*encode, *fragmented, str(clip)], check=True, timeout=timeout_s)
    loops = math.ceil(seconds / CLIP_S)
    cut = [] if loops * CLIP_S == seconds else ["-t", f"{seconds:g}"]
    subprocess.run(
        [ffmpeg, "-v", "error", "-nostdin", "-y", "-stream_loop", str(loops - 1),
         "-i", str(clip), "-map", "0", "-c", "copy", *cut, *fragmented, str(path)],
        check=True, timeout=timeout_s,
    )  # fmt: skip
    clip.unlink()
    return path


def place_part(source: Path, part: Path) -> Path:
    """``source`` as a recording's part (the finish deletes its parts): a hard link, or a
    copy across file systems."""
    part.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, part)
    except OSError:
        shutil.copyfile(source, part)
    return part
