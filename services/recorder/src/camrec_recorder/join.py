"""Cut and join a recording's parts by copy with FFmpeg's concat demuxer, in one pass that
also reports every packet it writes (for the health report: nothing is read again)."""

from __future__ import annotations

import contextlib
import logging
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .ffmpeg_args import concat_args
from .report import REPORT, Written, copy_reporting

log = logging.getLogger(__name__)


INDEX_BYTES_PER_VIDEO_PACKET = 28
INDEX_BYTES_PER_AUDIO_PACKET = 12
"""What a packet can take in the index at most: its size (4 bytes), its own duration (8:
irregular timing, as an MJPEG camera's), its display offset (8: B-frames) and its chunk's
offset (8, over 4 GB); audio: size and chunk offset. Measured on a regular 10 min H.264 + AAC
join: 7.9 bytes per packet (341 KB for 43 200 packets)."""
AUDIO_PACKETS_PER_S = 50
"""At most (AAC at 48 kHz: 46.9 a second; the audio's rate is not read for the cut)."""
INDEX_SLACK = 65536
"""Bytes for the rest of the index (track headers, codec set-up, edit lists)."""


TRAILER_FAILED = b"Error writing trailer"


def index_first(path: Path) -> bool:
    """The file is whole top-level boxes end to end, its index (``moov``) before its media
    (``mdat``): a few headers read, not the file."""
    try:
        end = path.stat().st_size
        kinds, at = [], 0
        with path.open("rb") as f:
            while at < end:
                f.seek(at)
                head = f.read(16)
                size, kind = struct.unpack(">I4s", head[:8])
                if size == 1:
                    (size,) = struct.unpack(">Q", head[8:16])
                if size < 8:
                    return False
                kinds.append(kind)
                at += size
    except (OSError, struct.error):
        return False
    return at == end and b"moov" in kinds and b"mdat" in kinds[kinds.index(b"moov") :]


@dataclass(frozen=True)
class Cut:
    """One part in the final file: from its first video frame (``inpoint``), this long; its
    video packets per second (``rate``) when known."""

    path: Path
    inpoint: float | None
    length: float | None
    rate: float | None = None


def index_room(cuts: list[Cut]) -> int | None:
    """Bytes to keep free at the final file's front for its index (unused, 2 h at 25 fps:
    ~5 MB of a 0.5-2 GB file); None when a cut's length or rate is unknown."""
    video = audio = 0.0
    for cut in cuts:
        if cut.length is None or not cut.rate:
            return None
        video += cut.length * cut.rate
        audio += cut.length * AUDIO_PACKETS_PER_S
    packets = video * INDEX_BYTES_PER_VIDEO_PACKET + audio * INDEX_BYTES_PER_AUDIO_PACKET
    return INDEX_SLACK + round(packets)


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


def join_args(ffmpeg: str, listing: Path, output: Path, room: int | None = None) -> list[str]:
    """The join (``concat_args``) with the packet report as a second output."""
    return [*concat_args(ffmpeg, listing, output, room), *REPORT]


async def join_parts(
    ffmpeg: str, cuts: list[Cut], output: Path, timeout_s: float = 600
) -> tuple[bool, Written | None]:
    """Cut and join fragmented parts (one or more) by copy, back to back, into one regular
    MP4: whether it worked (on failure ``output`` is removed) and the packets it wrote.
    With room kept for the index when the cuts say how much; if that join fails (the room
    was too small: FFmpeg fails at the end), once more the slower way."""
    room = index_room(cuts)
    rooms = [room, None] if room else [None]
    with _listing(cuts) as listing:
        for room in rooms:
            argv = join_args(ffmpeg, listing, output, room)
            code, err, written = await copy_reporting(argv, timeout_s)
            # FFmpeg 5.1 exits 0 when the room was too small, having written the index over
            # the media's start ("reserved_moov_size is too small ... Error writing trailer")
            if code == 0 and TRAILER_FAILED not in err and index_first(output):
                return True, written
            text = err.decode(errors="replace")[-300:]
            log.warning("joining %d parts (index room %s) failed: %s", len(cuts), room, text)
            output.unlink(missing_ok=True)
    return False, None
