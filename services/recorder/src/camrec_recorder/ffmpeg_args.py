"""FFmpeg command lines, as pure functions of settings and the probed session.

Record by copying, encode only when needed: H.264 is stream-copied (no decode); any other
video becomes H.264 with every source timestamp kept (``-fps_mode passthrough``: no frame
duplicated or dropped, never ``-r``/``fps=``). AAC is copied, other audio becomes AAC, no
audio gives no track. The file is fragmented MP4 while recording (short fragments, flushed
at once) so a crash leaves a playable file; a clean end remuxes it by copy with the index at
the front (``+faststart``).
"""

from __future__ import annotations

from pathlib import Path

from camrec_contracts.sessions import Session

from .settings import RecorderSettings

FRAGMENTED_MP4 = ["-f", "mp4", "-movflags", "+frag_keyframe+delay_moov+default_base_moof"]
"""Fragmented MP4. ``delay_moov``, not ``empty_moov``: the header is written with the first
fragment (about a second in), once every track's start is known. With ``empty_moov`` a
source whose audio starts before its first video keyframe got that keyframe moved to the
audio's start: a hole of up to a GOP (1.88 s seen) after the first frame of every recording
(the health report found it)."""
KEYFRAME_EVERY_S = 2


def needs_video_encode(session: Session) -> bool:
    return session.video.codec != "h264"


def video_args(settings: RecorderSettings, session: Session) -> list[str]:
    if not needs_video_encode(session):
        return ["-c:v", "copy"]  # leading non-key frames are skipped: the file opens on a key
    return [
        "-c:v",
        "libx264",
        "-preset",
        settings.x264_preset,
        "-crf",
        str(settings.x264_crf),
        "-pix_fmt",
        "yuv420p",
        "-bf",
        "0",  # no B-frames: frames leave in order, so a timed file is cut on the exact frame
        "-fps_mode",
        "passthrough",
        "-force_key_frames",
        f"expr:gte(t,n_forced*{KEYFRAME_EVERY_S})",
    ]


def audio_args(settings: RecorderSettings, session: Session) -> list[str]:
    if session.audio is None:
        return ["-an"]
    if session.audio.codec == "aac":
        return ["-c:a", "copy"]
    return ["-c:a", "aac", "-b:a", f"{settings.audio_bitrate_kbps}k"]


def record_args(
    settings: RecorderSettings, session: Session, output: Path, duration_s: float | None
) -> list[str]:
    """Read the relay (never the camera) over TCP and write fragmented MP4 to ``output``."""
    args = [
        settings.ffmpeg,
        "-hide_banner",
        "-loglevel",
        "warning",
        "-nostats",
        "-progress",
        "pipe:1",
        "-stats_period",
        "1",
        "-rtsp_transport",
        "tcp",
        "-timeout",
        "5000000",
        "-i",
        session.relay_url,
        "-map",
        "0:v:0",
    ]
    if session.audio is not None:
        args += ["-map", "0:a:0?"]
    args += video_args(settings, session) + audio_args(settings, session)
    if duration_s is not None:
        args += ["-t", f"{duration_s:g}"]
    args += [*FRAGMENTED_MP4, "-frag_duration", str(int(settings.fragment_s * 1_000_000))]
    return [*args, "-flush_packets", "1", "-y", str(output)]


def remux_args(ffmpeg: str, fragmented: Path, output: Path) -> list[str]:
    """Copy the fragmented file into a regular MP4 with ``moov`` before ``mdat``."""
    return [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-i",
        str(fragmented),
        "-map",
        "0",
        "-c",
        "copy",
        "-movflags",
        "+faststart",
        "-f",
        "mp4",
        "-y",
        str(output),
    ]


def concat_args(ffmpeg: str, part_list: Path, output: Path) -> list[str]:
    """Join the parts of a recording (one per connection to the source) by copy, back to
    back, into one regular MP4. ``part_list`` is a concat-demuxer list (``file '...'``)."""
    return [
        ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin",
        "-f", "concat", "-safe", "0", "-i", str(part_list),
        "-map", "0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", "-y", str(output),
    ]  # fmt: skip


def thumbnail_args(ffmpeg: str, video: Path, output: Path, at_s: float) -> list[str]:
    return [
        ffmpeg,
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-ss",
        f"{at_s:.3f}",
        "-i",
        str(video),
        "-frames:v",
        "1",
        "-vf",
        "scale=320:-2",
        "-q:v",
        "4",
        "-y",
        str(output),
    ]
