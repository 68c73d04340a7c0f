"""Helpers of the recordings tests that run recorder workers and judge their files: a
recorder worker as its own process, waiting for it to answer, the FFmpeg writing a recording,
how far a file decodes."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from camrec_contracts.services import RECORDER
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.paths import binary
from camrec_devstack.procs import ManagedProcess
from camrec_runtime.bus import Bus
from camrec_runtime.ping import ping_service
from tests.media import ffprobe_json
from tests.polling import poll
from tests.relay_reader import reader_env

ANSWER_WITHIN_S = CamrecSettings.model_fields["nats_connect_wait_s"].default + 10
"""A worker keeps trying to reach NATS for ``nats_connect_wait_s`` (30 s) and then exits;
10 s more for its imports and its KV buckets on a loaded machine."""


def worker(
    nats: CamrecSettings, root: Path, worker_id: str = "crashy", **settings: str
) -> ManagedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMREC_")}
    env.update(reader_env())  # the relays want the read user
    env.update(
        CAMREC_NATS_URL=nats.nats_url,
        CAMREC_RECORDINGS_DIR=str(root),
        CAMREC_WORKER_ID=worker_id,
        CAMREC_MIN_FREE_MB="0",
        CAMREC_FFMPEG=binary("ffmpeg"),
        CAMREC_FFPROBE=binary("ffprobe"),
    )
    env.update({f"CAMREC_{k.upper()}": v for k, v in settings.items()})
    return ManagedProcess(
        f"recorder-{worker_id}", [sys.executable, "-m", "camrec_recorder"], env=env
    ).start()


async def until_pinged(bus: Bus, proc: ManagedProcess) -> None:
    """Until a recorder answers pings (``proc`` must stay up meanwhile)."""

    async def answers() -> bool:
        assert proc.running(), proc.tail()
        return bool(await ping_service(bus.nc, RECORDER, timeout_s=0.3, gather_s=0))

    await poll(answers, ANSWER_WITHIN_S, f"{proc.name} answering pings")


def decoded_seconds(path: Path) -> float:
    """Decode the whole file (errors fail) and return its last video frame time."""
    data = ffprobe_json(
        str(path),
        ["-select_streams", "v:0", "-show_entries", "frame=best_effort_timestamp_time"],
        timeout_s=120,
    )
    return max(float(f["best_effort_timestamp_time"]) for f in data["frames"])


def ffmpeg_pid(partial: Path) -> int:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if str(partial) in cmd and "ffmpeg" in cmd and "-i" in cmd:
                return int(entry.name)
    raise AssertionError("no FFmpeg writing the recording")
