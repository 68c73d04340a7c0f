"""``./scripts/soak --presets 1h,1h30,2h --stop-after 1h20``: see docs/performance.md."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from camrec_runtime.logs import setup_logging

from ..paths import REPO
from ..procs import ProcessFailed
from .measure import Sample
from .plan import label, parse_duration, parse_presets, plan
from .report import (
    RecordingResult,
    baseline,
    problems,
    processes,
    processes_table,
    recordings_table,
    windows,
)
from .run import Interrupted, Soak


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="./scripts/soak", description=__doc__)
    ap.add_argument("--presets", default="1h,1h30,2h", help="timed recordings, e.g. 1h,1h30,2h")
    ap.add_argument("--stop-after", default="1h20", help="when to stop the until-stopped recording")
    ap.add_argument("--size", default="640x360", help="simulated cameras' picture size")
    ap.add_argument("--fps", type=int, default=25, help="simulated cameras' frame rate")
    ap.add_argument("--dir", type=Path, default=None, help="state dir (default .soak/<time>)")
    ap.add_argument(
        "--report-from",
        type=Path,
        default=None,
        help="record nothing: print the report of the run kept in this state dir again",
    )
    args = ap.parse_args(argv)
    try:
        args.presets_s = parse_presets(args.presets)
        args.stop_after_s = parse_duration(args.stop_after)
    except ValueError as error:
        ap.error(str(error))
    if not args.presets_s:
        ap.error("--presets: give at least one duration")
    return args


def report(
    title: str, results: list[RecordingResult], samples: list[Sample], restarts: dict[str, int]
) -> tuple[str, list[str]]:
    procs = processes(samples, restarts)
    warm_up = baseline(samples).at_s - samples[0].at_s if samples else 0.0
    found = problems(results, procs)
    text = (
        f"{title}\n\n"
        + recordings_table(results)
        + "\n"
        + processes_table(procs, warm_up, windows(samples) if samples else None)
        + "\n"
        + ("\n".join(f"- FAIL: {p}" for p in found) if found else "All checks passed.")
        + "\n"
    )
    return text, found


def report_again(state_dir: Path) -> int:
    """The report of a finished run from what it kept (samples.json, results.json)."""
    samples = [Sample.from_json(s) for s in json.loads((state_dir / "samples.json").read_text())]
    kept = state_dir / "results.json"
    results = [RecordingResult(**r) for r in json.loads(kept.read_text())] if kept.exists() else []
    text, found = report(f"# Soak {state_dir.name} (report made again)", results, samples, {})
    print(text, flush=True)
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.report_from is not None:
        return report_again(args.report_from)
    setup_logging("WARNING")
    logging.getLogger("camrec_devstack").setLevel(logging.INFO)
    state_dir = args.dir or REPO / ".soak" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    state_dir.mkdir(parents=True, exist_ok=True)
    planned = plan(args.presets_s)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        print(f"[soak] got {signal.Signals(signum).name}; stopping everything", flush=True)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(
        f"[soak] presets {', '.join(label(p) for p in args.presets_s)}, until-stopped stopped "
        f"after {label(args.stop_after_s)}; cameras {args.size} at {args.fps} fps; "
        f"state in {state_dir}",
        flush=True,
    )
    soak = Soak(state_dir, args.size, args.fps, stop)
    try:
        soak.start(len(planned))
        recs = soak.begin(planned)
        soak.wait_recording(recs)
        soak.follow(recs, args.stop_after_s)
        results = [soak.result(t) for t in recs]
        assert soak.stack is not None
        restarts = {m.name: m.restarts for m in soak.stack.members}
    except Interrupted:
        return 130
    except ProcessFailed as error:
        print(f"[soak] FAILED: {error}", flush=True)
        return 1
    finally:
        soak.close()
    (state_dir / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=1))
    text, found = report(
        f"# Soak {state_dir.name}: presets {args.presets}, stop after {args.stop_after}, "
        f"cameras {args.size} at {args.fps} fps",
        results,
        soak.samples,
        restarts,
    )
    out = state_dir / "report.md"
    out.write_text(text)
    print("\n" + text + f"\n[soak] report: {out}", flush=True)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
