"""NATS users (issue 16): a real nats-server on the authorization block compose and the local
stack run (written by ``camrec_runtime.credentials``). No user, no connection; each service's
user is refused a subject outside its list and allowed the ones its job needs; ``ops`` may
do anything. That the lists are enough for the real services is shown by every test on the
local stack (tests/stack, tests/ui, the drills), whose NATS runs on this same block."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from nats.errors import NoServersError

from camrec_contracts.nats_users import OPS_USER, permissions
from camrec_contracts.settings import CamrecSettings
from camrec_devstack.natsd import NatsServerConfig, start_nats_server
from camrec_devstack.procs import free_port
from camrec_runtime.bus import connect
from camrec_runtime.credentials import StackCredentials, ensure_credentials

REFUSAL_WAIT_S = 5.0
"""The server answers a refused publish or subscription with -ERR at once (a few ms here);
5 s is for a busy machine."""


@dataclass(frozen=True)
class Case:
    """What ``user`` may not do (``refused``) and what its job needs (``allowed``): each entry
    is ``pub <subject>`` or ``sub <subject>``."""

    user: str
    refused: tuple[str, ...]
    allowed: tuple[str, ...]


CASES = {
    "api": Case(
        "api",
        refused=(
            "pub $JS.API.STREAM.DELETE.KV_camrec-sessions",  # can't delete KV buckets
            "pub $JS.API.STREAM.PURGE.KV_camrec-recordings",
            "pub $JS.API.STREAM.UPDATE.KV_camrec-recordings",  # (a smaller max_msgs drops)
            "pub $JS.API.CONSUMER.DELETE.CAMREC_RECORDING_JOBS.recorders",
            "pub $KV.camrec-sessions.abc",  # sessions are the proxy's
            "pub camrec.events.recordings.abc",  # no one else's events
            "sub camrec.sessions.open",  # can't pose as the proxy
        ),
        allowed=(
            "pub camrec.sessions.open",
            "pub camrec.recordings.delete",
            "pub $KV.camrec-auth.admin",
            "pub $JS.API.DIRECT.GET.KV_camrec-auth.$KV.camrec-auth.admin",
            "sub camrec.events.sessions.*",
            "pub $JS.API.STREAM.UPDATE.CAMREC_EVENTS",  # ensure_jetstream's
            "pub $JS.API.CONSUMER.DELETE.KV_camrec-sessions.mirror",  # its own watches'
        ),
    ),
    "proxy": Case(
        "proxy",
        refused=(
            "pub camrec.recordings.start",
            "pub $KV.camrec-recordings.abc",
            "pub $JS.API.DIRECT.GET.KV_camrec-auth.$KV.camrec-auth.admin",  # the login's
            "pub $JS.API.CONSUMER.CREATE.KV_camrec-auth",
            "pub $JS.API.STREAM.DELETE.KV_camrec-sessions",
        ),
        allowed=(
            "sub camrec.sessions.open",
            "pub $KV.camrec-sessions.abc",
            "pub $KV.camrec-admission.slot-1",
            "pub camrec.events.sessions.abc",
        ),
    ),
    "recorder": Case(
        "recorder",
        refused=(
            "pub camrec.sessions.open",  # a recorder can't open sessions
            "pub camrec.sessions.close",
            "pub $KV.camrec-sessions.abc",
            "pub $KV.camrec-auth.admin",
            "pub $JS.API.STREAM.MSG.DELETE.KV_camrec-recordings",
        ),
        allowed=(
            "sub camrec.recordings.start",
            "sub camrec.recorder.worker-1.stop",
            "pub camrec.recorder.worker-2.stop",
            "pub camrec.sessions.get",
            "pub camrec.jobs.recordings",
            "pub $KV.camrec-recordings.abc",
            "pub $JS.ACK.CAMREC_RECORDING_JOBS.recorders.1.1.1.1.0",
        ),
    ),
    "previewer": Case(
        "previewer",
        refused=(
            "pub camrec.recordings.delete",
            "pub camrec.sessions.open",
            "pub $KV.camrec-recordings.abc",
            "sub camrec.recordings.start",
            "pub $JS.API.STREAM.DELETE.CAMREC_EVENTS",
        ),
        allowed=(
            "sub camrec.previewer.stats",
            "pub camrec.sessions.get",
            "sub camrec.events.sessions.*",
        ),
    ),
}


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[tuple[NatsServerConfig, StackCredentials]]:
    cfg = NatsServerConfig(port=free_port(), monitor_port=free_port(), store_dir=tmp_path / "js")
    creds = ensure_credentials(tmp_path / "credentials", cli_nats_url=cfg.url)
    cfg = NatsServerConfig(
        port=cfg.port,
        monitor_port=cfg.monitor_port,
        store_dir=cfg.store_dir,
        auth_conf=creds.nats_auth_conf,
    )
    proc = start_nats_server(cfg, log_file=tmp_path / "nats-server.log")
    try:
        yield cfg, creds
    finally:
        proc.stop()


class Watched:
    """A connection as ``user`` that keeps every error the server sends it."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc = Client()

    async def connect(self, url: str, user: str, password: str) -> None:
        async def on_error(error: Exception) -> None:
            self.errors.append(str(error))

        await self.nc.connect(
            url, user=user, password=password, error_cb=on_error, allow_reconnect=False
        )

    async def attempt(self, action: str) -> None:
        verb, subject = action.split(" ", 1)
        if verb == "pub":
            await self.nc.publish(subject, b"{}")
        else:
            await self.nc.subscribe(subject)
        await self.nc.flush()

    async def refused(self, action: str) -> bool:
        """Whether the server refused ``action`` (its -ERR names the subject; nats-py hands it
        on lower-cased)."""
        subject = action.split(" ", 1)[1]
        before = len(self.errors)
        await self.attempt(action)
        deadline = asyncio.get_running_loop().time() + REFUSAL_WAIT_S
        while asyncio.get_running_loop().time() < deadline:
            if any(f'"{subject}"'.lower() in e.lower() for e in self.errors[before:]):
                return True
            await asyncio.sleep(0.01)
        return False


