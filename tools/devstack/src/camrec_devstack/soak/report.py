"""The soak's tables and its pass/fail rules (pure: data in, markdown and problems out)."""

from __future__ import annotations

from dataclasses import dataclass

from .measure import Sample
from .plan import label

DURATION_TOLERANCE_S = 1.0
RSS_GROWTH_LIMIT_PCT = 20.0
STOP_REPLY_LIMIT_S = 2.0
"""Issue 14's targets: a stop answers within 2 s at any length, and the final file of a stopped
recording follows within 10 s (set for 2 h files; the until-stopped one is shorter)."""
STOP_FINAL_LIMIT_S = 10.0
WARM_UP_S = 600.0
"""RSS growth is judged from the first sample this long into the run, when every recording
has been running for minutes: a process's first minutes are not growth. Measured on the
2 h soak: nats-server went 19 -> 24 MB in its first 4 minutes (Go's heap settling under
four recordings' events) from a sample taken seconds after it started. A run shorter than
twice this is judged from its first sample."""
PEAK_WINDOW_S = 1200.0
"""RSS is compared peak to peak: the highest sample in the first 20 minutes after the warm-up
against the highest in the run's last 20 minutes (half the time after the warm-up each, when
shorter). A Go process's RSS saws with its garbage collector: nats-server in the 2 h soak of
2026-12-02 read 29.1 MB at 63 min, 24.3 MB at 70 min and 29.4 MB at 91 min under the same
load, so one sample against another judged where the saw stood, not growth. A Python
process's steps (a long finish) show in its peaks as in any sample."""
SIMULATOR = "sim: "
"""Names of processes that are the simulated cameras, not camrec: shown, never checked."""


@dataclass
class RecordingResult:
    name: str
    camera: str
    preset_s: float | None
    state: str
    file_ok: bool
    duration_s: float | None = None
    frames: int | None = None
    codecs: str = ""
    verdict: str | None = None
    av_drift_ms: float | None = None
    stop_reply_s: float | None = None
    stop_status: int | None = None
    to_final_s: float | None = None
    """Until-stopped: stop → terminal state; timed: started_at + preset → terminal state."""
    expected_state: str = "finished"


@dataclass
class ProcessResult:
    name: str
    rss_start_kb: int
    """The peak after the warm-up (:func:`windows`): growth is measured from here."""
    rss_end_kb: int
    """The peak of the run's last window."""
    cpu_pct: float | None
    """Of one core, averaged between the first and the last sample."""
    restarts: int = 0
    checked: bool = True
    """False for a group's children (their number changes as recordings end)."""
    rss_first_kb: int | None = None
    """At the first sample, shown beside the baseline."""

    @property
    def growth_pct(self) -> float | None:
        if self.rss_start_kb <= 0 or not self.checked:
            return None
        return 100.0 * (self.rss_end_kb - self.rss_start_kb) / self.rss_start_kb


def recording_problems(r: RecordingResult) -> list[str]:
    out = []
    if r.state != r.expected_state:
        out.append(f"{r.name}: state {r.state}, expected {r.expected_state}")
    if not r.file_ok:
        out.append(f"{r.name}: file missing or unreadable by ffprobe")
    elif r.preset_s is not None and (
        r.duration_s is None or abs(r.duration_s - r.preset_s) > DURATION_TOLERANCE_S
    ):
        out.append(f"{r.name}: file {r.duration_s} s, preset {r.preset_s:.0f} s")
    if r.verdict != "clean":
        out.append(f"{r.name}: verdict {r.verdict!r}")
    if r.stop_status not in (None, 200):
        out.append(f"{r.name}: the stop answered {r.stop_status}")
    if r.stop_reply_s is not None and r.stop_reply_s > STOP_REPLY_LIMIT_S:
        out.append(
            f"{r.name}: stop → reply {r.stop_reply_s:.2f} s (limit {STOP_REPLY_LIMIT_S:g} s)"
        )
    if r.stop_reply_s is not None and (r.to_final_s or 0) > STOP_FINAL_LIMIT_S:
        out.append(f"{r.name}: stop → final {r.to_final_s:.1f} s (limit {STOP_FINAL_LIMIT_S:g} s)")
    return out


def process_problems(p: ProcessResult) -> list[str]:
    out = []
    growth = p.growth_pct
    if p.checked and growth is not None and growth > RSS_GROWTH_LIMIT_PCT:
        out.append(f"{p.name}: RSS grew {growth:.0f} % (limit {RSS_GROWTH_LIMIT_PCT:.0f} %)")
    if p.restarts:
        out.append(f"{p.name}: restarted {p.restarts} time(s)")
    return out


def problems(recs: list[RecordingResult], procs: list[ProcessResult]) -> list[str]:
    return [x for r in recs for x in recording_problems(r)] + [
        x for p in procs for x in process_problems(p)
    ]


def baseline(samples: list[Sample], warm_up_s: float = WARM_UP_S) -> Sample:
    """The sample growth is judged from: the first at or after ``warm_up_s`` into the run,
    or the first one when the run is shorter than twice that."""
    first, last = samples[0], samples[-1]
    if last.at_s - first.at_s < 2 * warm_up_s:
        return first
    return next(s for s in samples if s.at_s - first.at_s >= warm_up_s)


