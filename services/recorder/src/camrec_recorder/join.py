"""Cut and join a recording's parts by copy with FFmpeg's concat demuxer, in one pass that
also reports every packet it writes (for the health report: nothing is read again)."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .ffmpeg_args import concat_args
from .report import REPORT, Written, copy_reporting

log = logging.getLogger(__name__)


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


def join_args(ffmpeg: str, listing: Path, output: Path) -> list[str]:
    """The join (``concat_args``) with the packet report as a second output."""
    return [*concat_args(ffmpeg, listing, output), *REPORT]


async def join_parts(
    ffmpeg: str, cuts: list[Cut], output: Path, timeout_s: float = 600
) -> tuple[bool, Written | None]:
    """Cut and join fragmented parts (one or more) by copy, back to back, into one regular
    MP4: whether it worked (on failure ``output`` is removed) and the packets it wrote."""
    with _listing(cuts) as listing:
        code, err, written = await copy_reporting(join_args(ffmpeg, listing, output), timeout_s)
    if code != 0 or not output.exists() or output.stat().st_size == 0:
        log.warning("joining %d parts failed: %s", len(cuts), err.decode(errors="replace")[-300:])
        output.unlink(missing_ok=True)
        return False, None
    return True, written
