"""The typed request/reply layer over a real nats-server."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import pytest
from nats.micro import add_service
from pydantic import BaseModel, ConfigDict

from camrec_contracts.errors import CamrecError, ErrorCode, RemoteError
from camrec_contracts.rpc import Endpoint
from camrec_runtime.bus import Bus
from camrec_runtime.rpc import IN_FLIGHT, add_endpoints, bind, call, finish_in_flight
from tests.polling import poll


class Ask(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    delay_s: float = 0.0


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


def endpoint(timeout_s: float = 2.0) -> Endpoint[Ask, Answer]:
    tag = uuid.uuid4().hex[:8]
    return Endpoint(
        service="camrec-test",
        name=f"echo-{tag}",
        subject=f"camrec.test.{tag}.echo",
        request=Ask,
        reply=Answer,
        summary="test endpoint",
        timeout_s=timeout_s,
    )


async def handler(req: Ask) -> Answer:
    if req.delay_s:
        await asyncio.sleep(req.delay_s)
    if req.text == "raise":
        raise RuntimeError("boom rtsp://admin:hunter2@cam.local/live")
    if req.text == "refuse":
        raise CamrecError(ErrorCode.LIMIT_REACHED, "3 sessions already open (max 3)")
    return Answer(text=req.text.upper())


async def serve(bus: Bus, ep: Endpoint[Ask, Answer]) -> None:
    svc = await add_service(bus.nc, name="camrec-test", version="0.0.1")
    await add_endpoints(svc, [bind(ep, handler)])


async def test_reply_is_validated_model(bus: Bus) -> None:
    ep = endpoint()
    await serve(bus, ep)
    assert await call(bus.nc, ep, Ask(text="hi")) == Answer(text="HI")


async def test_handler_exception_becomes_error_reply_within_request_time(bus: Bus) -> None:
    ep = endpoint(timeout_s=2.0)
    await serve(bus, ep)
    started = time.monotonic()
    with pytest.raises(RemoteError) as caught:
        await call(bus.nc, ep, Ask(text="raise"))
    assert time.monotonic() - started < 1.0  # an answer, not a time-out
    assert caught.value.code is ErrorCode.INTERNAL
    assert "RuntimeError: boom" in caught.value.message
    assert "hunter2" not in caught.value.message


async def test_service_error_keeps_code_and_message(bus: Bus) -> None:
    ep = endpoint()
    await serve(bus, ep)
    with pytest.raises(RemoteError) as caught:
        await call(bus.nc, ep, Ask(text="refuse"))
    assert caught.value.code is ErrorCode.LIMIT_REACHED
    assert caught.value.message == "3 sessions already open (max 3)"


async def test_error_reply_carries_micro_headers(bus: Bus) -> None:
    ep = endpoint()
    await serve(bus, ep)
    msg = await bus.nc.request(ep.subject, b'{"text": "refuse"}', timeout=2)
    assert msg.headers is not None
    assert msg.headers["Nats-Service-Error-Code"] == "400"
    assert msg.headers["Nats-Service-Error"] == "3 sessions already open (max 3)"


@pytest.mark.parametrize(
    "payload",
    [b"not json", b'{"text": 5}', b'{"text": "x", "extra": 1}', b"[]", b""],
)
async def test_invalid_request_gets_invalid_request_reply(bus: Bus, payload: bytes) -> None:
    ep = endpoint()
    await serve(bus, ep)
    msg = await bus.nc.request(ep.subject, payload, timeout=2)
    assert msg.headers is not None and msg.headers["Nats-Service-Error-Code"] == "422"
    assert b"invalid request" in msg.data


async def test_slow_handler_answers_timeout_before_caller_gives_up(bus: Bus) -> None:
    ep = endpoint(timeout_s=1.0)
    await serve(bus, ep)
    with pytest.raises(RemoteError) as caught:
        await call(bus.nc, ep, Ask(text="slow", delay_s=5))
    assert caught.value.code is ErrorCode.TIMEOUT
    assert "did not finish within 0.9 s" in caught.value.message


async def test_nobody_listening_is_unavailable(bus: Bus) -> None:
    with pytest.raises(RemoteError) as caught:
        await call(bus.nc, endpoint(), Ask(text="hi"))
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert "no camrec-test is running" in caught.value.message


async def test_wrong_request_type_is_refused_locally(bus: Bus) -> None:
    with pytest.raises(TypeError):
        await call(bus.nc, endpoint(), Answer(text="x"))  # type: ignore[arg-type]


HELD_S = {True: 5.0, False: 0.3}
"""How long a handler waits for all three to be inside: concurrent, they are at once (5 s
for a loaded machine); one at a time, they never are, and each gives up after 0.3 s."""


async def most_at_once(bus: Bus, concurrent: bool) -> int:
    """How many of three requests sent at once were in the handler together."""
    ep = Endpoint(**{**endpoint(timeout_s=10).__dict__, "concurrent": concurrent})
    inside, most = 0, 0
    all_in = asyncio.Event()

    async def held(req: Ask) -> Answer:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        if inside == 3:
            all_in.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_in.wait(), HELD_S[concurrent])
        inside -= 1
        return Answer(text=req.text)

    svc = await add_service(bus.nc, name="camrec-test", version="0.0.1")
    await add_endpoints(svc, [bind(ep, held)])
    replies = await asyncio.gather(*(call(bus.nc, ep, Ask(text=str(i))) for i in range(3)))
    assert [r.text for r in replies] == ["0", "1", "2"]
    return most


async def test_a_concurrent_endpoint_serves_requests_at_once(bus: Bus) -> None:
    """nats.micro awaits each handler before the next message: a plain endpoint serves one
    request at a time, a ``concurrent`` one all three together."""
    assert await most_at_once(bus, concurrent=True) == 3
    assert await most_at_once(bus, concurrent=False) == 1


async def test_a_stopping_service_can_wait_for_what_its_concurrent_endpoints_serve(
    bus: Bus,
) -> None:
    ep = Endpoint(**{**endpoint(timeout_s=10).__dict__, "concurrent": True})
    release = asyncio.Event()

    async def held(req: Ask) -> Answer:
        await release.wait()
        return Answer(text=req.text)

    svc = await add_service(bus.nc, name="camrec-test", version="0.0.1")
    await add_endpoints(svc, [bind(ep, held)])
    reply = asyncio.create_task(call(bus.nc, ep, Ask(text="late")))

    async def serving() -> bool:
        return bool(IN_FLIGHT)

    await poll(serving, 5, "the request in its handler")
    assert await finish_in_flight(0.1) == 1  # still held
    release.set()
    assert await finish_in_flight(5) == 0
    assert (await reply).text == "late"
