"""The container healthcheck of proxy and recorder: a real nats-server, a real micro service."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator

import pytest

from camrec_contracts.bus import Bus
from camrec_contracts.healthcheck import check
from camrec_contracts.runtime import Worker
from camrec_contracts.services import PROXY, RECORDER, ping_service
from camrec_contracts.settings import CamrecSettings
from tests.fixtures.inprocess import InProcess


async def _idle_worker(_: Bus) -> Worker:
    return Worker()


@pytest.fixture
async def proxy(bus: Bus, nats_settings: CamrecSettings) -> AsyncIterator[InProcess]:
    service = InProcess(PROXY, bus)
    await service.start(nats_settings, _idle_worker)
    try:
        yield service
    finally:
        await service.stop_all()


async def _run_module(nats_url: str, name: str) -> tuple[int, str]:
    env = {**os.environ, "CAMREC_NATS_URL": nats_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "camrec_contracts.healthcheck",
        name,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_service_registers_its_host(bus: Bus, proxy: InProcess) -> None:
    [answer] = await ping_service(bus.nc, PROXY)
    assert answer.metadata == {"host": socket.gethostname()}


async def test_running_service_on_this_host_is_healthy(
    proxy: InProcess, nats_settings: CamrecSettings
) -> None:
    assert await check(nats_settings, PROXY) is None


async def test_missing_service_is_unhealthy(
    proxy: InProcess, nats_settings: CamrecSettings
) -> None:
    reason = await check(nats_settings, RECORDER, timeout_s=0.5)
    assert reason == f"no {RECORDER} instance answered $SRV.PING.{RECORDER} within 0.5 s"


async def test_instance_on_another_host_does_not_count(
    proxy: InProcess, nats_settings: CamrecSettings
) -> None:
    reason = await check(nats_settings, PROXY, host="other-container", timeout_s=0.5)
    assert reason is not None
    assert "1 camrec-proxy instance(s) answered, none on host 'other-container'" in reason
    assert socket.gethostname() in reason


async def test_unreachable_nats_is_unhealthy() -> None:
    settings = CamrecSettings(nats_url="nats://user:secret@127.0.0.1:1")
    reason = await check(settings, PROXY, timeout_s=1)
    assert reason is not None
    assert reason.startswith("cannot reach NATS at nats://***@127.0.0.1:1")
    assert "secret" not in reason


async def test_module_exit_codes(proxy: InProcess, nats_settings: CamrecSettings) -> None:
    """What Docker runs: ``python -m camrec_contracts.healthcheck <name>``, 0 or 1."""
    code, out = await _run_module(nats_settings.nats_url, PROXY)
    assert (code, out.strip()) == (0, f"{PROXY}: healthy on {socket.gethostname()}")

    code, out = await _run_module(nats_settings.nats_url, RECORDER)
    assert code == 1
    assert out.strip() == (
        f"{RECORDER}: unhealthy: no {RECORDER} instance answered $SRV.PING.{RECORDER} within 3 s"
    )


async def test_module_usage_and_bad_settings() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "camrec_contracts.healthcheck",
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode == 2 and b"usage:" in err

    code, out = await _run_module("http://nats:4222", PROXY)
    assert code == 1
    assert out.startswith(f"{PROXY}: unhealthy: camrec: invalid settings")
    assert "CAMREC_NATS_URL" in out
