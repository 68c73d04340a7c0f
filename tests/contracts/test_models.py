"""Every message model round-trips JSON and rejects unknown fields; names are unique."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from camrec_contracts import catalog, previews, recordings, sessions
from camrec_contracts.errors import ErrorReply
from camrec_contracts.events import SERVICE_EVENTS, TOPICS, EventTopic, ServiceEvent, parse_event
from camrec_contracts.rpc import Endpoint

SESSION = {
    "id": "0123456789ab",
    "name": "door",
    "url": "rtsp://***@cam.local/live",
    "source_kind": "rtsp",
    "relay": "go2rtc",
    "relay_url": "rtsp://127.0.0.1:8555/camrec-0123456789ab",
    "state": "ready",
    "video": {"codec": "h264", "width": 1280, "height": 720, "fps": 25.0},
    "audio": {"codec": "aac", "sample_rate": 48000, "channels": 1},
    "created_at": "2026-11-24T10:00:00Z",
}

RECORDING = {
    "id": "abcdef012345",
    "session_id": "0123456789ab",
    "session_name": "door",
    "source": "rtsp://***@cam.local/live",
    "state": "finished",
    "end_reason": "completed",
    "requested_duration_s": 60,
    "duration_s": 60.0,
    "started_at": "2026-11-24T10:00:00Z",
    "ended_at": "2026-11-24T10:01:00Z",
    "owner": "w1",
    "file_name": "door_20261124-100000_abcdef01.mp4",
    "size_bytes": 123,
    "transcoded": False,
    "fragmented": False,
    "has_thumbnail": True,
    "video": {
        "codec": "h264",
        "width": 1280,
        "height": 720,
        "frames": 1500,
        "avg_frame_interval_ms": 40.0,
        "min_frame_interval_ms": 40.0,
        "max_frame_interval_ms": 40.0,
    },
    "audio": {"codec": "aac", "sample_rate": 48000, "channels": 1},
}

SAMPLES: dict[type[BaseModel], dict[str, Any]] = {
    recordings.Recording: RECORDING,
    recordings.StartRecordingRequest: {"session_id": "0123456789ab", "duration_s": 300},
    recordings.RecordingRef: {"id": "abcdef012345"},
    recordings.ListRecordingsRequest: {},
    recordings.RecordingList: {"recordings": [RECORDING]},
    recordings.RecordingDeleted: {"id": "abcdef012345"},
    recordings.RecordingJob: {"recording_id": "abcdef012345", "session": SESSION},
    recordings.RecordingEvent: {
        "event": "progress",
        "recording_id": "abcdef012345",
        "session_id": "0123456789ab",
        "state": "recording",
        "elapsed_s": 3.0,
        "size_bytes": 1000,
        "bitrate_kbps": 2000.0,
        "at": "2026-11-24T10:00:03Z",
    },
    sessions.OpenSessionRequest: {"url": "rtsp://cam/live", "name": "door"},
    sessions.Session: SESSION,
    sessions.SessionRef: {"id": "0123456789ab"},
    sessions.SessionClosed: {"id": "0123456789ab", "closed": True},
    sessions.ListSessionsRequest: {},
    sessions.SessionList: {"sessions": [SESSION]},
    sessions.SessionRecord: {
        "session": SESSION,
        "source_url": "rtsp://u:p@cam.local/live",
        "relay_path": "camrec-0123456789ab",
        "slot": "slot-1",
    },
    sessions.SessionLimit: {"max_sessions": 3},
    sessions.SessionEvent: {
        "event": "failed",
        "session_id": "0123456789ab",
        "url": "rtsp://***@cam.local/live",
        "reason": "time-out",
        "at": "2026-11-24T10:00:00Z",
    },
    previews.PreviewStatsRequest: {},
    previews.PreviewerStats: {
        "sessions": [
            {
                "session_id": "0123456789ab",
                "source_kind": "rtsp",
                "format": "jpeg",
                "state": "live",
                "capturing": True,
                "captures_started": 1,
                "viewers": 2,
                "frames_in": 250,
                "frames_out": 498,
                "frames_passed_through": 0,
                "frames_skipped_reading": 3,
                "encode_ms_avg": 3.2,
                "fps": 25.0,
                "per_viewer": [
                    {"viewer": 1, "frames_sent": 250, "frames_skipped": 0},
                    {"viewer": 2, "frames_sent": 248, "frames_skipped": 2},
                ],
            }
        ]
    },
    ErrorReply: {"code": "not_found", "message": "no session abc"},
    ServiceEvent: {
        "event": "started",
        "service": "camrec-proxy",
        "instance": "x1",
        "version": "0.1.0",
        "at": "2026-11-24T10:00:00Z",
    },
}


def test_every_model_has_a_sample() -> None:
    missing = [m.__name__ for m in catalog.all_models() if m not in SAMPLES]
    assert not missing, f"add a sample for {missing} to SAMPLES"


@pytest.mark.parametrize("model", catalog.all_models(), ids=lambda m: m.__name__)
def test_round_trip(model: type[BaseModel]) -> None:
    original = model.model_validate(SAMPLES[model])
    again = model.model_validate_json(original.model_dump_json())
    assert again == original


@pytest.mark.parametrize("model", catalog.all_models(), ids=lambda m: m.__name__)
def test_unknown_field_rejected(model: type[BaseModel]) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        model.model_validate({**SAMPLES[model], "surprise": 1})


def test_catalog_names_are_unique() -> None:
    assert catalog.check_catalog() == []


def _ep(subject: str, name: str) -> Endpoint[Any, Any]:
    return Endpoint("svc", name, subject, ErrorReply, ErrorReply, "x")


def test_duplicate_check_finds_each_kind_of_clash() -> None:
    topic = EventTopic("camrec.events.a", ServiceEvent, "x")
    dups = catalog.duplicate_names(
        [_ep("camrec.a.x", "x"), _ep("camrec.a.x", "y"), _ep("camrec.b", "x")],
        [topic, EventTopic("camrec.b", ServiceEvent, "x")],
        ["bucket", "bucket"],
        ["S"],
    )
    assert set(dups) == {"camrec.a.x", "camrec.b", "svc/x", "bucket"}


def test_event_subjects_and_parsing() -> None:
    event = ServiceEvent.model_validate(SAMPLES[ServiceEvent])
    subject = SERVICE_EVENTS.subject("camrec-proxy")
    assert subject == "camrec.events.services.camrec-proxy"
    assert parse_event(subject, event.model_dump_json().encode()) == event
    with pytest.raises(ValueError):
        parse_event("camrec.events.nope.x", b"{}")
    for bad in ["", "a.b", "a b", "*", ">"]:
        with pytest.raises(ValueError):
            SERVICE_EVENTS.subject(bad)
    assert all(t.prefix.startswith("camrec.events.") for t in TOPICS)
