"""The relays' RTSP wants the read user (issue 16): MediaMTX on compose's config (completed
with the read password as compose's ``credentials`` service does), go2rtc with compose's
``rtsp.username/password``. Without the user a reader is refused; with it, it reads."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from camrec_contracts.relay_access import RelayReader
from camrec_devstack.cameras.rtsp import H264_NOAUDIO, RtspCameras
from camrec_devstack.go2rtc import Go2RTCConfig, start_go2rtc
from camrec_devstack.mediamtx import MediaMTXConfig
from camrec_devstack.paths import binary
from camrec_devstack.procs import free_port
from camrec_proxy.relay_clients.mediamtx import MediaMTXClient
from tests.media import codecs, probe_streams
from tests.polling import poll
from tests.relay_reader import TEST_RELAY_READER

OPEN_S = 15.0
"""As test_mediamtx_client: an idle simulator was online in 1.7-4.3 s."""


def read_without_user(url: str) -> subprocess.CompletedProcess[str]:
    """ffprobe as a player would, with no user (tests.media adds the tests' read user)."""
    argv = [binary("ffprobe"), "-v", "error", "-rtsp_transport", "tcp", "-show_streams", url]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def refused(result: subprocess.CompletedProcess[str]) -> bool:
    return result.returncode != 0 and "401" in result.stderr


async def test_mediamtx_refuses_a_reader_without_the_read_user(
    mediamtx_relay: MediaMTXConfig, rtsp_cameras: RtspCameras
) -> None:
    name = "camrec-0123456789ab"
    async with httpx.AsyncClient() as http:
        client = MediaMTXClient(http, mediamtx_relay.api_url, timeout_s=2)
        await client.add_path(name, rtsp_cameras.url(H264_NOAUDIO))
        await poll(lambda: client.path_available(name), OPEN_S, "path available")
    url = f"{mediamtx_relay.rtsp_url}/{name}"
    anonymous = read_without_user(url)
    assert refused(anonymous), anonymous.stderr
    wrong = read_without_user(RelayReader(TEST_RELAY_READER.user, "not-the-password").url(url))
    assert refused(wrong), wrong.stderr
    assert codecs(probe_streams(url)) == {"video": "h264"}  # with the read user


def host_address() -> str:
    """This machine's address on its default route: go2rtc asks no user of loopback clients
    ("skip check auth for localhost"), so the test reads it as another machine would."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: UDP connect sends nothing
        address = str(probe.getsockname()[0])
    assert not address.startswith("127."), f"no address beside loopback here: {address}"
    return address


@pytest.fixture
def go2rtc_on_the_network(tmp_path: Path, rtsp_cameras: RtspCameras) -> Iterator[Go2RTCConfig]:
    cfg = Go2RTCConfig(
        api_port=free_port(),
        rtsp_port=free_port(),
        streams={"cam": rtsp_cameras.url(H264_NOAUDIO)},
        host=host_address(),
        reader=TEST_RELAY_READER,
    )
    proc = start_go2rtc(cfg, tmp_path / "go2rtc", log_file=tmp_path / "go2rtc.log")
    try:
        yield cfg
    finally:
        proc.stop()


def test_go2rtc_refuses_a_reader_without_the_read_user(
    go2rtc_on_the_network: Go2RTCConfig,
) -> None:
    url = go2rtc_on_the_network.rtsp_url("cam")
    anonymous = read_without_user(url)
    assert refused(anonymous), anonymous.stderr
    wrong = read_without_user(RelayReader(TEST_RELAY_READER.user, "not-the-password").url(url))
    assert refused(wrong), wrong.stderr
    assert codecs(probe_streams(url)) == {"video": "h264"}  # with the read user
