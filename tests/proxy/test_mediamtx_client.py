"""The MediaMTX client and relay against a real MediaMTX (on compose's config file) pulling
the simulated cameras."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from camrec_devstack.cameras.rtsp import H264_NOAUDIO, RtspCameras
from camrec_devstack.mediamtx import MediaMTXConfig, start_mediamtx
from camrec_devstack.procs import free_port
from camrec_proxy.relay_clients import RelayError
from camrec_proxy.relay_clients.mediamtx import MediaMTXClient
from camrec_proxy.relays import MediaMTXRelay
from tests.fixtures.mediamtx import mediamtx_get, mediamtx_path, own_mediamtx_config
from tests.media import codecs, probe_streams
from tests.polling import poll

NAME = "camrec-0123456789ab"
SECRET_SOURCE = "rtsp://admin:pw@cam.local:554/live"
OPEN_S = 15.0
"""What an open is given (CAMREC_OPEN_TIMEOUT_S); an idle simulator was online in 1.7-4.3 s."""


@pytest.fixture
async def client(mediamtx_relay: MediaMTXConfig) -> AsyncIterator[MediaMTXClient]:
    async with httpx.AsyncClient() as http:
        yield MediaMTXClient(http, mediamtx_relay.api_url, timeout_s=2)


async def test_path_lifecycle(
    client: MediaMTXClient, mediamtx_relay: MediaMTXConfig, rtsp_cameras: RtspCameras
) -> None:
    camera = rtsp_cameras.url(H264_NOAUDIO)
    await client.add_path(NAME, camera)
    conf = await mediamtx_get(mediamtx_relay, f"/v3/config/paths/get/{NAME}")
    assert conf is not None
    assert (conf["source"], conf["sourceOnDemand"], conf["rtspTransport"]) == (camera, False, "tcp")
    assert await client.path_names() == {NAME}

    took = await poll(lambda: client.path_available(NAME), OPEN_S, "path available")
    print(f"MediaMTX had the camera {took:.2f} s after the path was added")
    # available means readable: a reader gets the stream at once
    assert codecs(probe_streams(f"{mediamtx_relay.rtsp_url}/{NAME}")) == {"video": "h264"}

    assert await client.delete_path(NAME) is True
    assert await client.delete_path(NAME) is False
    assert await client.path_available(NAME) is False
    assert await client.path_names() == set()


async def test_a_source_that_never_answers_is_online_but_not_available(
    client: MediaMTXClient, mediamtx_relay: MediaMTXConfig, silent_camera: str
) -> None:
    """MediaMTX 1.20.1 calls a path with a configured source "online" from the start, with
    nothing to read yet (isOnline in its internal/core/path.go); only "available" (its old
    "ready") means a stream is there. Read as "online", an open went on to probe at once."""
    await client.add_path(NAME, silent_camera)
    state = await mediamtx_path(mediamtx_relay, NAME)
    assert state is not None
    assert (state["online"], state["available"], state["ready"]) == (True, False, False), state
    assert await client.path_available(NAME) is False


async def test_http_sources_get_no_rtsp_transport(
    client: MediaMTXClient, mediamtx_relay: MediaMTXConfig
) -> None:
    await client.add_path(NAME, "http://cam.local/video.mjpeg")
    conf = await mediamtx_get(mediamtx_relay, f"/v3/config/paths/get/{NAME}")
    assert conf is not None and conf["rtspTransport"] == "automatic"  # MediaMTX's default


async def test_errors_become_relay_errors_with_mediamtx_words(client: MediaMTXClient) -> None:
    await client.add_path(NAME, SECRET_SOURCE)
    with pytest.raises(RelayError, match=r"MediaMTX answered 400 .*: path already exists"):
        await client.add_path(NAME, SECRET_SOURCE)
    with pytest.raises(RelayError, match=r"MediaMTX answered 400 .*: invalid source") as caught:
        await client.add_path("camrec-aaaaaaaaaaaa", "ftp://admin:pw@cam.local/x")
    assert "pw@" not in str(caught.value)  # the path, not the request, is named


async def test_an_api_url_that_is_not_mediamtx_v3_is_a_relay_error(
    mediamtx_relay: MediaMTXConfig,
) -> None:
    """A wrong CAMREC_MEDIAMTX_API_URL: MediaMTX answers its unknown routes 404 in plain
    text, not its JSON error."""
    async with httpx.AsyncClient() as http:
        client = MediaMTXClient(http, f"{mediamtx_relay.api_url}/v2", timeout_s=2)
        with pytest.raises(RelayError) as caught:
            await client.add_path(NAME, SECRET_SOURCE)
    assert str(caught.value) == f"MediaMTX answered 404 to POST /v3/config/paths/add/{NAME}"


async def test_unreachable_api_is_a_relay_error_without_credentials() -> None:
    async with httpx.AsyncClient() as http:
        client = MediaMTXClient(http, f"http://127.0.0.1:{free_port()}", timeout_s=1)
        with pytest.raises(RelayError, match=r"MediaMTX API unreachable") as caught:
            await client.add_path(NAME, SECRET_SOURCE)
    assert "pw@" not in str(caught.value)


async def test_a_hung_api_is_a_relay_error_within_the_call_time_out(tmp_path: Path) -> None:
    """MediaMTX stopped (SIGSTOP): its API takes the connection and never answers."""
    cfg = own_mediamtx_config()
    proc = start_mediamtx(cfg, tmp_path / "hung")
    try:
        os.kill(proc.pid, signal.SIGSTOP)
        async with httpx.AsyncClient() as http:
            client = MediaMTXClient(http, cfg.api_url, timeout_s=1)
            start = time.monotonic()
            with pytest.raises(RelayError, match=r"MediaMTX API unreachable") as caught:
                await client.add_path(NAME, SECRET_SOURCE)
            took = time.monotonic() - start
        print(f"a hung MediaMTX API: {caught.value} after {took:.2f} s")
        assert took < 3  # the 1 s time-out, with room for a loaded machine
        assert "pw@" not in str(caught.value)
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        proc.stop()


async def test_relay_waits_until_the_path_is_available(
    client: MediaMTXClient, mediamtx_relay: MediaMTXConfig, rtsp_cameras: RtspCameras
) -> None:
    relay = MediaMTXRelay(client, mediamtx_relay.rtsp_url)
    await relay.add(NAME, rtsp_cameras.url(H264_NOAUDIO))
    await relay.wait_ready(NAME, timeout_s=OPEN_S)
    assert relay.rtsp_url(NAME) == f"{mediamtx_relay.rtsp_url}/{NAME}"
    assert codecs(probe_streams(relay.rtsp_url(NAME))) == {"video": "h264"}
    assert await relay.paths() == {NAME}
    await relay.remove(NAME)
    assert await relay.paths() == set()


async def test_relay_gives_up_when_the_source_never_comes(
    client: MediaMTXClient, mediamtx_relay: MediaMTXConfig, silent_camera: str
) -> None:
    relay = MediaMTXRelay(client, mediamtx_relay.rtsp_url)
    await relay.add(NAME, silent_camera)
    start = time.monotonic()
    with pytest.raises(RelayError, match=re.escape("did not get the camera's stream within 2 s")):
        await relay.wait_ready(NAME, timeout_s=2)
    assert time.monotonic() - start >= 2
