"""Every packet of a part, read once: one ffprobe, its compact CSV parsed as it arrives. The
one read gives the part's video extent (where the join cuts it) and the packet times its
health report needs (:mod:`.timeline` maps them into the final file), so the final file is
not read again."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from .media import run_tool

log = logging.getLogger(__name__)

CHUNK = 1 << 20
"""Bytes of ffprobe's output parsed at a time, while it writes the next (2 h of 25 fps video
and 48 kHz AAC: 518 400 lines, ~12 MB)."""


@dataclass
class PartPackets:
    """A file's packets in the order FFmpeg reads them (which is the order the concat
    demuxer meets them when it cuts the part): stream index, pts, dts and duration (s,
    the part's own timeline; NaN where the file has none)."""

    stream: array[int] = field(default_factory=lambda: array("i"))
    pts: array[float] = field(default_factory=lambda: array("d"))
    dts: array[float] = field(default_factory=lambda: array("d"))
    duration: array[float] = field(default_factory=lambda: array("d"))
    video_index: int | None = None
    audio_index: int | None = None

    def video_extent(self) -> tuple[float, float] | None:
        """Where the video starts and how long it lasts: first video packet's start to the
        last one's end (its duration included)."""
        spans = sorted(
            (pts, pts + (0.0 if math.isnan(length) else length))
            for index, pts, length in zip(self.stream, self.pts, self.duration, strict=True)
            if index == self.video_index and not math.isnan(pts)
        )
        if not spans:
            return None
        last_start, last_end = spans[-1]
        if last_end <= last_start:  # the last frame's duration is not stored: the usual one
            gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(spans))
            last_end = last_start + (gaps[len(gaps) // 2] if gaps else 0.04)
        return spans[0][0], max(last_end, *(end for _, end in spans)) - spans[0][0]


class _Parser:
    """ffprobe ``-of csv=p=1`` lines: ``packet,<stream_index>,<pts>,<dts>,<duration>`` (in
    that order, ffprobe's own) for every packet, then ``stream,<index>,<codec_type>`` per
    stream. Each chunk is split into its fields and converted by C loops (``map``): a
    line-by-line Python loop took 7.5 s for 2 h of packets on a loaded machine, ffprobe 3.2 s."""

    def __init__(self) -> None:
        self.packets = PartPackets()
        self.rest = ""
        self.streams: list[str] = []

    def feed(self, chunk: bytes) -> None:
        text = self.rest + chunk.decode("ascii", "replace")
        cut = text.rfind("\n") + 1
        text, self.rest = text[:cut], text[cut:]
        at = 0 if text.startswith("stream,") else text.find("\nstream,") + 1 or len(text)
        self.streams += text[at:].split()
        rows = text[:at].replace("N/A", "nan").replace("\n", ",").split(",")[:-1]
        if len(rows) % 5 or rows[0::5].count("packet") != len(rows) // 5:  # odd lines: skip
            lines = (line.split(",") for line in text[:at].replace("N/A", "nan").split())
            rows = [f for fields in lines if len(fields) == 5 for f in fields]
        p = self.packets
        try:
            p.stream.extend(map(int, rows[1::5]))
            p.pts.extend(map(float, rows[2::5]))
            p.dts.extend(map(float, rows[3::5]))
            p.duration.extend(map(float, rows[4::5]))
        except ValueError as error:
            raise ValueError(f"unreadable ffprobe packet line: {error}") from None

    def close(self) -> PartPackets:
        self.feed(b"\n")
        p = self.packets
        for line in self.streams:
            fields = line.split(",")
            if len(fields) != 3 or not fields[1].isdigit():
                continue
            if fields[2] == "video" and p.video_index is None:
                p.video_index = int(fields[1])
            elif fields[2] == "audio" and p.audio_index is None:
                p.audio_index = int(fields[1])
        return p


async def read_packets(ffprobe: str, path: Path, timeout_s: float = 300) -> PartPackets | None:
    """Every packet of ``path`` (no decode), or None when ffprobe can't read it."""
    proc = await asyncio.create_subprocess_exec(
        ffprobe, "-v", "error",
        "-show_entries",
        "stream=index,codec_type:packet=stream_index,pts_time,dts_time,duration_time",
        "-of", "csv=p=1", str(path),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    parser = _Parser()

    async def parse(stdout: asyncio.StreamReader) -> None:
        while chunk := await stdout.read(CHUNK):
            parser.feed(chunk)

    errors = asyncio.ensure_future(proc.stderr.read())
    try:
        await asyncio.wait_for(parse(proc.stdout), timeout_s)
        code = await proc.wait()
    except TimeoutError:
        log.warning("reading the packets of %s timed out after %.0f s", path.name, timeout_s)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        return None
    finally:
        err = await errors
    if code != 0:
        log.warning("ffprobe %s failed: %s", path.name, err.decode(errors="replace")[-300:])
        return None
    return parser.close()


EDGE_S = 4.0
"""Seconds of video read at each end of a part for its extent (the read starts at the
keyframe before: at least one GOP of a camera's up to 10 s is not needed, only its ends)."""


async def _video_packets(ffprobe: str, path: Path, interval: str) -> tuple[list[str], str | None]:
    code, out, _ = await run_tool(
        [ffprobe, "-v", "error", "-select_streams", "v:0", "-read_intervals", interval,
         "-show_entries", "format=duration:packet=pts_time,duration_time",
         "-of", "csv=p=1", str(path)],
        30,
    )  # fmt: skip
    lines = out.decode(errors="replace").split() if code == 0 else []
    duration = next((line[7:] for line in lines if line.startswith("format,")), None)
    return [line for line in lines if line.startswith("packet,")], duration


async def video_edges(ffprobe: str, path: Path) -> tuple[float, float] | None:
    """The part's video extent (as :meth:`PartPackets.video_extent`) from its first and last
    seconds only, read through the fragments' index: a fraction of a second for 2 h, so
    the join can start while every packet is still being read."""
    head, duration = await _video_packets(ffprobe, path, f"%+{EDGE_S}")
    try:
        tail_from = float(duration or "") - EDGE_S
    except ValueError:
        return None
    tail, _ = await _video_packets(ffprobe, path, f"{max(tail_from, 0):.3f}%")
    if not head or not tail:
        return None
    spans = {}
    for line in head + tail:  # packet,<pts>,<duration>; the two reads overlap in a short part
        _, pts, length = line.replace("N/A", "nan").split(",")
        spans[pts] = length
    packets = PartPackets(video_index=0)
    packets.stream.extend([0] * len(spans))
    packets.pts.extend(map(float, spans))
    packets.dts.extend([math.nan] * len(spans))
    packets.duration.extend(map(float, spans.values()))
    return packets.video_extent()
