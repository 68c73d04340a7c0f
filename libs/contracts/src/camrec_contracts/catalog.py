"""Everything camrec puts on NATS, in one list: endpoints, event topics, KV buckets, streams.

docs/nats.md is generated from this (``python -m camrec_contracts.docs``) and a test
checks the two agree, so the map can't drift from the code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

from .errors import ErrorReply
from .events import TOPICS, EventTopic
from .jetstream import EVENTS_STREAM, JOBS_STREAM, KV_BUCKETS
from .previews import PREVIEW_ENDPOINTS
from .recordings import RECORDING_ENDPOINTS, RecordingJob
from .rpc import Endpoint
from .sessions import SESSION_ENDPOINTS, SessionLimit, SessionRecord

ENDPOINTS: tuple[Endpoint[Any, Any], ...] = (
    *SESSION_ENDPOINTS,
    *RECORDING_ENDPOINTS,
    *PREVIEW_ENDPOINTS,
)
"""Every request/reply endpoint."""


def all_models() -> list[type[BaseModel]]:
    """Every message model on the bus: requests, replies, events, error replies."""
    models: list[type[BaseModel]] = [ErrorReply]
    for ep in ENDPOINTS:
        models += [ep.request, ep.reply]
    models += [topic.model for topic in TOPICS]
    models += [SessionRecord, SessionLimit, RecordingJob]
    unique: dict[str, type[BaseModel]] = {}
    for model in models:
        unique.setdefault(f"{model.__module__}.{model.__qualname__}", model)
    return list(unique.values())


def duplicate_names(
    endpoints: Iterable[Endpoint[Any, Any]],
    topics: Iterable[EventTopic],
    buckets: Iterable[str],
    streams: Iterable[str],
) -> list[str]:
    """Names used more than once: endpoint subjects, micro endpoint names within a service,
    event prefixes (also against endpoint subjects), bucket and stream names."""
    eps = list(endpoints)
    subjects = Counter([ep.subject for ep in eps] + [t.prefix for t in topics])
    names = Counter((ep.service, ep.name) for ep in eps)
    stores = Counter([*buckets, *streams])
    dups = [s for s, n in subjects.items() if n > 1]
    dups += [f"{svc}/{name}" for (svc, name), n in names.items() if n > 1]
    dups += [s for s, n in stores.items() if n > 1]
    return dups


def check_catalog() -> list[str]:
    return duplicate_names(ENDPOINTS, TOPICS, KV_BUCKETS, [EVENTS_STREAM, JOBS_STREAM])
