"""The liveness endpoint of proxy and recorder (their container healthcheck): a real
nats-server, a real micro service, and the very command Docker runs (busybox wget)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from camrec_contracts.services import PROXY
from camrec_devstack.natsd import NatsServerConfig, start_nats_server
from camrec_devstack.paths import binary
from camrec_devstack.procs import free_port
from camrec_runtime.bus import Bus, connect
from camrec_runtime.lifecycle import Worker
from camrec_runtime.liveness import LivenessSettings
from camrec_runtime.ping import ping_service
from tests.fixtures.inprocess import InProcess
from tests.polling import poll


async def _idle_worker(_: Bus) -> Worker:
    return Worker()


def _wget(url: str) -> subprocess.CompletedProcess[str]:
    """The healthcheck compose.yaml and the Dockerfile give the proxy and the recorder."""
    return subprocess.run(
        [binary("busybox"), "wget", "-qO", "/dev/null", url],
        capture_output=True,
        text=True,
        timeout=20,
    )


@pytest.fixture
async def proxy(bus: Bus, nats_settings: LivenessSettings) -> AsyncIterator[tuple[InProcess, str]]:
    port = free_port()
    settings = LivenessSettings(nats_url=nats_settings.nats_url, health_port=port)
    service = InProcess(PROXY, bus)
    await service.start(settings, _idle_worker)
    try:
        yield service, f"http://127.0.0.1:{port}/health"
    finally:
        await service.stop_all()


async def test_service_registers_its_host(bus: Bus, proxy: tuple[InProcess, str]) -> None:
    [answer] = await ping_service(bus.nc, PROXY)
    assert answer.metadata == {"host": socket.gethostname()}


async def test_a_running_instance_is_healthy(bus: Bus, proxy: tuple[InProcess, str]) -> None:
    _, url = proxy
    [answer] = await ping_service(bus.nc, PROXY)
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
        other = await http.get(url.replace("/health", "/"))
    assert response.status_code == 200
    assert response.text == f"{PROXY} {answer.id}: ok\n"
    assert other.status_code == 404
    done = await asyncio.to_thread(_wget, url)
    assert done.returncode == 0, done.stderr


async def test_a_stopped_instance_is_unhealthy(proxy: tuple[InProcess, str]) -> None:
    service, url = proxy
    await service.stop_all()
    done = await asyncio.to_thread(_wget, url)
    assert done.returncode == 1
    assert "refused" in done.stderr


async def test_an_instance_that_lost_nats_is_unhealthy(tmp_path: Path, bus: Bus) -> None:
    """Its NATS server gone: 503 with the reason, and wget exits 1."""
    cfg = NatsServerConfig(port=free_port(), monitor_port=free_port(), store_dir=tmp_path / "js")
    server = start_nats_server(cfg, log_file=tmp_path / "own-nats.log")
    port = free_port()
    url = f"http://127.0.0.1:{port}/health"
    settings = LivenessSettings(nats_url=cfg.url, nats_connect_wait_s=5, health_port=port)
    own_bus = await connect(settings, "camrec-test")
    service = InProcess(PROXY, own_bus)
    try:
        await service.start(settings, _idle_worker)
        async with httpx.AsyncClient(timeout=10) as http:
            assert (await http.get(url)).status_code == 200
            server.stop()

            async def unhealthy() -> bool:
                return (await http.get(url)).status_code == 503

            # The ping's own time-out (2 s) bounds each answer; nats-py sees the socket close.
            await poll(unhealthy, timeout_s=20, what="503 once NATS is gone")
            response = await http.get(url)
        assert response.status_code == 503
        assert response.text.startswith(f"{PROXY} ")
        assert ": unhealthy: " in response.text
        done = await asyncio.to_thread(_wget, url)
        assert done.returncode == 1
        assert "503" in done.stderr

        server = start_nats_server(cfg, log_file=tmp_path / "own-nats.log")
        async with httpx.AsyncClient(timeout=10) as http:

            async def healthy() -> bool:
                return (await http.get(url)).status_code == 200

            # nats-py reconnects every 2 s (its default reconnect wait): healthy again after.
            await poll(healthy, timeout_s=20, what="200 once NATS is back")
    finally:
        if not server.running():  # the test failed before NATS came back
            server = start_nats_server(cfg, log_file=tmp_path / "own-nats.log")
        await service.stop_all()
        await own_bus.close()
        server.stop()


async def test_garbage_gets_a_clear_answer_and_the_endpoint_stays_up(
    proxy: tuple[InProcess, str],
) -> None:
    """Anything but GET /health: 405 or 404 in one line; a client that sends nothing is
    closed after the read time-out (2 s); the next check still answers 200."""
    _, url = proxy
    port = int(url.rsplit(":", 1)[1].split("/")[0])

    async def exchange(data: bytes) -> bytes:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(data)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        return answer

    post = await exchange(b"POST /health HTTP/1.0\r\n\r\n")
    assert post.startswith(b"HTTP/1.0 405 ") and post.endswith(b"GET /health only\n")
    junk = await exchange(b"\x00\xff garbage\r\n\r\n")
    assert junk.startswith(b"HTTP/1.0 405 ")
    assert await exchange(b"") == b""  # nothing sent: closed without an answer
    async with httpx.AsyncClient() as http:
        assert (await http.get(url)).status_code == 200
