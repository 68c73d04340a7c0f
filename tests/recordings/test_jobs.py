"""The queue of recording jobs loses nothing: a job whose take fails comes back and is
taken once it can be, and a start whose job can't be queued leaves no lock and no
recording "starting" behind.

Real nats-server and JetStream, the recorder worker, the api, MediaMTX and FFmpeg."""

from __future__ import annotations

import uuid

import httpx
from nats.js.api import AckPolicy, ConsumerConfig

from camrec_contracts.events import utcnow
from camrec_contracts.jetstream import JOBS_CONSUMER, JOBS_STREAM, JOBS_SUBJECT, RECORDINGS_BUCKET
from camrec_contracts.recordings import Recording, RecordingJob
from camrec_contracts.sessions import GET_SESSION, SessionRef
from camrec_devstack.cameras.rtsp import H264_NOAUDIO, RtspCameras
from camrec_recorder.files import file_name
from camrec_recorder.jobs import RETRY_S
from camrec_recorder.runner import new_recording_fields
from camrec_runtime.bus import Bus
from camrec_runtime.jetstream import ensure_jetstream
from camrec_runtime.rpc import call
from tests.media import probe_streams
from tests.polling import poll
from tests.recordings.conftest import (
    Recorders,
    open_session,
    stop_and_wait,
    wait_for,
    wait_recorded,
)

TAKE_S = 15.0
"""A queued job is taken within a second on an idle machine (the worker's pull is waiting at
the server); 15 s leaves room for a loaded one."""


async def test_a_job_whose_take_failed_is_taken_again(
    rapi: httpx.AsyncClient, bus: Bus, recorders: Recorders, rtsp_cameras: RtspCameras
) -> None:
    """The catalog entry is unreadable when the worker takes the job (as when NATS fails
    mid-take): the job comes back every RETRY_S until the entry is readable, then the
    recording runs and its file is right. Before, the job was acked anyway and the
    recording stayed "starting" forever."""
    session_id = (await open_session(rapi, rtsp_cameras.url(H264_NOAUDIO)))["id"]
    session = await call(bus.nc, GET_SESSION, SessionRef(id=session_id))
    rid, started = uuid.uuid4().hex[:12], utcnow()
    rec = Recording(
        id=rid,
        session_id=session.id,
        session_name=session.name,
        source=session.url,
        state="starting",
        requested_duration_s=None,
        started_at=started,
        file_name=file_name(session.name, started, rid),
        **new_recording_fields(session),  # type: ignore[arg-type]
    )
    kv = await bus.js.key_value(RECORDINGS_BUCKET)
    await kv.put(rid, b"{not a recording")
    await bus.js.publish(
        JOBS_SUBJECT, RecordingJob(recording_id=rid, session=session).model_dump_json().encode()
    )

    async def came_back() -> bool:
        info = await bus.js.consumer_info(JOBS_STREAM, JOBS_CONSUMER)
        return (info.num_redelivered or 0) >= 1

    await poll(came_back, TAKE_S + RETRY_S, "the failed job delivered again")
    await kv.put(rid, rec.model_dump_json().encode())
    running = await wait_for(rapi, rid, {"recording"}, TAKE_S + RETRY_S)
    assert running["owner"] == "w1"
    await wait_recorded(bus, rid, 2.0)
    final = await stop_and_wait(rapi, rid)
    assert final["state"] == "stopped", final["end_reason"]
    assert [s["codec_name"] for s in probe_streams(str(recorders.root / final["file_name"]))] == [
        "h264"
    ]


async def test_a_start_whose_job_cannot_be_queued_leaves_nothing_behind(
    rapi: httpx.AsyncClient, bus: Bus, rtsp_cameras: RtspCameras
) -> None:
    session_id = (await open_session(rapi, rtsp_cameras.url(H264_NOAUDIO)))["id"]
    await bus.js.delete_stream(JOBS_STREAM)  # the queue is gone: publishing a job fails
    refused = await rapi.post(f"/api/sessions/{session_id}/recordings", json={"duration_s": 60})
    assert refused.status_code == 503, refused.text
    assert "could not be queued" in refused.json()["message"], refused.text
    (left,) = (await rapi.get("/api/recordings")).json()["recordings"]
    left = await wait_for(rapi, left["id"], {"failed"}, TAKE_S)  # the api's copy follows KV
    assert "could not be queued" in left["end_reason"]

    await ensure_jetstream(bus.js)  # the queue is back (as any service's start makes it)
    await recorders_take_jobs_again(bus)
    again = await rapi.post(f"/api/sessions/{session_id}/recordings", json={"duration_s": 60})
    assert again.status_code == 202, again.text  # the session lock was released
    assert (await wait_for(rapi, again.json()["id"], {"recording"}, TAKE_S))["owner"] == "w1"


async def recorders_take_jobs_again(bus: Bus) -> None:
    """The stream was re-made: its consumer too, as a worker's start declares it."""
    await bus.js.add_consumer(
        JOBS_STREAM,
        ConsumerConfig(durable_name=JOBS_CONSUMER, ack_policy=AckPolicy.EXPLICIT, ack_wait=30),
    )
