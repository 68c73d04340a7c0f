"""A real nats-server with JetStream and a file store."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from .paths import binary
from .procs import ManagedProcess


@dataclass(frozen=True)
class NatsServerConfig:
    port: int
    monitor_port: int
    store_dir: Path
    host: str = "127.0.0.1"
    auth_conf: Path | None = None
    """nats-server's ``authorization`` block (:mod:`camrec_runtime.credentials`): no
    connection without a user. None: anyone may connect (the tests' own servers)."""

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"


def start_nats_server(cfg: NatsServerConfig, log_file: Path | None = None) -> ManagedProcess:
    """Start nats-server and wait until its JetStream answers healthy."""
    cfg.store_dir.mkdir(parents=True, exist_ok=True)
    proc = ManagedProcess(
        "nats-server",
        [
            binary("nats-server"),
            "--jetstream",
            "--store_dir",
            str(cfg.store_dir),
            "--addr",
            cfg.host,
            "--port",
            str(cfg.port),
            "--http_port",
            str(cfg.monitor_port),
            "--server_name",
            f"camrec-{cfg.port}",
            *(["--config", str(cfg.auth_conf)] if cfg.auth_conf else []),
        ],
        log_file=log_file,
    ).start()
    healthz = f"http://{cfg.host}:{cfg.monitor_port}/healthz?js-enabled-only=true"

    def healthy() -> bool:
        try:
            return httpx.get(healthz, timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    proc.wait_until(healthy, 20.0, "JetStream health")
    return proc
