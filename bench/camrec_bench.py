"""``./scripts/bench``: camrec's CPU, memory and latencies on this machine, and the naive
design's in the same run. Prints a table; writes bench/results/latest.json and a PNG chart.

Cameras are the simulators (their own CPU is not counted): the clock camera (1280x720 25 fps
H.264 + AAC, capture time burned into each frame) and the MJPEG camera (1280x720, irregular
timing). The stack is the local stack, relaying RTSP through MediaMTX and MJPEG through
go2rtc as compose does (both relays' CPU is camrec's). Every viewer goes through nginx, as a
browser does.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import nats

from camrec_contracts.previews import PREVIEW_STATS, PreviewStatsRequest
from camrec_contracts.rpc import call
from camrec_devstack.cameras.mjpeg import MjpegCamera
from camrec_devstack.cameras.rtsp import H264_CLOCK, RtspCameras, start_rtsp_cameras
from camrec_devstack.paths import REPO, binary
from camrec_devstack.procs import ManagedProcess, free_port
from camrec_devstack.settings import StackSettings
from camrec_devstack.stack import LocalStack

sys.path.insert(0, str(Path(__file__).parent))
import api_bench
from baseline import record_command
from measure import CpuWindow, Viewer, peak_rss_mb, percentile
from report import write_api_report, write_report

CAMREC_GROUPS = (
    "proxy", "recorder", "previewer", "api", "mediamtx", "go2rtc", "nats-server", "nginx",
)  # fmt: skip


class Bench:
    def __init__(self, seconds: float, tmp: Path) -> None:
        self.seconds = seconds
        self.tmp = tmp
        self.results: dict[str, Any] = {"seconds_per_scenario": seconds, "scenarios": {}}
        self.cameras: RtspCameras = start_rtsp_cameras(tmp / "cameras")
        self.mjpeg = MjpegCamera(width=1280, height=720).start()
        ports = (
            "http_port", "api_port", "previewer_port", "nats_port", "nats_monitor_port",
            "mediamtx_api_port", "mediamtx_rtsp_port", "go2rtc_api_port", "go2rtc_rtsp_port",
            "democam_api_port", "democam_rtsp_port",
        )  # fmt: skip
        settings = StackSettings.model_validate(
            {"state_dir": tmp / "state", "recordings_dir": tmp / "recordings"}
            | {port: free_port() for port in ports}
        )
        self.stack = LocalStack(settings)
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
        rec = response.json()
        while rec["state"] in ("recording", "reconnecting", "finalizing"):
            if time.monotonic() - began > 60:
                raise RuntimeError(f"recording {rec_id} not final 60 s after its stop")
            await asyncio.sleep(0.05)
            response = await self.http.get(f"/api/recordings/{rec_id}")
            response.raise_for_status()
            rec = response.json()
        return time.monotonic() - began, rec

    async def measure(
        self, name: str, sessions: int, viewers: list[Viewer], exclude: set[int] | None = None
    ) -> None:
        await asyncio.sleep(3)  # warm-up: captures live, recordings past their first fragment
        for v in viewers:
            v.recording = True
        window = CpuWindow(self.roots(), exclude or set())
        window.start()
        await asyncio.sleep(self.seconds)  # the measurement window itself
        wall, used = window.stop()
        for v in viewers:
            v.recording = False
        total = sum(used.values())
        lat = [x for v in viewers for x in v.latencies]
        self.results["scenarios"][name] = {
            "sessions": sessions,
            "cpu_pct_total": round(100 * total / wall, 1),
            "cpu_pct_per_session": round(100 * total / wall / sessions, 1),
            "cpu_pct_by_process": {k: round(100 * v / wall, 1) for k, v in used.items()},
            "preview_frames": sum(v.frames for v in viewers),
            "preview_latency_ms": _latency(lat),
            "peak_rss_mb": {
                m.name: round(peak_rss_mb(m.proc.pid), 1)  # type: ignore[union-attr]
                for m in self.stack.members
                if m.name in CAMREC_GROUPS
            },
        }
        for v in viewers:
            v.latencies.clear()
        print(f"  {name}: {self.results['scenarios'][name]['cpu_pct_total']} % of a core")

    def viewer(self, session_id: str) -> Viewer:
        return Viewer(f"{self.ws_base}/ws/preview/{session_id}").start()

    async def camrec(self) -> None:
        clock = self.cameras.url(H264_CLOCK)
        a = await self.open(clock, "bench-a")
        rec_a, start_a = await self.record(a)
        view_a = self.viewer(a)
        await self.measure("camrec_1_h264", 1, [view_a])

        b, c = await self.open(clock, "bench-b"), await self.open(clock, "bench-c")
        (rec_b, start_b), (rec_c, start_c) = await self.record(b), await self.record(c)
        views = [view_a, self.viewer(b), self.viewer(c)]
        await self.measure("camrec_3_h264", 3, views)
        stop_b, _ = await self.stop(rec_b["id"])
        stop_c, _ = await self.stop(rec_c["id"])
        for v in views:
            await v.stop()
        for sid in (b, c):
            await self.http.delete(f"/api/sessions/{sid}")

        await self.wait_no_capture()  # session A's preview capture idles out first
        m = await self.open(self.mjpeg.url, "bench-mjpeg")
        rec_m, start_m = await self.record(m)
        view_m = self.viewer(m)
        a_ffmpeg = {p for p in _ffmpeg_pids() if rec_a["id"] in _cmdline(p)}
        await self.measure("camrec_1_mjpeg", 1, [view_m], exclude=a_ffmpeg)
        stop_m, _ = await self.stop(rec_m["id"])
        await view_m.stop()
        await self.http.delete(f"/api/sessions/{m}")
        self.results["record_start_s"] = [round(x, 2) for x in (start_a, start_b, start_c, start_m)]
        self.results["stop_s_60s_files"] = [round(x, 2) for x in (stop_b, stop_c, stop_m)]
        self.results["api"] = await api_bench.figures(
            "127.0.0.1", self.stack.s.http_port, self.roots(("api", "nginx"))
        )
        await self.baseline(clock, 1)
        await self.baseline(clock, 3)
        stop_a, final = await self.stop(rec_a["id"])
        self.results["stop_long_file"] = {
            "duration_s": final.get("duration_s"),
            "size_mb": round(final.get("size_bytes", 0) / 1e6, 1),
            "stop_s": round(stop_a, 2),
        }
        await self.http.delete(f"/api/sessions/{a}")

    async def wait_no_capture(self, timeout_s: float = 30) -> None:
        nc = await nats.connect(self.stack.s.local_nats_url)
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
        clock = self.cameras.url(H264_CLOCK)
        ids = [await self.open(clock, f"bench-api-{i}") for i in range(3)]
        try:
            self.results["api"] = await api_bench.figures(
                "127.0.0.1", self.stack.s.http_port, self.roots(("api", "nginx"))
            )
        finally:
            for sid in ids:
                await self.http.delete(f"/api/sessions/{sid}")

    # -- the naive design ------------------------------------------------------------------------
    async def baseline(self, camera: str, sessions: int) -> None:
        procs: list[ManagedProcess] = []
        viewers: list[Viewer] = []
        try:
            for i in range(sessions):
                out = self.tmp / f"baseline-{sessions}-{i}.mp4"
                procs.append(
                    ManagedProcess(
                        "naive-rec", record_command(binary("ffmpeg"), camera, str(out))
                    ).start()
                )
                port = free_port()
                argv = [
                    sys.executable,
                    str(Path(__file__).parent / "baseline.py"),
                    "preview",
                    camera,
                    str(port),
                ]
                proc = ManagedProcess("naive-preview", argv).start()
                proc.wait_port(port, timeout_s=30)
                procs.append(proc)
                viewers.append(Viewer(f"ws://127.0.0.1:{port}", naive=True).start())
            groups = {"naive": [p.pid for p in procs]}
            await asyncio.sleep(3)
            for v in viewers:
                v.recording = True
            window = CpuWindow(groups)
            window.start()
            await asyncio.sleep(self.seconds)
            wall, used = window.stop()
            lat = [x for v in viewers for x in v.latencies]
            self.results["scenarios"][f"naive_{sessions}_h264"] = {
                "sessions": sessions,
                "cpu_pct_total": round(100 * used["naive"] / wall, 1),
                "cpu_pct_per_session": round(100 * used["naive"] / wall / sessions, 1),
                "preview_frames": sum(v.frames for v in viewers),
                "preview_latency_ms": _latency(lat),
                "peak_rss_mb": {"naive-preview": round(max(peak_rss_mb(p.pid) for p in procs), 1)},
            }
            print(f"  naive_{sessions}_h264: {round(100 * used['naive'] / wall, 1)} % of a core")
        finally:
            for v in viewers:
                await v.stop()
            for p in procs:
                p.stop(grace_s=5)

    async def close(self) -> None:
        await self.http.aclose()
        self.stack.stop()
        self.mjpeg.stop()
        self.cameras.stop()


def _latency(values: list[float]) -> dict[str, Any]:
    ms = [1000 * v for v in values]
    high = max(ms) if ms else None
    return {"n": len(ms), "p50": _round(percentile(ms, 50)), "p95": _round(percentile(ms, 95)),
            "max": _round(high)}  # fmt: skip


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _ffmpeg_pids() -> list[int]:
    return [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and "ffmpeg" in _cmdline(int(p.name))
    ]


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except (FileNotFoundError, ProcessLookupError):
        return ""


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
    args = parser.parse_args()
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="camrec-bench-") as tmp:
        bench = Bench(args.seconds, Path(tmp))
        try:
            await (bench.api_only() if args.only == "api" else bench.camrec())
        finally:
            await bench.close()
    bench.results["bench_wall_s"] = round(time.monotonic() - began, 1)
    if args.only == "api":
        write_api_report(bench.results, args.out)
    else:
        write_report(bench.results, args.out)


if __name__ == "__main__":
    asyncio.run(main())
