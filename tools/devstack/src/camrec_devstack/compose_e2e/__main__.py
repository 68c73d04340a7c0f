"""``./scripts/compose-e2e``: the real compose.yaml, built and started in a copy of this
checkout, walked through as a user and an operator would; prints a table (step, pass/fail,
figure) and exits non-zero if any step failed. Needs Docker Engine and Compose v2."""

from __future__ import annotations

import argparse
import ipaddress
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ..paths import REPO
from . import ops_steps, user_steps
from .context import Context
from .docker import Compose, DockerError, Engine
from .report import Report

PROJECT = "camrec-e2e"


def bridge_gateway() -> str:
    """This host's address on Docker's default bridge: containers reach it, the host too.
    The bridge's IPAM names it, or (Debian's Docker 20.10 leaves Gateway out) it is the
    subnet's first address, which Docker gives its bridge interface."""
    done = subprocess.run(
        ["docker", "network", "inspect", "bridge", "-f", "{{json .IPAM.Config}}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    if done.returncode != 0:
        raise SystemExit(f"compose-e2e: no Docker bridge: {done.stderr.strip()}")
    config = json.loads(done.stdout)[0]
    address = config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
    with socket.socket() as probe:  # it must be one of this host's own addresses
        probe.bind((address, 0))
    return str(address)


def copy_checkout(workdir: Path) -> None:
    """Tracked and untracked (not ignored) files of this checkout: what `git clone` plus the
    change under test gives, without touching the checkout itself."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    if workdir.exists():
        shutil.rmtree(workdir)
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            target = workdir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def main() -> int:
    parser = argparse.ArgumentParser(prog="compose-e2e", description=__doc__)
    parser.add_argument("--bind", help="CAMREC_BIND (default: Docker's bridge gateway)")
    parser.add_argument("--port", type=int, default=8000, help="CAMREC_HTTP_PORT")
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "camrec-compose-e2e"
    )
    parser.add_argument("--cold", action="store_true", help="drop the build cache first")
    parser.add_argument("--keep", action="store_true", help="leave the stack running")
    args = parser.parse_args()

    gateway = bridge_gateway()
    bind = args.bind or gateway
    workdir: Path = args.workdir.resolve()
    copy_checkout(workdir)
    # The README's one-time step on Linux: ./recordings belongs to the user the recorder runs as.
    subprocess.run(  # noqa: S602 - the README's own line, with nothing from outside in it
        "mkdir -p recordings && printf 'CAMREC_UID=%s\\nCAMREC_GID=%s\\n' $(id -u) $(id -g) > .env",
        shell=True,
        cwd=workdir,
        check=True,
    )
    env = {"CAMREC_BIND": bind, "CAMREC_HTTP_PORT": str(args.port)}
    compose = Compose(workdir, PROJECT, env)
    compose.run("down", "-v", "--remove-orphans", check=False)
    engine = Engine()
    ctx = Context(compose, engine, bind, args.port, workdir / "downloads")
    report = Report()
    print(f"compose-e2e: {workdir} as project {PROJECT} on {bind}:{args.port}", flush=True)

    def build() -> str:
        if args.cold:
            compose.run("down", "--rmi", "local", "-v", check=False)
            subprocess.run(["docker", "builder", "prune", "-af"], capture_output=True, timeout=600)
        start = time.monotonic()
        compose.run("build", timeout_s=3600)
        return f"{'cold ' if args.cold else ''}build {time.monotonic() - start:.0f} s"

    def up() -> str:
        start = time.monotonic()
        compose.run("up", "-d", timeout_s=600)  # returns once what others wait on is healthy
        compose.wait_healthy(ops_steps.HEALTHY_S)
        return f"every container healthy {time.monotonic() - start:.0f} s after `up -d`"

    recorder_image = f"{PROJECT}-recorder"
    steps: list[tuple[str, Callable[[], str]]] = [
        ("login: 401 without it, the logged password", lambda: user_steps.login(ctx)),
        ("page: log in, demo URL pre-filled (Chromium)", lambda: user_steps.page(ctx)),
        ("RTSP demo → MediaMTX", lambda: user_steps.rtsp_demo(ctx)),
        ("preview frames (WebSocket via nginx)", lambda: user_steps.preview(ctx)),
        ("20 s recording", lambda: user_steps.recording(ctx)),
        ("Range download", lambda: user_steps.range_download(ctx)),
        ("MJPEG demo → go2rtc → recording", lambda: user_steps.mjpeg_demo(ctx)),
        ("3 sessions, 4th → 400", lambda: user_steps.session_limit(ctx)),
        ("nats-box: nats micro ls", lambda: ops_steps.nats_box(ctx)),
        ("host nats CLI on the published 4222", lambda: ops_steps.host_nats_cli(ctx)),
        ("--scale recorder=2: a recording on each", lambda: ops_steps.two_recorders(ctx)),
        (
            "remote recorder: docs' docker run",
            lambda: ops_steps.remote_recorder(ctx, gateway, recorder_image),
        ),
        (
            "remote recorder without --user: stops, says why",
            lambda: ops_steps.remote_recorder_wrong_user(ctx, gateway, recorder_image),
        ),
        ("source change + up -d --build: no 502", lambda: ops_steps.update(ctx)),
        (
            "recorder killed + re-created: takes its recording back",
            lambda: ops_steps.killed_recorder_reclaims(ctx),
        ),
        ("down + up -d: same recordings", lambda: ops_steps.down_up(ctx)),
        ("idle stack CPU, 180 s, no session", lambda: ops_steps.idle_cpu(ctx)),
    ]
    try:
        if report.run("build", build) and report.run("up → healthy", up):
            for name, step in steps:
                report.run(name, step)
        else:
            for name, _ in steps:
                report.skip(name, "the stack did not start")
    except DockerError as error:
        print(f"compose-e2e: {error}", file=sys.stderr)
    finally:
        logs = compose.run("logs", "--no-color", "--timestamps", check=False, quiet=True)
        (workdir / "compose-logs.txt").write_text(logs.stdout + logs.stderr)
        if not args.keep:
            compose.run("down", "-v", "--remove-orphans", check=False)
        engine.close()
    print()
    print(report.table())
    print(f"\nlogs: {workdir / 'compose-logs.txt'}, commands: {workdir / 'compose-e2e.log'}")
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
