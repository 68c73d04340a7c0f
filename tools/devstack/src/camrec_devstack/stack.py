"""The local stack: real nats-server, MediaMTX, go2rtc and nginx plus the four services, as
processes.

Started in dependency order, watched (a process that dies is restarted, like compose's
``restart: unless-stopped``) and stopped in reverse order, so nothing outlives it.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx

from camrec_contracts.nats_users import OPS_USER
from camrec_runtime.credentials import StackCredentials, ensure_credentials

from .go2rtc import Go2RTCConfig, democam_urls, start_democam, start_go2rtc
from .mediamtx import MediaMTXConfig, start_mediamtx
from .natsd import NatsServerConfig, start_nats_server
from .nginx import local_resolvers, start_nginx
from .procs import ManagedProcess, ProcessFailed
from .settings import StackSettings

log = logging.getLogger(__name__)

SERVICES = ("proxy", "recorder", "previewer", "api")
RESTART_BACKOFF_S = 1.0
REFUSED_SUBJECT = " Violation - Subject "
"""nats-server logs "Publish Violation - Subject …" / "Subscription Violation - Subject …"."""


@dataclass
class Member:
    """One process of the stack and how to start it again."""

    name: str
    start: Callable[[], ManagedProcess]
    proc: ManagedProcess | None = None
    restarts: int = 0
    next_start: float = 0.0


class LocalStack:
    def __init__(self, settings: StackSettings, extra_env: Mapping[str, str] | None = None) -> None:
        self.s = settings
        self.extra_env = dict(extra_env or {})
        self.logs = settings.state_dir / "logs"
        self.members: list[Member] = []
        self.credentials = StackCredentials(settings.state_dir / "credentials")
        """As compose: a NATS user per service and ``ops``, the relays' read user."""

    @property
    def ops_nats_url(self) -> str:
        """The stack's NATS with the ``ops`` user (the NATS CLI's, allowed everything)."""
        password = self.credentials.nats_password(OPS_USER)
        return self.s.local_nats_url.replace("nats://", f"nats://{OPS_USER}:{password}@", 1)

    # -- what each member is ---------------------------------------------------------------
    def service_env(self, name: str) -> dict[str, str]:
        """The environment of service ``name``: its own NATS user, as in compose."""
        s = self.s
        demo_rtsp, demo_mjpeg = democam_urls("127.0.0.1", s.democam_api_port, s.democam_rtsp_port)
        # Its own users, never ones inherited from whoever started the stack (a test's).
        inherited = ("CAMREC_NATS_USER", "CAMREC_NATS_PASSWORD", "CAMREC_RELAY_READ_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(inherited)}
        env.update(
            {
                "CAMREC_NATS_URL": s.local_nats_url,
                "CAMREC_LOG_LEVEL": s.log_level,
                "CAMREC_API_PORT": str(s.api_port),
                "CAMREC_PREVIEWER_PORT": str(s.previewer_port),
                "CAMREC_RECORDINGS_DIR": str(s.recordings_dir),
                # As in compose: RTSP cameras through MediaMTX, MJPEG cameras through go2rtc.
                "CAMREC_RTSP_RELAY": "mediamtx",
                "CAMREC_MEDIAMTX_API_URL": self._mediamtx_config().api_url,
                "CAMREC_MEDIAMTX_RTSP_URL": self._mediamtx_config().rtsp_url,
                "CAMREC_GO2RTC_API_URL": f"http://127.0.0.1:{s.go2rtc_api_port}",
                "CAMREC_GO2RTC_RTSP_URL": f"rtsp://127.0.0.1:{s.go2rtc_rtsp_port}",
                "CAMREC_DEMO_RTSP_URL": demo_rtsp,
                "CAMREC_DEMO_MJPEG_URL": demo_mjpeg,
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(self.credentials.service_env(name))
        env.update(self.extra_env)
        return env

    def _service(self, name: str) -> Callable[[], ManagedProcess]:
        def start() -> ManagedProcess:
            argv = [sys.executable, "-m", f"camrec_{name}"]
            proc = ManagedProcess(
                name, argv, env=self.service_env(name), log_file=self.logs / f"{name}.log"
            ).start()
            if name == "api":
                proc.wait_port(self.s.api_port, timeout_s=40)
            elif name == "previewer":
                proc.wait_port(self.s.previewer_port, timeout_s=40)
            return proc

        return start

    def _nats(self) -> ManagedProcess:
        cfg = NatsServerConfig(
            port=self.s.nats_port,
            monitor_port=self.s.nats_monitor_port,
            store_dir=self.s.state_dir / "nats",
            auth_conf=self.credentials.nats_auth_conf,
        )
        return start_nats_server(cfg, log_file=self.logs / "nats-server.log")

    def _mediamtx_config(self) -> MediaMTXConfig:
        return MediaMTXConfig(
            api_port=self.s.mediamtx_api_port,
            rtsp_port=self.s.mediamtx_rtsp_port,
            read_password=self.credentials.relay_reader.password,
        )

    def _mediamtx(self) -> ManagedProcess:
        return start_mediamtx(
            self._mediamtx_config(),
            self.s.state_dir / "mediamtx",
            log_file=self.logs / "mediamtx.log",
        )

    def _go2rtc(self) -> ManagedProcess:
        cfg = Go2RTCConfig(
            api_port=self.s.go2rtc_api_port,
            rtsp_port=self.s.go2rtc_rtsp_port,
            reader=self.credentials.relay_reader,
        )
        return start_go2rtc(cfg, self.s.state_dir / "go2rtc", log_file=self.logs / "go2rtc.log")

    def _democam(self) -> ManagedProcess:
        return start_democam(
            self.s.democam_api_port,
            self.s.democam_rtsp_port,
            self.s.state_dir / "democam",
            log_file=self.logs / "democam.log",
        )

    def _nginx(self) -> ManagedProcess:
        values = {
            "LISTEN": f"127.0.0.1:{self.s.http_port}",
            "API_UPSTREAM": f"127.0.0.1:{self.s.api_port}",
            "PREVIEWER_UPSTREAM": f"127.0.0.1:{self.s.previewer_port}",
            "WEB_ROOT": str(self.s.web_root),
            "NGINX_LOCAL_RESOLVERS": local_resolvers(),
        }
        return start_nginx(
            values, self.s.state_dir / "nginx", self.s.http_port, log_file=self.logs / "nginx.log"
        )

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.s.state_dir.mkdir(parents=True, exist_ok=True)
        self.s.recordings_dir.mkdir(parents=True, exist_ok=True)
        ensure_credentials(self.credentials.root, cli_nats_url=self.s.local_nats_url)
        plan: list[tuple[str, Callable[[], ManagedProcess]]] = [
            ("nats-server", self._nats),
            ("mediamtx", self._mediamtx),
            ("go2rtc", self._go2rtc),
            ("democam", self._democam),
            *[(name, self._service(name)) for name in SERVICES],
            ("nginx", self._nginx),
        ]
        try:
            for name, start in plan:
                member = Member(name, start)
                self.members.append(member)
                member.proc = start()
        except BaseException:
            self.stop()
            raise

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.s.http_port}"

    def refused_subjects(self) -> list[str]:
        """nats-server's log lines for a publish or subscription it refused to a user: a
        service's list in camrec_contracts.nats_users that misses a subject it uses."""
        log_file = self.logs / "nats-server.log"
        lines = log_file.read_text(errors="replace").splitlines() if log_file.exists() else []
        return [line for line in lines if REFUSED_SUBJECT in line]

    def wait_healthy(self, timeout_s: float = 30.0) -> httpx.Response:
        """Poll ``/health`` through nginx until it answers 200 (or return the last answer)."""
        deadline = time.monotonic() + timeout_s
        last: httpx.Response | None = None
        while time.monotonic() < deadline:
            try:
                last = httpx.get(f"{self.url}/health", timeout=3)
                if last.status_code == 200:
                    return last
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        if last is None:
            raise ProcessFailed(f"{self.url}/health never answered")
        return last

    def watch_once(self) -> None:
        """Restart any member that died (with a back-off), logging why."""
        now = time.monotonic()
        for m in self.members:
            if m.proc is None or m.proc.running() or now < m.next_start:
                continue
            code = m.proc.proc.returncode if m.proc.proc else None
            log.error(
                "%s exited (code %s); restarting. Last output:\n%s", m.name, code, m.proc.tail(15)
            )
            m.restarts += 1
            m.next_start = now + RESTART_BACKOFF_S * min(m.restarts, 10)
            try:
                m.proc = m.start()
            except ProcessFailed as error:
                log.error("%s", error)

    def stop(self) -> None:
        """Stop in reverse start order: services finish their work before NATS goes."""
        for m in reversed(self.members):
            if m.proc is not None:
                code = m.proc.stop(grace_s=15.0)
                log.info("stopped %s (exit code %s)", m.name, code)
        self.members.clear()