@pytest.fixture
async def as_user(
    secured_nats: tuple[NatsServerConfig, StackCredentials],
) -> AsyncIterator[dict[str, Watched]]:
    cfg, creds = secured_nats
    opened: dict[str, Watched] = {}
    for user in permissions():
        watched = Watched()
        await watched.connect(cfg.url, user, creds.nats_password(user))
        opened[user] = watched
    try:
        yield opened
    finally:
        for watched in opened.values():
            await watched.nc.close()


async def test_no_user_no_connection(
    secured_nats: tuple[NatsServerConfig, StackCredentials],
) -> None:
    cfg, creds = secured_nats
    for login in ({}, {"user": "api", "password": "wrong"}):
        with pytest.raises((NoServersError, nats.errors.Error)) as refused:
            await nats.connect(cfg.url, allow_reconnect=False, connect_timeout=2, **login)
        print(f"{login or 'no user'}: {refused.value!r}")
    # the password files and the config hold only the generated passwords
    conf = creds.nats_auth_conf.read_text()
    assert all(creds.nats_password(user) in conf for user in permissions())


@pytest.mark.parametrize("service", sorted(CASES))
async def test_a_service_user_is_refused_subjects_outside_its_list(
    as_user: dict[str, Watched], service: str
) -> None:
    case = CASES[service]
    watched = as_user[case.user]
    for action in case.refused:
        assert await watched.refused(action), f"{case.user} was allowed to {action}"
    # Allowed ones: each followed by a refused one, whose -ERR comes after the allowed one's
    # would have (the server answers in order), so no error for it means it went through.
    sentinel = case.refused[0]
    for action in case.allowed:
        before = len(watched.errors)
        assert await watched.refused(sentinel)
        await watched.attempt(action)
        assert await watched.refused(sentinel)
        subject = action.split(" ", 1)[1]
        news = watched.errors[before:]
        assert not any(f'"{subject}"'.lower() in e.lower() for e in news), f"{action}: {news}"
    assert watched.nc.is_connected  # a refusal is an error reply, not a disconnection


async def test_ops_may_do_anything(as_user: dict[str, Watched]) -> None:
    ops = as_user[OPS_USER]
    for action in (
        "pub $JS.API.STREAM.DELETE.KV_camrec-nothing",
        "pub camrec.sessions.open",
        "sub >",
    ):
        await ops.attempt(action)
    await ops.nc.flush()
    assert ops.errors == []


async def test_a_service_with_a_wrong_password_says_so_when_it_gives_up(
    secured_nats: tuple[NatsServerConfig, StackCredentials], tmp_path: Path
) -> None:
    cfg, _ = secured_nats
    wrong = tmp_path / "wrong.password"
    wrong.write_text("not-it\n")
    settings = CamrecSettings(
        nats_url=cfg.url, nats_user="api", nats_password_file=wrong, nats_connect_wait_s=2
    )
    with pytest.raises(ConnectionError) as refused:
        await connect(settings, "camrec-api")
    assert "authorization violation" in str(refused.value).lower(), refused.value
    assert "not-it" not in str(refused.value)
