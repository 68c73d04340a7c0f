"""The bench's stress scenarios: the JPEG path beside a CPU hog (3 sessions, each recording
with one viewer: does the preview stay bounded when the CPU is short?), the same with the
previewer itself starved of CPU, and the scale figure
(16 sessions of one camera, each recording with one H.264-path viewer).

Beside the hog the client side is raised, as in the api's scenario (``api_bench``): this
process's threads (the viewers) and the camera simulators at :data:`api_bench.CLIENT_NICE`,
camrec and the hog at 0. The browser and the camera are not on the loaded machine; starved,
the simulator stamps frames it then hands to its encoder late, and the viewers read
arrivals late, and that would be counted as camrec's latency. Only when the bench runs at
nice 0: a niced run (``nice -n 19 ./scripts/bench``) never outranks other work.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from api_bench import CLIENT_NICE, HOG, cpu_hog
from measure import TICK, cpu_ticks, descendants

from camrec_contracts.previews import PreviewerStats
from camrec_devstack.starve import starved

if TYPE_CHECKING:
    from camrec_bench import AnyViewer, Bench
    from h264_viewer import H264Viewer

SCALE = 16
"""Sessions in the scale scenario (the stack's limits are raised to it for the run)."""
LIVE_TIMEOUT_S = 4.0 * SCALE
"""Every viewer has its first unit by then. Measured: the previewer's 16 readers on the
relay opened one after another, each ~2 s after the one before (2.06, 3.99, 5.81 ... 29.3 s:
OpenCV's FFmpeg backend opens under one lock, and an open waits for a key unit, one per 2 s
GOP here), so 2 s a session, doubled for a loaded machine."""
STOP_DEADLINE_S = 120.0
"""The scale scenario's 15 recordings are final by then (one worker finishes them; 3-7 s
each were measured on a loaded machine)."""


def _threads(pids: Iterable[int]) -> list[int]:
    """Every thread of these processes (``setpriority`` on a pid moves only its main one)."""
    tids: list[int] = []
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            tids += [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
    return tids


@contextlib.contextmanager
def raised(pids: Iterable[int]) -> Iterator[int]:
    """These processes' threads at :data:`CLIENT_NICE` for the block, if this one runs at
    nice 0; the nice they are at is yielded."""
    base = os.getpriority(os.PRIO_PROCESS, 0)
    changed: list[int] = []
    if base == 0:
        for tid in _threads(pids):
            with contextlib.suppress(PermissionError, ProcessLookupError):
                os.setpriority(os.PRIO_PROCESS, tid, CLIENT_NICE)
                changed.append(tid)
    try:
        yield CLIENT_NICE if changed else base
    finally:
        for tid in changed:
            with contextlib.suppress(ProcessLookupError):
                os.setpriority(os.PRIO_PROCESS, tid, base)


@dataclass
class Load:
    """A CPU hog running, and what it really got (set when the block ends)."""

    client_nice: int = 0
    figures_: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        return self.figures_


@contextlib.contextmanager
def loaded(client_pids: Iterable[int] = ()) -> Iterator[Load]:
    """A CPU hog (one busy-loop process at the bench's own nice) and the client raised:
    this process and ``client_pids`` with their children."""
    with cpu_hog() as hog:  # started before any raise: it stays at the bench's nice
        ticks, began = cpu_ticks(hog.pid), time.monotonic()
        client = {os.getpid()} | descendants(client_pids)
        with raised(client) as nice:
            load = Load(client_nice=nice)
            yield load
        share = (cpu_ticks(hog.pid) - ticks) / TICK / (time.monotonic() - began)
    load.figures_ = {
        "hog": HOG,
        "hog_cpu_pct": round(100 * share, 1),
        "client_nice": nice,
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def _skipped(stats: PreviewerStats) -> dict[str, tuple[int, int]]:
    return {
        s.session_id: (s.frames_in, s.frames_skipped_reading)
        for s in stats.sessions
        if s.format == "jpeg"
    }


STARVED_RUN_MS, STARVED_PERIOD_MS = 8, 100
"""``overload_starved_3_jpeg``: the previewer runs 8 ms of every 100 ms, so at most 16 % of
one core (8 ms on each of two cores): half of the 33 % its 3 JPEG sessions took with the CPU
free (``camrec_3_h264``, quiet bench of 2026-12-02). The hog scenario can't overload it on
two cores: the hog takes one and the previewer needs a third of the other (measured: 0
pictures skipped beside the hog)."""


async def _skips_while(
    bench: Bench, name: str, views: Sequence[AnyViewer], block: AbstractContextManager[Any]
) -> tuple[dict[str, Any], Any]:
    """Measure ``name`` inside ``block``, with what the previewer skipped to keep up
    (pictures decoded, not sent: it was behind the camera); and what ``block`` yielded."""
    before = _skipped(await bench.preview_stats())
    with block as held:
        result = await bench.measure(name, 3, views)
    after = _skipped(await bench.preview_stats())
    frames_in = sum(n - before.get(sid, (0, 0))[0] for sid, (n, _) in after.items())
    skipped = sum(k - before.get(sid, (0, 0))[1] for sid, (_, k) in after.items())
    result |= {"previewer_frames_in": frames_in, "previewer_skipped": skipped}
    return result, held


async def overload(bench: Bench, views: Sequence[AnyViewer]) -> None:
    """``overload_3_jpeg``: the 3 JPEG-path sessions running, now beside the hog (the issue's
    scenario); then ``overload_starved_3_jpeg``, the previewer itself starved."""
    hog = loaded([bench.cameras.process.pid])
    result, load = await _skips_while(bench, "overload_3_jpeg", views, hog)
    result |= load.figures()
    previewer = bench.roots(("previewer",))["previewer"][0]
    starving = starved(previewer, STARVED_RUN_MS, STARVED_PERIOD_MS)
    result, _ = await _skips_while(bench, "overload_starved_3_jpeg", views, starving)
    result["starved_ms"] = f"{STARVED_RUN_MS} of each {STARVED_PERIOD_MS}"


async def _all_live(viewers: Sequence[H264Viewer], timeout_s: float) -> float:
    """Seconds until every viewer has had a unit (the previewer opens its readers on the
    relay one after another: see :data:`LIVE_TIMEOUT_S`)."""
    began = time.monotonic()
    while not all(v.frames for v in viewers):
        if time.monotonic() - began > timeout_s:
            silent = sum(not v.frames for v in viewers)
            raise RuntimeError(f"{silent} of {len(viewers)} H.264 viewers got nothing")
        await asyncio.sleep(0.1)
    return time.monotonic() - began


async def _stop(bench: Bench, rec_id: str) -> bool:
    """Stop a recording and wait for it to end; True if the stop was answered 504 (the api's
    stop request to the recorder times out after 12 s, and the recorder's stop endpoint
    serves one request at a time: one of 15 stops at once on one worker, on the loaded
    machine, was in a trial run), in which case it is waited for all the same."""
    response = await bench.http.post(f"/api/recordings/{rec_id}/stop")
    if response.status_code != 504:
        response.raise_for_status()
    rec = response.json() if response.status_code != 504 else {"state": "finalizing"}
    await bench.wait_final(rec_id, rec, time.monotonic() + STOP_DEADLINE_S)
    return response.status_code == 504


async def scale(bench: Bench, a: str, clock: str) -> None:
    """``scale_16_h264_ws``: session A and 15 more of the same camera (each its own relay
    path: the proxy names paths by session, so the simulator's one encoder feeds 16 MediaMTX
    paths), each recording until stopped, each with one H.264-path viewer. Opened one after
    another: the proxy opens them one at a time anyway (a nats-py subscription awaits its
    callback message by message, so each micro endpoint serves one request at a time;
    measured: 4 asked at once were each ready ~2 s after the one before)."""
    began = time.monotonic()
    others = [await bench.open(clock, f"bench-scale-{i}") for i in range(2, SCALE + 1)]
    opened_s = time.monotonic() - began
    recs = await asyncio.gather(*(bench.record(s) for s in others))
    viewers = [bench.h264_viewer(s) for s in [a, *others]]
    try:
        live_s = await _all_live(viewers, LIVE_TIMEOUT_S)
        result = await bench.measure(f"scale_{SCALE}_h264_ws", SCALE, viewers)
    finally:
        for v in viewers:
            await v.stop()
        timeouts = sum(await asyncio.gather(*(_stop(bench, rec["id"]) for rec, _ in recs)))
        for sid in others:
            await bench.http.delete(f"/api/sessions/{sid}")
    result["open_15_sessions_s"] = round(opened_s, 1)
    result["all_viewers_live_s"] = round(live_s, 1)
    result["stops_answered_504"] = timeouts
    result["record_start_s_max"] = round(max(start for _, start in recs), 2)
