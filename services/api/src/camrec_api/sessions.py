"""``/api/sessions``: open and close through the proxy; list and get from KV (:mod:`.reads`),
so they answer while no proxy runs."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from camrec_contracts.camera_url import InvalidCameraUrl, parse_camera_url
from camrec_contracts.errors import CamrecError, ErrorCode
from camrec_contracts.sessions import (
    CLOSE_SESSION,
    OPEN_SESSION,
    SESSION_ID_PATTERN,
    OpenSessionRequest,
    Session,
    SessionList,
    SessionRef,
)
from camrec_runtime.bus import Bus
from camrec_runtime.rpc import call

from .errors import ERROR_RESPONSES
from .reads import Reads

router = APIRouter(prefix="/api/sessions", tags=["sessions"], responses=ERROR_RESPONSES)


class OpenSessionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=16384, description="rtsp://, rtsps://, http:// or https://")
    name: str | None = Field(default=None, max_length=80)


def bus_of(request: Request) -> Bus:
    bus: Bus = request.app.state.bus
    return bus


def reads_of(request: Request) -> Reads:
    reads: Reads = request.app.state.reads
    return reads


def json_response(body: bytes) -> Response:
    """A reply made as JSON already (the lists, made once per change)."""
    return Response(content=body, media_type="application/json")


def session_ref(session_id: str) -> SessionRef:
    if not re.match(SESSION_ID_PATTERN, session_id):
        raise CamrecError(ErrorCode.NOT_FOUND, f"no session {session_id[:40]!r}")
    return SessionRef(id=session_id)


@router.post("", status_code=201, response_model=Session)
async def open_session(body: OpenSessionBody, request: Request) -> Session:
    """Open a camera: 201 with the probed session; 422 bad URL; 400 limit; 502 camera."""
    try:
        parse_camera_url(body.url)  # refuse early, with the same words the proxy would use
    except InvalidCameraUrl as error:
        raise CamrecError(ErrorCode.INVALID_REQUEST, str(error)) from None
    session = await call(bus_of(request).nc, OPEN_SESSION, OpenSessionRequest(**body.model_dump()))
    reads = reads_of(request)
    await reads.after_write(reads.sessions)  # a get right after the open finds it
    return session


@router.get("", response_model=SessionList)
async def list_sessions(request: Request) -> Response:
    return json_response(await reads_of(request).session_list_json())


@router.get("/{session_id}", response_model=Session)
async def get_session(session_id: str, request: Request) -> Session:
    return await reads_of(request).session(session_ref(session_id).id)


@router.delete("/{session_id}", status_code=204, response_class=Response)
async def close_session(session_id: str, request: Request) -> Response:
    closed = await call(bus_of(request).nc, CLOSE_SESSION, session_ref(session_id))
    reads = reads_of(request)
    await reads.after_write(reads.sessions)
    if not closed.closed:
        raise CamrecError(ErrorCode.NOT_FOUND, f"no session {session_id}")
    return Response(status_code=204)
