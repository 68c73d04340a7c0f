"""The login through the real local stack (nginx in front of api and previewer), as a user
who publishes camrec beyond loopback gets it: every route of the api's OpenAPI and both
WebSocket routes answer 401 without a login (the preview socket by nginx's auth_request to the
api) and serve with one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from camrec_api.auth.guard import COOKIE, protected
from camrec_api.openapi import schema
from camrec_devstack.stack import LocalStack
from tests.fixtures.stack import start_own_stack

pytestmark = pytest.mark.slow

PASSWORD = "stack test password"
SOCKETS = ("/api/events", "/ws/preview/0123456789ab")
"""The WebSocket routes, which the OpenAPI schema does not list."""
ID = "0123456789ab"  # a well-formed session / recording id that does not exist


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    env = {"CAMREC_AUTH": "on", "CAMREC_ADMIN_PASSWORD": PASSWORD}
    local = start_own_stack(tmp_path_factory.mktemp("login-stack"), env)
    try:
        yield local
    finally:
        local.stop()
    assert local.refused_subjects() == []  # each service as its own NATS user


def operations() -> list[tuple[str, str]]:
    """(method, path with ids filled in) for every operation the api publishes."""
    found = []
    for path, methods in schema()["paths"].items():
        filled = re.sub(r"\{[^}]+\}", ID, path)
        found += [(method.upper(), filled) for method in methods if method != "parameters"]
    return sorted(found)


def call(client: httpx.Client, method: str, path: str) -> httpx.Response:
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    return client.request(method, path, json=body)


def test_every_route_answers_401_without_a_login(stack: LocalStack) -> None:
    with httpx.Client(base_url=stack.url, timeout=10) as client:
        seen = []
        for method, path in operations():
            response = call(client, method, path)
            seen.append((method, path, response.status_code))
            if not protected(path):  # the login's own, /health (only up/down), /health/live
                assert response.status_code != 401, (method, path)
                continue
            assert response.status_code == 401, (method, path, response.text)
            assert response.json()["code"] == "unauthorized"
        assert len(seen) >= 12, seen  # the api's routes, not an empty schema
        assert client.get("/api/openapi.json").status_code == 401
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/health/live").status_code == 200
        assert client.get("/").status_code == 200, "the page itself loads (its login form)"


async def test_both_sockets_answer_401_without_a_login(stack: LocalStack) -> None:
    base = stack.url.replace("http://", "ws://")
    for path in SOCKETS:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(base + path):
                pass
        assert refused.value.response.status_code == 401, path


async def test_with_a_login_every_route_serves(stack: LocalStack) -> None:
    with httpx.Client(base_url=stack.url, timeout=20) as client:
        assert client.post("/api/auth/login", json={"password": PASSWORD}).status_code == 200
        cookie = f"{COOKIE}={client.cookies[COOKIE]}"
        for method, path in operations():
            if method == "POST" and path == "/api/auth/logout":
                continue  # would end this login
            response = call(client, method, path)
            assert response.status_code != 401, (method, path, response.text)
            if method == "GET" and ID not in path:
                assert response.status_code in (200, 204), (method, path, response.text)
        assert client.get("/health").json()["services"], "the whole health with a login"
    base = stack.url.replace("http://", "ws://")
    async with connect(base + "/api/events", additional_headers={"Cookie": cookie}) as events:
        assert events.response is not None and events.response.status_code == 101
    # As a browser opens it: the page's Origin (nginx asks the api, which compares it).
    same_site = {"Cookie": cookie, "Origin": stack.url}
    async with connect(base + SOCKETS[1], additional_headers=same_site) as preview:
        with pytest.raises(ConnectionClosed):
            await preview.recv()
        assert preview.close_code == 4404, "through nginx to the previewer: unknown session"
    with pytest.raises(InvalidStatus) as cross_site:
        other_site = {"Cookie": cookie, "Origin": "http://attacker.example"}
        async with connect(base + SOCKETS[1], additional_headers=other_site):
            pass
    assert cross_site.value.response.status_code == 403
