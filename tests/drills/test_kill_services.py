"""Drill: ``kill -9`` of each service in turn during three until-stopped recordings, on the
whole local stack (LocalStack restarts a member that dies, as compose's
``restart: unless-stopped`` does), with a preview viewer connected through nginx.

Proxy, previewer and api hold nothing a recording needs: after each is killed and back, the
three recordings are still ``recording`` and never paused (progress events keep coming and
their elapsed time keeps pace with the clock), the sessions are all listed, and the viewer
(which reconnects by itself) gets frames again. The recorder owns the FFmpeg processes: they
get SIGTERM when it dies (PDEATHSIG) and end (at worst losing the fragment in progress, see
``TAIL_LOSS_S``); the restarted worker (same worker id: LocalStack doesn't set one, so it is
the host name) ends every recording ``interrupted`` with a reason and a final file that plays
to its end. No recording is lost, every one ends with a playable file and a truthful state,
and new recordings start."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.aio.client import Client
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from camrec_contracts.events import Event
from camrec_contracts.recordings import RECORDING_EVENTS, RecordingEvent
from camrec_devstack.cameras.rtsp import H264_AAC, H264_CLOCK, H264_NOAUDIO, RtspCameras
from camrec_devstack.procs import live_group_members
from camrec_devstack.stack import LocalStack, Member
from camrec_runtime.events import subscribe_events
from tests.fixtures.stack import start_own_stack
from tests.media import codecs, ffprobe_json, probe_frame_times, probe_streams
from tests.polling import poll
from tests.recordings.conftest import stop_and_wait

pytestmark = [pytest.mark.xdist_group("drills"), pytest.mark.slow]

CAMERAS = (H264_AAC, H264_NOAUDIO, H264_CLOCK)
TERMINAL = {"finished", "stopped", "interrupted", "failed"}
MAX_PROGRESS_GAP_S = 4.0
"""Progress events come every second; a longer silence means the recording was disturbed."""
LOST_SLACK_S = 2.0
"""How far a recording's elapsed time may fall behind the clock over a kill (event timing)."""
TAIL_LOSS_S = 1.5
"""How much of what progress reported before the recorder's SIGKILL the final file may lack:
the fragment FFmpeg held in memory (``fragment_s`` = 1 s) plus a frame or two. Known issue:
PDEATHSIG comes once per recorder *thread* the orphaned FFmpeg is handed to while the process
dies (main + one asyncio child-watcher thread per FFmpeg), and FFmpeg treats a second signal
as "abort I/O now", so its last fragment and trailer are often not written."""


# -- helpers ------------------------------------------------------------------------------------
@dataclass
class ProgressLog:
    """Every recording event seen on NATS, with the (monotonic) time it arrived."""

    progress: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    final: dict[str, RecordingEvent] = field(default_factory=dict)

    async def on_event(self, _: str, event: Event) -> None:
        if not isinstance(event, RecordingEvent):
            return
        if event.event == "progress" and event.elapsed_s is not None:
            self.progress.setdefault(event.recording_id, []).append(
                (time.monotonic(), event.elapsed_s)
            )
        elif event.event != "started":
            self.final[event.recording_id] = event

    def last(self, rid: str) -> tuple[float, float]:
        seen = self.progress.get(rid)
        return seen[-1] if seen else (0.0, 0.0)

    def max_gap(self, rid: str, since: float) -> float:
        """The longest silence between progress events from ``since`` until now."""
        times = [since, *(t for t, _ in self.progress.get(rid, []) if t > since)]
        times.append(time.monotonic())
        return max(b - a for a, b in itertools.pairwise(times))


@dataclass
class Viewer:
    """A preview viewer through nginx that reconnects by itself (0.2 s after a close)."""

    url: str
    connects: int = 0
    frames: list[float] = field(default_factory=list)
    bad_frames: int = 0

    async def run(self) -> None:
        while True:
            with contextlib.suppress(OSError, TimeoutError, WebSocketException):
                async with connect(self.url, open_timeout=5, max_size=4 * 2**20) as ws:
                    self.connects += 1
                    async for message in ws:
                        if isinstance(message, bytes):
                            if message.startswith(b"\xff\xd8"):
                                self.frames.append(time.monotonic())
                            else:
                                self.bad_frames += 1
            await asyncio.sleep(0.2)

    def frames_since(self, t: float) -> int:
        return sum(1 for f in self.frames if f > t)

    def first_frame_after(self, t: float) -> float | None:
        return next((f for f in self.frames if f > t), None)


