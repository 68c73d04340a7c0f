"""After FFmpeg: remux to a regular MP4, read what the file really holds, make a thumbnail."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from camrec_contracts.recordings import RecordedVideo
from camrec_contracts.sessions import AudioInfo
from camrec_runtime import tool

from .ffmpeg_args import remux_args, thumbnail_args
from .health import PacketTimes
from .packet_arrays import Spans, intervals, sorted_times, times

log = logging.getLogger(__name__)


async def run_tool(argv: list[str], timeout_s: float) -> tuple[int, bytes, bytes]:
    """:func:`camrec_runtime.tool.run_tool`, a time-out as a failed run (-9, "timed out"):
    a finish goes on with what it has."""
    try:
        return await tool.run_tool(argv, timeout_s)
    except TimeoutError:
        return -9, b"", f"timed out after {timeout_s:g} s".encode()


async def remux(ffmpeg: str, fragmented: Path, output: Path, timeout_s: float = 600) -> bool:
    """True when ``output`` is a regular MP4; on failure ``output`` is removed."""
    code, _, err = await run_tool(remux_args(ffmpeg, fragmented, output), timeout_s)
    if code != 0 or not output.exists() or output.stat().st_size == 0:
        log.warning("remux of %s failed: %s", fragmented.name, err.decode(errors="replace")[-300:])
        output.unlink(missing_ok=True)
        return False
    return True


class FileFacts:
    def __init__(
        self,
        duration_s: float | None,
        video: RecordedVideo | None,
        audio: AudioInfo | None,
        packets: PacketTimes | None = None,
    ) -> None:
        self.duration_s = duration_s
        self.video = video
        self.audio = audio
        self.packets = packets or PacketTimes(video=())


def _intervals_ms(ordered: Sequence[float]) -> tuple[float | None, float | None, float | None]:
    """Mean, shortest and longest interval between ``ordered`` times (ms); the mean is the
    span over the count (the intervals' sum telescopes)."""
    steps = intervals(ordered)
    if not steps:
        return None, None, None
    mean = (ordered[-1] - ordered[0]) / len(steps)
    return round(mean * 1000, 2), round(min(steps) * 1000, 2), round(max(steps) * 1000, 2)


def parse_packets(text: str, video_index: int | None, audio_index: int | None) -> PacketTimes:
    """ffprobe ``-of compact=p=0`` lines of ``stream_index|pts_time|duration_time`` → the
    video starts and audio spans of the two tracks."""
    video, audio = times(), Spans()
    for line in text.splitlines():
        fields = dict(kv.split("=", 1) for kv in line.split("|") if "=" in kv)
        try:
            index, pts = int(fields["stream_index"]), float(fields["pts_time"])
        except (KeyError, ValueError):
            continue
        if index == video_index:
            video.append(pts)
        elif index == audio_index:
            try:
                length = float(fields.get("duration_time", "0"))
            except ValueError:
                length = 0.0
            audio.starts.append(pts)
            audio.ends.append(pts + length)
    audio.sort()
    return PacketTimes(
        video=sorted_times(video), audio=audio, has_audio_track=audio_index is not None
    )


STREAM_FACTS = "stream=index,codec_type,codec_name,width,height,sample_rate,channels"


async def read_index(ffprobe: str, path: Path, tail_from_s: float) -> dict[str, Any] | None:
    """What a regular MP4's index says without reading the file (duration; each track's
    codec, start and packet count) and the packets from ``tail_from_s`` to the end (the
    index finds them: no scan), as ffprobe JSON; None when ffprobe can't read the file."""
    code, out, err = await run_tool(
        [ffprobe, "-v", "error", "-read_intervals", f"{max(tail_from_s, 0):.3f}%",
         "-show_entries", f"format=duration:{STREAM_FACTS},start_time,nb_frames"
         ":packet=stream_index,pts_time",
         "-of", "json", str(path)],
        60,
    )  # fmt: skip
    if code != 0:
        log.warning("ffprobe %s failed: %s", path.name, err.decode(errors="replace")[-300:])
        return None
    info: dict[str, Any] = json.loads(out or b"{}")
    return info


def facts_of(info: dict[str, Any], packets: PacketTimes) -> FileFacts:
    """The file's facts from ffprobe's ``format`` and ``streams`` and its packet times."""
    streams = info.get("streams", [])
    v = next((s for s in streams if s.get("codec_type") == "video"), None)
    a = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = info.get("format", {}).get("duration")
    video = None
    if v is not None:
        avg, low, high = _intervals_ms(packets.video)
        video = RecordedVideo(
            codec=str(v.get("codec_name")),
            width=int(v.get("width", 0)),
            height=int(v.get("height", 0)),
            frames=len(packets.video),
            avg_frame_interval_ms=avg,
            min_frame_interval_ms=low,
            max_frame_interval_ms=high,
        )
    audio = None if a is None else AudioInfo.from_ffprobe(a)
    return FileFacts(float(duration) if duration else None, video, audio, packets)


async def file_facts(ffprobe: str, path: Path, info: dict[str, Any] | None = None) -> FileFacts:
    """Duration, codecs and the real timing of every video and audio packet (no decode),
    read from the whole file (``info``: its format and streams, when already read)."""
    if info is None:
        code, out, _ = await run_tool(
            [ffprobe, "-v", "error", "-show_entries", f"format=duration:{STREAM_FACTS}",
             "-of", "json", str(path)],
            60,
        )  # fmt: skip
        if code != 0:
            return FileFacts(None, None, None)
        info = json.loads(out or b"{}")
    streams = info.get("streams", [])
    v = next((s for s in streams if s.get("codec_type") == "video"), None)
    a = next((s for s in streams if s.get("codec_type") == "audio"), None)
    code, out, _ = await run_tool(
        [ffprobe, "-v", "error", "-show_entries", "packet=stream_index,pts_time,duration_time",
         "-of", "compact=p=0", str(path)],
        300,
    )  # fmt: skip
    packets = parse_packets(
        out.decode(errors="replace") if code == 0 else "",
        v.get("index") if v else None,
        a.get("index") if a else None,
    )
    return facts_of(info, packets)


async def make_thumbnail(ffmpeg: str, video: Path, output: Path, duration_s: float | None) -> bool:
    at = min(1.0, (duration_s or 0) / 2)
    code, _, _ = await run_tool(thumbnail_args(ffmpeg, video, output, at), 30)
    return code == 0 and output.exists()
