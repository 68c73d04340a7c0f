"""After FFmpeg: remux to a regular MP4, read what the file really holds, make a thumbnail."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from camrec_contracts.recordings import RecordedAudio, RecordedVideo

from .ffmpeg_args import concat_args, remux_args, thumbnail_args
from .health import PacketTimes

log = logging.getLogger(__name__)


async def run_tool(argv: list[str], timeout_s: float) -> tuple[int, bytes, bytes]:
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return -9, b"", b"timed out"
    return proc.returncode or 0, out, err


async def remux(ffmpeg: str, fragmented: Path, output: Path, timeout_s: float = 600) -> bool:
    """True when ``output`` is a regular MP4; on failure ``output`` is removed."""
    code, _, err = await run_tool(remux_args(ffmpeg, fragmented, output), timeout_s)
    if code != 0 or not output.exists() or output.stat().st_size == 0:
        log.warning("remux of %s failed: %s", fragmented.name, err.decode(errors="replace")[-300:])
        output.unlink(missing_ok=True)
        return False
    return True


async def video_extent(ffprobe: str, path: Path) -> tuple[float, float] | None:
    """Where the video starts in the file and how long it lasts: first video packet's start
    to the last one's end (its duration included), from the packet table: no decode."""
    code, out, _ = await run_tool(
        [ffprobe, "-v", "error", "-select_streams", "v:0",
         "-show_entries", "packet=pts_time,duration_time", "-of", "json", str(path)],
        timeout_s=120,
    )  # fmt: skip
    if code != 0:
        return None
    spans = []
    for packet in json.loads(out or b"{}").get("packets", []):
        with contextlib.suppress(KeyError, ValueError):
            pts = float(packet["pts_time"])
            spans.append((pts, pts + float(packet.get("duration_time", 0) or 0)))
    if not spans:
        return None
    spans.sort()
    last_start, last_end = spans[-1]
    if last_end <= last_start:  # the last frame's duration is not stored: take the usual one
        gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(spans))
        last_end = last_start + (gaps[len(gaps) // 2] if gaps else 0.04)
    return spans[0][0], max(last_end, *(end for _, end in spans)) - spans[0][0]


@dataclass(frozen=True)
class Cut:
    """One part in the final file: from its first video frame (``inpoint``), this long."""

    path: Path
    inpoint: float | None
    length: float | None


async def join_parts(ffmpeg: str, cuts: list[Cut], output: Path, timeout_s: float = 600) -> bool:
    """Cut and join fragmented parts (one or more) by copy, back to back, into one regular
    MP4; on failure ``output`` is removed. The concat demuxer is told, per part:
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
    # The listing goes to the system's temporary folder: the recordings folder may be full.
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="camrec-parts-") as listing:
        listing.write("\n".join(lines) + "\n")
        listing.flush()
        code, _, err = await run_tool(concat_args(ffmpeg, Path(listing.name), output), timeout_s)
    if code != 0 or not output.exists() or output.stat().st_size == 0:
        log.warning("joining %d parts failed: %s", len(cuts), err.decode(errors="replace")[-300:])
        output.unlink(missing_ok=True)
        return False
    return True


class FileFacts:
    def __init__(
        self,
        duration_s: float | None,
        video: RecordedVideo | None,
        audio: RecordedAudio | None,
        packets: PacketTimes | None = None,
    ) -> None:
        self.duration_s = duration_s
        self.video = video
        self.audio = audio
        self.packets = packets or PacketTimes(video=())


def _intervals_ms(times: list[float]) -> tuple[float | None, float | None, float | None]:
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
    if not gaps:
        return None, None, None
    return round(sum(gaps) / len(gaps), 2), round(min(gaps), 2), round(max(gaps), 2)


def parse_packets(text: str, video_index: int | None, audio_index: int | None) -> PacketTimes:
    """ffprobe ``-of compact=p=0`` lines of ``stream_index|pts_time|duration_time`` → the
    video starts and audio spans of the two tracks."""
    video: list[float] = []
    audio: list[tuple[float, float]] = []
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
            audio.append((pts, pts + length))
    video.sort()
    audio.sort()
    return PacketTimes(video=video, audio=audio, has_audio_track=audio_index is not None)


async def file_facts(ffprobe: str, path: Path) -> FileFacts:
    """Duration, codecs and the real timing of every video and audio packet (no decode)."""
    code, out, _ = await run_tool(
        [ffprobe, "-v", "error", "-show_entries",
         "format=duration:stream=index,codec_type,codec_name,width,height,sample_rate,channels",
         "-of", "json", str(path)],
        60,
    )  # fmt: skip
    if code != 0:
        return FileFacts(None, None, None)
    info = json.loads(out or b"{}")
    streams = info.get("streams", [])
    v = next((s for s in streams if s.get("codec_type") == "video"), None)
    a = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = info.get("format", {}).get("duration")
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
    video = None
    if v is not None:
        avg, low, high = _intervals_ms(list(packets.video))
        video = RecordedVideo(
            codec=str(v.get("codec_name")),
            width=int(v.get("width", 0)),
            height=int(v.get("height", 0)),
            frames=len(packets.video),
            avg_frame_interval_ms=avg,
            min_frame_interval_ms=low,
            max_frame_interval_ms=high,
        )
    audio = (
        None
        if a is None
        else RecordedAudio(
            codec=str(a.get("codec_name")),
            sample_rate=int(a["sample_rate"]) if a.get("sample_rate") else None,
            channels=int(a["channels"]) if a.get("channels") else None,
        )
    )
    return FileFacts(float(duration) if duration else None, video, audio, packets)


async def make_thumbnail(ffmpeg: str, video: Path, output: Path, duration_s: float | None) -> bool:
    at = min(1.0, (duration_s or 0) / 2)
    code, _, _ = await run_tool(thumbnail_args(ffmpeg, video, output, at), 30)
    return code == 0 and output.exists()