@dataclass
class Drill:
    stack: LocalStack
    api: httpx.AsyncClient
    events: ProgressLog
    viewer: Viewer
    sessions: list[dict[str, Any]]
    recordings: list[dict[str, Any]]
    figures: list[str] = field(default_factory=list)

    def member(self, name: str) -> Member:
        return next(m for m in self.stack.members if m.name == name)

    async def recording(self, rid: str) -> dict[str, Any]:
        response = await self.api.get(f"/api/recordings/{rid}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def healthy(self) -> bool:
        return (await self.api.get("/health")).status_code == 200

    async def kill(self, name: str) -> tuple[float, float, float, int]:
        """SIGKILL the member, run the stack's watcher until it is running again, wait for
        ``/health`` 200. Returns (killed at, restarted after, healthy after, how many child
        processes the killed one had)."""
        member = self.member(name)
        old = member.proc
        assert old is not None and old.proc is not None
        popen = old.proc
        old_pid = popen.pid
        children = [pid for pid in live_group_members(old_pid) if pid != old_pid]
        killed = time.monotonic()
        popen.kill()  # kill -9 of the service process only, as the OOM killer would
        await asyncio.to_thread(popen.wait, 10)
        # The watcher, as ./scripts/dev runs it; watch_once blocks while the member starts,
        # so it runs to its end each time (never two at once).
        deadline = killed + 30
        while member.proc is old or member.proc is None or not member.proc.running():
            assert time.monotonic() < deadline, f"{name} not restarted by the watcher"
            await asyncio.to_thread(self.stack.watch_once)
            await asyncio.sleep(0.05)
        up_s = time.monotonic() - killed
        # Whatever the dead process had started (FFmpeg for the recorder) must be gone too:
        # nothing of the old instance goes on writing files behind the new one's back.
        orphans_gone_s = await poll(
            lambda: _async(not live_group_members(old_pid)), 10, f"{name}'s children exiting"
        )
        await poll(self.healthy, 30, f"/health 200 after {name} came back")
        healthy_s = time.monotonic() - killed
        print(
            f"\n{name}: killed (pid {old_pid}, {len(children)} children), running again "
            f"after {up_s:.2f} s (pid {member.proc.pid}), /health 200 after {healthy_s:.2f} s; "
            f"old process group empty {orphans_gone_s:.2f} s after the restart"
        )
        return killed, up_s, healthy_s, len(children)

    async def check_sessions_listed(self) -> None:
        listed = (await self.api.get("/api/sessions")).json()["sessions"]
        assert {s["id"] for s in listed} == {s["id"] for s in self.sessions}, listed

    async def check_recordings_go_on(self, name: str, killed: float, healthy_s: float) -> None:
        """Still ``recording``, progress resumed after the restart, and no pause: elapsed
        grew as much as the clock did since just before the kill."""
        for rec in self.recordings:
            now = await self.recording(rec["id"])
            assert now["state"] == "recording", f"after killing {name}: {now}"
            assert now["owner"] == rec["owner"], now
        recovered = killed + healthy_s
        resumed: list[float] = []
        worst_gap = worst_lag = 0.0
        for rec in self.recordings:
            rid = rec["id"]
            before_t, before_e = max(
                ((t, e) for t, e in self.events.progress[rid] if t <= killed), default=(0.0, 0.0)
            )

            async def grew(rid: str = rid, before_e: float = before_e) -> bool:
                t, e = self.events.last(rid)
                return t > recovered and e >= before_e + 2

            await poll(grew, 15, f"{rid} progress after killing {name}")
            first_after = next(t for t, _ in self.events.progress[rid] if t > killed)
            resumed.append(first_after - killed)
            t, e = self.events.last(rid)
            lag = (t - before_t) - (e - before_e)
            gap = self.events.max_gap(rid, killed)
            assert lag <= LOST_SLACK_S, (
                f"{rid} fell {lag:.1f} s behind the clock when {name} was killed"
            )
            assert gap <= MAX_PROGRESS_GAP_S, f"{rid}: no progress for {gap:.1f} s ({name})"
            worst_gap, worst_lag = max(worst_gap, gap), max(worst_lag, lag)
        self.figures.append(
            f"{name}: back {healthy_s:.2f} s; recordings undisturbed: first progress after the "
            f"kill within {max(resumed):.2f} s, longest gap {worst_gap:.2f} s, elapsed behind "
            f"the clock by {worst_lag:.2f} s at most"
        )

    async def check_preview(self, name: str, killed: float, healthy_s: float) -> None:
        async def frames_after_recovery() -> bool:
            return self.viewer.frames_since(killed + healthy_s) >= 5

        await poll(frames_after_recovery, 20, f"preview frames after killing {name}")
        first = self.viewer.first_frame_after(killed)
        assert first is not None
        print(
            f"{name}: preview viewer connections {self.viewer.connects}, first frame "
            f"{first - killed:.2f} s after the kill"
        )
        assert self.viewer.bad_frames == 0


async def _async(value: bool) -> bool:
    return value


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture
def stack(tmp_path: Path, rtsp_cameras: RtspCameras) -> Iterator[LocalStack]:
    local = start_own_stack(tmp_path, {"CAMREC_MAX_SESSIONS": "3"})
    try:
        yield local
    finally:
        local.stop()
    # kills, restarts, reclaims and sweeps, each service as its own NATS user: none refused
    assert local.refused_subjects() == []


@pytest.fixture
async def events(stack: LocalStack) -> AsyncIterator[ProgressLog]:
    log = ProgressLog()
    nc: Client = await nats.connect(stack.ops_nats_url, max_reconnect_attempts=-1)
    sub = await subscribe_events(nc, log.on_event, f"{RECORDING_EVENTS.prefix}.*")
    try:
        yield log
    finally:
        await sub.unsubscribe()
        await nc.close()


# -- the drill ----------------------------------------------------------------------------------
async def test_kill_each_service_during_three_recordings(
    stack: LocalStack, events: ProgressLog, rtsp_cameras: RtspCameras
) -> None:
    async with httpx.AsyncClient(base_url=stack.url, timeout=30) as api:
        sessions = []
        for camera in CAMERAS:
            opened = await api.post(
                "/api/sessions", json={"url": rtsp_cameras.url(camera), "name": camera}
            )
            assert opened.status_code == 201, opened.text
            sessions.append(dict(opened.json()))
        recordings = []
        for session in sessions:
            started = await api.post(f"/api/sessions/{session['id']}/recordings", json={})
            assert started.status_code == 202, started.text
            recordings.append(dict(started.json()))

        ws_url = stack.url.replace("http://", "ws://") + f"/ws/preview/{sessions[2]['id']}"
        viewer = Viewer(ws_url)
        viewing = asyncio.create_task(viewer.run())
        drill = Drill(stack, api, events, viewer, sessions, recordings)
        try:
            await _run(drill)
        finally:
            viewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await viewing
    print("\n" + "\n".join(drill.figures))


async def _run(d: Drill) -> None:
    # -- all three recording, the viewer getting frames ---------------------------------------
    for i, rec in enumerate(d.recordings):

        async def progressing(rid: str = rec["id"]) -> bool:
            return d.events.last(rid)[1] >= 2

        await poll(progressing, 30, f"recording {rec['id']} progress")
        d.recordings[i] = await d.recording(rec["id"])
        assert d.recordings[i]["state"] == "recording", d.recordings[i]
    worker = d.recordings[0]["owner"]
    assert worker and all(r["owner"] == worker for r in d.recordings), d.recordings
    await poll(lambda: _async(d.viewer.frames_since(0) >= 10), 20, "preview frames")
    assert d.viewer.connects == 1

    # -- proxy, previewer, api: nothing a recording needs ---------------------------------------
    for name in ("proxy", "previewer", "api"):
        connects = d.viewer.connects
        killed, _, healthy_s, _ = await d.kill(name)
        await d.check_recordings_go_on(name, killed, healthy_s)
        await d.check_sessions_listed()
        if name == "proxy":  # the restarted proxy still counts the three sessions' slots
            extra = await d.api.post(
                "/api/sessions", json={"url": d.sessions[0]["url"], "name": "fourth"}
            )
            assert extra.status_code == 400, extra.text
            assert extra.json()["code"] == "limit_reached", extra.text
        await d.check_preview(name, killed, healthy_s)
        if name == "previewer":
            assert d.viewer.connects > connects, "the viewer never reconnected"
        else:  # the preview doesn't go through the proxy or the api
            assert d.viewer.connects == connects, f"killing {name} cut the preview"

    # -- the recorder: every recording ends interrupted, with a final file that plays ----------
    last_elapsed = {r["id"]: d.events.last(r["id"])[1] for r in d.recordings}
    killed, up_s, healthy_s, ffmpegs = await d.kill("recorder")
    assert ffmpegs == len(d.recordings), f"the recorder ran {ffmpegs} FFmpeg, not 3"
    ended: dict[str, dict[str, Any]] = {}

    async def all_ended() -> bool:
        for rec in d.recordings:
            now = await d.recording(rec["id"])
            if now["state"] in TERMINAL:
                ended[rec["id"]] = now
        return len(ended) == len(d.recordings)

    await poll(all_ended, 45, "the restarted recorder ending its recordings")
    final_s = time.monotonic() - killed
    root = d.stack.s.recordings_dir
    for rec, camera in zip(d.recordings, CAMERAS, strict=True):
        done = ended[rec["id"]]
        assert done["state"] == "interrupted", done
        assert done["end_reason"], done
        assert done["owner"] == worker, f"a different worker id after the restart: {done}"
        await poll(lambda rid=rec["id"]: _async(rid in d.events.final), 10, "the interrupted event")
        event = d.events.final[rec["id"]]
        assert (event.event, event.reason) == ("interrupted", done["end_reason"]), event
        path = root / done["file_name"]
        assert path.is_file() and path.stat().st_size == done["size_bytes"] > 0, done
        assert not (root / ".partial").exists() or not any((root / ".partial").iterdir())
        # Nothing recorded is lost: the file holds what progress reported before the kill.
        duration = done["duration_s"]
        # (progress counts file time, from the first video frame, as the file does)
        lost = TAIL_LOSS_S
        assert duration is not None and duration >= last_elapsed[rec["id"]] - lost, (
            f"{camera}: file {duration} s, progress said {last_elapsed[rec['id']]} s"
        )
        streams = codecs(probe_streams(str(path)))
        assert streams == ({"video": "h264"} if camera == H264_NOAUDIO else
                           {"video": "h264", "audio": "aac"}), streams  # fmt: skip
        head = probe_frame_times(str(path), max_frames=50)
        assert len(head) == 50, f"{camera}: {len(head)} frames decoded at the start"
        tail = _tail_frame_times(str(path), duration - 3)
        assert tail and tail[-1] >= duration - 1.5, f"{camera}: tail {tail[-3:]} of {duration}"
        video = done["video"]
        packets = _video_packet_times(str(path))
        holes = [(a, b) for a, b in itertools.pairwise(packets) if b - a > 0.5]
        assert not holes, f"{camera}: video missing between {holes} (of {duration} s)"
        assert video and video["frames"] >= 20 * duration, video
        d.figures.append(
            f"recorder: {camera} {done['state']} ({done['end_reason']}), {duration:.1f} s "
            f"file (progress said {last_elapsed[rec['id']]:.1f} s before the kill), "
            f"{video['frames']} frames, {done['size_bytes']} bytes"
        )
    d.figures.append(
        f"recorder: back {healthy_s:.2f} s (process {up_s:.2f} s); all three final "
        f"{final_s:.2f} s after the kill"
    )
    await d.check_sessions_listed()

    # -- a new recording on the restarted worker -------------------------------------------------
    started = await d.api.post(f"/api/sessions/{d.sessions[0]['id']}/recordings", json={})
    assert started.status_code == 202, started.text
    rid = started.json()["id"]
    await poll(lambda: _async(d.events.last(rid)[1] >= 2), 30, "the new recording's progress")
    rec = await stop_and_wait(d.api, rid)
    assert rec["state"] == "stopped" and rec["owner"] == worker, rec
    assert len(probe_frame_times(str(root / rec["file_name"]), max_frames=25)) == 25
    d.figures.append(f"after the drill: a new recording ran {rec['duration_s']} s and stopped")


def _video_packet_times(path: str) -> list[float]:
    """Presentation times of every video packet, in order (no decoding: cheap)."""
    data = ffprobe_json(
        path, ["-select_streams", "v:0", "-show_entries", "packet=pts_time"], timeout_s=60
    )
    return sorted(float(p["pts_time"]) for p in data.get("packets", []) if "pts_time" in p)


def _tail_frame_times(path: str, start_s: float) -> list[float]:
    """Timestamps of the frames decoded from ``start_s`` to the end (the file's tail)."""
    return probe_frame_times(path, read_intervals=f"{max(0.0, start_s):.2f}%")
