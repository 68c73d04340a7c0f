"""Who may do what on NATS: one user per service, with only the subjects it needs, and ``ops``
for the NATS CLI. nats-server's ``authorization`` block is rendered from this
(:func:`authorization_conf`); docs/nats.md's "Users" table too.

The lists come from the contracts: a service subscribes to its own endpoints' subjects and
publishes requests only to the endpoints it calls (:data:`CALLS`), publishes events only under
its own topics and writes (``$KV.<bucket>.>``) only the buckets it owns. Every service uses
the JetStream API (each one makes sure the streams and buckets exist at start) but none may
delete, purge or re-limit a stream, so a bucket can't be emptied or dropped from a service's
account; only the recorders may delete their work queue's consumer and only the api may read
the login bucket. Replies go back through ``allow_responses`` (a
service may answer the requests it was sent, nothing else on ``_INBOX``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .catalog import ENDPOINTS
from .events import SERVICE_EVENTS, EventTopic
from .jetstream import (
    ACTIVE_RECORDINGS_BUCKET,
    ADMISSION_BUCKET,
    AUTH_BUCKET,
    EVENTS_SUBJECTS,
    JOBS_STREAM,
    JOBS_SUBJECT,
    KV_BUCKETS,
    LIMITS_BUCKET,
    RECORDINGS_BUCKET,
    SESSIONS_BUCKET,
)
from .recordings import (
    DELETE_RECORDING,
    RECORDING_EVENTS,
    START_RECORDING,
    STOP_RECORDING,
    owner_stop_subject,
)
from .rpc import Endpoint
from .services import PREVIEWER, PROXY, RECORDER
from .sessions import CLOSE_SESSION, GET_SESSION, OPEN_SESSION, SESSION_EVENTS

API_USER = "api"
PROXY_USER = "proxy"
RECORDER_USER = "recorder"
PREVIEWER_USER = "previewer"
OPS_USER = "ops"

SERVICE_USERS = (API_USER, PROXY_USER, RECORDER_USER, PREVIEWER_USER)
USERS = (*SERVICE_USERS, OPS_USER)

SERVES: dict[str, str] = {PROXY_USER: PROXY, RECORDER_USER: RECORDER, PREVIEWER_USER: PREVIEWER}
"""The micro service a user runs: it subscribes to that service's endpoint subjects."""

CALLS: dict[str, tuple[Endpoint[Any, Any], ...]] = {
    API_USER: (OPEN_SESSION, CLOSE_SESSION, START_RECORDING, STOP_RECORDING, DELETE_RECORDING),
    PROXY_USER: (),
    RECORDER_USER: (GET_SESSION,),
    PREVIEWER_USER: (GET_SESSION,),
}
"""The endpoints each service calls (the api reads sessions and recordings from KV)."""

PUBLISHES: dict[str, tuple[EventTopic, ...]] = {
    API_USER: (),
    PROXY_USER: (SESSION_EVENTS,),
    RECORDER_USER: (RECORDING_EVENTS,),
    PREVIEWER_USER: (),
}
"""Event topics each service publishes (every service: its own started/stopped too)."""

WRITES: dict[str, tuple[str, ...]] = {
    API_USER: (AUTH_BUCKET,),
    PROXY_USER: (SESSIONS_BUCKET, ADMISSION_BUCKET, LIMITS_BUCKET),
    RECORDER_USER: (RECORDINGS_BUCKET, ACTIVE_RECORDINGS_BUCKET),
    PREVIEWER_USER: (),
}
"""KV buckets each service writes (puts and deletes)."""

PRIVATE_BUCKETS: dict[str, str] = {AUTH_BUCKET: API_USER}
"""Buckets only their owner may read."""

