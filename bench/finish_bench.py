"""The finish of a long recording (stop → final file): the recorder's ``finalize`` on a
synthetic fragmented part (``camrec_devstack.long_file``), its steps' wall time, the CPU it
took (recorder + FFmpeg/ffprobe) and the machine's load beside each run. Figures, not
pass/fail: the target is ≤ 10 s for 2 h on an idle machine (issue 14).

    .tools/bin/uv run --locked python bench/finish_bench.py [--seconds 7200] [--runs 3]
        [--size 1280x720 --kbps 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import tempfile
import time
from pathlib import Path

from camrec_devstack.long_file import make_long_fmp4, place_part
from camrec_devstack.paths import binary
from camrec_recorder.files import Files
from camrec_recorder.finalize import finalize
from camrec_recorder.memory import give_back
from camrec_recorder.settings import RecorderSettings


def rss_mb() -> float:
    """This process's resident memory now (MB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s() -> float:
    """CPU (user + system) of this process and its finished children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


async def run_once(source: Path, root: Path, n: int, wanted_s: float | None) -> str:
    files = Files(root)
    name = f"run{n}"
    place_part(source, files.partial(name))
    settings = RecorderSettings(
        recordings_dir=root, worker_id="bench", ffmpeg=binary("ffmpeg"), ffprobe=binary("ffprobe")
    )
    load = os.getloadavg()[0]
    cpu, wall = cpu_s(), time.monotonic()
    done = await finalize(
        settings, files, name, f"{name}.mp4", "stopped", "stopped", drops=[],
        audio_expected=True, wanted_s=wanted_s,
    )  # fmt: skip
    wall, cpu = time.monotonic() - wall, cpu_s() - cpu
    files.final(f"{name}.mp4").unlink(missing_ok=True)
    steps = ", ".join(f"{k} {v:.2f}" for k, v in done.steps_s.items())
    verdict = done.health.verdict if done.health else None
    duration = done.facts.duration_s if done.facts else None
    del done
    after = rss_mb()
    give_back()  # as the recorder does after each finish
    return (
        f"{'timed ' + format(wanted_s, 'g') if wanted_s else 'until stopped':>14}: "
        f"{wall:5.2f} s wall, {cpu:5.2f} s CPU, load {load:4.1f} before | {steps} | "
        f"{duration} s, {verdict} | RSS {after:.0f} MB, {rss_mb():.0f} MB given back"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=7200)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--kbps", type=int, default=150, help="video bitrate (bytes to copy)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="camrec-finish-") as tmp:
        source = Path(tmp) / "part.mp4"
        started = time.monotonic()
        make_long_fmp4(source, args.seconds, size=args.size, video_kbps=args.kbps)
        made_s, mb = time.monotonic() - started, source.stat().st_size / 1e6
        print(f"synthetic part: {args.seconds:g} s, {args.size}, {mb:.0f} MB, {made_s:.1f} s")
        print(f"RSS before the first finish: {rss_mb():.0f} MB")
        for n in range(args.runs):
            print(await run_once(source, Path(tmp) / "rec", n, None))
            print(await run_once(source, Path(tmp) / "rec", n, args.seconds / 2))


if __name__ == "__main__":
    asyncio.run(main())
