"""The docs' command for "see every recorder" shows every recorder, with the real `nats` CLI.

docs/compose.md gives it under "Scaling recorders" (a `nats-box` run); it used to be
`nats micro info camrec-recorder`, which shows one instance, whichever answers first, so two
workers showed as one. Here two recorder workers (distinct worker ids, in-process, no FFmpeg
needed) run against a real nats-server; the command is read from the doc, run with
`.tools/bin/nats`, and must show both instances' IDs and both worker ids (micro metadata
``worker``). docs/ops.md must name the same command.

`nats micro ls` stops listening 300 ms after the last answer (jsm.go's DoReqAsync in natscli
v0.5.1); the two workers answer from one event loop, 0.1 ms apart at most (100 requests
measured at load 5.7), so both are heard.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import uuid
from pathlib import Path

from camrec_contracts.services import RECORDER
from camrec_devstack.natsd import NatsServerConfig
from camrec_devstack.paths import REPO, binary
from camrec_recorder.__main__ import worker_factory
from camrec_recorder.settings import RecorderSettings
from camrec_runtime.bus import Bus
from camrec_runtime.ping import ping_service
from tests.fixtures.inprocess import InProcess

COMPOSE_DOC = REPO / "docs" / "compose.md"
OPS_DOC = REPO / "docs" / "ops.md"


def every_recorder_command() -> str:
    """The `nats …` command in compose.md's shell block that scales the recorders."""
    blocks = re.findall(r"```sh\n(.*?)```", COMPOSE_DOC.read_text(), re.S)
    (block,) = [b for b in blocks if "--scale recorder=" in b]
    (line,) = [line for line in block.splitlines() if " nats micro " in line]
    return line[line.index("nats micro ") :].split("#", 1)[0].strip()


def test_ops_doc_names_the_same_command() -> None:
    assert f"`{every_recorder_command()}`" in OPS_DOC.read_text()


async def test_the_docs_command_shows_both_recorders(
    nats_server: NatsServerConfig, bus: Bus, tmp_path: Path
) -> None:
    command = every_recorder_command()
    workers = [f"worker-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    group = InProcess(RECORDER, bus)
    try:
        for worker in workers:
            settings = RecorderSettings(
                nats_url=nats_server.url, recordings_dir=tmp_path / "rec", worker_id=worker
            )
            await group.start(settings, worker_factory(settings))  # returns once it answers
        instances = await ping_service(bus.nc, RECORDER, timeout_s=5)
        assert sorted(i.metadata.get("worker", "") for i in instances) == sorted(workers)

        argv = shlex.split(command)
        assert argv[0] == "nats", command
        # Not subprocess.run: the workers answer from this event loop.
        proc = await asyncio.create_subprocess_exec(
            binary("nats"),
            "--server",
            nats_server.url,
            *argv[1:],
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()
        shown = out.decode()
        missing = [i.id for i in instances if i.id not in shown]
        missing += [w for w in workers if w not in shown]
        assert not missing, f"`{command}` does not show {missing}:\n{shown}"
    finally:
        await group.stop_all()
