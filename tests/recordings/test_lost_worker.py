"""kill -9 of a recorder worker that never comes back: another worker ends its recording
``interrupted`` within the grace period + 10 s, finishes the file when it sees the same
folder (else leaves it for the owner's return), and frees the session for a new recording.
Both workers are real processes (``python -m camrec_recorder``)."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import httpx

from camrec_contracts.services import RECORDER
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.cameras.rtsp import H264_AAC, RtspCameras
from camrec_devstack.natsd import NatsServerConfig
from camrec_devstack.procs import ManagedProcess
from camrec_recorder.sweeper import LEFT, LOST
from camrec_runtime.bus import Bus
from camrec_runtime.ping import ping_service
from tests.polling import poll
from tests.recordings.conftest import TERMINAL, open_session, wait_for, wait_recorded
from tests.recordings.workers import decoded_seconds, ffmpeg_pid, worker

GRACE_S = 5.0
SWEPT_WITHIN_S = GRACE_S + 10
"""The issue's bound: the grace, then at most one sweep period (half the grace here), then
the finish of a ~10 s file (~1 s). The killed worker's NATS connection is gone at once: the
kernel closes its socket, and its pings go unanswered anyway (measured below: the server
dropped it within one poll of the kill)."""


async def until_answering(bus: Bus, proc: ManagedProcess, worker_id: str) -> None:
    async def answers() -> bool:
        assert proc.running(), proc.tail()
        pings = await ping_service(bus.nc, RECORDER, timeout_s=0.5, gather_s=0.2)
        return any(p.metadata.get("worker") == worker_id for p in pings)

    await poll(answers, 30, f"worker {worker_id} answering pings")


async def record_on(
    api: httpx.AsyncClient, bus: Bus, url: str, owner: str
) -> tuple[dict[str, object], dict[str, object]]:
    session = await open_session(api, url)
    rec = (await api.post(f"/api/sessions/{session['id']}/recordings", json={})).json()
    running = await wait_for(api, rec["id"], {"recording"}, 15)
    assert running["owner"] == owner, running
    await wait_recorded(bus, rec["id"], 6)
    return session, rec


def kill(proc: ManagedProcess) -> float:
    os.kill(proc.pid, signal.SIGKILL)
    killed = time.monotonic()
    proc.proc.wait(10)  # type: ignore[union-attr]
    return killed


async def connections(nats: NatsServerConfig) -> int:
    async with httpx.AsyncClient() as client:
        connz = (await client.get(f"http://127.0.0.1:{nats.monitor_port}/connz")).json()
    return int(connz["num_connections"])


async def test_a_lost_worker_is_swept_by_another(
    api: httpx.AsyncClient,
    bus: Bus,
    nats_server: NatsServerConfig,
    nats_settings: CamrecSettings,
    rtsp_cameras: RtspCameras,
    tmp_path: Path,
) -> None:
    root = tmp_path / "recordings"
    grace = {"lost_worker_grace_s": f"{GRACE_S:g}"}
    lost = worker(nats_settings, root, "lost", **grace)
    sweeper: ManagedProcess | None = None
    try:
        await until_answering(bus, lost, "lost")
        session, rec = await record_on(api, bus, rtsp_cameras.url(H264_AAC), "lost")
        sweeper = worker(nats_settings, root, "sweeper", **grace)  # after: the job went to lost
        await until_answering(bus, sweeper, "sweeper")
        # a worker that answers is never swept: a window of the grace and two sweeps (the
        # sweeper pings every GRACE_S / 2) in which nothing may happen (a window, not a wait)
        await asyncio.sleep(GRACE_S * 2)
        still = (await api.get(f"/api/recordings/{rec['id']}")).json()
        assert still["state"] == "recording" and still["owner"] == "lost", still
        before = await connections(nats_server)
        killed = kill(lost)
        gone_s = await poll(
            lambda: _fewer(nats_server, before), 30, "the server dropping the killed connection"
        )
        print(f"the server dropped the killed worker's connection after {gone_s:.2f} s")
        done = await wait_for(api, str(rec["id"]), TERMINAL, SWEPT_WITHIN_S + 15)
        took = time.monotonic() - killed
        print(f"swept and finished {took:.1f} s after the kill (grace {GRACE_S:g} s)")
        assert done["state"] == "interrupted", done
        assert done["end_reason"] == LOST and done["owner"] == "sweeper", done
        assert took <= SWEPT_WITHIN_S, took
        # progress had reported 6 s before the kill; the file holds at least that, less ~2 s
        assert decoded_seconds(root / str(done["file_name"])) >= 6 - 2
        # the session is free again: a new recording starts, on the worker that is left
        again = await api.post(f"/api/sessions/{session['id']}/recordings", json={})
        assert again.status_code == 202, again.text
        running = await wait_for(api, again.json()["id"], {"recording"}, 15)
        assert running["owner"] == "sweeper"
        assert (await api.post(f"/api/recordings/{running['id']}/stop")).status_code == 200
    finally:
        lost.stop()
        if sweeper is not None:
            sweeper.stop()


async def test_a_file_no_one_else_sees_waits_for_its_owner(
    api: httpx.AsyncClient,
    bus: Bus,
    nats_settings: CamrecSettings,
    rtsp_cameras: RtspCameras,
    tmp_path: Path,
) -> None:
    """The other worker has its own folder: it ends the recording and frees the session, and
    the owner, started again later, finishes the file it left."""
    root = tmp_path / "recordings"
    grace = {"lost_worker_grace_s": f"{GRACE_S:g}"}
    owner = worker(nats_settings, root, "owner", **grace)
    elsewhere: ManagedProcess | None = None
    back: ManagedProcess | None = None
    try:
        await until_answering(bus, owner, "owner")
        session, rec = await record_on(api, bus, rtsp_cameras.url(H264_AAC), "owner")
        elsewhere = worker(nats_settings, tmp_path / "elsewhere", "elsewhere", **grace)
        await until_answering(bus, elsewhere, "elsewhere")
        killed = kill(owner)
        ended = await wait_for(api, str(rec["id"]), TERMINAL, SWEPT_WITHIN_S + 15)
        assert time.monotonic() - killed <= SWEPT_WITHIN_S
        assert ended["state"] == "interrupted" and ended["end_reason"] == LEFT, ended
        assert ended["owner"] == "owner" and ended["size_bytes"] == 0, ended
        assert (root / ".partial" / f"{rec['id']}.mp4").exists()
        again = await api.post(f"/api/sessions/{session['id']}/recordings", json={})
        assert again.status_code == 202, again.text  # the session is free
        await wait_for(api, again.json()["id"], {"recording"}, 15)
        assert (await api.post(f"/api/recordings/{again.json()['id']}/stop")).status_code == 200

        back = worker(nats_settings, root, "owner", **grace)
        await until_answering(bus, back, "owner")

        async def finished() -> bool:
            now = (await api.get(f"/api/recordings/{rec['id']}")).json()
            return bool(now["end_reason"] == LOST and now["size_bytes"] > 0)

        await poll(finished, 30, "the owner finishing the file left for it")
        done = (await api.get(f"/api/recordings/{rec['id']}")).json()
        assert done["state"] == "interrupted" and done["health"] is not None, done
        assert decoded_seconds(root / done["file_name"]) >= 6 - 2
    finally:
        for proc in (owner, elsewhere, back):
            if proc is not None:
                proc.stop()


async def _fewer(nats: NatsServerConfig, than: int) -> bool:
    return await connections(nats) < than


async def test_a_worker_frozen_past_the_grace_lets_go(
    api: httpx.AsyncClient,
    bus: Bus,
    nats_settings: CamrecSettings,
    rtsp_cameras: RtspCameras,
    tmp_path: Path,
) -> None:
    """SIGSTOP the owner for longer than the grace (as a partition would): another worker
    sweeps its recording; SIGCONT, and the owner, a stale writer now, stops its FFmpeg and
    changes nothing in the catalog."""
    root = tmp_path / "recordings"
    grace = {"lost_worker_grace_s": f"{GRACE_S:g}"}
    frozen = worker(nats_settings, root, "frozen", **grace)
    sweeper: ManagedProcess | None = None
    try:
        await until_answering(bus, frozen, "frozen")
        _, rec = await record_on(api, bus, rtsp_cameras.url(H264_AAC), "frozen")
        sweeper = worker(nats_settings, root, "sweeper", **grace)
        await until_answering(bus, sweeper, "sweeper")
        os.kill(frozen.pid, signal.SIGSTOP)
        try:
            done = await wait_for(api, str(rec["id"]), TERMINAL, SWEPT_WITHIN_S + 15)
        finally:
            os.kill(frozen.pid, signal.SIGCONT)
        assert done["owner"] == "sweeper" and done["end_reason"] == LOST, done
        partial = root / ".partial" / f"{rec['id']}.mp4"

        async def ffmpeg_gone() -> bool:
            try:
                ffmpeg_pid(partial)
            except AssertionError:
                return True
            return False

        # thawed, the owner stops its FFmpeg: its stall watchdog fires at once (the stall
        # time-out passed while it was frozen: 0.1-0.2 s after SIGCONT, seen), else its next
        # sweep (every GRACE_S / 2) finds the recording taken; a stop is q, then SIGINT and
        # SIGKILL 5 s apart. Its writes after that (reconnecting, finalizing) are refused:
        # with the catalog's rules off, it overwrote the sweeper's final record (seen).
        took = await poll(ffmpeg_gone, GRACE_S + 15, "the frozen owner's FFmpeg stopping")
        print(f"the thawed owner stopped its FFmpeg {took:.1f} s after SIGCONT")
        await until_answering(bus, frozen, "frozen")  # alive, and nothing it wrote stuck
        after = (await api.get(f"/api/recordings/{rec['id']}")).json()
        assert after == done, after
        assert decoded_seconds(root / str(done["file_name"])) >= 6 - 2
    finally:
        frozen.stop()
        if sweeper is not None:
            sweeper.stop()
