"""Publishing events into the events stream and following them live."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js.client import JetStreamContext
from pydantic import ValidationError

from camrec_contracts.events import Event, EventTopic, parse_event
from camrec_contracts.jetstream import EVENTS_SUBJECTS

log = logging.getLogger(__name__)


class EventPublisher:
    """Publishes events into the events stream (acknowledged by JetStream)."""

    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    async def publish(self, topic: EventTopic, key: str, event: Event) -> None:
        if not isinstance(event, topic.model):
            raise TypeError(f"{topic.prefix} takes {topic.model.__name__}")
        await self._js.publish(topic.subject(key), event.model_dump_json().encode())


EventHandler = Callable[[str, Event], Awaitable[None]]


async def subscribe_events(
    nc: Client, handler: EventHandler, subject: str = EVENTS_SUBJECTS
) -> Subscription:
    """Deliver live events matching ``subject`` as validated models; bad ones are logged."""

    async def on_msg(msg: Msg) -> None:
        try:
            event = parse_event(msg.subject, msg.data)
        except (ValueError, ValidationError) as error:
            log.warning("ignoring malformed event on %s: %s", msg.subject, error)
            return
        await handler(msg.subject, event)

    return await nc.subscribe(subject, cb=on_msg)
