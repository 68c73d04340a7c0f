"""A real go2rtc: the relay of the local stack and tests, and the host of camera simulators."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from camrec_contracts.relay_access import RelayReader

from .paths import REPO, binary
from .procs import ManagedProcess


@dataclass(frozen=True)
class Go2RTCConfig:
    api_port: int
    rtsp_port: int
    streams: dict[str, str | list[str]] = field(default_factory=dict)
    host: str = "127.0.0.1"
    reader: RelayReader | None = None
    """The RTSP user (compose's ``rtsp.username/password``). go2rtc asks it only of clients
    that are not on loopback (its ``internal/rtsp``: "skip check auth for localhost")."""

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    def rtsp_url(self, name: str) -> str:
        return f"rtsp://{self.host}:{self.rtsp_port}/{name}"


def render_go2rtc_config(cfg: Go2RTCConfig, ffmpeg_bin: str) -> dict[str, Any]:
    """go2rtc's YAML: API and RTSP on the given ports; every other listener off, so two
    instances never collide on go2rtc's defaults (1984, 8554, 8555, 8443).

    go2rtc writes streams added over its API back into this file, and its YAML patcher
    can't extend a flow-style ``streams: {}``: so no ``streams`` key when there are none."""
    doc: dict[str, Any] = {
        "api": {"listen": f"{cfg.host}:{cfg.api_port}", "origin": "*"},
        "rtsp": {"listen": f"{cfg.host}:{cfg.rtsp_port}"},
        "webrtc": {"listen": ""},
        "srtp": {"listen": ""},
        "rtmp": {"listen": ""},
        "log": {"level": "info", "format": "text"},
        "ffmpeg": {"bin": ffmpeg_bin},
    }
    if cfg.reader is not None:
        doc["rtsp"] |= {"username": cfg.reader.user, "password": cfg.reader.password}
    if cfg.streams:
        doc["streams"] = dict(cfg.streams)
    return doc


def start_go2rtc(cfg: Go2RTCConfig, workdir: Path, log_file: Path | None = None) -> ManagedProcess:
    """Write ``go2rtc.yaml`` into ``workdir``, start go2rtc, wait until its API answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "go2rtc.yaml"
    config.write_text(yaml.safe_dump(render_go2rtc_config(cfg, binary("ffmpeg")), sort_keys=False))
    proc = ManagedProcess(
        "go2rtc", [binary("go2rtc"), "-config", str(config)], cwd=workdir, log_file=log_file
    ).start()
    return _wait_api(proc, cfg)


def _wait_api(proc: ManagedProcess, cfg: Go2RTCConfig) -> ManagedProcess:
    def api_up() -> bool:
        try:
            return httpx.get(f"{cfg.api_url}/api/streams", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    proc.wait_until(api_up, 20.0, "API answer")
    return proc


DEMOCAM_CONFIG = REPO / "deploy" / "democam" / "go2rtc.yaml"
"""The bundled demo camera's go2rtc config: the same file compose's ``democam`` runs."""
DEMO_RTSP_STREAM = "demo"
DEMO_MJPEG_STREAM = "demo_mjpeg"


def democam_urls(host: str, api_port: int, rtsp_port: int) -> tuple[str, str]:
    """(RTSP URL, MJPEG-over-HTTP URL) of the demo camera."""
    return (
        f"rtsp://{host}:{rtsp_port}/{DEMO_RTSP_STREAM}",
        f"http://{host}:{api_port}/api/stream.mjpeg?src={DEMO_MJPEG_STREAM}",
    )


def start_democam(
    api_port: int, rtsp_port: int, workdir: Path, log_file: Path | None = None
) -> ManagedProcess:
    """go2rtc on ``DEMOCAM_CONFIG`` with local listen addresses (a second, inline config that
    go2rtc merges over the first), as the local stack runs it."""
    workdir.mkdir(parents=True, exist_ok=True)
    cfg = Go2RTCConfig(api_port=api_port, rtsp_port=rtsp_port)
    overrides = {
        "api": {"listen": f"{cfg.host}:{api_port}"},
        "rtsp": {"listen": f"{cfg.host}:{rtsp_port}"},
        "ffmpeg": {"bin": binary("ffmpeg")},
    }
    argv = [binary("go2rtc"), "-config", str(DEMOCAM_CONFIG), "-config", json.dumps(overrides)]
    return _wait_api(ManagedProcess("democam", argv, cwd=workdir, log_file=log_file).start(), cfg)
