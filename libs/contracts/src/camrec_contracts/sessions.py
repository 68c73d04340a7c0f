"""Sessions: one camera pulled once through a relay. Subjects, models, events, KV records.

The proxy owns sessions. KV ``camrec-sessions`` holds a :class:`SessionRecord` per session
(key: the session id); it is the only place the camera URL with credentials is kept.
Everything else (replies, events, logs) carries the redacted URL.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from .events import EVENTS_PREFIX, Event, EventTopic, register_topic
from .measurements import StreamMeasurement
from .model import ContractModel
from .rpc import Endpoint
from .services import PROXY

SessionState = Literal["opening", "ready"]
SessionId = str  # 12 lowercase hex characters

SESSION_ID_PATTERN = r"^[0-9a-f]{12}$"
OPEN_TIMEOUT_S = 15.0


class VideoInfo(ContractModel):
    """The session's video as probed on the relay."""

    codec: str
    width: int
    height: int
    fps: float | None = Field(default=None, description="frame rate as the stream reports it")


class AudioInfo(ContractModel):
    """An audio track: a session's as probed on the relay, a recording's as in its file."""

    codec: str
    sample_rate: int | None = None
    channels: int | None = None

    @classmethod
    def from_ffprobe(cls, stream: dict[str, Any]) -> AudioInfo:
        """From one of ffprobe's ``streams`` (``codec_name``, ``sample_rate``, ``channels``)."""
        rate, channels = stream.get("sample_rate"), stream.get("channels")
        return cls(
            codec=str(stream.get("codec_name")),
            sample_rate=int(rate) if rate else None,
            channels=int(channels) if channels else None,
        )


class Session(ContractModel):
    """A session as everyone but the proxy sees it: no credentials anywhere."""

    id: str = Field(pattern=SESSION_ID_PATTERN)
    name: str
    url: str = Field(description="the camera URL, credentials replaced by ***")
    source_kind: Literal["rtsp", "mjpeg"]
    relay: Literal["mediamtx", "go2rtc"]
    relay_url: str = Field(description="RTSP URL of the relayed stream: read this, not the camera")
    relay_mjpeg_url: str | None = Field(
        default=None,
        description="MJPEG sources: the relayed stream as HTTP multipart, the camera's own JPEGs",
    )
    state: SessionState
    video: VideoInfo
    audio: AudioInfo | None
    created_at: datetime
    measured: StreamMeasurement | None = Field(
        default=None,
        description="the real frame rate and bitrate, from a few seconds of the relay's packets "
        "(video.fps is what the stream header claims); null until measured",
    )


SESSION_LIMIT_KEY = "sessions"
"""The key of :class:`SessionLimit` in KV ``camrec-limits``."""


class SessionLimit(ContractModel):
    """KV ``camrec-limits`` value at key ``sessions``: the most sessions open at once, as the
    proxy enforces it (its ``CAMREC_MAX_SESSIONS``; written at every proxy start, so the api's
    session list reports it without asking the proxy)."""

    max_sessions: int = Field(ge=1)


class SessionRecord(ContractModel):
    """KV ``camrec-sessions`` value: the session plus what only the proxy may read."""

    session: Session
    source_url: str = Field(description="the camera URL as given, credentials included")
    relay_path: str
    slot: str = Field(description="the admission slot this session holds")


class OpenSessionRequest(ContractModel):
    url: str = Field(max_length=16384)
    name: str | None = Field(default=None, max_length=80)


class SessionRef(ContractModel):
    id: str = Field(pattern=SESSION_ID_PATTERN)


class ListSessionsRequest(ContractModel):
    pass


class SessionList(ContractModel):
    sessions: list[Session]
    limit: int | None = Field(default=None, description="most sessions open at once")


class SessionClosed(ContractModel):
    id: str
    closed: bool = Field(description="false when the session was not open (close is idempotent)")


SessionEventKind = Literal["opened", "ready", "measured", "closing", "closed", "failed"]


class SessionEvent(Event):
    """A session changed state."""

    event: SessionEventKind
    session_id: str
    name: str | None = None
    url: str = Field(description="redacted camera URL")
    reason: str | None = None
    measured: StreamMeasurement | None = Field(
        default=None, description="with ``measured``: the session's new measurement"
    )


SESSION_EVENTS = register_topic(
    EventTopic(
        prefix=f"{EVENTS_PREFIX}.sessions",
        model=SessionEvent,
        summary="opened, ready, measured (real fps and bitrate), closing (dependents stop now), "
        "closed, failed (key: session id)",
    )
)

OPEN_SESSION = Endpoint(
    service=PROXY,
    name="sessions-open",
    subject="camrec.sessions.open",
    request=OpenSessionRequest,
    reply=Session,
    summary="validate the URL, admit under the limit, relay and probe the camera",
    timeout_s=OPEN_TIMEOUT_S + 2,
    # Each open waits seconds for its camera (relay ready, probe): three cameras opened
    # together were ready one after another. Admission is a compare-and-set per slot.
    concurrent=True,
)
CLOSE_SESSION = Endpoint(
    service=PROXY,
    name="sessions-close",
    subject="camrec.sessions.close",
    request=SessionRef,
    reply=SessionClosed,
    summary="stop dependents, remove the relay path, forget the session (idempotent)",
    timeout_s=15.0,
)
GET_SESSION = Endpoint(
    service=PROXY,
    name="sessions-get",
    subject="camrec.sessions.get",
    request=SessionRef,
    reply=Session,
    summary="one session by id",
)
LIST_SESSIONS = Endpoint(
    service=PROXY,
    name="sessions-list",
    subject="camrec.sessions.list",
    request=ListSessionsRequest,
    reply=SessionList,
    summary="every open session, oldest first",
)

SESSION_ENDPOINTS = (OPEN_SESSION, CLOSE_SESSION, GET_SESSION, LIST_SESSIONS)
