"""The naive design's scenarios (``naive_1_h264``, ``naive_3_h264`` and, beside a CPU hog,
``naive_3_overload``): per session, FFmpeg re-encoding the camera and a preview process
queueing full-size JPEGs (``baseline.py``), read by the same JPEG viewer as camrec's."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import stress
from baseline import record_command
from measure import CpuWindow, Viewer, latency_summary, peak_rss_mb

from camrec_devstack.paths import binary
from camrec_devstack.procs import ManagedProcess, free_port

if TYPE_CHECKING:
    from camrec_bench import Bench


async def naive(bench: Bench, camera: str, sessions: int, overload: bool = False) -> None:
    name = f"naive_{sessions}_{'overload' if overload else 'h264'}"
    procs: list[ManagedProcess] = []
    viewers: list[Viewer] = []
    try:
        for i in range(sessions):
            out = bench.tmp / f"{name}-{i}.mp4"
            procs.append(
                ManagedProcess(
                    "naive-rec", record_command(binary("ffmpeg"), camera, str(out))
                ).start()
            )
            port = free_port()
            argv = [sys.executable, str(Path(__file__).parent / "baseline.py"), "preview", camera,
                    str(port)]  # fmt: skip
            proc = ManagedProcess("naive-preview", argv).start()
            proc.wait_port(port, timeout_s=30)
            procs.append(proc)
            viewers.append(Viewer(f"ws://127.0.0.1:{port}", naive=True).start())
        groups = {"naive": [p.pid for p in procs]}
        load: stress.Load | None = None
        with contextlib.ExitStack() as stack:
            if overload:
                load = stack.enter_context(stress.loaded([bench.cameras.process.pid]))
            await asyncio.sleep(3)
            for v in viewers:
                v.recording = True
            window = CpuWindow(groups)
            window.start()
            await asyncio.sleep(bench.seconds)
            wall, used = window.stop()
        lat = latency_summary([x for v in viewers for x in v.latencies])
        cpu = round(100 * used["naive"] / wall, 1)
        bench.results["scenarios"][name] = {
            "sessions": sessions,
            "cpu_pct_total": cpu,
            "cpu_pct_per_session": round(cpu / sessions, 1),
            "preview_frames": sum(v.frames for v in viewers),
            "preview_latency_ms": lat,
            "peak_rss_mb": {"naive-preview": round(max(peak_rss_mb(p.pid) for p in procs), 1)},
        } | (load.figures() if load is not None else {})
        print(f"  {name}: {cpu} % of a core, preview {lat}")
    finally:
        for v in viewers:
            await v.stop()
        for p in procs:
            p.stop(grace_s=5)
