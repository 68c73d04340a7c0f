"""Drill: fuzz the api with schemathesis, in-process over ASGI, against real handlers (real
nats-server, MediaMTX and go2rtc relays; proxy, recorder worker and previewer in-process). No
call may answer 5xx, none may hang, and every error is a clear ``{"code", "message"}``.

schemathesis calls an ASGI app in one event loop of its own (a thread it keeps for the
process) and starts the app's lifespan there, so the app's NATS connection and the services
beside it are started by a lifespan: then they all share that loop. ``GET /api/events`` is a
WebSocket and not in the schema, so it isn't fuzzed (tests/api/test_events_ws.py covers it).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans

from camrec_api.app import create_app
from camrec_api.auth.guard import protected
from camrec_api.openapi import schema as api_schema
from camrec_api.settings import ApiSettings
from camrec_contracts.errors import ErrorCode
from camrec_contracts.services import PREVIEWER
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.go2rtc import Go2RTCConfig, start_go2rtc
from camrec_devstack.mediamtx import start_mediamtx
from camrec_devstack.natsd import NatsServerConfig, start_nats_server
from camrec_devstack.procs import free_port
from camrec_previewer.__main__ import worker_factory as previewer_factory
from camrec_previewer.settings import PreviewerSettings
from camrec_proxy.settings import ProxySettings
from camrec_runtime.bus import Bus, connect
from tests.fixtures.inprocess import InProcess
from tests.fixtures.mediamtx import own_mediamtx_config
from tests.fixtures.proxy import Proxies
from tests.recordings.conftest import Recorders

pytestmark = pytest.mark.xdist_group("drills")

CALL_BOUND_S = 15.0
"""No call may take longer ('no hang'); the slowest real answer is an open's 15 s time-out."""
MAX_EXAMPLES = 30
"""Per operation (fewer where the inputs run out first)."""

CODES = {code.value for code in ErrorCode}
FUZZ_PASSWORD = SecretStr("nobody logs in with this")
MAX_EXAMPLES_LOCKED = 10
"""Per operation without a login: every case stops at the guard, so few tell as much."""
STATUSES: Counter[tuple[str, int]] = Counter()


def wired_app(
    nats: CamrecSettings, proxy: ProxySettings, recordings: Path, *, login: bool = False
) -> FastAPI:
    """The api as ``python -m camrec_api`` builds it, plus a lifespan that connects its bus and
    runs one proxy, one recorder worker and one previewer beside it, in the app's loop.
    ``login``: with the login on (as published beyond loopback), and nobody logged in."""
    settings = ApiSettings(nats_url=nats.nats_url, recordings_dir=recordings)
    if login:
        settings = settings.model_copy(update={"auth": "on", "admin_password": FUZZ_PASSWORD})
    app = create_app(settings, cast(Bus, None))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        bus = await connect(nats, "camrec-api")
        proxies = Proxies(proxy, bus)
        recorders = Recorders(bus, nats.nats_url, recordings)
        previewers = InProcess(PREVIEWER, bus)
        preview = PreviewerSettings(nats_url=nats.nats_url, previewer_port=free_port())
        try:
            await asyncio.gather(
                proxies.start(),
                recorders.start("w1"),
                previewers.start(preview, previewer_factory(preview)),
            )
            app.state.bus = bus
            yield
        finally:
            await previewers.stop_all()
            await recorders.group.stop_all()
            await proxies.stop_all()
            await bus.close()

    app.router.lifespan_context = lifespan
    return app


@dataclass
class Backend:
    nats: CamrecSettings
    proxy: ProxySettings
    recordings: Path


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """nats-server and the relays (MediaMTX for RTSP, go2rtc for MJPEG), once for the module
    (each operation is one test)."""
    tmp = tmp_path_factory.mktemp("fuzz")
    nats_cfg = NatsServerConfig(port=free_port(), monitor_port=free_port(), store_dir=tmp / "js")
    relay = Go2RTCConfig(api_port=free_port(), rtsp_port=free_port())
    rtsp_relay = own_mediamtx_config()
    nats = start_nats_server(nats_cfg, log_file=tmp / "nats-server.log")
    go2rtc = start_go2rtc(relay, tmp / "go2rtc", log_file=tmp / "go2rtc.log")
    mediamtx = start_mediamtx(rtsp_relay, tmp / "mediamtx", log_file=tmp / "mediamtx.log")
    try:
        yield Backend(
            CamrecSettings(nats_url=nats_cfg.url, nats_connect_wait_s=5),
            ProxySettings(
                nats_url=nats_cfg.url,
                rtsp_relay="mediamtx",
                mediamtx_api_url=rtsp_relay.api_url,
                mediamtx_rtsp_url=rtsp_relay.rtsp_url,
                go2rtc_api_url=relay.api_url,
                go2rtc_rtsp_url=f"rtsp://127.0.0.1:{relay.rtsp_port}",
                max_sessions=3,
            ),
            tmp / "recordings",
        )
    finally:
        mediamtx.stop()
        go2rtc.stop()
        nats.stop()
        print("\nfuzzed calls by operation and status:")
        for (label, status), n in sorted(STATUSES.items()):
            print(f"  {label} -> {status}: {n}")


