"""The MediaMTX runner: compose's own config file, only the listen addresses changed, so
several run side by side (tests in parallel, the local stack)."""

from __future__ import annotations

from pathlib import Path

import yaml

from camrec_devstack.mediamtx import MEDIAMTX_CONFIG, mediamtx_env, start_mediamtx
from camrec_devstack.paths import REPO
from tests.fixtures.mediamtx import own_mediamtx_config

SERVERS = ("api", "rtsp", "rtmp", "hls", "webrtc", "srt", "moq", "metrics", "pprof", "playback")
"""MediaMTX 1.20's servers, each turned on or off by a global key of its name."""


def test_the_config_is_composes_and_the_runner_moves_each_listener_it_turns_on() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    # compose's credentials service completes this file for MediaMTX, as start_mediamtx does
    assert (
        "./deploy/mediamtx/mediamtx.yml:/templates/mediamtx.yml:ro"
        in compose["services"]["credentials"]["volumes"]
    )
    conf = yaml.safe_load(MEDIAMTX_CONFIG.read_text())
    on = {name for name in SERVERS if conf.get(name) is True}
    assert on == {"api", "rtsp"}, on
    assert conf["rtspTransports"] == ["tcp"]  # no UDP listeners (rtpAddress, rtcpAddress)
    env = mediamtx_env(own_mediamtx_config(api_port=1, rtsp_port=2))
    assert env == {"MTX_APIADDRESS": "127.0.0.1:1", "MTX_RTSPADDRESS": "127.0.0.1:2"}
    assert {f"MTX_{name.upper()}ADDRESS" for name in on} == set(env)


def _listening(pid: int) -> set[tuple[str, str]]:
    """(protocol, local address) of every listening TCP socket and bound UDP socket of ``pid``."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = str(fd.readlink()) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        for line in Path(f"/proc/net/{proto}").read_text().splitlines()[1:]:
            fields = line.split()
            listening = fields[3] == "0A" if proto.startswith("tcp") else True
            if fields[9] in inodes and listening:
                hex_ip, hex_port = fields[1].split(":")
                ip = ".".join(str(int(hex_ip[i : i + 2], 16)) for i in (6, 4, 2, 0))
                found.add((proto, f"{ip if len(hex_ip) == 8 else hex_ip}:{int(hex_port, 16)}"))
    return found


def test_it_listens_only_where_told(tmp_path: Path) -> None:
    cfg = own_mediamtx_config()
    proc = start_mediamtx(cfg, tmp_path, log_file=tmp_path / "mediamtx.log")
    try:
        assert _listening(proc.pid) == {
            ("tcp", f"127.0.0.1:{cfg.api_port}"),
            ("tcp", f"127.0.0.1:{cfg.rtsp_port}"),
        }
        assert f"configuration loaded from {tmp_path / 'mediamtx.yml'}" in proc.tail()
    finally:
        proc.stop()
