"""The MediaMTX client against a fake that validates every request against MediaMTX's
OpenAPI file."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from camrec_devstack.procs import free_port
from camrec_proxy.relay_clients import RelayError
from camrec_proxy.relay_clients.mediamtx import MediaMTXClient
from camrec_proxy.relays import MediaMTXRelay
from tests.fakes.mediamtx import FakeMediaMTX, running_fake

SOURCE = "rtsp://admin:pw@cam.local:554/live"


@pytest.fixture
def fake() -> Iterator[FakeMediaMTX]:
    with running_fake(online_after_gets=2) as f:
        yield f


@pytest.fixture
async def client(fake: FakeMediaMTX) -> AsyncIterator[MediaMTXClient]:
    async with httpx.AsyncClient() as http:
        yield MediaMTXClient(http, fake.url, timeout_s=2)


async def test_path_lifecycle_requests_follow_the_openapi_file(
    client: MediaMTXClient, fake: FakeMediaMTX
) -> None:
    await client.add_path("camrec-0123456789ab", SOURCE)
    assert fake.paths["camrec-0123456789ab"] == {
        "name": "camrec-0123456789ab",
        "source": SOURCE,
        "sourceOnDemand": False,
        "rtspTransport": "tcp",
    }
    assert await client.path_names() == {"camrec-0123456789ab"}
    assert await client.path_available("camrec-0123456789ab") is False
    assert await client.path_available("camrec-0123456789ab") is False
    assert await client.path_available("camrec-0123456789ab") is True
    assert await client.delete_path("camrec-0123456789ab") is True
    assert await client.delete_path("camrec-0123456789ab") is False
    assert await client.path_available("camrec-0123456789ab") is False
    assert fake.invalid == []
    assert fake.requests[0] == "POST /v3/config/paths/add/camrec-0123456789ab"


async def test_http_sources_get_no_rtsp_transport(
    client: MediaMTXClient, fake: FakeMediaMTX
) -> None:
    await client.add_path("camrec-aaaaaaaaaaaa", "http://cam/video.mjpeg")
    assert "rtspTransport" not in fake.paths["camrec-aaaaaaaaaaaa"]
    assert fake.invalid == []


async def test_errors_become_relay_errors_with_mediamtx_words(client: MediaMTXClient) -> None:
    await client.add_path("camrec-0123456789ab", SOURCE)
    with pytest.raises(RelayError, match=r"MediaMTX answered 400 .*: path already exists"):
        await client.add_path("camrec-0123456789ab", SOURCE)


async def test_unreachable_api_is_a_relay_error_without_credentials() -> None:
    async with httpx.AsyncClient() as http:
        client = MediaMTXClient(http, f"http://127.0.0.1:{free_port()}", timeout_s=1)
        with pytest.raises(RelayError, match=r"MediaMTX API unreachable") as caught:
            await client.add_path("camrec-0123456789ab", SOURCE)
    assert "pw@" not in str(caught.value)


async def test_the_fake_really_validates(fake: FakeMediaMTX) -> None:
    """A request that breaks the OpenAPI file is refused (so passing tests mean something)."""
    async with httpx.AsyncClient(base_url=fake.url) as http:
        bad_type = await http.post("/v3/config/paths/add/x", json={"sourceOnDemand": "yes"})
        unknown = await http.post("/v3/config/paths/add/y", json={"sauce": "rtsp://x"})
        bad_page = await http.get("/v3/config/paths/list", params={"itemsPerPage": "many"})
    assert bad_type.status_code == 400 and unknown.status_code == 400
    assert bad_page.status_code == 400
    assert unknown.json()["error"] == 'json: unknown field "sauce"'
    assert len(fake.invalid) == 2


async def test_relay_waits_until_the_path_is_available(client: MediaMTXClient) -> None:
    relay = MediaMTXRelay(client, "rtsp://mediamtx:8554")
    await relay.add("camrec-0123456789ab", SOURCE)
    await relay.wait_ready("camrec-0123456789ab", timeout_s=5)
    assert relay.rtsp_url("camrec-0123456789ab") == "rtsp://mediamtx:8554/camrec-0123456789ab"
    assert await relay.paths() == {"camrec-0123456789ab"}


async def test_relay_gives_up_when_the_source_never_comes(fake: FakeMediaMTX) -> None:
    fake.online_after_gets = 10**6
    async with httpx.AsyncClient() as http:
        relay = MediaMTXRelay(MediaMTXClient(http, fake.url), "rtsp://m:8554")
        await relay.add("camrec-0123456789ab", SOURCE)
        with pytest.raises(
            RelayError, match=re.escape("did not get the camera's stream within 0.5")
        ):
            await relay.wait_ready("camrec-0123456789ab", timeout_s=0.5)