@pytest.fixture
def served(backend: Backend) -> Iterator[schemathesis.BaseSchema]:
    """The schema as the wired app serves it: loading it starts the app's lifespan (every
    service is up before the first case), and its operations call that app."""
    yield schemathesis.openapi.from_asgi(
        "/api/openapi.json", wired_app(backend.nats, backend.proxy, backend.recordings)
    )
    shutdown_lifespans()  # (schemathesis' pytest plugin does it too, after each test)


@pytest.fixture
def served_locked(backend: Backend) -> Iterator[schemathesis.BaseSchema]:
    """The same with the login on and no login made: the schema is read from the app itself
    (its /api/openapi.json needs a login too)."""
    locked = schemathesis.openapi.from_dict(api_schema())
    locked.app = wired_app(backend.nats, backend.proxy, backend.recordings, login=True)
    yield locked  # its lifespan starts with the first call
    shutdown_lifespans()


# One test per operation, parametrized here rather than by ``@schema.parametrize()``: with
# pytest 9.2 every item that makes gets the same node id (schemathesis 4.32 names them through
# ``originalname``), so under xdist only one of them ran. The operations come from the schema
# itself (building it needs no NATS).
OPERATIONS = [
    (method.upper(), path) for path, methods in api_schema()["paths"].items() for method in methods
]
WELL_FORMED_ID = st.from_regex(r"\A[0-9a-f]{12}\Z")


def cases(operation: schemathesis.APIOperation) -> st.SearchStrategy[schemathesis.Case]:
    """Valid and invalid requests (schemathesis' positive and negative modes); for operations
    with ids in the path, also with a well-formed id (12 hex digits), which gets past the api's
    own check and reaches the proxy or the recorder over NATS."""
    names = re.findall(r"{(\w+)}", operation.path)
    strategies = [operation.as_strategy(mode) for mode in GenerationMode]
    if names:
        strategies += [
            WELL_FORMED_ID.flatmap(
                lambda rid, mode=mode: operation.as_strategy(
                    mode, path_parameters=dict.fromkeys(names, rid)
                )
            )
            for mode in GenerationMode
        ]
    return st.one_of(strategies)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_fuzz_no_server_error_no_hang(
    method: str, path: str, served: schemathesis.BaseSchema
) -> None:
    operation = served[path][method]

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,  # nothing kept between runs: each run fuzzes afresh
        # negative cases of an operation whose only input is a fixed id can't be made: skipped
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=cases(operation))
    def call(case: schemathesis.Case) -> None:
        asked = time.monotonic()
        response = case.call(timeout=CALL_BOUND_S)  # the ASGI transport fails it past the bound
        took = time.monotonic() - asked
        STATUSES[(operation.label, response.status_code)] += 1
        case.validate_response(response, checks=[not_a_server_error])
        assert took < CALL_BOUND_S, f"{operation.label} took {took:.1f} s"
        if response.status_code >= 400:
            body = response.json()
            assert set(body) == {"code", "message"} and body["message"], body
            assert body["code"] in CODES, body
            # only an open can be refused for the limit (nothing here opens 3 sessions)
            assert body["code"] != ErrorCode.LIMIT_REACHED, (operation.label, body)

    call()


async def test_unreadable_body_is_invalid_request_not_limit_reached() -> None:
    """Found by the fuzzer: a body that isn't UTF-8 made the framework raise its 400, which
    the api answered as ``limit_reached`` (our 400). It is an invalid request (422)."""
    app = create_app(ApiSettings(), cast(Bus, None))  # refused before any handler runs
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://api"
    ) as api:
        for path in ("/api/sessions", "/api/sessions/0123456789ab/recordings"):
            response = await api.post(
                path, content=b"\xe3", headers={"content-type": "application/json"}
            )
            assert response.status_code == 422, response.text
            assert response.json() == {
                "code": "invalid_request",
                "message": "There was an error parsing the body",
            }


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_fuzz_without_a_login_401_never_5xx(
    method: str, path: str, served_locked: schemathesis.BaseSchema
) -> None:
    """Nobody logged in, the login on: every protected route answers 401 whatever it is sent,
    the open ones (the login's own, /health) never 5xx."""
    operation = served_locked[path][method]

    @settings(
        max_examples=MAX_EXAMPLES_LOCKED,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=cases(operation))
    def call(case: schemathesis.Case) -> None:
        response = case.call(timeout=CALL_BOUND_S)
        STATUSES[(f"no login: {operation.label}", response.status_code)] += 1
        assert response.status_code < 500, (operation.label, response.text)
        if protected(path):
            assert response.status_code == 401, (operation.label, response.text)
            assert response.json()["code"] == "unauthorized"

    call()
