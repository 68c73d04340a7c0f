"""The events stream, the jobs stream and the KV buckets, created if missing (every service
does it at connect: idempotent)."""

from __future__ import annotations

from nats.js.api import KeyValueConfig, RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import BadRequestError

from camrec_contracts.jetstream import (
    EVENTS_MAX_AGE_S,
    EVENTS_PER_SUBJECT,
    EVENTS_STREAM,
    EVENTS_SUBJECTS,
    JOBS_STREAM,
    JOBS_SUBJECT,
    KV_BUCKETS,
    STREAM_IN_USE,
)


async def ensure_jetstream(js: JetStreamContext) -> None:
    """Create the events stream and KV buckets if missing. Safe to run from every service."""
    events = StreamConfig(
        name=EVENTS_STREAM,
        subjects=[EVENTS_SUBJECTS],
        storage=StorageType.FILE,
        max_age=EVENTS_MAX_AGE_S,
        max_msgs_per_subject=EVENTS_PER_SUBJECT,
        description="camrec state-change events",
    )
    try:
        await js.add_stream(events)
    except BadRequestError as error:
        if error.err_code != STREAM_IN_USE:
            raise
        await js.update_stream(events)  # made by an older camrec: take the current limits
    await js.add_stream(
        StreamConfig(
            name=JOBS_STREAM,
            subjects=[JOBS_SUBJECT],
            storage=StorageType.FILE,
            retention=RetentionPolicy.WORK_QUEUE,
            description="recordings waiting for a recorder worker",
        )
    )
    for bucket, description in KV_BUCKETS.items():
        await js.create_key_value(KeyValueConfig(bucket=bucket, description=description, history=1))
