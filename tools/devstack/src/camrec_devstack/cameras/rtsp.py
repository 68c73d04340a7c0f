"""RTSP cameras: FFmpeg test sources published through a go2rtc of their own.

Each camera is a go2rtc ``exec:`` source: go2rtc starts FFmpeg (publishing into the
``{output}`` RTSP URL it hands over) when the first client connects and stops it when the
last leaves. So an idle simulator costs no CPU, and each camera is encoded once however many
clients read it, like a real camera. go2rtc is ours here: nothing a user types reaches it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..go2rtc import Go2RTCConfig, start_go2rtc
from ..paths import binary
from ..procs import ManagedProcess, free_port

H264_AAC = "h264_aac"
H264_ALAW = "h264_alaw"
H264_NOAUDIO = "h264_noaudio"
H265_AAC = "h265_aac"
H264_CLOCK = "h264_clock"
"""H.264 + AAC whose frames carry their capture time and number (see ``clock.py``)."""
H264_CLOCK_VIDEO = "h264_clock_video"
"""The clock camera without its tone: what latency is measured with (its muxer holds no
picture waiting for audio, see ``clock.encoder_command``)."""
H264_AAC_GOP6 = "h264_aac_gop6"
"""H.264 + AAC with a keyframe every 6 s, like a camera in a "smart codec" mode: a reader
joining it gets up to 6 s of audio before the first picture it can use."""
CAMERAS = (
    H264_AAC, H264_ALAW, H264_NOAUDIO, H265_AAC, H264_CLOCK, H264_CLOCK_VIDEO, H264_AAC_GOP6,
)  # fmt: skip

_LOW_LATENCY = ["-preset", "ultrafast", "-tune", "zerolatency", "-pix_fmt", "yuv420p"]
_VIDEO = {
    "h264": ["-c:v", "libx264", *_LOW_LATENCY],
    "h265": ["-c:v", "libx265", *_LOW_LATENCY, "-x265-params", "log-level=error"],
}
_AUDIO = {
    "aac": (48000, ["-c:a", "aac", "-b:a", "64k", "-ac", "1"]),
    "alaw": (8000, ["-c:a", "pcm_alaw", "-ac", "1"]),
}


def camera_command(
    ffmpeg: str,
    video: str,
    audio: str | None,
    size: str = "1280x720",
    fps: int = 25,
    gop_s: int = 2,
) -> list[str]:
    """FFmpeg argv publishing a moving test picture (+ a tone) in real time to ``{output}``,
    a keyframe every ``gop_s`` seconds (2, like most cameras, unless told)."""
    argv = [ffmpeg, "-hide_banner", "-loglevel", "error", "-nostdin"]
    argv += ["-re", "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}"]
    if audio is not None:
        rate, _ = _AUDIO[audio]
        argv += ["-re", "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate={rate}"]
    gop = str(gop_s * fps)
    argv += [*_VIDEO[video], "-g", gop, "-keyint_min", gop, "-sc_threshold", "0"]
    if audio is not None:
        argv += _AUDIO[audio][1]
    return [*argv, "-rtsp_transport", "tcp", "-f", "rtsp", "{output}"]


def camera_sources(ffmpeg: str, size: str = "1280x720", fps: int = 25) -> dict[str, str]:
    """go2rtc stream sources for the simulated RTSP cameras, keyed by camera name."""
    specs: dict[str, tuple[str, str | None, int]] = {
        H264_AAC: ("h264", "aac", 2),
        H264_ALAW: ("h264", "alaw", 2),
        H264_NOAUDIO: ("h264", None, 2),
        H265_AAC: ("h265", "aac", 2),
        H264_AAC_GOP6: ("h264", "aac", 6),
    }
    sources = {
        name: "exec:" + " ".join(camera_command(ffmpeg, video, audio, size, fps, gop))
        for name, (video, audio, gop) in specs.items()
    }
    clock = [sys.executable, "-m", "camrec_devstack.cameras.clock", "--ffmpeg", ffmpeg]
    sources[H264_CLOCK] = "exec:" + " ".join(
        [*clock, "--size", size, "--fps", str(fps), "{output}"]
    )
    sources[H264_CLOCK_VIDEO] = "exec:" + " ".join(
        [*clock, "--size", size, "--fps", str(fps), "--no-audio", "{output}"]
    )
    return sources


@dataclass
class RtspCameras:
    """A running go2rtc serving the simulated cameras."""

    config: Go2RTCConfig
    process: ManagedProcess

    def url(self, name: str) -> str:
        if name not in self.config.streams:
            raise KeyError(f"no simulated camera {name!r}; have {sorted(self.config.streams)}")
        return self.config.rtsp_url(name)

    def running(self, name: str) -> bool:
        """Whether camera ``name`` is publishing now (its source has delivered packets)."""
        streams = httpx.get(f"{self.config.api_url}/api/streams", timeout=2).json()
        producers = (streams.get(name) or {}).get("producers") or []
        return any(r.get("packets", 0) > 0 for p in producers for r in p.get("receivers") or [])

    def stop(self) -> None:
        self.process.stop()


def start_rtsp_cameras(
    workdir: Path, log_file: Path | None = None, size: str = "1280x720", fps: int = 25
) -> RtspCameras:
    config = Go2RTCConfig(
        api_port=free_port(),
        rtsp_port=free_port(),
        streams=dict(camera_sources(binary("ffmpeg"), size, fps)),
    )
    return RtspCameras(config, start_go2rtc(config, workdir, log_file=log_file))
