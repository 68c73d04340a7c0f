"""Request/reply contracts: an :class:`Endpoint` names a subject together with its request and
reply models and its time. Serving and calling them over ``nats.micro`` is
:mod:`camrec_runtime.rpc`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

Req = TypeVar("Req", bound=BaseModel)
Rep = TypeVar("Rep", bound=BaseModel)

# A handler must answer within this share of the caller's time, so its error gets back
# before the caller gives up.
_HANDLER_SHARE = 0.9


@dataclass(frozen=True)
class Endpoint(Generic[Req, Rep]):
    """One request/reply subject and its contract."""

    service: str
    name: str
    subject: str
    request: type[Req]
    reply: type[Rep]
    summary: str
    timeout_s: float = 5.0
    queue_group: str | None = None
    concurrent: bool = False
    """Serve each request in a task of its own. nats.micro serves an endpoint's requests one
    at a time (its subscription awaits each handler): three stops of three recordings on one
    worker each waited for the stops before them (FFmpeg's exit, up to 1 s each). For
    handlers whose requests don't need to be in order; micro's processing-time figure then
    counts only the hand-off."""

    @property
    def handler_deadline_s(self) -> float:
        return self.timeout_s * _HANDLER_SHARE


Handler = Callable[[Req], Awaitable[Rep]]
