"""``/api/.../recordings``: start, stop and delete through the recorder; list, get, files and
thumbnails from the catalog in KV (:mod:`.reads`), so they answer while no recorder runs.

Files are found by recording id through the catalog; nothing a client sends is ever joined
into a path. Range requests (206) come from Starlette's FileResponse."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from camrec_contracts.errors import CamrecError, ErrorCode
from camrec_contracts.recordings import (
    DELETE_RECORDING,
    MAX_DURATION_S,
    PRESETS_S,
    RECORDING_ID_PATTERN,
    START_RECORDING,
    STOP_RECORDING,
    Recording,
    RecordingList,
    RecordingRef,
    StartRecordingRequest,
)
from camrec_runtime.rpc import call

from .errors import ERROR_RESPONSES
from .sessions import bus_of as _bus
from .sessions import json_response, reads_of
from .sessions import session_ref as _ref

router = APIRouter(prefix="/api", tags=["recordings"], responses=ERROR_RESPONSES)


class StartRecordingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    duration_s: float | None = Field(
        default=None,
        gt=0,
        le=MAX_DURATION_S,
        description=f"{', '.join(map(str, PRESETS_S))} or any seconds up to 24 h; "
        "null = until stopped",
    )


def _rec_ref(recording_id: str) -> RecordingRef:
    if not re.match(RECORDING_ID_PATTERN, recording_id):
        raise CamrecError(ErrorCode.NOT_FOUND, f"no recording {recording_id[:40]!r}")
    return RecordingRef(id=recording_id)


async def _recording(request: Request, recording_id: str) -> Recording:
    return await reads_of(request).recording(_rec_ref(recording_id).id)


async def _written(request: Request, recording: Recording) -> Recording:
    """``recording`` as the recorder answered it, once the catalog mirror has the write."""
    reads = reads_of(request)
    await reads.after_write(reads.recordings)
    return recording


def _dir(request: Request) -> Path:
    root: Path = request.app.state.settings.recordings_dir
    return root


@router.post("/sessions/{session_id}/recordings", status_code=202, response_model=Recording)
async def start_recording(session_id: str, body: StartRecordingBody, request: Request) -> Recording:
    """Start recording a session: 202 (starting); 404 session; 409 recording; 507 disk."""
    req = StartRecordingRequest(session_id=_ref(session_id).id, duration_s=body.duration_s)
    return await _written(request, await call(_bus(request).nc, START_RECORDING, req))


@router.post("/recordings/{recording_id}/stop", response_model=Recording)
async def stop_recording(recording_id: str, request: Request) -> Recording:
    """Stop; answers once FFmpeg has stopped: the final record, or ``finalizing`` while the
    final file of a long recording is made (its end follows on ``/api/events``)."""
    return await _written(
        request, await call(_bus(request).nc, STOP_RECORDING, _rec_ref(recording_id))
    )


@router.get("/recordings", response_model=RecordingList)
async def list_recordings(request: Request) -> Response:
    return json_response(await reads_of(request).recording_list_json())


@router.get("/recordings/{recording_id}", response_model=Recording)
async def get_recording(recording_id: str, request: Request) -> Recording:
    return await _recording(request, recording_id)


@router.delete("/recordings/{recording_id}", status_code=204, response_class=Response)
async def delete_recording(recording_id: str, request: Request) -> Response:
    await call(_bus(request).nc, DELETE_RECORDING, _rec_ref(recording_id))
    reads = reads_of(request)
    await reads.after_write(reads.recordings)
    return Response(status_code=204)


@router.get("/recordings/{recording_id}/file", response_class=FileResponse)
async def recording_file(
    recording_id: str, request: Request, download: bool = False
) -> FileResponse:
    """The MP4 (Range requests answered 206); ``?download=1`` to save it under its name."""
    rec = await _recording(request, recording_id)
    path = _dir(request) / rec.file_name  # the name comes from the catalog
    if path.parent != _dir(request) or not path.is_file():
        raise CamrecError(ErrorCode.NOT_FOUND, f"recording {rec.id} has no file yet")
    return FileResponse(
        path,
        media_type="video/mp4",
        filename=rec.file_name if download else None,
        content_disposition_type="attachment" if download else "inline",
    )


@router.get("/recordings/{recording_id}/thumbnail", response_class=FileResponse)
async def recording_thumbnail(recording_id: str, request: Request) -> FileResponse:
    rec = await _recording(request, recording_id)
    path = _dir(request) / ".thumbnails" / f"{rec.id}.jpg"
    if not rec.has_thumbnail or not path.is_file():
        raise CamrecError(ErrorCode.NOT_FOUND, f"recording {rec.id} has no thumbnail")
    return FileResponse(path, media_type="image/jpeg")
