"""Typed request/reply on ``nats.micro``: services register handlers with
:func:`add_endpoints`; callers use :func:`call`. A handler's exception always comes back as
an error reply with a code and message, within the endpoint's time
(:class:`camrec_contracts.rpc.Endpoint` says which subject, models and time).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic

from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.micro.request import ERROR_HEADER, Request
from nats.micro.service import Service
from pydantic import ValidationError

from camrec_contracts.errors import (
    CamrecError,
    ErrorCode,
    ErrorReply,
    RemoteError,
    validation_message,
)
from camrec_contracts.redact import redact_text
from camrec_contracts.rpc import Endpoint, Handler, Rep, Req

log = logging.getLogger(__name__)

IN_FLIGHT: set[asyncio.Task[None]] = set()
"""Requests of concurrent endpoints being served (the loop holds tasks weakly). A service
stopping waits for them (:func:`finish_in_flight`): nats.micro's stop and NATS's drain wait
for a subscription's callback, and a concurrent endpoint's callback returns at once."""


async def finish_in_flight(timeout_s: float) -> int:
    """Wait up to ``timeout_s`` for the requests being served; how many were still running."""
    if IN_FLIGHT:
        await asyncio.wait(set(IN_FLIGHT), timeout=timeout_s)
    return len(IN_FLIGHT)


async def _respond_error(request: Request, error: CamrecError) -> None:
    """nats.micro's error reply (its ``Nats-Service-Error`` and ``-Code`` headers: the
    message and the status number) with our :class:`ErrorReply` JSON as the body."""
    body = error.to_reply().model_dump_json().encode()
    await request.respond_error(str(error.code.status), error.message, data=body)


def wrap_handler(
    endpoint: Endpoint[Req, Rep], handler: Handler[Req, Rep]
) -> Callable[[Request], Awaitable[None]]:
    """Adapt a typed handler to a micro handler that always replies."""

    async def on_request(request: Request) -> None:
        try:
            try:
                payload = endpoint.request.model_validate_json(request.data or b"{}")
            except ValidationError as error:
                raise CamrecError(
                    ErrorCode.INVALID_REQUEST, f"invalid request: {validation_message(error)}"
                ) from None
            try:
                reply = await asyncio.wait_for(handler(payload), endpoint.handler_deadline_s)
            except TimeoutError:
                raise CamrecError(
                    ErrorCode.TIMEOUT,
                    f"{endpoint.subject} did not finish within {endpoint.handler_deadline_s:.1f} s",
                ) from None
            await request.respond(reply.model_dump_json().encode())
        except CamrecError as error:
            log.info("%s -> %s: %s", endpoint.subject, error.code.value, error.message)
            await _respond_error(request, error)
        except Exception as error:
            log.exception("%s: handler failed", endpoint.subject)
            internal = CamrecError(
                ErrorCode.INTERNAL, redact_text(f"internal error: {type(error).__name__}: {error}")
            )
            await _respond_error(request, internal)

    if not endpoint.concurrent:
        return on_request

    async def in_its_own_task(request: Request) -> None:
        task = asyncio.create_task(on_request(request), name=endpoint.subject)
        IN_FLIGHT.add(task)
        task.add_done_callback(IN_FLIGHT.discard)

    return in_its_own_task


@dataclass(frozen=True)
class Binding(Generic[Req, Rep]):
    """An endpoint with the handler that serves it."""

    endpoint: Endpoint[Req, Rep]
    handler: Handler[Req, Rep]


def bind(endpoint: Endpoint[Req, Rep], handler: Handler[Req, Rep]) -> Binding[Req, Rep]:
    return Binding(endpoint, handler)


async def add_endpoints(service: Service, bindings: list[Binding[Any, Any]]) -> None:
    for binding in bindings:
        ep = binding.endpoint
        await service.add_endpoint(
            name=ep.name,
            subject=ep.subject,
            queue_group=ep.queue_group,
            handler=wrap_handler(ep, binding.handler),
            metadata={"request": ep.request.__name__, "reply": ep.reply.__name__},
        )


async def call(
    nc: Client, endpoint: Endpoint[Req, Rep], request: Req, *, timeout_s: float | None = None
) -> Rep:
    """Send ``request`` and return the validated reply, or raise :class:`RemoteError`."""
    if not isinstance(request, endpoint.request):
        raise TypeError(f"{endpoint.subject} takes {endpoint.request.__name__}")
    timeout = timeout_s if timeout_s is not None else endpoint.timeout_s
    try:
        msg = await nc.request(endpoint.subject, request.model_dump_json().encode(), timeout)
    except NoRespondersError:
        raise RemoteError(
            ErrorCode.UNAVAILABLE, f"no {endpoint.service} is running to answer {endpoint.subject}"
        ) from None
    except (NatsTimeoutError, TimeoutError):
        raise RemoteError(
            ErrorCode.TIMEOUT,
            f"{endpoint.service} did not answer {endpoint.subject} in {timeout} s",
        ) from None
    headers = msg.headers or {}
    if ERROR_HEADER in headers:
        raise _remote_error(headers, msg.data)
    try:
        return endpoint.reply.model_validate_json(msg.data)
    except ValidationError as error:
        raise RemoteError(
            ErrorCode.INTERNAL,
            f"{endpoint.subject} answered with an invalid reply: {validation_message(error)}",
        ) from None


def _remote_error(headers: dict[str, str], data: bytes) -> RemoteError:
    try:
        body = ErrorReply.model_validate_json(data)
        return RemoteError(body.code, body.message)
    except ValidationError:
        # An error reply from something that is not ours (e.g. a micro default handler).
        return RemoteError(ErrorCode.INTERNAL, headers.get(ERROR_HEADER, "unknown error"))
