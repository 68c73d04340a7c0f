"""The page's login on create_app(settings, bus) with a real nats-server: the limit on failed
logins, the cookie's flags, cross-site requests, logout and password change, /health without a
login, the /api/events socket, and that no password or token is written to a log or to KV.
(Every route through real nginx, preview sockets included: tests/stack/test_login_stack.py.)"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from nats.js.errors import NotFoundError
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import InvalidStatus

from camrec_api.app import create_app
from camrec_api.auth.guard import COOKIE
from camrec_api.settings import ApiSettings
from camrec_contracts.jetstream import AUTH_BUCKET
from camrec_contracts.settings import CamrecSettings
from camrec_runtime.bus import Bus, connect
from tests.fixtures.api_server import api_on_uvicorn

PASSWORD = "correct horse battery"
FAILURES_PER_MINUTE = 3


def api_settings(nats_settings: CamrecSettings, **extra: object) -> ApiSettings:
    values = {
        "nats_url": nats_settings.nats_url,
        "auth": "on",
        "admin_password": PASSWORD,
        "login_failures_per_minute": FAILURES_PER_MINUTE,
    }
    return ApiSettings.model_validate(values | extra)


@pytest.fixture
async def client(bus: Bus, nats_settings: CamrecSettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(api_settings(nats_settings), bus)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as c:
        yield c


async def log_in(client: httpx.AsyncClient, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/auth/login", json={"password": password})


async def test_without_a_login_the_api_answers_401_and_with_one_it_serves(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/api/auth")).json() == {
        "required": True,
        "logged_in": False,
        "password_source": None,
    }
    refused = await client.get("/api/recordings")
    assert refused.status_code == 401
    assert refused.json()["code"] == "unauthorized"
    assert "log in" in refused.json()["message"]
    assert (await client.get("/api/openapi.json")).status_code == 401

    assert (await log_in(client)).status_code == 200
    assert (await client.get("/api/recordings")).status_code == 200
    assert (await client.get("/api/auth")).json()["password_source"] == "env"
    assert (await client.get("/api/auth/check")).status_code == 204


async def test_failed_logins_are_limited_per_address(client: httpx.AsyncClient) -> None:
    here = {"X-Real-IP": "192.0.2.7"}  # as nginx sets it
    for _ in range(FAILURES_PER_MINUTE):
        wrong = await client.post("/api/auth/login", json={"password": "guess"}, headers=here)
        assert wrong.status_code == 401, wrong.text
        assert wrong.json() == {"code": "unauthorized", "message": "wrong password"}
    limited = await client.post("/api/auth/login", json={"password": PASSWORD}, headers=here)
    assert limited.status_code == 429, limited.text
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert limited.json()["message"].startswith("too many failed logins from 192.0.2.7: try")
    assert COOKIE not in limited.cookies
    # Another address is not held up by this one's failures.
    other = await client.post(
        "/api/auth/login", json={"password": PASSWORD}, headers={"X-Real-IP": "192.0.2.8"}
    )
    assert other.status_code == 200


async def test_the_cookie_is_httponly_samesite_strict_and_secure_over_https(
    client: httpx.AsyncClient,
) -> None:
    plain = (await log_in(client)).headers["set-cookie"]
    flags = {part.strip().split("=")[0].lower() for part in plain.split(";")}
    assert {"httponly", "samesite", "path", "max-age"} <= flags, plain
    assert "samesite=strict" in plain.lower()
    assert "secure" not in flags, "over http the browser would drop a Secure cookie"
    over_https = await client.post(
        "/api/auth/login", json={"password": PASSWORD}, headers={"X-Forwarded-Proto": "https"}
    )
    assert "secure" in {p.strip().lower() for p in over_https.headers["set-cookie"].split(";")}


async def test_requests_from_another_site_are_refused(client: httpx.AsyncClient) -> None:
    await log_in(client)
    evil = {"Origin": "http://attacker.example"}
    refused = await client.post("/api/sessions", json={"url": "rtsp://x/y"}, headers=evil)
    assert refused.status_code == 403, refused.text
    assert "another site" in refused.json()["message"]
    login = await client.post("/api/auth/login", json={"password": PASSWORD}, headers=evil)
    assert login.status_code == 403, "no login from another site's form either"
    same = await client.post("/api/auth/logout", headers={"Origin": "http://api"})
    assert same.status_code == 200


async def test_logout_ends_the_login(client: httpx.AsyncClient, bus: Bus) -> None:
    await log_in(client)
    token = client.cookies[COOKIE]
    out = await client.post("/api/auth/logout")
    assert out.json()["logged_in"] is False
    assert "max-age=0" in out.headers["set-cookie"].lower()
    client.cookies.set(COOKIE, token)  # the old cookie, kept by someone: no longer valid
    assert (await client.get("/api/recordings")).status_code == 401


async def test_changing_the_password(bus: Bus, nats_settings: CamrecSettings) -> None:
    settings = api_settings(nats_settings, admin_password=None)  # generated at first start
    app = create_app(settings, bus)
    store = await app.state.login.store()
    new = "a much better one"
    await store.set_password(PASSWORD, "page")  # as if changed in the page before
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://api") as me,
        httpx.AsyncClient(transport=transport, base_url="http://api") as other,
    ):
        await log_in(me)
        await log_in(other)
        wrong = await me.post("/api/auth/password", json={"current": "nope", "new": new})
        assert wrong.status_code == 403 and "current password" in wrong.json()["message"]
        short = await me.post("/api/auth/password", json={"current": PASSWORD, "new": "short"})
        assert short.status_code == 422, short.text
        changed = await me.post("/api/auth/password", json={"current": PASSWORD, "new": new})
        assert changed.status_code == 200, changed.text
        assert changed.json()["password_source"] == "page"
        assert (await me.get("/api/recordings")).status_code == 200, "this browser stays in"
        assert (await other.get("/api/recordings")).status_code == 401, "others are logged out"
        assert (await log_in(other)).status_code == 401
        assert (await log_in(other, new)).status_code == 200


async def test_a_password_from_the_environment_is_changed_there(
    client: httpx.AsyncClient,
) -> None:
    await log_in(client)
    refused = await client.post(
        "/api/auth/password", json={"current": PASSWORD, "new": "something else"}
    )
    assert refused.status_code == 409
    assert "CAMREC_ADMIN_PASSWORD" in refused.json()["message"]


async def test_health_says_only_up_or_down_without_a_login(client: httpx.AsyncClient) -> None:
    anonymous = await client.get("/health")
    assert anonymous.json() == {"status": "degraded"}  # no service runs beside this api
    assert anonymous.status_code == 503
    assert (await client.get("/health/live")).status_code == 200
    await log_in(client)
    assert "services" in (await client.get("/health")).json()


async def test_the_events_socket_needs_a_login(bus: Bus, nats_settings: CamrecSettings) -> None:
    app = create_app(api_settings(nats_settings), bus)
    async with api_on_uvicorn(app) as where:
        with pytest.raises(InvalidStatus) as refused:
            async with ws_connect(f"ws://{where}/api/events"):
                pass
        assert refused.value.response.status_code == 401
        async with httpx.AsyncClient(base_url=f"http://{where}") as http:
            await log_in(http)
            cookie = f"{COOKIE}={http.cookies[COOKIE]}"
        async with ws_connect(f"ws://{where}/api/events", additional_headers={"Cookie": cookie}):
            pass  # accepted
        with pytest.raises(InvalidStatus) as cross_site:
            headers = {"Cookie": cookie, "Origin": "http://attacker.example"}
            async with ws_connect(f"ws://{where}/api/events", additional_headers=headers):
                pass
        assert cross_site.value.response.status_code == 403


async def test_no_password_or_token_is_written_to_logs_or_kv(
    bus: Bus, nats_settings: CamrecSettings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = api_settings(nats_settings, admin_password=None)
    app = create_app(settings, bus)
    await app.state.login.start()
    generated = [r for r in caplog.records if "the admin password is" in r.getMessage()]
    assert len(generated) == 1, "a first start prints the generated password once"
    first = generated[0].getMessage().split("the admin password is ")[1].split(" ")[0]
    new = "the page's new password"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        assert (await log_in(client, "not it at all")).status_code == 401
        assert (await log_in(client, first)).status_code == 200
        changed = await client.post("/api/auth/password", json={"current": first, "new": new})
        assert changed.status_code == 200
        token = client.cookies[COOKIE]
    await app.state.login.start()  # a second start prints nothing
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged.count(first) == 1, "only the first start's line"
    for secret in (new, "not it at all", token, PASSWORD):
        assert secret not in logged
    # Every message the bucket's stream holds, history included (raw bytes).
    stream = await bus.js.stream_info(f"KV_{AUTH_BUCKET}")
    seen = b""
    for seq in range(stream.state.first_seq, stream.state.last_seq + 1):
        try:
            message = await bus.js.get_msg(f"KV_{AUTH_BUCKET}", seq)
        except NotFoundError:  # a sequence history=1 removed
            continue
        seen += (message.subject or "").encode() + (message.data or b"")
    assert b"argon2id" in seen, "the hash is there"
    for secret in (first, new, token):
        assert secret.encode() not in seen


async def test_while_nats_is_away_the_login_cannot_be_checked_503(
    nats_settings: CamrecSettings,
) -> None:
    """The logins live in KV: with NATS gone a protected route answers 503 at once (as the
    api's reads do), never 500; /health still says degraded."""
    own = await connect(nats_settings, "camrec-api")
    app = create_app(api_settings(nats_settings), own)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        assert (await log_in(client)).status_code == 200
        await own.nc.close()
        away = await client.get("/api/recordings")
        assert away.status_code == 503, away.text
        assert away.json()["code"] == "unavailable"
        assert away.json()["message"].startswith("cannot check the login: NATS is unreachable")
        health = await client.get("/health")
        assert health.status_code == 503 and health.json() == {"status": "degraded"}
