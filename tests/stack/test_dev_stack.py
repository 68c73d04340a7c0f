"""./scripts/dev: the whole local stack as processes, reached through nginx, stopped by Ctrl-C."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from camrec_contracts.services import SERVICES
from camrec_devstack.paths import REPO, binary
from camrec_devstack.procs import free_port
from camrec_devstack.stack import REFUSED_SUBJECT
from tests.stack.ops_recipes import Runner, recipes, shape_problems

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dev_stack")]

MARKER = "CAMREC_TEST_STACK_ID"


@dataclass
class DevStack:
    proc: subprocess.Popen[bytes]
    marker: str
    url: str
    nats_url: str
    log: Path
    state_dir: Path
    democam_rtsp_port: int
    mediamtx_api_url: str
    mediamtx_rtsp_port: int

    @property
    def ops_login(self) -> dict[str, str]:
        """The NATS CLI's ops user, as docs/ops.md and ./scripts/dev say to set it."""
        password = (self.state_dir / "credentials" / "nats" / "ops.password").read_text()
        return {"NATS_USER": "ops", "NATS_PASSWORD": password.strip()}


def _pgid(pid: str) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[2])


def stack_processes(stack: DevStack, pgids: set[int] = frozenset()) -> list[tuple[int, int, str]]:
    """(pid, pgid, command) of every process of the stack: those whose environment has the
    marker (children inherit it), whose command line names the stack's private state dir
    (nginx scrubs its environment), or that sit in one of ``pgids``."""
    found = []
    needle = f"{MARKER}={stack.marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            pgid = _pgid(entry.name)
            env = (entry / "environ").read_bytes().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if not cmd:  # a zombie: already dead, only waiting to be reaped
            continue
        if needle in env or str(stack.state_dir) in cmd or pgid in pgids:
            found.append((int(entry.name), pgid, cmd))
    return found


@pytest.fixture(scope="module")
def dev_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevStack]:
    tmp = tmp_path_factory.mktemp("devstack")
    ports = {
        name: free_port()
        for name in [
            "HTTP_PORT",
            "API_PORT",
            "PREVIEWER_PORT",
            "NATS_PORT",
            "NATS_MONITOR_PORT",
            "MEDIAMTX_API_PORT",
            "MEDIAMTX_RTSP_PORT",
            "GO2RTC_API_PORT",
            "GO2RTC_RTSP_PORT",
            "DEMOCAM_API_PORT",
            "DEMOCAM_RTSP_PORT",
        ]
    }
    marker = uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMREC_")}
    env.update({f"CAMREC_{k}": str(v) for k, v in ports.items()})
    env.update(
        {
            "CAMREC_STATE_DIR": str(tmp / "state"),
            "CAMREC_RECORDINGS_DIR": str(tmp / "recordings"),
            MARKER: marker,
        }
    )
    log = tmp / "dev.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(REPO / "scripts" / "dev")],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, as a terminal's foreground job
        )
    stack = DevStack(
        proc,
        marker,
        f"http://127.0.0.1:{ports['HTTP_PORT']}",
        f"nats://127.0.0.1:{ports['NATS_PORT']}",
        log,
        tmp / "state",
        ports["DEMOCAM_RTSP_PORT"],
        f"http://127.0.0.1:{ports['MEDIAMTX_API_PORT']}",
        ports["MEDIAMTX_RTSP_PORT"],
    )
    try:
        deadline = time.monotonic() + 90
        while b"camrec is up" not in log.read_bytes():
            assert proc.poll() is None, f"scripts/dev exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"stack not up:\n{log.read_text()}"
            time.sleep(0.2)
        yield stack
    finally:
        if proc.poll() is None:
            # nginx's workers sit in nginx's own group and outlive a SIGKILLed master: take
            # every group of the stack, not only the script's.
            groups = {pgid for _, pgid, _ in stack_processes(stack)} | {proc.pid}
            for pgid in groups:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pgid, signal.SIGKILL)
            proc.wait()


def test_health_answers_200_listing_the_services(dev_stack: DevStack) -> None:
    response = httpx.get(f"{dev_stack.url}/health", timeout=5)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["nats"] == "ok"
    for name in SERVICES:
        assert body["services"][name]["status"] == "up"
        assert body["services"][name]["instances"] == 1


def test_api_config_through_nginx(dev_stack: DevStack) -> None:
    body = httpx.get(f"{dev_stack.url}/api/config", timeout=5).json()
    assert body["recording_durations_s"] == [60, 300, 3600, 5400, 7200, None]
    assert body["demo_camera"]["rtsp_url"].startswith("rtsp://")


async def test_preview_websocket_through_nginx(dev_stack: DevStack) -> None:
    """nginx upgrades /ws/preview/ to the previewer: an unknown session gets 4404."""
    ws_url = dev_stack.url.replace("http://", "ws://") + "/ws/preview/0123456789ab"
    async with connect(ws_url) as ws:
        with pytest.raises(ConnectionClosed):
            await ws.recv()
        assert ws.close_code == 4404


def test_nats_cli_without_a_user_is_refused(dev_stack: DevStack) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NATS_")}
    nats = [binary("nats"), "--server", dev_stack.nats_url]
    refused = subprocess.run(
        [*nats, "micro", "ls"], capture_output=True, text=True, timeout=20, env=env
    )
    assert refused.returncode != 0
    assert "Authorization Violation" in refused.stderr, refused.stderr
    assert "NATS_USER=ops" in dev_stack.log.read_text()  # ./scripts/dev says how


