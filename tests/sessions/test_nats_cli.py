"""Sessions from the real `nats` CLI: open, list, read the KV record, close."""

from __future__ import annotations

import asyncio
import json

import httpx

from camrec_devstack.cameras.rtsp import H264_NOAUDIO, RtspCameras
from camrec_devstack.natsd import NatsServerConfig
from camrec_devstack.paths import binary


async def nats(server: NatsServerConfig, *args: str) -> str:
    proc = await asyncio.create_subprocess_exec(
        binary("nats"),
        "--server",
        server.url,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()
    return out.decode() + err.decode()


async def test_open_list_get_close_with_the_cli(
    api: httpx.AsyncClient, nats_server: NatsServerConfig, rtsp_cameras: RtspCameras
) -> None:
    url = rtsp_cameras.url(H264_NOAUDIO)
    opened = json.loads(
        await nats(
            nats_server,
            "req",
            "--timeout",
            "20s",
            "--raw",
            "camrec.sessions.open",
            json.dumps({"url": url, "name": "cli"}),
        )
    )
    assert opened["name"] == "cli" and opened["video"]["codec"] == "h264"
    sid = opened["id"]

    listed = json.loads(await nats(nats_server, "req", "--raw", "camrec.sessions.list", "{}"))
    assert [s["id"] for s in listed["sessions"]] == [sid]

    raw = await nats(nats_server, "kv", "get", "camrec-sessions", sid, "--raw")
    record = json.loads(raw)
    assert record["session"] == opened and record["source_url"] == url

    error = await nats(nats_server, "req", "camrec.sessions.get", '{"id": "nope"}')
    assert "Nats-Service-Error-Code: 422" in error
    assert "id: String should match pattern" in error

    closed = json.loads(
        await nats(nats_server, "req", "--raw", "camrec.sessions.close", json.dumps({"id": sid}))
    )
    assert closed == {"id": sid, "closed": True}
    assert (await api.get(f"/api/sessions/{sid}")).status_code == 404