def windows(
    samples: list[Sample], warm_up_s: float = WARM_UP_S
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The spans (s into the run) whose RSS peaks are compared: just after the warm-up, and
    the run's end; None for a run shorter than twice the warm-up (first and last samples)."""
    first, last = samples[0].at_s, samples[-1].at_s
    if last - first < 2 * warm_up_s:
        return None
    width = min(PEAK_WINDOW_S, (last - first - warm_up_s) / 2)
    return (warm_up_s, warm_up_s + width), (last - first - width, last - first)


def _peak(samples: list[Sample], name: str, pid: int, lo: float, hi: float, end: bool) -> int:
    """The highest RSS of ``name`` (this pid) in [lo, hi) from the first sample, or (lo, hi]
    for the end window."""
    t0 = samples[0].at_s
    inside = [
        s.procs[name].rss_kb
        for s in samples
        if name in s.procs
        and s.procs[name].pid == pid
        and ((lo < s.at_s - t0 <= hi) if end else (lo <= s.at_s - t0 < hi))
    ]
    return max(inside, default=0)


def processes(
    samples: list[Sample], restarts: dict[str, int], warm_up_s: float = WARM_UP_S
) -> list[ProcessResult]:
    """Per member (and its children, summed): CPU from the first to the last sample, RSS
    growth peak to peak (:func:`windows`), or from the first sample to the last in a short
    run."""
    if not samples:
        return []
    first, last = samples[0], samples[-1]
    base = baseline(samples, warm_up_s)
    wall = last.at_s - first.at_s
    out = []
    for name, end in last.procs.items():
        start, settled = first.procs.get(name), base.procs.get(name)
        if start is None or settled is None or not start.pid == settled.pid == end.pid:
            out.append(ProcessResult(name, 0, end.rss_kb, None, restarts.get(name, 0) or 1))
            continue
        cpu = 100.0 * (end.cpu_s - start.cpu_s) / wall if wall > 0 else None
        checked = not name.startswith(SIMULATOR)
        spans = windows(samples, warm_up_s)
        rss_from, rss_to = settled.rss_kb, end.rss_kb
        if spans is not None:
            (early, early_end), (late, late_end) = spans
            rss_from = _peak(samples, name, end.pid, early, early_end, end=False)
            rss_to = _peak(samples, name, end.pid, late, late_end, end=True)
        out.append(
            ProcessResult(
                name,
                rss_from,
                rss_to,
                cpu,
                restarts.get(name, 0),
                checked,
                rss_first_kb=start.rss_kb,
            )
        )
    for name in sorted({n for s in samples for n in s.children}):
        # CPU: per child pid, last seen minus first seen (a child's time before its first
        # sample, up to one interval, is not counted).
        seen: dict[int, tuple[float, float]] = {}
        for s in samples:
            for c in s.children.get(name, []):
                lo, _ = seen.get(c.pid, (c.cpu_s, c.cpu_s))
                seen[c.pid] = (lo, c.cpu_s)
        used = sum(hi - lo for lo, hi in seen.values())
        n_first = len(first.children.get(name, []))
        out.append(
            ProcessResult(
                f"{name} children ({n_first} at start, {len(seen)} seen)",
                sum(c.rss_kb for c in base.children.get(name, [])),
                sum(c.rss_kb for c in last.children.get(name, [])),
                100.0 * used / wall if wall > 0 else None,
                checked=False,
                rss_first_kb=sum(c.rss_kb for c in first.children.get(name, [])),
            )
        )
    return out


def _f(value: float | None, fmt: str = "{:.1f}", unit: str = "") -> str:
    return "-" if value is None else fmt.format(value) + unit


def recordings_table(recs: list[RecordingResult]) -> str:
    head = (
        "| recording | camera | preset | state | file | Δ vs preset | frames | codecs "
        "| verdict | A/V drift | stop → reply | → final |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
    )
    rows = []
    for r in recs:
        delta = None if r.preset_s is None or r.duration_s is None else r.duration_s - r.preset_s
        reply = _f(r.stop_reply_s, "{:.2f}", " s")
        if r.stop_status is not None and r.stop_status != 200:
            reply += f" ({r.stop_status})"
        rows.append(
            f"| {r.name} | {r.camera} | {label(r.preset_s) if r.preset_s else 'until stopped'} "
            f"| {r.state} | {_f(r.duration_s, '{:.2f}', ' s')} | {_f(delta, '{:+.2f}', ' s')} "
            f"| {r.frames if r.frames is not None else '-'} | {r.codecs or '-'} "
            f"| {r.verdict or '-'} | {_f(r.av_drift_ms, '{:.0f}', ' ms')} | {reply} "
            f"| {_f(r.to_final_s, '{:.1f}', ' s')} |"
        )
    return head + "\n".join(rows) + "\n"


def _mb(kb: int | None) -> str:
    return "-" if kb is None else f"{kb / 1024:.1f} MB"


def processes_table(
    procs: list[ProcessResult],
    warm_up_s: float = WARM_UP_S,
    spans: tuple[tuple[float, float], tuple[float, float]] | None = None,
) -> str:
    start, end = f"RSS after {label(warm_up_s)}", "RSS last sample"
    if spans is not None:
        (a, b), (c, d) = spans
        start = f"RSS peak {round(a / 60)}-{round(b / 60)} min"
        end = f"RSS peak {round(c / 60)}-{round(d / 60)} min"
    head = (
        f"| process | RSS first sample | {start} | {end} "
        "| growth | CPU (% of one core) |\n"
        "|---|---|---|---|---|---|\n"
    )
    rows = [
        f"| {p.name} | {_mb(p.rss_first_kb)} | {_mb(p.rss_start_kb)} | {_mb(p.rss_end_kb)} "
        f"| {_f(p.growth_pct, '{:+.1f}', ' %')} | {_f(p.cpu_pct, '{:.1f}', ' %')} |"
        for p in procs
    ]
    return head + "\n".join(rows) + "\n"
