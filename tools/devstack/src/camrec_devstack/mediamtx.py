"""A real MediaMTX: the RTSP relay of the local stack and tests, on the file compose runs.

MediaMTX reads ``MTX_<KEY>`` environment variables over its config file (its docs,
"Configuration"; ``internal/conf/env``), so ``deploy/mediamtx/mediamtx.yml`` is used as it
is and only the listen addresses change: 127.0.0.1 and ports of our choosing, so that
several instances (parallel tests, the local stack) run side by side.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from camrec_contracts.relay_access import RELAY_READ_USER, RelayReader
from camrec_runtime.credentials import render_mediamtx_config

from .paths import REPO, binary
from .procs import ManagedProcess

MEDIAMTX_CONFIG = REPO / "deploy" / "mediamtx" / "mediamtx.yml"
"""The relay's config template: the same file compose's ``credentials`` service completes."""


@dataclass(frozen=True)
class MediaMTXConfig:
    api_port: int
    rtsp_port: int
    read_password: str = field(repr=False)
    """The read user's (:data:`RELAY_READ_USER`): every RTSP reader needs it."""
    host: str = "127.0.0.1"

    @property
    def reader(self) -> RelayReader:
        return RelayReader(RELAY_READ_USER, self.read_password)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def rtsp_url(self) -> str:
        """The RTSP base readers use: ``<rtsp_url>/<path>``."""
        return f"rtsp://{self.host}:{self.rtsp_port}"


def mediamtx_env(cfg: MediaMTXConfig) -> dict[str, str]:
    """The listen addresses over the config file's (``apiAddress``, ``rtspAddress``: the
    only listeners it turns on)."""
    return {
        "MTX_APIADDRESS": f"{cfg.host}:{cfg.api_port}",
        "MTX_RTSPADDRESS": f"{cfg.host}:{cfg.rtsp_port}",
    }


def start_mediamtx(
    cfg: MediaMTXConfig, workdir: Path, log_file: Path | None = None
) -> ManagedProcess:
    """Start MediaMTX on ``MEDIAMTX_CONFIG`` (with the read password) and wait until its API
    answers."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "mediamtx.yml"
    config.write_text(render_mediamtx_config(MEDIAMTX_CONFIG.read_text(), cfg.read_password))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MTX_", "RTSP_"))}
    env.update(mediamtx_env(cfg))  # (RTSP_ is MediaMTX's legacy prefix: none may leak in)
    proc = ManagedProcess(
        "mediamtx",
        [binary("mediamtx"), str(config)],
        env=env,
        cwd=workdir,
        log_file=log_file,
    ).start()

    def api_up() -> bool:
        try:
            return httpx.get(f"{cfg.api_url}/v3/paths/list", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    proc.wait_until(api_up, 20.0, "API answer")
    return proc
