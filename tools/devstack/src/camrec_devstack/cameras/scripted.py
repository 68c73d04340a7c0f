"""An RTSP camera that follows a plan across its runs, and logs what it did.

``python -m camrec_devstack.cameras.scripted --plan aac:8,none --log runs.jsonl <rtsp-url>``
(``--gop-s 6``: a keyframe every 6 s, not 2; each run starts with one)
runs as a go2rtc ``exec:`` source. go2rtc starts it when a reader comes (and stops it when
the last one leaves); each start is one run. The plan is a timeline from the first run's
start: ``aac:8,off:4,none`` is H.264 + AAC for the first 8 s, then the camera drops (the
run that is publishing exits) and is off for 4 s (a run started then exits at once), then
every later run publishes H.264 without audio until stopped.
Each run appends its start and end (wall clock) to the log, so a test can compare a
recording's reconnects and audio with what the camera really did.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from .clock import die_with_parent
from .rtsp import camera_command


def parse_plan(text: str) -> list[tuple[str | None, float | None]]:
    """``aac:8,off:4,none`` → [("aac", 8.0), ("off", 4.0), (None, None)]: audio codec, or
    none, or off (no camera), and seconds."""
    steps: list[tuple[str | None, float | None]] = []
    for step in text.split(","):
        audio, _, seconds = step.strip().partition(":")
        steps.append((None if audio == "none" else audio, float(seconds) if seconds else None))
    return steps


def _log(path: Path, entry: dict[str, object]) -> None:
    with path.open("a") as out:
        out.write(json.dumps(entry) + "\n")


def read_log(path: Path) -> list[dict[str, object]]:
    """Every run: {"run", "audio", "seconds", "started"} and, once over, "ended"."""
    runs: dict[int, dict[str, object]] = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        entry = json.loads(line)
        runs.setdefault(int(entry["run"]), {}).update(entry)
    return [runs[n] for n in sorted(runs)]


def step_now(
    steps: list[tuple[str | None, float | None]], elapsed_s: float
) -> tuple[str | None, float | None]:
    """The step in effect ``elapsed_s`` after the first run began, and how long it still lasts."""
    for audio, seconds in steps:
        if seconds is None or elapsed_s < seconds:
            return audio, None if seconds is None else seconds - elapsed_s
        elapsed_s -= seconds
    return steps[-1][0], None


def run(ffmpeg: str, plan: str, log: Path, output: str, gop_s: int = 2) -> int:
    earlier = read_log(log)
    number = len(earlier)
    first = float(str(earlier[0]["started"])) if earlier else time.time()
    audio, left = step_now(parse_plan(plan), time.time() - first)
    if audio == "off":  # unreachable: go2rtc's start of this source fails
        _log(log, {"run": number, "audio": "off", "started": time.time(), "ended": time.time()})
        return 1
    argv = camera_command(ffmpeg, "h264", audio, size="640x360", gop_s=gop_s)
    if left is not None:
        argv[-5:-5] = ["-t", f"{left:.2f}"]  # an output option, before the RTSP output
    argv[-1] = output
    _log(log, {"run": number, "audio": audio, "seconds": left, "started": time.time()})
    try:
        return subprocess.run(argv, check=False, preexec_fn=die_with_parent).returncode
    finally:
        _log(log, {"run": number, "ended": time.time()})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", help="RTSP URL to publish to (go2rtc's {output})")
    parser.add_argument("--ffmpeg", default="ffmpeg")
    parser.add_argument("--plan", required=True, help="steps: aac:8,none")
    parser.add_argument("--log", required=True, type=Path)
    parser.add_argument("--gop-s", type=int, default=2, help="seconds between keyframes")
    args = parser.parse_args(argv)
    sys.exit(run(args.ffmpeg, args.plan, args.log, args.output, args.gop_s))


if __name__ == "__main__":
    main()