# Never from a service: these drop or empty a stream (a KV bucket is one), or change the
# limits of one whose messages are state (a smaller max_msgs would drop records). Only the
# events stream is updated (ensure_jetstream takes the current limits).
_NO_SERVICE_MAY = (
    "$JS.API.STREAM.DELETE.>",
    "$JS.API.STREAM.PURGE.>",
    "$JS.API.STREAM.MSG.DELETE.>",
    *(f"$JS.API.STREAM.UPDATE.KV_{bucket}" for bucket in KV_BUCKETS),
    f"$JS.API.STREAM.UPDATE.{JOBS_STREAM}",
)


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    publish_deny: tuple[str, ...] = ()
    allow_responses: bool = True


def _bucket_reads(bucket: str) -> tuple[str, ...]:
    """The JetStream API subjects that read a bucket's values (gets, watches)."""
    stream = f"KV_{bucket}"
    return (
        f"$JS.API.DIRECT.GET.{stream}",
        f"$JS.API.DIRECT.GET.{stream}.>",
        f"$JS.API.STREAM.MSG.GET.{stream}",
        f"$JS.API.CONSUMER.*.{stream}",
        f"$JS.API.CONSUMER.*.{stream}.>",
        f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.>",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.>",
    )


def _service_permissions(user: str) -> Permissions:
    publish = [
        "$JS.API.>",  # streams, buckets, consumers (less the deletes below)
        f"$JS.ACK.{JOBS_STREAM}.>" if user == RECORDER_USER else "",
        "$JS.FC.>",  # flow control of the KV watches (ordered consumers)
        "$SRV.>",  # micro discovery: /health and liveness ping the services
        f"{SERVICE_EVENTS.prefix}.>",
        *(f"{topic.prefix}.>" for topic in PUBLISHES[user]),
        *(ep.subject for ep in CALLS[user]),
        *(f"$KV.{bucket}.>" for bucket in WRITES[user]),
    ]
    subscribe = ["_INBOX.>", "$SRV.>", EVENTS_SUBJECTS]
    if user in SERVES:
        subscribe += [ep.subject for ep in ENDPOINTS if ep.service == SERVES[user]]
    if user == RECORDER_USER:
        publish += [JOBS_SUBJECT, owner_stop_subject("*")]  # hands a job on; stops a peer's
        subscribe += [owner_stop_subject("*")]
    deny = list(_NO_SERVICE_MAY)
    if user != RECORDER_USER:  # the recorders' work queue consumer is theirs
        deny.append(f"$JS.API.CONSUMER.DELETE.{JOBS_STREAM}.>")
    for bucket, owner in PRIVATE_BUCKETS.items():
        if owner != user:
            deny += _bucket_reads(bucket)
    return Permissions(tuple(p for p in publish if p), tuple(subscribe), tuple(deny))


def permissions() -> dict[str, Permissions]:
    """Every user's permissions; ``ops`` may do anything (it is the operator's CLI)."""
    found = {user: _service_permissions(user) for user in SERVICE_USERS}
    found[OPS_USER] = Permissions(publish=(">",), subscribe=(">",), allow_responses=False)
    return found


def _quoted(subjects: Iterable[str]) -> str:
    return "[" + ", ".join(json.dumps(s) for s in subjects) + "]"


def authorization_conf(passwords: Mapping[str, str]) -> str:
    """nats-server's ``authorization`` block for ``passwords`` (user -> password): no user, no
    connection. Include it in a server config, or pass it alone with ``-c``."""
    missing = [user for user in USERS if not passwords.get(user)]
    if missing:
        raise ValueError(f"no password for NATS user(s) {', '.join(missing)}")
    lines = ["authorization {", "  users = ["]
    for user, perms in permissions().items():
        lines += [
            "    {",
            f"      user: {json.dumps(user)}",
            f"      password: {json.dumps(passwords[user])}",
            "      permissions: {",
            f"        publish: {{ allow: {_quoted(perms.publish)}"
            + (f", deny: {_quoted(perms.publish_deny)}" if perms.publish_deny else "")
            + " }",
            f"        subscribe: {{ allow: {_quoted(perms.subscribe)} }}",
            *(["        allow_responses: true"] if perms.allow_responses else []),
            "      }",
            "    }",
        ]
    lines += ["  ]", "}", ""]
    return "\n".join(lines)
