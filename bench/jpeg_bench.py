"""The JPEG path's scenarios, as before the H.264 path: ``camrec_1_h264`` and
``camrec_3_h264`` (the clock camera, each session recording with one JPEG-path viewer), the
same 3 sessions beside a CPU hog (``overload_3_jpeg``, in ``stress``), and ``camrec_1_mjpeg``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import stress

if TYPE_CHECKING:
    from camrec_bench import Bench


async def jpeg_path(bench: Bench, a: str, clock: str, chosen: set[str]) -> list[float]:
    """1 then 3 sessions with a JPEG-path viewer each, then the 3 beside a CPU hog; the
    record starts of sessions B and C."""
    view_a = bench.viewer(a)
    if "jpeg" in chosen:
        await bench.measure("camrec_1_h264", 1, [view_a])
    b, c = await bench.open(clock, "bench-b"), await bench.open(clock, "bench-c")
    (rec_b, start_b), (rec_c, start_c) = await bench.record(b), await bench.record(c)
    views = [view_a, bench.viewer(b), bench.viewer(c)]
    if "jpeg" in chosen:
        await bench.measure("camrec_3_h264", 3, views)
    if "overload" in chosen:
        await stress.overload(bench, views)
    stops = [(await bench.stop(rec["id"]))[0] for rec in (rec_b, rec_c)]
    bench.results["stop_s_60s_files"] = [round(x, 2) for x in stops]
    for v in views:
        await v.stop()
    for sid in (b, c):
        await bench.http.delete(f"/api/sessions/{sid}")
    return [start_b, start_c]


async def mjpeg(bench: Bench, rec_a: str) -> float:
    """One MJPEG session, recording + a viewer (session A's recording excluded); its
    record start."""
    await bench.wait_no_capture()  # session A's preview capture idles out first
    m = await bench.open(bench.mjpeg_camera.url, "bench-mjpeg")
    rec_m, start_m = await bench.record(m)
    view_m = bench.viewer(m)
    a_ffmpeg = {p for p in _ffmpeg_pids() if rec_a in _cmdline(p)}
    await bench.measure("camrec_1_mjpeg", 1, [view_m], exclude=a_ffmpeg)
    stop_m, _ = await bench.stop(rec_m["id"])
    bench.results.setdefault("stop_s_60s_files", []).append(round(stop_m, 2))
    await view_m.stop()
    await bench.http.delete(f"/api/sessions/{m}")
    return start_m


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
