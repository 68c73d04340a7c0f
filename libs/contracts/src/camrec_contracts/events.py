"""Events on ``camrec.events.>``: typed models and their topics (publishing and subscribing:
:mod:`camrec_runtime.events`).

Every state change is published to the events stream (``nats sub 'camrec.events.>'`` shows
them live; ``nats stream view CAMREC_EVENTS`` shows the history). A topic ties a subject
prefix to its model, so a subscriber gets a validated model back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EVENTS_PREFIX = "camrec.events"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Event(BaseModel):
    """Base of every event: what happened and when."""

    model_config = ConfigDict(extra="forbid")

    event: str
    at: datetime = Field(default_factory=utcnow)


class ServiceEvent(Event):
    """A service instance started or stopped."""

    event: Literal["started", "stopped"]
    service: str
    instance: str
    version: str


@dataclass(frozen=True)
class EventTopic:
    """Events of one kind: published on ``<prefix>.<key>``."""

    prefix: str
    model: type[Event]
    summary: str

    def subject(self, key: str) -> str:
        if not key or any(c in key for c in " .*>"):
            raise ValueError(f"invalid event key {key!r}")
        return f"{self.prefix}.{key}"

    @property
    def wildcard(self) -> str:
        return f"{self.prefix}.*"


SERVICE_EVENTS = EventTopic(
    prefix=f"{EVENTS_PREFIX}.services",
    model=ServiceEvent,
    summary="a service instance started or stopped (key: service name)",
)

TOPICS: list[EventTopic] = [SERVICE_EVENTS]
"""Every event topic; feature modules register theirs with :func:`register_topic`."""


def register_topic(topic: EventTopic) -> EventTopic:
    TOPICS.append(topic)
    return topic


def topic_for(subject: str) -> EventTopic | None:
    for topic in TOPICS:
        if subject.startswith(topic.prefix + "."):
            return topic
    return None


def parse_event(subject: str, data: bytes) -> Event:
    """Validate an event by its subject; raises ValueError for unknown subjects or bad data."""
    topic = topic_for(subject)
    if topic is None:
        raise ValueError(f"no event topic for subject {subject!r}")
    return topic.model.model_validate_json(data)