def test_nats_cli_micro_ls_lists_the_three_services(dev_stack: DevStack) -> None:
    nats = [binary("nats"), "--server", dev_stack.nats_url]
    env = os.environ | dev_stack.ops_login
    table = subprocess.run(
        [*nats, "micro", "ls"], capture_output=True, text=True, timeout=20, env=env
    )
    assert table.returncode == 0, table.stderr
    for name in SERVICES:
        assert name in table.stdout
    as_json = subprocess.run(
        [*nats, "micro", "ls", "--json"], capture_output=True, text=True, timeout=20, env=env
    )
    assert as_json.returncode == 0, as_json.stderr
    names = sorted(item["name"] for item in json.loads(as_json.stdout))
    assert names == sorted(SERVICES)


def test_ops_doc_has_recipes() -> None:
    commands = [r.command for r in recipes()]
    assert "nats micro ls" in commands and len(commands) >= 10
    assert any("camrec.sessions.open" in c and ":8564/demo" in c for c in commands)


def test_every_nats_command_in_ops_doc_works(dev_stack: DevStack) -> None:
    """Every documented command, in order, against this stack and its democam."""
    runner = Runner(dev_stack.nats_url, dev_stack.democam_rtsp_port, dev_stack.ops_login)
    for recipe in recipes():
        real = runner.run(recipe)
        problems = shape_problems(recipe, real, runner.ids)
        assert not problems, f"{recipe.command}: {problems}\n{real}"


def test_rtsp_goes_through_mediamtx_and_mjpeg_through_go2rtc(dev_stack: DevStack) -> None:
    """As in compose: the demo camera's RTSP through the stack's MediaMTX (what MediaMTX's
    own API says about the path), its MJPEG twin through go2rtc. After the ops recipes,
    which want the events stream as a fresh stack has it."""
    config = httpx.get(f"{dev_stack.url}/api/config", timeout=5).json()["demo_camera"]
    assert config["rtsp_url"] == f"rtsp://127.0.0.1:{dev_stack.democam_rtsp_port}/demo"
    opened = httpx.post(
        f"{dev_stack.url}/api/sessions", json={"url": config["rtsp_url"]}, timeout=30
    )
    assert opened.status_code == 201, opened.text
    session = opened.json()
    path = f"camrec-{session['id']}"
    mediamtx = httpx.Client(base_url=dev_stack.mediamtx_api_url, timeout=5)
    try:
        assert session["relay"] == "mediamtx"
        assert session["relay_url"] == f"rtsp://127.0.0.1:{dev_stack.mediamtx_rtsp_port}/{path}"
        state = mediamtx.get(f"/v3/paths/get/{path}").json()
        assert state["available"], state
        assert state["source"]["type"] == "rtspSource", state
        assert sorted(t["codec"] for t in state["tracks2"]) == ["H264", "MPEG-4 Audio"], state
        conf = mediamtx.get(f"/v3/config/paths/get/{path}").json()
        assert conf["source"] == config["rtsp_url"] and conf["sourceOnDemand"] is False
    finally:
        assert httpx.delete(f"{dev_stack.url}/api/sessions/{session['id']}").status_code == 204
    assert mediamtx.get(f"/v3/paths/get/{path}").status_code == 404

    mjpeg = httpx.post(
        f"{dev_stack.url}/api/sessions", json={"url": config["mjpeg_url"]}, timeout=30
    )
    assert mjpeg.status_code == 201, mjpeg.text
    assert mjpeg.json()["relay"] == "go2rtc"
    assert httpx.delete(f"{dev_stack.url}/api/sessions/{mjpeg.json()['id']}").status_code == 204


def test_no_service_was_refused_a_subject(dev_stack: DevStack) -> None:
    """After the recipes and the sessions above, with each service as its own NATS user:
    nats-server refused none of them a subject (camrec_contracts.nats_users' lists suffice)."""
    log = (dev_stack.state_dir / "logs" / "nats-server.log").read_text()
    assert "Server is ready" in log
    assert [line for line in log.splitlines() if REFUSED_SUBJECT in line] == []


def test_no_stack_password_in_any_log(dev_stack: DevStack) -> None:
    """The NATS users' and the read user's passwords are in the credentials folder only: not
    in any process's log after the journeys above (which read the relays with them)."""
    folder = dev_stack.state_dir / "credentials"
    passwords = [p.read_text().strip() for p in folder.rglob("*.password")]
    assert len(passwords) == 6  # api, proxy, recorder, previewer, ops; the read user
    logs = [dev_stack.log, *(dev_stack.state_dir / "logs").glob("*.log")]
    assert len(logs) >= 9, logs
    for log in logs:
        text = log.read_text(errors="replace")
        assert not [p for p in passwords if p in text], f"a password in {log.name}"


def test_ctrl_c_stops_everything(dev_stack: DevStack) -> None:
    """Runs last in this module: Ctrl-C (SIGINT to the group) leaves no process behind."""
    running = stack_processes(dev_stack)
    names = " ".join(cmd for _, _, cmd in running)
    for part in [
        "nats-server",
        "mediamtx",
        "go2rtc",
        "nginx",
        *(f"camrec_{s}" for s in ("api", "proxy", "recorder", "previewer")),
    ]:
        assert part in names, f"{part} not running before Ctrl-C: {running}"
    os.killpg(dev_stack.proc.pid, signal.SIGINT)
    dev_stack.proc.wait(timeout=60)
    assert dev_stack.proc.returncode == 0, dev_stack.log.read_text()
    pgids = {pgid for _, pgid, _ in running}
    assert stack_processes(dev_stack, pgids) == []
    assert b"local stack stopped" in dev_stack.log.read_bytes()
