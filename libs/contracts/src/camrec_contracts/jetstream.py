"""JetStream names: KV buckets, the events and jobs streams (their creation:
:mod:`camrec_runtime.jetstream`)."""

from __future__ import annotations

SESSIONS_BUCKET = "camrec-sessions"
"""KV: one record per open session, keyed by session id."""

RECORDINGS_BUCKET = "camrec-recordings"
"""KV: the recordings catalog, keyed by recording id."""

ADMISSION_BUCKET = "camrec-admission"
"""KV: one key per session slot (``slot-1`` … ``slot-N``), taken atomically with create."""

ACTIVE_RECORDINGS_BUCKET = "camrec-active-recordings"
"""KV: session id -> the recording id running for it (taken with create: one per session)."""

LIMITS_BUCKET = "camrec-limits"
"""KV: limits a service enforces, written by that service for every reader (key ``sessions``:
the proxy's session limit, :class:`camrec_contracts.sessions.SessionLimit`)."""

AUTH_BUCKET = "camrec-auth"
"""KV: the page's login (:mod:`camrec_contracts.auth`): the admin password's hash and the
digests of logged-in sessions' tokens. Only the api reads or writes it."""

STREAM_IN_USE = 10058
"""JetStream's error code: "stream name already in use with a different configuration"."""

JOBS_STREAM = "CAMREC_RECORDING_JOBS"
"""Work-queue stream of recordings waiting for a worker with free capacity."""
JOBS_SUBJECT = "camrec.jobs.recordings"
JOBS_CONSUMER = "recorders"

EVENTS_STREAM = "CAMREC_EVENTS"
"""Stream holding every event published on ``camrec.events.>``."""

EVENTS_SUBJECTS = "camrec.events.>"
EVENTS_MAX_AGE_S = 7 * 24 * 3600
EVENTS_PER_SUBJECT = 16
"""The stream keeps the last 16 events of each recording, session and service (subjects are
per id). A recording publishes progress once a second: without this cap a week of three
cameras recording kept 1.8 million heartbeats (~300 bytes each) in the stream. Nothing
replays older events: readers follow live events and the KV buckets."""

KV_BUCKETS: dict[str, str] = {
    SESSIONS_BUCKET: "open sessions, keyed by session id",
    RECORDINGS_BUCKET: "recordings catalog, keyed by recording id",
    ADMISSION_BUCKET: "session slots (slot-1..slot-N), each held by one session id",
    ACTIVE_RECORDINGS_BUCKET: "session id -> its running recording id (one per session)",
    LIMITS_BUCKET: "limits as the service enforcing them set them; key `sessions`: `SessionLimit` "
    "(the proxy's CAMREC_MAX_SESSIONS, written at every proxy start)",
    AUTH_BUCKET: "the page's login: key `admin`: `AdminCredential` (an argon2 hash); "
    "`session.<sha256 of a token>`: `LoginSession` (the api's only)",
}
