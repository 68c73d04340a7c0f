"""FFmpeg command lines, as pure functions of settings and the probed session.

Record by copying, encode only when needed: H.264 is stream-copied (no decode); any other
video becomes H.264 High, yuv420p, at a level every player decodes (from the picture size
and the real frame rate, at most 5.1), with every source timestamp kept
(``-fps_mode passthrough`` on a 1/90000 encoder time base: no frame duplicated or dropped,
no ``fps=`` filter; ``-r`` only tells the encoder the rate). AAC is copied, other audio
becomes AAC-LC, no audio gives no track. The file is fragmented MP4 while recording (short
fragments, flushed at once) so a crash leaves a playable file; a clean end joins it by copy
into a regular MP4 with the index at the front.
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


DEFAULT_FPS = 30
"""The frame rate an encode is declared at when neither a measurement nor the stream's
header gives one (MJPEG headers give none; the proxy measures a few seconds after open)."""
MAX_FPS = 240.0
H264_LEVELS = (
    # (level, MaxMBPS: macroblocks per second, MaxFS: macroblocks per frame), ITU-T H.264
    # Table A-1. Starts at 3: every H.264 decoder handles it, and it leaves a variable-rate
    # source's bursts room (the MJPEG camera sends 25 fps bursts in a 10 fps average). 4 is
    # left out for 4.1 (same picture limits, 2.5x the bitrate: a CRF encode has no cap).
    # Ends at 5.1: Windows' own decoder (Media Foundation) goes no higher.
    ("3", 40_500, 1_620),
    ("3.1", 108_000, 3_600),
    ("3.2", 216_000, 5_120),
    ("4.1", 245_760, 8_192),
    ("4.2", 522_240, 8_704),
    ("5", 589_824, 22_080),
    ("5.1", 983_040, 36_864),
)


def needs_video_encode(session: Session) -> bool:
    return session.video.codec != "h264"


def encode_fps(session: Session) -> int:
    """The source's real frame rate, whole: the proxy's measurement, else what the stream's
    header says, else :data:`DEFAULT_FPS`."""
    measured = session.measured.fps if session.measured is not None else None
    for rate in (measured, session.video.fps):
        if rate is not None and 0 < rate <= MAX_FPS:
            return max(1, round(rate))
    return DEFAULT_FPS


def h264_level(width: int, height: int, fps: float) -> str:
    """The lowest level (from 3, at most 5.1) whose limits hold this picture at ``fps``:
    frame size (MaxFS, and no side over sqrt(8 x MaxFS) macroblocks) and macroblocks per
    second (MaxMBPS). 1280x720 at 30 fps is 3.1, 1920x1080 at 30 fps 4.1."""
    wide, high = -(-width // 16), -(-height // 16)
    for level, max_mbps, max_fs in H264_LEVELS:
        fits = wide * high <= max_fs and max(wide, high) ** 2 <= 8 * max_fs
        if fits and wide * high * fps <= max_mbps:
            return level
    return H264_LEVELS[-1][0]


def video_args(settings: RecorderSettings, session: Session) -> list[str]:
    if not needs_video_encode(session):
        return ["-c:v", "copy"]  # leading non-key frames are skipped: the file opens on a key
    fps = encode_fps(session)
    return [
        "-c:v",
        "libx264",
        "-preset",
        settings.x264_preset,
        "-crf",
        str(settings.x264_crf),
        "-profile:v",
        "high",
        "-level:v",
        h264_level(session.video.width, session.video.height, fps),
        "-pix_fmt",
        "yuv420p",
        "-bf",
        "0",  # no B-frames: frames leave in order, so a timed file is cut on the exact frame
        # Every source timestamp kept (no frame duplicated or dropped) ...
        "-fps_mode",
        "passthrough",
        # ... on the RTSP clock, exactly. FFmpeg's default encoder time base is 1/rate, so
        # without this '-r' below would put the frames on a 1/rate grid.
        "-enc_time_base:v",
        "1/90000",
        # What the encoder is told the rate is: libx264 otherwise takes it from the 1/90000
        # input time base (90000 fps: level 6.2 chosen, 'MB rate > level limit').
        "-r",
        str(fps),
        # The SPS timing says 'fps' too (libx264 writes the 1/90000 time base there, and
        # players read r_frame_rate=90000/1 from it); fixed_frame_rate_flag stays 0.
        "-bsf:v",
        f"h264_metadata=tick_rate={2 * fps}",
        "-force_key_frames",
        f"expr:gte(t,n_forced*{KEYFRAME_EVERY_S})",
    ]


def audio_args(settings: RecorderSettings, session: Session) -> list[str]:
    if session.audio is None:
        return ["-an"]
    if session.audio.codec == "aac":
        return ["-c:a", "copy"]
    return ["-c:a", "aac", "-profile:a", "aac_low", "-b:a", f"{settings.audio_bitrate_kbps}k"]


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
        settings.relay_reader.url(session.relay_url),
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


def quiet(ffmpeg: str) -> list[str]:
    """How every FFmpeg run after the recording starts: no banner, errors only, no stdin
    (the recording itself logs warnings and reads ``q`` on stdin to stop)."""
    return [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin"]


def remux_args(ffmpeg: str, fragmented: Path, output: Path) -> list[str]:
    """Copy the fragmented file into a regular MP4 with ``moov`` before ``mdat``."""
    return [
        *quiet(ffmpeg), "-i", str(fragmented),
        "-map", "0", "-c", "copy", "-movflags", "+faststart", "-f", "mp4", "-y", str(output),
    ]  # fmt: skip


def concat_args(
    ffmpeg: str, part_list: Path, output: Path, index_room: int | None = None
) -> list[str]:
    """Join the parts of a recording (one per connection to the source) by copy, back to
    back, into one regular MP4. ``part_list`` is a concat-demuxer list (``file '...'``).

    The index (``moov``) goes before the media: into ``index_room`` bytes kept free at the
    front (``-moov_size``; what it doesn't use stays as a ``free`` box), else by
    ``+faststart``, which writes the file and then rewrites all of it to move the index
    (a 2 h 720p file of 1.9 GB: 6.3-8.6 s of CPU for the join, 4.8 s without the rewrite)."""
    front = ["-moov_size", str(index_room)] if index_room else ["-movflags", "+faststart"]
    return [
        *quiet(ffmpeg), "-f", "concat", "-safe", "0", "-i", str(part_list),
        "-map", "0", "-c", "copy", *front, "-f", "mp4", "-y", str(output),
    ]  # fmt: skip


def thumbnail_args(ffmpeg: str, video: Path, output: Path, at_s: float) -> list[str]:
    return [
        *quiet(ffmpeg), "-ss", f"{at_s:.3f}", "-i", str(video),
        "-frames:v", "1", "-vf", "scale=320:-2", "-q:v", "4", "-y", str(output),
    ]  # fmt: skip
