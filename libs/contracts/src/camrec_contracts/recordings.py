"""Recordings: subjects, models, events and the catalog record (KV ``camrec-recordings``).

The recorder owns recordings. A start is queued as a job on the ``CAMREC_RECORDING_JOBS``
work-queue stream; a worker with free capacity pulls it (each job goes to exactly one worker).
The worker that runs a recording is its ``owner``; stop requests reach it on
``camrec.recorder.<owner>.stop``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from .events import EVENTS_PREFIX, Event, EventTopic, register_topic
from .model import ContractModel
from .rpc import Endpoint
from .services import RECORDER
from .sessions import SESSION_ID_PATTERN, AudioInfo, Session

RecordingState = Literal[
    "starting",
    "recording",
    "reconnecting",
    "finalizing",
    "finished",
    "stopped",
    "interrupted",
    "failed",
]
ACTIVE_STATES: frozenset[str] = frozenset({"starting", "recording", "reconnecting", "finalizing"})
RECORDING_ID_PATTERN = r"^[0-9a-f]{12}$"
MAX_DURATION_S = 24 * 3600
PRESETS_S = (60, 300, 3600, 5400, 7200)


class RecordedVideo(ContractModel):
    codec: str
    width: int
    height: int
    frames: int
    avg_frame_interval_ms: float | None = None
    min_frame_interval_ms: float | None = None
    max_frame_interval_ms: float | None = None


Verdict = Literal["clean", "has gaps", "audio lost", "interrupted"]


class Gap(ContractModel):
    """Video frames stopped coming for longer than the threshold."""

    at_s: float = Field(description="where in the file the gap begins (the frame before it)")
    length_s: float = Field(description="time between the frames either side of it")


class Reconnect(ContractModel):
    """The source dropped and came back; the parts either side are joined back to back."""

    at_s: float = Field(description="where in the file the part after the drop begins")
    dropped_at: datetime | None = Field(
        description="wall clock: when the source dropped (null: not known, the recorder restarted)"
    )
    away_s: float | None = Field(
        description="wall-clock time without the source, missing from the file (null: not known)"
    )


class RecordingHealth(ContractModel):
    """What the finished file really holds (its packet times) and what the recorder saw."""

    verdict: Verdict
    summary: str = Field(description="one line for people")
    frames: int
    fps: float | None = Field(description="measured: frames over the video's span")
    median_frame_interval_ms: float | None
    min_frame_interval_ms: float | None
    max_frame_interval_ms: float | None
    gap_threshold_ms: float | None = Field(description="intervals longer than this are gaps")
    gaps: list[Gap]
    reconnects: list[Reconnect]
    audio_expected: bool = Field(description="the source had audio when the recording began")
    video_start_s: float | None = None
    video_end_s: float | None = None
    audio_start_s: float | None = None
    audio_end_s: float | None = None
    av_drift_ms: float | None = Field(
        default=None, description="audio end minus video end (negative: audio stops first)"
    )


class FitEstimate(ContractModel):
    """ "Will it fit?": the estimate made before the recording started."""

    bitrate_kbps: float = Field(description="the bitrate the estimate is based on")
    bitrate_from: Literal["recordings", "session", "probe", "encoder"] = Field(
        description="recordings: this session's earlier files; session: the proxy's measurement "
        "of the relay; probe: the recorder read 2 s of the relay itself (a timed recording near "
        "the limit, nothing measured yet); encoder: a typical H.264 rate for the picture size "
        "(a re-encoded source, or nothing measured yet and plenty of room)"
    )
    estimated_bytes: int | None = Field(description="for the requested duration; null: until stop")
    free_bytes: int
    reserve_bytes: int = Field(description="kept free: a recording ends when it reaches it")
    fits_s: float = Field(description="how long a recording at this bitrate fits above the reserve")
    warning: str | None = Field(default=None, description="set when space is tight")


class Recording(ContractModel):
    """A recording as the catalog holds it (no credentials: the source is redacted)."""

    id: str = Field(pattern=RECORDING_ID_PATTERN)
    session_id: str
    session_name: str
    source: str = Field(description="redacted camera URL")
    state: RecordingState
    end_reason: str | None = None
    requested_duration_s: float | None = Field(description="null: until stopped")
    duration_s: float | None = Field(default=None, description="actual, from the file")
    started_at: datetime
    ended_at: datetime | None = None
    owner: str | None = Field(default=None, description="the worker running it")
    file_name: str
    size_bytes: int = 0
    transcoded: bool = Field(description="video re-encoded to H.264 (else stream-copied)")
    fragmented: bool = Field(
        default=False, description="true if the final remux failed and the file is fragmented"
    )
    has_thumbnail: bool = False
    reconnects: int = Field(
        default=0, description="times the source dropped and came back; the parts are joined"
    )
    video: RecordedVideo | None = None
    audio: AudioInfo | None = None
    health: RecordingHealth | None = Field(
        default=None, description="the health report, once the file is final"
    )
    fit: FitEstimate | None = Field(
        default=None, description="the space estimate made when it was started"
    )


class StartRecordingRequest(ContractModel):
    session_id: str = Field(pattern=SESSION_ID_PATTERN)
    duration_s: float | None = Field(
        default=None, gt=0, le=MAX_DURATION_S, description="seconds; null = until stopped"
    )


class RecordingRef(ContractModel):
    id: str = Field(pattern=RECORDING_ID_PATTERN)


class ListRecordingsRequest(ContractModel):
    pass


class RecordingList(ContractModel):
    recordings: list[Recording]


class RecordingDeleted(ContractModel):
    id: str


class RecordingJob(ContractModel):
    """A queued start, on the jobs stream: which recording, and the session to read."""

    recording_id: str = Field(pattern=RECORDING_ID_PATTERN)
    session: Session


class RecordingEvent(Event):
    """A recording changed state, or (``progress``) a second of it was written."""

    event: Literal[
        "started",
        "progress",
        "reconnecting",
        "resumed",
        "finalizing",
        "finished",
        "stopped",
        "interrupted",
        "failed",
    ]
    recording_id: str
    session_id: str
    state: RecordingState
    elapsed_s: float | None = None
    size_bytes: int | None = None
    bitrate_kbps: float | None = None
    reason: str | None = None


RECORDING_EVENTS = register_topic(
    EventTopic(
        prefix=f"{EVENTS_PREFIX}.recordings",
        model=RecordingEvent,
        summary="started, progress (every second), reconnecting, resumed, finalizing (FFmpeg "
        "has stopped, the final file is being made), finished, stopped, interrupted, failed "
        "(key: recording id)",
    )
)

START_RECORDING = Endpoint(
    service=RECORDER,
    name="recordings-start",
    subject="camrec.recordings.start",
    request=StartRecordingRequest,
    reply=Recording,
    summary="estimate its size against free space (507 if it can't fit), then queue it; a "
    "worker with capacity starts it",
    timeout_s=10.0,
)
STOP_RECORDING = Endpoint(
    service=RECORDER,
    name="recordings-stop",
    subject="camrec.recordings.stop",
    request=RecordingRef,
    reply=Recording,
    summary="stop a recording; answers once FFmpeg has stopped: the final record, or the "
    "recording `finalizing` when making the final file takes longer than half a second (a long "
    "recording); its end comes as an event",
    timeout_s=12.0,
    concurrent=True,  # stops of different recordings don't wait for each other
)
GET_RECORDING = Endpoint(
    service=RECORDER,
    name="recordings-get",
    subject="camrec.recordings.get",
    request=RecordingRef,
    reply=Recording,
    summary="one recording by id",
)
LIST_RECORDINGS = Endpoint(
    service=RECORDER,
    name="recordings-list",
    subject="camrec.recordings.list",
    request=ListRecordingsRequest,
    reply=RecordingList,
    summary="every recording, newest first",
)
DELETE_RECORDING = Endpoint(
    service=RECORDER,
    name="recordings-delete",
    subject="camrec.recordings.delete",
    request=RecordingRef,
    reply=RecordingDeleted,
    summary="delete a finished recording and its files (409 while recording)",
)

RECORDING_ENDPOINTS = (
    START_RECORDING,
    STOP_RECORDING,
    GET_RECORDING,
    LIST_RECORDINGS,
    DELETE_RECORDING,
)


def owner_stop_subject(owner: str) -> str:
    """Where the worker ``owner`` takes stop orders for the recordings it runs."""
    return f"camrec.recorder.{owner}.stop"
