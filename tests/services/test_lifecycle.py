"""Each service as a real process: registers, answers pings, stops cleanly on SIGTERM/SIGINT,
and refuses bad settings with a clear message."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from camrec_contracts.events import SERVICE_EVENTS, ServiceEvent, parse_event
from camrec_contracts.services import PREVIEWER, PROXY, RECORDER
from camrec_devstack.natsd import NatsServerConfig
from camrec_devstack.procs import ManagedProcess, free_port
from camrec_runtime.bus import Bus
from camrec_runtime.ping import ping_service

MODULES = {PROXY: "camrec_proxy", RECORDER: "camrec_recorder", PREVIEWER: "camrec_previewer"}


def service_env(nats: NatsServerConfig, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMREC_")}
    env.update(
        CAMREC_NATS_URL=nats.url,
        CAMREC_PREVIEWER_PORT=str(free_port()),
        CAMREC_RECORDINGS_DIR=str(tmp_path / "rec"),
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("name", list(MODULES))
async def test_service_starts_answers_and_stops_cleanly(
    name: str, sig: signal.Signals, nats_server: NatsServerConfig, bus: Bus, tmp_path: Path
) -> None:
    proc = ManagedProcess(
        name, [sys.executable, "-m", MODULES[name]], env=service_env(nats_server, tmp_path)
    ).start()
    try:
        for _ in range(200):  # up to ~20 s: each round waits up to 0.1 s for an answer
            if await ping_service(bus.nc, name, timeout_s=0.1, gather_s=0):
                break
            assert proc.running(), proc.tail()
        else:
            raise AssertionError(f"{name} never answered a ping:\n{proc.tail()}")
        os.kill(proc.pid, sig)
        code = await asyncio.to_thread(proc.proc.wait, 10)  # type: ignore[union-attr]
        assert code == 0, proc.tail()
        assert f"{name} stopped" in proc.tail()
        assert await ping_service(bus.nc, name, timeout_s=0.3) == []
        sub = await bus.js.subscribe(SERVICE_EVENTS.subject(name), ordered_consumer=True)
        events = []
        for _ in range(2):
            msg = await sub.next_msg(timeout=5)
            event = parse_event(msg.subject, msg.data)
            assert isinstance(event, ServiceEvent)
            events.append(event.event)
        assert events == ["started", "stopped"]
    finally:
        proc.stop()


@pytest.mark.parametrize(
    ("module", "var", "value"),
    [
        ("camrec_proxy", "CAMREC_NATS_URL", "http://localhost:4222"),
        ("camrec_recorder", "CAMREC_LOG_LEVEL", "loud"),
        ("camrec_previewer", "CAMREC_PREVIEWER_PORT", "99999"),
        ("camrec_api", "CAMREC_API_PORT", "eighty"),
    ],
)
def test_bad_setting_stops_start_up_with_its_name(module: str, var: str, value: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMREC_")}
    env[var] = value
    result = subprocess.run(
        [sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0
    assert f"{var}: " in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_nats_is_a_clear_error() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMREC_")}
    env.update(CAMREC_NATS_URL=f"nats://127.0.0.1:{free_port()}", CAMREC_NATS_CONNECT_WAIT_S="1")
    result = subprocess.run(
        [sys.executable, "-m", "camrec_proxy"], env=env, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert "camrec-proxy: cannot reach NATS at nats://127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr
