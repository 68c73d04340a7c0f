"""The soak run: simulators and the local stack on free ports, one session per recording,
samples every minute, the until-stopped recording stopped on time, then the files checked."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ..cameras.mjpeg import MjpegCamera
from ..cameras.rtsp import RtspCameras, start_rtsp_cameras
from ..paths import binary
from ..procs import ProcessFailed, free_port
from ..settings import StackSettings
from ..stack import LocalStack
from .measure import Sample, sample
from .plan import MJPEG, Planned, label
from .report import SIMULATOR, RecordingResult

TERMINAL = {"finished", "stopped", "interrupted", "failed"}
SAMPLE_EVERY_S = 60.0
POLL_S = 0.5
QUIET_POLL_S = 5.0
STARTED_WITHIN_S = 60.0
"""Every start reached ``recording`` within ~5 s on this machine; 60 s is for a loaded one."""
FINISH_GRACE_S = 600.0
"""After the last recording should have ended: the issue measured 18 s to final for 83 min."""
_PORTS = (
    "http_port", "api_port", "previewer_port", "nats_port", "nats_monitor_port",
    "mediamtx_api_port", "mediamtx_rtsp_port", "go2rtc_api_port", "go2rtc_rtsp_port",
    "democam_api_port", "democam_rtsp_port",
)  # fmt: skip


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during the soak."""


@dataclass
class Tracked:
    plan: Planned
    session_id: str = ""
    id: str = ""
    state: str = "starting"
    started: float = 0.0
    """monotonic, when the start was answered"""
    final_at: float | None = None
    final_wall: datetime | None = None
    record: dict[str, Any] | None = None
    stop_sent: float | None = None
    stop_reply_s: float | None = None
    stop_status: int | None = None


