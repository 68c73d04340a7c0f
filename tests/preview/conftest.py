"""The previewer as a real process (its CPU is measured apart from the test's), with a proxy
(in-process), real NATS, relays and simulators."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from camrec_contracts.previews import PREVIEW_STATS, PreviewerStats, PreviewStatsRequest
from camrec_contracts.sessions import OPEN_SESSION, OpenSessionRequest, Session
from camrec_devstack.cameras.rtsp import RtspCameras
from camrec_devstack.natsd import NatsServerConfig
from camrec_devstack.paths import binary
from camrec_devstack.procs import ManagedProcess, free_port
from camrec_runtime.bus import Bus
from camrec_runtime.rpc import call
from tests.fixtures.proxy import Proxies
from tests.relay_reader import reader_env


@dataclass
class PreviewerProcess:
    process: ManagedProcess
    port: int
    bus: Bus

    def ws_url(self, session_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/preview/{session_id}"

    async def stats(self) -> PreviewerStats:
        return await call(self.bus.nc, PREVIEW_STATS, PreviewStatsRequest())

    def cpu_seconds(self) -> float:
        """user + system CPU time of the previewer process, from /proc (all its threads)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def previewer_env(nats: NatsServerConfig, port: int, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMREC_")}
    env.update(reader_env())  # the relays want the read user
    env.update(CAMREC_NATS_URL=nats.url, CAMREC_PREVIEWER_PORT=str(port), PYTHONUNBUFFERED="1")
    env.update({f"CAMREC_{k.upper()}": v for k, v in settings.items()})
    return env


@pytest.fixture
def previewer_settings() -> dict[str, str]:
    """Overridden by tests that need other settings."""
    return {"preview_idle_stop_s": "3", "preview_stall_s": "2", "preview_retry_max_s": "1"}


@pytest.fixture
def previewer(
    nats_server: NatsServerConfig, bus: Bus, tmp_path: Path, previewer_settings: dict[str, str]
) -> Iterator[PreviewerProcess]:
    port = free_port()
    proc = ManagedProcess(
        "previewer",
        [sys.executable, "-m", "camrec_previewer"],
        env=previewer_env(nats_server, port, **previewer_settings),
        log_file=tmp_path / "previewer.log",
    ).start()

    def healthy() -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        proc.wait_until(healthy, 30, "health answer")
        yield PreviewerProcess(proc, port, bus)
    finally:
        proc.stop()


@pytest.fixture
async def proxy_up(proxies: Proxies) -> AsyncIterator[Proxies]:
    await proxies.start()
    yield proxies


async def open_session(bus: Bus, url: str, name: str = "cam") -> Session:
    return await call(bus.nc, OPEN_SESSION, OpenSessionRequest(url=url, name=name))


@contextlib.contextmanager
def camera_kept_on(cameras: RtspCameras, name: str) -> Iterator[None]:
    """Hold a reader on a simulated camera so it runs before and after the relay reads it,
    as a real camera does (the simulators run only while read: a cold one needs about a
    second to start, which is the simulator's time, not the preview's)."""
    reader = ManagedProcess(
        "camera-reader",
        [binary("ffmpeg"), "-v", "error", "-rtsp_transport", "tcp", "-i", cameras.url(name),
         "-f", "null", "-"],
    ).start()  # fmt: skip
    try:
        reader.wait_until(lambda: cameras.running(name), 20, f"camera {name} running")
        yield
    finally:
        reader.stop()
