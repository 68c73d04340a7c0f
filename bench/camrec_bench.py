"""``./scripts/bench``: camrec's CPU, memory and latencies on this machine, and the naive
design's in the same run. Prints a table; writes bench/results/latest.json and a PNG chart.

Scenarios (``--scenario NAME``, repeatable; all of :data:`DEFAULT_SCENARIOS` by default):
``h264_ws`` the H.264 path (units forwarded, the viewer decodes), ``jpeg`` the JPEG path as
before (1 and 3 H.264 sessions, 1 MJPEG, with the record/stop and api figures), ``overload``
3 JPEG-path sessions beside a CPU hog, ``naive`` the naive design, ``scale16`` 16 sessions of
one camera each with an H.264-path viewer; and, not by default, ``naive_overload``.

Cameras are the simulators (their own CPU is not counted): the clock camera (1280x720 25 fps
H.264, capture time burned into each frame; its video-only twin: with its AAC tone the
simulator's own RTSP muxer held each picture ~200 ms for the audio, see
``cameras/clock.encoder_command``) and the MJPEG camera (1280x720, irregular
timing). The stack is the local stack, relaying RTSP through MediaMTX and MJPEG through
go2rtc as compose does (both relays' CPU is camrec's). Every viewer goes through nginx, as a
browser does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import nats

from camrec_contracts.previews import PREVIEW_STATS, PreviewerStats, PreviewStatsRequest
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_devstack.cameras.rtsp import H264_CLOCK_VIDEO, RtspCameras, start_rtsp_cameras
from camrec_devstack.paths import REPO
from camrec_devstack.procs import free_port
from camrec_devstack.settings import StackSettings
from camrec_devstack.stack import LocalStack
from camrec_runtime.rpc import call

sys.path.insert(0, str(Path(__file__).parent))
import api_bench
import jpeg_bench
import stress
from camera_floor import CameraFloor
from h264_viewer import H264Viewer
from measure import TICK, CpuWindow, Viewer, cpu_ticks, latency_summary, peak_rss_mb
from naive_bench import naive
from report import write_api_report, write_report

CAMREC_GROUPS = (
    "proxy", "recorder", "previewer", "api", "mediamtx", "go2rtc", "nats-server", "nginx",
)  # fmt: skip
DEFAULT_SCENARIOS = ("h264_ws", "jpeg", "overload", "naive", "scale16")
SCENARIOS = (*DEFAULT_SCENARIOS, "naive_overload")
SCALE_ENV = {"CAMREC_MAX_SESSIONS": str(stress.SCALE), "CAMREC_WORKER_CAPACITY": str(stress.SCALE)}
"""The stack's limits when ``scale16`` runs (3 sessions and 3 recordings per worker by
default); nothing else reads them."""

AnyViewer = Viewer | H264Viewer


class Bench:
    def __init__(self, seconds: float, tmp: Path, env: dict[str, str] | None = None) -> None:
        self.seconds = seconds
        self.tmp = tmp
        self.results: dict[str, Any] = {"seconds_per_scenario": seconds, "scenarios": {}}
        self.results["stack_env"] = env or {}
        self.cameras: RtspCameras = start_rtsp_cameras(tmp / "cameras")
        self.mjpeg_camera = MjpegCamera(width=1280, height=720).start()
        ports = (
            "http_port", "api_port", "previewer_port", "nats_port", "nats_monitor_port",
            "mediamtx_api_port", "mediamtx_rtsp_port", "go2rtc_api_port", "go2rtc_rtsp_port",
            "democam_api_port", "democam_rtsp_port",
        )  # fmt: skip
        settings = StackSettings.model_validate(
            {"state_dir": tmp / "state", "recordings_dir": tmp / "recordings"}
            | {port: free_port() for port in ports}
        )
        self.stack = LocalStack(settings, extra_env=env)
        self.stack.start()
        self.stack.wait_healthy(60)
        self.http = httpx.AsyncClient(base_url=self.stack.url, timeout=30)
        self.ws_base = self.stack.url.replace("http://", "ws://")

    def roots(self, names: tuple[str, ...] = CAMREC_GROUPS) -> dict[str, list[int]]:
        return {m.name: [m.proc.pid] for m in self.stack.members if m.name in names}  # type: ignore[union-attr]

    # -- camrec ---------------------------------------------------------------------------------
    async def open(self, url: str, name: str) -> str:
        response = await self.http.post("/api/sessions", json={"url": url, "name": name})
        response.raise_for_status()
        return str(response.json()["id"])

    async def record(self, session_id: str) -> tuple[dict[str, Any], float]:
        """Start an until-stopped recording; seconds until its first fragment is on disk."""
        began = time.monotonic()
        response = await self.http.post(
            f"/api/sessions/{session_id}/recordings", json={"duration_s": None}
        )
        response.raise_for_status()
        rec = response.json()
        partial = self.stack.s.recordings_dir / ".partial" / f"{rec['id']}.mp4"
        while not (partial.exists() and b"moof" in partial.read_bytes()[:65536]):
            if time.monotonic() - began > 30:
                raise RuntimeError("no fragment after 30 s")
            await asyncio.sleep(0.02)
        return rec, time.monotonic() - began

    async def stop(self, rec_id: str) -> tuple[float, dict[str, Any]]:
        """Stop → final file (s) and the final record; stop → reply goes to ``stop_reply_s``
        (the reply comes once FFmpeg has stopped, possibly before the file is final)."""
        began = time.monotonic()
        response = await self.http.post(f"/api/recordings/{rec_id}/stop")
        response.raise_for_status()
        self.results.setdefault("stop_reply_s", []).append(round(time.monotonic() - began, 2))
        rec = await self.wait_final(rec_id, response.json(), began + 60)
        return time.monotonic() - began, rec

    async def wait_final(self, rec_id: str, rec: dict[str, Any], deadline: float) -> dict[str, Any]:
        while rec["state"] in ("recording", "reconnecting", "finalizing"):
            if time.monotonic() > deadline:
                raise RuntimeError(f"recording {rec_id} not final in time after its stop")
            await asyncio.sleep(0.05)
            response = await self.http.get(f"/api/recordings/{rec_id}")
            response.raise_for_status()
            rec = response.json()
        return rec

    async def measure(
        self,
        name: str,
        sessions: int,
        viewers: Sequence[AnyViewer],
        exclude: set[int] | None = None,
        warm_up_s: float = 3,
        beside: CameraFloor | None = None,
    ) -> dict[str, Any]:
        """CPU of camrec's processes and the viewers' latencies over the window; the bench's
        own CPU beside (this process and the H.264 viewers' decoders: the browser's share,
        not counted in camrec's, but on the same cores)."""
        await asyncio.sleep(warm_up_s)  # captures live, recordings past their first fragment
        for v in [*viewers, *([beside] if beside else [])]:
            v.recording = True
        decoders = [v.decoder_pid for v in viewers if isinstance(v, H264Viewer) and v.decoder_pid]
        window = CpuWindow(self.roots(), exclude or set())
        client = CpuWindow({"decoders": decoders})
        own = cpu_ticks(os.getpid())
        window.start()
        client.start()
        await asyncio.sleep(self.seconds)  # the measurement window itself
        wall, used = window.stop()
        _, client_used = client.stop()
        own_s = (cpu_ticks(os.getpid()) - own) / TICK
        for v in [*viewers, *([beside] if beside else [])]:
            v.recording = False
        total = sum(used.values())
        lat = [x for v in viewers for x in v.latencies]
        silent = sum(not v.latencies for v in viewers)
        result: dict[str, Any] = {
            "sessions": sessions,
            "cpu_pct_total": round(100 * total / wall, 1),
            "cpu_pct_per_session": round(100 * total / wall / sessions, 1) if sessions else None,
            "cpu_pct_by_process": {k: round(100 * v / wall, 1) for k, v in used.items()},
            "preview_frames": sum(v.frames for v in viewers),
            "preview_latency_ms": latency_summary(lat),
            "viewers_without_pictures": silent,
            "bench_client_cpu_pct": round(100 * (own_s + client_used["decoders"]) / wall, 1),
            "peak_rss_mb": {
                m.name: round(peak_rss_mb(m.proc.pid), 1)  # type: ignore[union-attr]
                for m in self.stack.members
                if m.name in CAMREC_GROUPS
            },
        }
        h264 = [v for v in viewers if isinstance(v, H264Viewer)]
        if h264:
            result["viewer_decode_ms"] = latency_summary([x for v in h264 for x in v.decode_s])
            result["stamps_unreadable"] = sum(v.unreadable for v in h264)
            result["pictures_mispaired"] = sum(v.mispaired for v in h264)
            backlogs = [v.backlog_min for v in h264 if v.backlog_min is not None]
            result["decoder_backlog_min"] = min(backlogs, default=None)
        if beside is not None:  # the camera read directly, on the same frames
            result["camera_direct_latency_ms"] = latency_summary(beside.latencies)
            result["camera_direct_mispaired"] = beside.mispaired + beside.unreadable
        self.results["scenarios"][name] = result
        for v in viewers:
            v.latencies.clear()
            if isinstance(v, H264Viewer):
                v.decode_s.clear()
                v.backlog_min = None
        shown = result["preview_latency_ms"]
        print(f"  {name}: {result['cpu_pct_total']} % of a core, preview ms {shown}")
        return result

    def viewer(self, session_id: str) -> Viewer:
        return Viewer(f"{self.ws_base}/ws/preview/{session_id}").start()

    def h264_viewer(self, session_id: str) -> H264Viewer:
        return H264Viewer(f"{self.ws_base}/ws/preview/{session_id}?format=h264").start()

    async def run(self, chosen: set[str]) -> None:
        """Session A (the clock camera, recording until stopped) runs the whole bench; the
        chosen scenarios in turn around it."""
        clock = self.cameras.url(H264_CLOCK_VIDEO)
        if chosen & {"h264_ws", "scale16"}:  # what a session adds is measured against this
            await self.measure("camrec_idle", 0, [])
        a = await self.open(clock, "bench-a")
        rec_a, start_a = await self.record(a)
        starts = [start_a]
        if "h264_ws" in chosen:
            view = self.h264_viewer(a)
            floor = CameraFloor(clock).start()
            await self.measure("camrec_1_h264_ws", 1, [view], beside=floor)
            await view.stop()
            await floor.stop()
            await self.wait_no_capture()  # its reader idles out before the next scenario
        if chosen & {"jpeg", "overload"}:
            starts += await jpeg_bench.jpeg_path(self, a, clock, chosen)
        if "jpeg" in chosen:
            starts.append(await jpeg_bench.mjpeg(self, rec_a["id"]))
            self.results["api"] = await api_bench.figures(
                "127.0.0.1", self.stack.s.http_port, self.roots(("api", "nginx"))
            )
        if "naive" in chosen:
            await naive(self, clock, 1)
            await naive(self, clock, 3)
        if "naive_overload" in chosen:
            await naive(self, clock, 3, overload=True)
        if "scale16" in chosen:
            await self.wait_no_capture()
            await stress.scale(self, a, clock)
        self.results["record_start_s"] = [round(x, 2) for x in starts]
        stop_a, final = await self.stop(rec_a["id"])
        self.results["stop_long_file"] = {
            "duration_s": final.get("duration_s"),
            "size_mb": round(final.get("size_bytes", 0) / 1e6, 1),
            "stop_s": round(stop_a, 2),
        }
        await self.http.delete(f"/api/sessions/{a}")

    async def preview_stats(self) -> PreviewerStats:
        nc = await nats.connect(self.stack.ops_nats_url)
        try:
            return await call(nc, PREVIEW_STATS, PreviewStatsRequest())
        finally:
            await nc.close()

    async def wait_no_capture(self, timeout_s: float = 30) -> None:
        nc = await nats.connect(self.stack.ops_nats_url)
        try:
            deadline = time.monotonic() + timeout_s
            while (await call(nc, PREVIEW_STATS, PreviewStatsRequest())).sessions:
                if time.monotonic() > deadline:
                    raise RuntimeError("a preview capture is still running")
                await asyncio.sleep(0.2)
        finally:
            await nc.close()

    async def api_only(self) -> None:
        """``--only api``: the api's figures with three sessions of the clock camera open."""
        clock = self.cameras.url(H264_CLOCK_VIDEO)
        ids = [await self.open(clock, f"bench-api-{i}") for i in range(3)]
        try:
            self.results["api"] = await api_bench.figures(
                "127.0.0.1", self.stack.s.http_port, self.roots(("api", "nginx"))
            )
        finally:
            for sid in ids:
                await self.http.delete(f"/api/sessions/{sid}")

    async def close(self) -> None:
        await self.http.aclose()
        self.stack.stop()
        self.mjpeg_camera.stop()
        self.cameras.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description="camrec benchmark")
    parser.add_argument("--seconds", type=float, default=60, help="per scenario (default 60)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    parser.add_argument(
        "--only",
        choices=["api"],
        help="one scenario: api = GET /api/sessions at 100/s, idle and beside a CPU hog "
        "(about 1 minute; written to api.json, latest.json is left alone)",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIOS,
        help="run only these (repeatable; default: " + ", ".join(DEFAULT_SCENARIOS) + "); "
        "a partial run writes partial.json, latest.json is left alone",
    )
    parser.add_argument("--logs", type=Path, help="copy the stack's logs here at the end")
    args = parser.parse_args()
    chosen = set(args.scenario or DEFAULT_SCENARIOS)
    env = SCALE_ENV if "scale16" in chosen and args.only is None else None
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="camrec-bench-") as tmp:
        bench = Bench(args.seconds, Path(tmp), env)
        try:
            await (bench.api_only() if args.only == "api" else bench.run(chosen))
        finally:
            await bench.close()
            if args.logs is not None:
                shutil.copytree(bench.stack.logs, args.logs, dirs_exist_ok=True)
    bench.results["bench_wall_s"] = round(time.monotonic() - began, 1)
    bench.results["scenarios_run"] = sorted(chosen)
    if args.only == "api":
        write_api_report(bench.results, args.out)
    else:
        full = chosen >= set(DEFAULT_SCENARIOS)
        write_report(bench.results, args.out, "latest" if full else "partial")


if __name__ == "__main__":
    asyncio.run(main())