class Soak:
    def __init__(self, state_dir: Path, size: str, fps: int, stop: threading.Event) -> None:
        self.dir = state_dir
        self.size, self.fps = size, fps
        self.stop = stop
        self.cameras: RtspCameras | None = None
        self.mjpeg: MjpegCamera | None = None
        self.stack: LocalStack | None = None
        self.http: httpx.Client | None = None
        self.samples: list[Sample] = []

    # -- start and stop ------------------------------------------------------------------------
    def start(self, recordings: int) -> None:
        logs = self.dir / "logs"
        self.cameras = start_rtsp_cameras(
            self.dir / "cameras", logs / "cameras.log", size=self.size, fps=self.fps
        )
        width, height = (int(x) for x in self.size.split("x"))
        every = 1.0 / self.fps
        self.mjpeg = MjpegCamera(
            width=width, height=height, min_interval_s=every, max_interval_s=every
        ).start()
        settings = StackSettings.model_validate(
            {"state_dir": self.dir / "stack", "recordings_dir": self.dir / "recordings"}
            | {port: free_port() for port in _PORTS}
        )
        capacity = {
            "CAMREC_MAX_SESSIONS": str(recordings),
            "CAMREC_WORKER_CAPACITY": str(recordings),
        }
        self.stack = LocalStack(settings, extra_env=capacity)
        self.stack.start()
        health = self.stack.wait_healthy(60)
        if health.status_code != 200:
            raise ProcessFailed(f"stack not healthy: {health.text}")
        self.http = httpx.Client(base_url=self.stack.url, timeout=120)

    def close(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.stack is not None:
            self.stack.stop()
        if self.cameras is not None:
            self.cameras.stop()
        if self.mjpeg is not None:
            self.mjpeg.stop()

    def camera_url(self, camera: str) -> str:
        assert self.cameras is not None and self.mjpeg is not None
        return self.mjpeg.url if camera == MJPEG else self.cameras.url(camera)

    # -- the recordings ------------------------------------------------------------------------
    def begin(self, planned: list[Planned]) -> list[Tracked]:
        assert self.http is not None
        out = []
        for p in planned:
            t = Tracked(p)
            r = self.http.post(
                "/api/sessions", json={"url": self.camera_url(p.camera), "name": p.name}
            )
            r.raise_for_status()
            t.session_id = r.json()["id"]
            r = self.http.post(
                f"/api/sessions/{t.session_id}/recordings", json={"duration_s": p.preset_s}
            )
            r.raise_for_status()
            t.id, t.started = r.json()["id"], time.monotonic()
            out.append(t)
            print(f"[soak] {p.name}: {p.camera}, recording {t.id}", flush=True)
        return out

    def refresh(self, recs: list[Tracked]) -> None:
        assert self.http is not None
        for t in recs:
            if t.final_at is not None:
                continue
            try:
                rec = self.http.get(f"/api/recordings/{t.id}", timeout=10).json()
            except httpx.HTTPError:
                continue  # a slow answer is "not yet"; the next poll asks again
            t.state, t.record = rec["state"], rec
            if t.state in TERMINAL:
                t.final_at, t.final_wall = time.monotonic(), datetime.now(UTC)

    def wait_recording(self, recs: list[Tracked]) -> None:
        deadline = time.monotonic() + STARTED_WITHIN_S
        while not all(t.state != "starting" for t in recs):
            if time.monotonic() > deadline:
                states = {t.plan.name: t.state for t in recs}
                raise ProcessFailed(f"not all recording after {STARTED_WITHIN_S} s: {states}")
            self.tick()
            self.refresh(recs)

    def tick(self) -> None:
        if self.stop.wait(POLL_S):
            raise Interrupted
        assert self.stack is not None
        self.stack.watch_once()

    def take_sample(self, since: float) -> None:
        assert self.stack is not None
        members = {m.name: m.proc.pid for m in self.stack.members if m.proc is not None}
        if self.cameras is not None:  # not camrec: the load the simulators add (not checked)
            members[f"{SIMULATOR}go2rtc cameras"] = self.cameras.process.pid
        self.samples.append(sample(members, since))
        (self.dir / "samples.json").write_text(
            json.dumps([s.as_json() for s in self.samples], indent=1)
        )

    def send_stop(self, t: Tracked) -> None:
        assert self.http is not None
        t.stop_sent = time.monotonic()
        try:
            r = self.http.post(f"/api/recordings/{t.id}/stop")
            t.stop_status = r.status_code
        except httpx.HTTPError as error:
            print(f"[soak] stop of {t.plan.name} failed: {error!r}", flush=True)
        t.stop_reply_s = time.monotonic() - t.stop_sent
        print(
            f"[soak] stopped {t.plan.name}: {t.stop_status} in {t.stop_reply_s:.2f} s", flush=True
        )

    def follow(self, recs: list[Tracked], stop_after_s: float) -> None:
        """Poll until every recording is final; sample and print a line every minute."""
        since = time.monotonic()
        self.take_sample(since)
        longest = max([t.plan.preset_s or 0.0 for t in recs] + [stop_after_s])
        deadline = since + longest + FINISH_GRACE_S
        next_sample = since + SAMPLE_EVERY_S
        until = [t for t in recs if t.plan.preset_s is None]
        last_refresh = 0.0
        while any(t.final_at is None for t in recs):
            now = time.monotonic()
            if now > deadline:
                raise ProcessFailed("recordings not final: " + self.states(recs))
            for t in until:
                if t.stop_sent is None and now - t.started >= stop_after_s:
                    self.send_stop(t)
            if now >= next_sample:
                self.take_sample(since)
                next_sample += SAMPLE_EVERY_S
                print(f"[soak] {label(now - since):>8}  {self.states(recs)}", flush=True)
            self.tick()
            # Every 0.5 s from 5 s before a recording is due to end (its time to final is
            # measured to that resolution); every 5 s before, so polling is no load of note.
            due = any(
                t.final_at is None and now >= t.started + (t.plan.preset_s or stop_after_s) - 5
                for t in recs
            )
            if due or now - last_refresh >= QUIET_POLL_S:
                self.refresh(recs)
                last_refresh = now
        self.take_sample(since)
        print(f"[soak] all final after {label(time.monotonic() - since)}", flush=True)

    @staticmethod
    def states(recs: list[Tracked]) -> str:
        return ", ".join(f"{t.plan.name}={t.state}" for t in recs)

    # -- results -------------------------------------------------------------------------------
    def result(self, t: Tracked) -> RecordingResult:
        assert self.stack is not None
        rec = t.record or {}
        health = rec.get("health") or {}
        out = RecordingResult(
            name=t.plan.name,
            camera=t.plan.camera,
            preset_s=t.plan.preset_s,
            state=t.state,
            file_ok=False,
            verdict=health.get("verdict"),
            av_drift_ms=health.get("av_drift_ms"),
            stop_reply_s=t.stop_reply_s,
            stop_status=t.stop_status,
            expected_state="finished" if t.plan.preset_s is not None else "stopped",
        )
        if t.stop_sent is not None and t.final_at is not None:
            out.to_final_s = t.final_at - t.stop_sent
        elif t.plan.preset_s is not None and t.final_wall is not None and "started_at" in rec:
            began = datetime.fromisoformat(rec["started_at"])
            out.to_final_s = (
                t.final_wall - began - timedelta(seconds=t.plan.preset_s)
            ).total_seconds()
        path = self.stack.s.recordings_dir / str(rec.get("file_name", ""))
        if rec.get("file_name") and path.is_file():
            probe = ffprobe(path)
            if probe is not None:
                out.file_ok = True
                out.duration_s, out.frames, out.codecs = probe
        return out


def ffprobe(path: Path) -> tuple[float, int | None, str] | None:
    """(duration, video packets, "video+audio codecs") or None when ffprobe cannot read it."""
    argv = [
        binary("ffprobe"), "-v", "error", "-count_packets", "-show_entries",
        "stream=codec_type,codec_name,nb_read_packets:format=duration", "-of", "json", str(path),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        return None
    info = json.loads(done.stdout)
    streams = info.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None or "duration" not in info.get("format", {}):
        return None
    frames = int(video["nb_read_packets"]) if "nb_read_packets" in video else None
    codecs = "+".join(s.get("codec_name", "?") for s in streams)
    return float(info["format"]["duration"]), frames, codecs
