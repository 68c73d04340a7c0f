"""Error codes carried by error replies, and the exceptions that carry them.

A handler raises :class:`CamrecError`; the request/reply layer turns it into an error
reply (micro headers ``Nats-Service-Error`` / ``Nats-Service-Error-Code`` plus an
:class:`ErrorReply` JSON body). The caller gets it back as :class:`RemoteError`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, ValidationError


class ErrorCode(StrEnum):
    """What went wrong, as a stable word. ``status`` is its number: the micro error header
    carries it, and the api answers with it as the HTTP status (the one mapping)."""

    INVALID_REQUEST = "invalid_request"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    TOO_MANY_REQUESTS = "too_many_requests"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    LIMIT_REACHED = "limit_reached"
    UPSTREAM = "upstream"
    NO_SPACE = "no_space"
    TIMEOUT = "timeout"
    UNAVAILABLE = "unavailable"
    INTERNAL = "internal"

    @property
    def status(self) -> int:
        return _STATUS[self]


_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_REQUEST: 422,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.LIMIT_REACHED: 400,
    ErrorCode.UPSTREAM: 502,
    ErrorCode.NO_SPACE: 507,
    ErrorCode.TIMEOUT: 504,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.INTERNAL: 500,
}


class ErrorReply(BaseModel):
    """Body of every error reply."""

    model_config = ConfigDict(extra="forbid")

    code: ErrorCode
    message: str


class CamrecError(Exception):
    """Raised by a handler: becomes an error reply with this code and message. (Not
    nats.micro's ``ServiceError``, the error a micro reply carries: ours is what a handler
    raises and a caller gets back as :class:`RemoteError`.)"""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def to_reply(self) -> ErrorReply:
        return ErrorReply(code=self.code, message=self.message)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code.value!r}, {self.message!r})"


class RemoteError(CamrecError):
    """Raised to a caller: the service answered with an error, or nobody answered in time."""


def validation_message(error: ValidationError) -> str:
    """Short, human-readable text for a pydantic error (first problems, no URLs to docs)."""
    parts = []
    for item in error.errors()[:3]:
        where = ".".join(str(p) for p in item["loc"]) or "request"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)
