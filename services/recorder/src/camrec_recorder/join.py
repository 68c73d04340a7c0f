"""Cut and join a recording's parts by copy with FFmpeg's concat demuxer, and ask that demuxer
where it starts each part (which packets it keeps before the part's first frame)."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .ffmpeg_args import concat_args
from .media import run_tool

log = logging.getLogger(__name__)

HEAD_S = 1.0
"""Seconds of a part read through the concat demuxer to see where each stream starts: the
audio it keeps before the first frame is the packet under that frame (tens of ms)."""


@dataclass(frozen=True)
class Cut:
    """One part in the final file: from its first video frame (``inpoint``), this long."""

    path: Path
    inpoint: float | None
    length: float | None


@contextlib.contextmanager
def _listing(cuts: list[Cut]) -> Iterator[Path]:
    """The concat demuxer's list of ``cuts``; in the system's temporary folder, as the
    recordings folder may be full. Per part:
    - ``inpoint``: its first video frame (a keyframe). The audio FFmpeg wrote while waiting
      for it (up to a GOP) is left out: the file opens on a picture;
    - ``duration``: its video's length. Left to itself the demuxer starts the next part at
      the last frame's timestamp, one frame too early (a variable-rate source then had two
      frames 30 ms out of order at the join);
    - ``outpoint``: where a timed recording's last part is cut to the length asked for."""
    lines = []
    for cut in cuts:
        lines.append(f"file '{cut.path.resolve()}'")
        if cut.inpoint is not None and cut.length:
            lines += [
                f"inpoint {cut.inpoint:.6f}",
                f"outpoint {cut.inpoint + cut.length:.6f}",
                f"duration {cut.length:.6f}",
            ]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="camrec-parts-") as listing:
        listing.write("\n".join(lines) + "\n")
        listing.flush()
        yield Path(listing.name)


async def join_parts(ffmpeg: str, cuts: list[Cut], output: Path, timeout_s: float = 600) -> bool:
    """Cut and join fragmented parts (one or more) by copy, back to back, into one regular
    MP4; on failure ``output`` is removed."""
    with _listing(cuts) as listing:
        code, _, err = await run_tool(concat_args(ffmpeg, listing, output), timeout_s)
    if code != 0 or not output.exists() or output.stat().st_size == 0:
        log.warning("joining %d parts failed: %s", len(cuts), err.decode(errors="replace")[-300:])
        output.unlink(missing_ok=True)
        return False
    return True


async def first_kept(ffprobe: str, cut: Cut) -> dict[int, float] | None:
    """Each stream's first packet the join keeps of this part: its pts on the part's own
    timeline, by stream index (a stream with none in the first second: not there). Read
    through the concat demuxer itself rather than mirroring its seek (FFmpeg's MP4 demuxer
    seeks each track on its edit-list-free timeline); None when ffprobe fails."""
    if cut.inpoint is None or not cut.length:
        return None
    with _listing([cut]) as listing:
        code, out, _ = await run_tool(
            [ffprobe, "-v", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
             "-read_intervals", f"%+{HEAD_S}", "-show_entries", "packet=stream_index,pts_time",
             "-of", "csv=p=0"],
            30,
        )  # fmt: skip
    if code != 0:
        return None
    first: dict[int, float] = {}
    for line in out.decode(errors="replace").split():
        index, _, pts = line.partition(",")
        with contextlib.suppress(ValueError):
            first.setdefault(int(index), float(pts) + cut.inpoint)
    return first
